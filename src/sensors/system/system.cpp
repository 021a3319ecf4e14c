#include "sensors/system/system.hpp"

#include <algorithm>
#include <ctime>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::sensors {
namespace {

using Kind = SystemMetricKind;
using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

bool is_rate(Kind kind) {
  return kind == Kind::cpu_usage || kind == Kind::network_rx || kind == Kind::network_tx;
}

// The bit of a throttled flag kind, or 0 for every other kind.
std::uint32_t flag_bit(Kind kind) {
  constexpr unsigned kShift = hw::kThrottledSinceBootShift;
  switch (kind) {
    case Kind::under_voltage:
      return hw::kUnderVoltage;
    case Kind::under_voltage_since_boot:
      return hw::kUnderVoltage << kShift;
    case Kind::frequency_capped:
      return hw::kFrequencyCapped;
    case Kind::frequency_capped_since_boot:
      return hw::kFrequencyCapped << kShift;
    case Kind::throttled:
      return hw::kThrottled;
    case Kind::throttled_since_boot:
      return hw::kThrottled << kShift;
    case Kind::soft_temperature_limit:
      return hw::kSoftTemperatureLimit;
    case Kind::soft_temperature_limit_since_boot:
      return hw::kSoftTemperatureLimit << kShift;
    default:
      return 0;
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// (entity id, reason) pairs grouped by reason, in order of first appearance.
std::vector<std::pair<std::string, std::vector<std::string>>> by_reason(
    const std::vector<std::pair<std::string, std::string>>& items) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& item : items) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const auto& group) { return group.first == item.second; });
    if (it == out.end()) it = out.insert(out.end(), {item.second, {}});
    it->second.push_back(item.first);
  }
  return out;
}

}  // namespace

// What one poll read: every file at most once, however many entities it feeds.
class SystemSensor::Poll {
 public:
  struct Outcome {
    std::optional<Value> value;  ///< nothing to publish when empty (and no error)
    std::string error;           ///< non-empty: the read failed
  };

  Poll(const SystemSensor& sensor, TimePoint now) : sensor_(sensor), now_(now) {}

  Outcome read(Entry& entry);

 private:
  template <class T, class F>
  static const hw::ReadResult<T>& cached(std::optional<hw::ReadResult<T>>& slot, F&& read) {
    if (!slot) slot.emplace(read());
    return *slot;
  }
  template <class T, class F>
  static const hw::ReadResult<T>& cached(std::map<std::string, hw::ReadResult<T>>& slots,
                                         const std::string& key, F&& read) {
    auto it = slots.find(key);
    if (it == slots.end()) it = slots.emplace(key, read()).first;
    return it->second;
  }

  Outcome cpu_usage(Entry& entry);
  Outcome network(Entry& entry);

  const SystemSensor& sensor_;
  const hw::SystemFiles& files_ = sensor_.files_;
  TimePoint now_;
  std::optional<hw::ReadResult<hw::CpuTimes>> cpu_;
  std::optional<hw::ReadResult<std::int64_t>> boot_time_;
  std::optional<hw::ReadResult<std::int64_t>> thermal_;
  std::optional<hw::ReadResult<hw::LoadAverage>> load_;
  std::optional<hw::ReadResult<hw::MemInfo>> memory_;
  std::optional<hw::ReadResult<std::uint32_t>> throttled_;
  std::map<std::string, hw::ReadResult<hw::NetCounters>> net_;
  std::map<std::string, hw::ReadResult<hw::WirelessStats>> wireless_;
  std::map<std::string, hw::ReadResult<hw::DiskUsage>> disk_;
};

