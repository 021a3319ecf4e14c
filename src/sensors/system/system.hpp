#pragma once
// SystemSensor: the machine's own health from procfs and sysfs (the `system` sensor type).
//
// Every entity is a diagnostic entity (entity_category: diagnostic):
//
// | metric | platform | device class | state class | unit | precision | icon |
// | --- | --- | --- | --- | --- | --- | --- |
// | cpu_temperature | sensor | temperature | measurement | °C | 1 | |
// | cpu_usage | sensor | | measurement | % | 1 | mdi:cpu-64-bit |
// | load_1m, load_5m, load_15m | sensor | | measurement | | 2 | mdi:gauge |
// | memory_used | sensor | | measurement | % | 1 | mdi:memory |
// | swap_used | sensor | | measurement | % | 1 | mdi:swap-horizontal |
// | disk_used | sensor | | measurement | % | 1 | mdi:harddisk |
// | uptime | sensor | timestamp | | | | |
// | network_rx, network_tx | sensor | data_rate | measurement | kB/s | 1 | |
// | wifi_signal | sensor | signal_strength | measurement | dBm | 0 | |
// | under_voltage... (8 flags) | binary_sensor | problem | | | | |
//
// Precision (readings are published rounded to it; the values below are computed in doubles):
// - cpu_temperature 1: the ABI's millidegrees, capped at 0.1 °C: SoC sensors step by about
//   0.5 °C (BCM2711) and are no more accurate than that;
// - cpu_usage, memory_used, swap_used, disk_used 1: percentages of counts, 0.1 % is finer than
//   anything they are watched for (a 32 GB card's 0.1 % is 32 MB);
// - load_* 2: /proc/loadavg's own two decimals;
// - network_rx/tx 1: 0.1 kB/s, 100 bytes a second;
// - wifi_signal 0: /proc/net/wireless's whole dBm.
//
// Values:
// - cpu_temperature: thermal_zone<N>/temp / 1000 (°C).
// - cpu_usage: 100 * busy / total ticks between two readings of /proc/stat's "cpu" line (busy =
//   total - idle - iowait). Needs two samples: the first is taken at start.
// - load_*: /proc/loadavg as is.
// - memory_used: 100 * (MemTotal - MemAvailable) / MemTotal; swap_used likewise.
// - disk_used: statvfs of the mount as `df` reports Use% (the root reserve counts as neither
//   used nor available), unrounded.
// - uptime: the boot time (/proc/stat btime) in ISO 8601 UTC ("2024-05-01T08:00:00+00:00"),
//   Home Assistant's timestamp form; read on every poll and again at once when the wall clock
//   is set (wall_clock_stepped), so an NTP step after boot shows up.
// - network_rx/tx: kilobytes (1000 bytes) per second from /proc/net/dev's byte counters between
//   two readings. Needs two samples like cpu_usage. A counter that went backwards (a 32-bit
//   counter that wrapped, an interface re-created) publishes nothing that time: the reading
//   becomes the new baseline.
// - wifi_signal: the signal level of /proc/net/wireless in dBm; unavailable while the interface
//   is not associated (it has no line then), or when its driver does not report dBm.
// - the throttled flags: the Raspberry Pi firmware's get_throttled bits (0 under-voltage, 1 ARM
//   frequency capped, 2 throttled, 3 soft temperature limit; bits 16-19 the same "has occurred
//   since boot"); ON = the problem is present (has occurred).
//
// Probing: the constructor finds out which metrics this machine has and leaves out, with one
// info log line per reason, those it does not: no thermal zone N, no swap configured (SwapTotal
// 0), a mount that statvfs cannot read, an interface without a /proc/net/dev line, a Wi-Fi
// interface that is neither in /proc/net/wireless nor a wireless device in
// /sys/class/net/<if>/wireless, no firmware throttled file (not a Raspberry Pi), a file that
// does not parse. entities() holds the rest, in the order of the options.
//
// Polling: start() reads every entity at once (publishing from inside start()), then one
// periodic loop timer per distinct interval reads the entities of that interval; the rate
// metrics also take an early second sample `rate_warmup` after start (if that is shorter than
// their interval), so that they have a value without waiting a whole interval. Reads happen on
// the loop (small virtual files). A read that fails (file vanished, parse error) marks the
// entity unavailable and logs one warning line (per reason) until the entity reads again,
// which marks it available with one info line. An entity is marked available right before its
// first value after start() and after each failure. A failed rate metric drops its baseline.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/hw/procfs.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {

