#include "pimqttd/sensors/polled.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

#include <spdlog/spdlog.h>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::sensors {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

void check(std::error_code error, std::string_view what) {
  if (error) throw DeviceError(std::string(what) + ": " + error.message());
}

EntityInfo quantity_entity(std::string_view sensor_id, std::string_view sensor_name,
                           const Quantity& quantity, milliseconds interval) {
  EntityInfo info;
  info.id = std::string(sensor_id) + "_" + std::string(quantity.key);
  info.name = std::string(sensor_name) + " " + std::string(quantity.label);
  info.platform = Platform::sensor;
  info.device_class = quantity.device_class;
  info.state_class = quantity.state_class;
  info.unit = quantity.unit;
  info.display_precision = quantity.precision;
  info.interval = interval;
  return info;
}

// ---- FaultTracker ------------------------------------------------------------------------------

FaultTracker::FaultTracker(Options options) : options_(std::move(options)) {}

milliseconds FaultTracker::failed(SensorContext& context, std::span<const EntityInfo> entities,
                                  std::string_view reason) {
  ++failures_;
  const Clock::time_point now = Clock::now();
  if (failures_ < options_.unavailable_after) {
    spdlog::debug("{}: failed {} of {} times before it counts as unavailable: {}",
                  options_.sensor_id, failures_, options_.unavailable_after, reason);
  } else if (reason != last_reason_) {
    spdlog::warn("{}: unavailable until it answers again: {}", options_.sensor_id, reason);
    last_reason_ = reason;
    last_logged_ = now;
  } else if (now - last_logged_ >= options_.reminder) {
    spdlog::warn("{}: still failing after {} attempts: {}", options_.sensor_id, failures_, reason);
    last_logged_ = now;
  }
  if (failures_ >= options_.unavailable_after && available_ != false) {
    available_ = false;
    for (const EntityInfo& entity : entities) context.set_available(entity.id, false);
  }
  // retry_min * 2^(failures - 1), capped; the shift is bounded so that it cannot overflow.
  const std::uint64_t doublings = std::min<std::uint64_t>(failures_ - 1, 30);
  const auto delay = options_.retry_min.count() * (std::int64_t{1} << doublings);
  return std::min(milliseconds(delay), std::max(options_.retry_min, options_.retry_max));
}

void FaultTracker::succeeded(SensorContext& context, std::span<const EntityInfo> entities) {
  if (failures_ > 0 && failures_ >= options_.unavailable_after) {
    spdlog::info("{}: answering again after {} failed attempts", options_.sensor_id, failures_);
  }
  failures_ = 0;
  last_reason_.clear();
  if (available_ != true) {
    available_ = true;
    for (const EntityInfo& entity : entities) context.set_available(entity.id, true);
  }
}

void FaultTracker::reset() {
  available_.reset();
  failures_ = 0;
  last_reason_.clear();
}

// ---- PolledSensor ------------------------------------------------------------------------------

PolledSensor::PolledSensor(PolledOptions options, std::vector<Entity> entities,
                           std::unique_ptr<Device> device)
    : options_(std::move(options)),
      entities_(std::move(entities)),
      device_(std::move(device)),
      faults_(FaultTracker::Options{options_.id, options_.retry_min, options_.retry_max,
                                    std::chrono::hours{1}}) {
  infos_.reserve(entities_.size());
  for (const Entity& entity : entities_) infos_.push_back(entity.info);
}

PolledSensor::~PolledSensor() { stop(); }

void PolledSensor::start(SensorContext& context) {
  stop();
  context_ = &context;
  faults_.reset();
  set_up_ = false;
  attempt();
}

void PolledSensor::stop() {
  if (context_ == nullptr) return;
  timer_.reset();
  context_ = nullptr;
}

void PolledSensor::schedule(Clock::time_point at, bool collect) {
  timer_ = context_->loop().start_timer(at, [this, collect] {
    if (collect) {
      finish();
    } else {
      attempt();
    }
  });
}

void PolledSensor::attempt() {
  cycle_start_ = Clock::now();
  pending_.clear();
  milliseconds wait{0};
  try {
    if (!set_up_) {
      device_->setup();
      set_up_ = true;
    }
    wait = device_->begin();
  } catch (const DeviceError& error) {
    fail(error.what());
    return;
  }
  if (wait <= milliseconds{0}) {
    finish();
  } else {
    schedule(Clock::now() + wait, true);
  }
}

void PolledSensor::finish() {
  std::optional<milliseconds> next;
  try {
    std::vector<Reading> step = device_->collect();
    pending_.insert(pending_.end(), std::make_move_iterator(step.begin()),
                    std::make_move_iterator(step.end()));
    next = device_->begin_next();
  } catch (const DeviceError& error) {
    pending_.clear();
    fail(error.what());
    return;
  }
  if (next) {
    // Even a step that needs no wait goes through the loop, so that a device taking many steps
    // never holds it.
    schedule(Clock::now() + std::max(*next, milliseconds{0}), true);
    return;
  }
  std::vector<Reading> readings = std::move(pending_);
  pending_.clear();
  SensorContext* context = context_;
  faults_.succeeded(*context, infos_);
  for (Reading& reading : readings) {
    if (context_ != context) return;  // stopped from inside a callback
    const auto entity = std::find_if(entities_.begin(), entities_.end(),
                                     [&](const Entity& e) { return e.key == reading.key; });
    if (entity != entities_.end()) context->publish(entity->info.id, std::move(reading.value));
  }
  if (context_ != context) return;
  // The next cycle starts one interval after this one started; a cycle that overran starts
  // the next at once rather than bunching missed ones.
  schedule(std::max(cycle_start_ + options_.interval, Clock::now()), false);
}

void PolledSensor::fail(std::string_view reason) {
  SensorContext* context = context_;
  const milliseconds retry = faults_.failed(*context, infos_, reason);
  if (context_ != context) return;
  set_up_ = false;
  schedule(Clock::now() + retry, false);
}

std::unique_ptr<Sensor> make_polled_sensor(PolledOptions options, std::string_view name,
                                           std::span<const Quantity> quantities,
                                           std::unique_ptr<Device> device) {
  std::vector<PolledSensor::Entity> entities;
  entities.reserve(quantities.size());
  for (const Quantity& quantity : quantities) {
    entities.push_back({std::string(quantity.key),
                        quantity_entity(options.id, name, quantity, options.interval)});
  }
  return std::make_unique<PolledSensor>(std::move(options), std::move(entities),
                                        std::move(device));
}

}  // namespace pimqttd::sensors