SystemSensor::Poll::Outcome SystemSensor::Poll::read(Entry& entry) {
  const SystemMetricSpec& spec = entry.spec;
  const auto fail = [](const std::string& error) { return Outcome{std::nullopt, error}; };
  const auto value = [](Value v) { return Outcome{std::move(v), {}}; };
  switch (spec.kind) {
    case Kind::cpu_temperature: {
      const auto& r = cached(thermal_, [&] {
        return files_.thermal_millidegrees(sensor_.options_.thermal_zone);
      });
      if (!r) return fail(r.error());
      return value(static_cast<double>(r.value()) / 1000.0);
    }
    case Kind::cpu_usage:
      return cpu_usage(entry);
    case Kind::load_1m:
    case Kind::load_5m:
    case Kind::load_15m: {
      const auto& r = cached(load_, [&] { return files_.load_average(); });
      if (!r) return fail(r.error());
      const hw::LoadAverage& load = r.value();
      return value(spec.kind == Kind::load_1m   ? load.one_minute
                   : spec.kind == Kind::load_5m ? load.five_minutes
                                                : load.fifteen_minutes);
    }
    case Kind::memory_used:
    case Kind::swap_used: {
      const auto& r = cached(memory_, [&] { return files_.memory(); });
      if (!r) return fail(r.error());
      if (spec.kind == Kind::memory_used) return value(hw::memory_used_percent(r.value()));
      const auto percent = hw::swap_used_percent(r.value());
      if (!percent) {
        return fail(fmt::format("no swap configured (SwapTotal 0 in {})",
                                files_.path("proc/meminfo").string()));
      }
      return value(*percent);
    }
    case Kind::disk_used: {
      const auto& r = cached(disk_, spec.subject, [&] { return files_.disk_usage(spec.subject); });
      if (!r) return fail(r.error());
      const auto percent = hw::disk_used_percent(r.value());
      if (!percent) {
        return fail(files_.path(spec.subject).string() + ": no space used or available");
      }
      return value(*percent);
    }
    case Kind::uptime: {
      const auto& r = cached(boot_time_, [&] { return files_.boot_time(); });
      if (!r) return fail(r.error());
      std::string text = iso8601_utc(r.value());
      if (text.empty()) {
        return fail(fmt::format("{}: boot time {} out of range",
                                files_.path("proc/stat").string(), r.value()));
      }
      return value(std::move(text));
    }
    case Kind::network_rx:
    case Kind::network_tx:
      return network(entry);
    case Kind::wifi_signal: {
      const auto& r =
          cached(wireless_, spec.subject, [&] { return files_.wireless(spec.subject); });
      if (!r) return fail(r.error());
      if (r.value().level >= 0) {
        return fail(fmt::format("{}: the signal level of {} ({}) is not in dBm",
                                files_.path("proc/net/wireless").string(), spec.subject,
                                r.value().level));
      }
      return value(r.value().level);
    }
    default:
      break;
  }
  // The throttled flags.
  if (!sensor_.throttled_file_) return fail("no Raspberry Pi firmware throttled flags");
  const auto& r = cached(throttled_, [&] { return files_.throttled(*sensor_.throttled_file_); });
  if (!r) return fail(r.error());
  return value((r.value() & flag_bit(spec.kind)) != 0);
}

SystemSensor::Poll::Outcome SystemSensor::Poll::cpu_usage(Entry& entry) {
  const auto& r = cached(cpu_, [&] { return files_.cpu_times(); });
  if (!r) {
    entry.cpu_sample.reset();
    return Outcome{std::nullopt, r.error()};
  }
  const hw::CpuTimes& now = r.value();
  if (!entry.cpu_sample || now.total() < entry.cpu_sample->total()) {
    entry.cpu_sample = now;
    return {};
  }
  const hw::CpuTimes& before = *entry.cpu_sample;
  const std::uint64_t total = now.total() - before.total();
  if (total == 0) return {};  // no tick since: wait for the next poll
  // iowait may go backwards a little: the busy delta is kept within [0, total].
  const auto busy_of = [](const hw::CpuTimes& t) {
    return static_cast<double>(t.total()) - static_cast<double>(t.idle_total());
  };
  const double busy =
      std::clamp(busy_of(now) - busy_of(before), 0.0, static_cast<double>(total));
  entry.cpu_sample = now;
  return Outcome{100.0 * busy / static_cast<double>(total), {}};
}

