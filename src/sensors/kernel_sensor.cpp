#include "pimqttd/sensors/kernel_sensor.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>

#include "pimqttd/core/config_reader.hpp"
#include "pimqttd/core/worker.hpp"

namespace pimqttd::sensors {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double KernelQuantity::convert(double value) const noexcept {
  const double converted = value * multiply / divide;
  if (!std::isfinite(converted)) return converted;
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.12g", converted);
  return std::strtod(text.data(), nullptr);
}

ChannelReading read_number_attribute(const ReadAttribute& read, const fs::path& file) {
  const AttributeRead got = read(file);
  if (!got.ok()) {
    return ChannelReading::failure(
        file.string() + ": " + std::generic_category().message(got.error), got.error);
  }
  if (auto number = parse_attribute_number(got.text)) return ChannelReading::of(*number);
  return ChannelReading::failure(file.string() + ": cannot parse " + core::quote(got.text), 0);
}

// What every job of the sensor shares: immutable once built, so the worker may read it while
// the loop does too.
struct KernelSensor::Plan {
  fs::path root;
  SysfsClass sysfs_class;
  DeviceSelector selector;
  std::vector<KernelChannel> channels;
  ListChannels list;
  ReadAttribute read;
};

// One attempt's outcome, made on the worker.
struct KernelSensor::Attempt {
  /// The device directory read; nullopt when it was not found (`device_error` says why).
  std::optional<fs::path> device;
  std::string device_error;
  /// Set when the device was (re)opened by this attempt.
  std::optional<std::vector<std::string>> offered;
  std::vector<std::pair<std::size_t, ChannelReading>> readings;
  std::chrono::nanoseconds took{0};
};

namespace {

FaultTracker::Options fault_options(const KernelSensorOptions& options, std::string id,
                                    int unavailable_after) {
  FaultTracker::Options out;
  out.sensor_id = std::move(id);
  out.retry_min = options.retry_min;
  out.retry_max = options.retry_max;
  out.unavailable_after = static_cast<std::uint64_t>(std::max(unavailable_after, 1));
  return out;
}

}  // namespace

KernelSensor::KernelSensor(KernelSensorOptions options, const SysfsClass& sysfs_class,
                           std::vector<KernelChannel> channels, ListChannels list,
                           ReadAttribute read)
    : options_(std::move(options)),
      device_faults_(fault_options(options_, options_.id, 1)),
      jobs_([this](Attempt attempt) { completed(std::move(attempt)); }) {
  for (const KernelChannel& channel : channels) {
    infos_.push_back(channel.info);
    channel_faults_.emplace_back(
        fault_options(options_, channel.info.id, options_.unavailable_after));
  }
  auto plan = std::make_shared<Plan>();
  plan->root = options_.root;
  plan->sysfs_class = sysfs_class;
  plan->selector = options_.selector;
  plan->channels = std::move(channels);
  plan->list = std::move(list);
  plan->read = read ? std::move(read) : ReadAttribute(read_attribute);
  plan_ = std::move(plan);
}

KernelSensor::~KernelSensor() { stop(); }

bool KernelSensor::reading() const noexcept { return jobs_.busy(); }

std::vector<SensorListing> KernelSensor::listings() const {
  return {SensorListing{options_.id + "_channels", offered_}};
}

void KernelSensor::start(SensorContext& context) {
  stop();
  context_ = &context;
  device_faults_.reset();
  for (FaultTracker& faults : channel_faults_) faults.reset();
  begin_cycle();
}

void KernelSensor::stop() {
  if (context_ == nullptr) return;
  timer_.reset();
  jobs_.stop();  // a job still on the worker is stale from now on
  context_ = nullptr;
}

void KernelSensor::schedule(Clock::time_point at, bool retry) {
  timer_ = context_->loop().start_timer(at, [this, retry] {
    if (retry) {
      submit(retry_);
    } else {
      begin_cycle();
    }
  });
}

void KernelSensor::begin_cycle() {
  jobs_.when_idle([this] {
    cycle_start_ = Clock::now();
    attempt_ = 0;
    std::vector<std::size_t> all(plan_->channels.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    submit(std::move(all));
  });
}

void KernelSensor::submit(std::vector<std::size_t> channels) {
  jobs_.submit(context_->worker(), [plan = plan_, known = device_,
                                    channels = std::move(channels)] {
    const Clock::time_point began = Clock::now();
    Attempt attempt;
    // Looked up anew every attempt (a listing and a few `name` files, no conversion): the
    // number a device had may now belong to another one, which must never be read in its place.
    auto found = find_sysfs_device(plan->root, plan->sysfs_class, plan->selector);
    if (found) {
      attempt.device = found.value().directory;
      if (known != attempt.device) attempt.offered = plan->list(*attempt.device);
    } else {
      attempt.device_error = found.error();
    }
    if (attempt.device) {
      for (const std::size_t index : channels) {
        attempt.readings.emplace_back(index, plan->channels[index].read(*attempt.device, plan->read));
      }
    }
    attempt.took = Clock::now() - began;
    return attempt;
  });
}

void KernelSensor::completed(Attempt attempt) {
  const std::uint64_t run = jobs_.run();
  max_read_ = std::max(max_read_, attempt.took);
  spdlog::debug("{}: read attempt {} of the cycle took {} µs", options_.id, attempt_ + 1,
                std::chrono::duration_cast<std::chrono::microseconds>(attempt.took).count());
  if (!attempt.device) {
    device_.reset();
    const std::chrono::milliseconds retry =
        device_faults_.failed(*context_, infos_, attempt.device_error);
    if (jobs_.run() != run) return;
    // Each channel starts afresh once the device is back.
    for (FaultTracker& faults : channel_faults_) faults.reset();
    schedule(Clock::now() + retry, false);
    return;
  }
  device_faults_.succeeded(*context_, {});
  device_ = std::move(attempt.device);
  if (attempt.offered) offered_ = std::move(*attempt.offered);

  std::vector<std::size_t> retry;
  for (auto& [index, reading] : attempt.readings) {
    const std::span<const EntityInfo> entity(&infos_[index], 1);
    const int error = reading.error_number;
    if (reading.value) {
      channel_faults_[index].succeeded(*context_, entity);
      if (jobs_.run() != run) return;
      context_->publish(infos_[index].id, std::move(*reading.value));
    } else if (is_transient_read_error(error) && attempt_ < options_.retries) {
      retry.push_back(index);
      spdlog::debug("{}: {} (attempt {} of {})", infos_[index].id, reading.error, attempt_ + 1,
                    options_.retries + 1);
    } else {
      (void)channel_faults_[index].failed(*context_, entity, reading.error);
    }
    if (jobs_.run() != run) return;
  }
  if (!retry.empty()) {
    ++attempt_;
    retry_ = std::move(retry);
    schedule(Clock::now() + options_.retry_pause, true);
    return;
  }
  // One interval after the cycle started; at once if it overran.
  schedule(std::max(cycle_start_ + options_.interval, Clock::now()), false);
}

}  // namespace pimqttd::sensors