enum class SystemMetricKind : std::uint8_t {
  cpu_temperature,
  cpu_usage,
  load_1m,
  load_5m,
  load_15m,
  memory_used,
  swap_used,
  disk_used,    ///< subject: the mount point
  uptime,
  network_rx,   ///< subject: the interface
  network_tx,   ///< subject: the interface
  wifi_signal,  ///< subject: the interface
  under_voltage,
  under_voltage_since_boot,
  frequency_capped,
  frequency_capped_since_boot,
  throttled,
  throttled_since_boot,
  soft_temperature_limit,
  soft_temperature_limit_since_boot,
};

/// One entity of a system sensor.
struct SystemMetricSpec {
  SystemMetricKind kind = SystemMetricKind::cpu_temperature;
  /// The mount point (disk_used: absolute, "/" is the root directory's) or the interface
  /// (network_*, wifi_signal); empty otherwise.
  std::string subject;
  std::string entity_id;
  std::string name;
  /// > 0
  std::chrono::milliseconds interval{std::chrono::seconds{60}};
  friend bool operator==(const SystemMetricSpec&, const SystemMetricSpec&) = default;
};

struct SystemSensorOptions {
  /// Names the sensor in log lines.
  std::string id = "system";
  /// The directory that holds proc/ and sys/ (and the mount points below it).
  std::filesystem::path root{"/"};
  /// cpu_temperature reads sys/class/thermal/thermal_zone<thermal_zone>/temp.
  int thermal_zone = 0;
  std::vector<SystemMetricSpec> metrics;
  /// Rate metrics (cpu_usage, network_*) take their second sample this long after start when
  /// that comes before their interval.
  std::chrono::milliseconds rate_warmup{std::chrono::seconds{1}};
  /// Seams for tests: statvfs (empty: the real one) and the clock that times the network
  /// counters (empty: std::chrono::steady_clock::now).
  hw::SystemFiles::StatvfsFunction statvfs;
  std::function<std::chrono::steady_clock::time_point()> now;
};

/// What Home Assistant is told about one system entity (the table above): diagnostic, with the
/// spec's id, name and interval.
[[nodiscard]] EntityInfo system_entity_info(const SystemMetricSpec& spec);


class SystemSensor final : public Sensor {
 public:
  /// Probes the machine (see above). Throws std::invalid_argument for a spec with an interval
  /// <= 0 or two specs with the same entity id.
  explicit SystemSensor(SystemSensorOptions options);
  ~SystemSensor() override;
  SystemSensor(const SystemSensor&) = delete;
  SystemSensor& operator=(const SystemSensor&) = delete;

  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return entities_; }
  void start(SensorContext& context) override;
  void stop() override;
  /// Reads and publishes the boot time (uptime) again: the kernel reports it in wall-clock
  /// time, which was wrong before the set.
  void wall_clock_stepped() override;

  /// The entities left out at construction with the reason (as logged), in the order of the
  /// options.
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& left_out() const {
    return left_out_;
  }

 private:
  struct Entry {
    SystemMetricSpec spec;
    std::optional<bool> available;  ///< unknown until the first value or failure after start
    std::optional<hw::CpuTimes> cpu_sample;
    std::optional<std::pair<std::uint64_t, std::chrono::steady_clock::time_point>> byte_sample;
  };
  class Poll;

  /// Reads and publishes the entities `which` selects.
  void poll(const std::function<bool(const Entry&)>& which);
  [[nodiscard]] std::chrono::steady_clock::time_point now() const;

  SystemSensorOptions options_;
  hw::SystemFiles files_;
  std::optional<std::filesystem::path> throttled_file_;
  std::vector<Entry> entries_;
  std::vector<EntityInfo> entities_;
  std::vector<std::pair<std::string, std::string>> left_out_;
  SensorContext* context_ = nullptr;
  std::vector<core::TimerHandle> timers_;
};

}  // namespace pimqttd::sensors