SystemSensor::Poll::Outcome SystemSensor::Poll::network(Entry& entry) {
  const std::string& interface = entry.spec.subject;
  const auto& r = cached(net_, interface, [&] { return files_.net_counters(interface); });
  if (!r) {
    entry.byte_sample.reset();
    return Outcome{std::nullopt, r.error()};
  }
  const std::uint64_t bytes =
      entry.spec.kind == Kind::network_rx ? r.value().rx_bytes : r.value().tx_bytes;
  if (!entry.byte_sample || bytes < entry.byte_sample->first) {
    if (entry.byte_sample) {
      spdlog::debug("{}: {}: the byte counter went backwards ({} -> {}): new baseline",
                    sensor_.options_.id, entry.spec.entity_id, entry.byte_sample->first, bytes);
    }
    entry.byte_sample.emplace(bytes, now_);
    return {};
  }
  const auto [before, when] = *entry.byte_sample;
  if (now_ <= when) return {};
  const double seconds = std::chrono::duration<double>(now_ - when).count();
  entry.byte_sample.emplace(bytes, now_);
  return Outcome{static_cast<double>(bytes - before) / (seconds * 1000.0), {}};
}

EntityInfo system_entity_info(const SystemMetricSpec& spec) {
  EntityInfo e;
  e.id = spec.entity_id;
  e.name = spec.name;
  e.interval = spec.interval;
  e.diagnostic = true;
  const auto percent = [&](std::string icon) {
    e.state_class = "measurement";
    e.unit = "%";
    e.display_precision = 1;
    e.icon = std::move(icon);
  };
  switch (spec.kind) {
    case Kind::cpu_temperature:
      e.device_class = "temperature";
      e.state_class = "measurement";
      e.unit = "°C";
      e.display_precision = 1;
      break;
    case Kind::cpu_usage:
      percent("mdi:cpu-64-bit");
      break;
    case Kind::load_1m:
    case Kind::load_5m:
    case Kind::load_15m:
      e.state_class = "measurement";
      e.display_precision = 2;
      e.icon = "mdi:gauge";
      break;
    case Kind::memory_used:
      percent("mdi:memory");
      break;
    case Kind::swap_used:
      percent("mdi:swap-horizontal");
      break;
    case Kind::disk_used:
      percent("mdi:harddisk");
      break;
    case Kind::uptime:
      e.device_class = "timestamp";
      break;
    case Kind::network_rx:
    case Kind::network_tx:
      e.device_class = "data_rate";
      e.state_class = "measurement";
      e.unit = "kB/s";
      e.display_precision = 1;
      break;
    case Kind::wifi_signal:
      e.device_class = "signal_strength";
      e.state_class = "measurement";
      e.unit = "dBm";
      e.display_precision = 0;
      break;
    default:
      e.platform = Platform::binary_sensor;
      e.device_class = "problem";
      break;
  }
  return e;
}

SystemSensor::SystemSensor(SystemSensorOptions options)
    : options_(std::move(options)), files_(options_.root, options_.statvfs) {
  for (std::size_t i = 0; i < options_.metrics.size(); ++i) {
    const SystemMetricSpec& spec = options_.metrics[i];
    if (spec.interval.count() <= 0) {
      throw std::invalid_argument(
          fmt::format("{}: the interval of {} must be > 0", options_.id, spec.entity_id));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (options_.metrics[j].entity_id == spec.entity_id) {
        throw std::invalid_argument(
            fmt::format("{}: entity id {} is given twice", options_.id, spec.entity_id));
      }
    }
  }
  throttled_file_ = files_.find_throttled_file();

  Poll probe(*this, now());
  for (const SystemMetricSpec& spec : options_.metrics) {
    Entry scratch{spec, std::nullopt, std::nullopt, std::nullopt};
    std::string reason;
    if (flag_bit(spec.kind) != 0 && !throttled_file_) {
      reason = fmt::format(
          "no Raspberry Pi firmware throttled flags (no get_throttled under {} or {})",
          files_.path("sys/devices/platform/soc/soc:firmware").string(),
          files_.path("sys/bus/platform/drivers/raspberrypi-firmware").string());
    } else if (auto outcome = probe.read(scratch); !outcome.error.empty()) {
      // A Wi-Fi interface that is not associated yet (at boot) has no line: keep it.
      if (spec.kind != Kind::wifi_signal || !files_.is_wireless(spec.subject)) {
        reason = outcome.error;
      }
    }
    if (reason.empty()) {
      entries_.push_back(Entry{spec, std::nullopt, std::nullopt, std::nullopt});
      entities_.push_back(system_entity_info(spec));
    } else {
      left_out_.emplace_back(spec.entity_id, std::move(reason));
    }
  }
  for (const auto& [reason, ids] : by_reason(left_out_)) {
    spdlog::info("{}: leaving out {}: {}", options_.id, join(ids), reason);
  }
}

SystemSensor::~SystemSensor() { stop(); }

void SystemSensor::start(SensorContext& context) {
  stop();
  context_ = &context;
  for (Entry& entry : entries_) {
    entry.available.reset();
    entry.cpu_sample.reset();
    entry.byte_sample.reset();
  }
  std::vector<milliseconds> intervals;
  bool warmup = false;
  for (const Entry& entry : entries_) {
    if (std::find(intervals.begin(), intervals.end(), entry.spec.interval) == intervals.end()) {
      intervals.push_back(entry.spec.interval);
    }
    warmup = warmup || (is_rate(entry.spec.kind) && options_.rate_warmup.count() > 0 &&
                        options_.rate_warmup < entry.spec.interval);
  }
  core::EventLoop& loop = context.loop();
  for (const milliseconds interval : intervals) {
    timers_.push_back(loop.start_periodic(interval, [this, interval] {
      poll([interval](const Entry& entry) { return entry.spec.interval == interval; });
    }));
  }
  if (warmup) {
    timers_.push_back(loop.start_timer(options_.rate_warmup, [this] {
      poll([this](const Entry& entry) {
        return is_rate(entry.spec.kind) && options_.rate_warmup < entry.spec.interval;
      });
    }));
  }
  poll([](const Entry&) { return true; });
}

void SystemSensor::wall_clock_stepped() {
  if (context_ == nullptr) return;
  poll([](const Entry& entry) { return entry.spec.kind == SystemMetricKind::uptime; });
}

void SystemSensor::stop() {
  if (context_ == nullptr) return;
  timers_.clear();
  context_ = nullptr;
}

std::chrono::steady_clock::time_point SystemSensor::now() const {
  return options_.now ? options_.now() : std::chrono::steady_clock::now();
}

void SystemSensor::poll(const std::function<bool(const Entry&)>& which) {
  Poll cache(*this, now());
  std::vector<std::pair<std::string, std::string>> failed;
  std::vector<std::string> recovered;
  for (Entry& entry : entries_) {
    if (context_ == nullptr) break;  // stopped from inside a callback
    if (!which(entry)) continue;
    Poll::Outcome outcome = cache.read(entry);
    const std::string& id = entry.spec.entity_id;
    if (!outcome.error.empty()) {
      if (entry.available != false) {
        entry.available = false;
        failed.emplace_back(id, std::move(outcome.error));
        context_->set_available(id, false);
      }
      continue;
    }
    if (!outcome.value) continue;
    if (entry.available != true) {
      if (entry.available == false) recovered.push_back(id);
      entry.available = true;
      context_->set_available(id, true);
      if (context_ == nullptr) break;
    }
    context_->publish(id, std::move(*outcome.value));
  }
  for (const auto& [reason, ids] : by_reason(failed)) {
    spdlog::warn("{}: {} unavailable until it reads again: {}", options_.id, join(ids), reason);
  }
  if (!recovered.empty()) spdlog::info("{}: {} readable again", options_.id, join(recovered));
}

}  // namespace pimqttd::sensors
