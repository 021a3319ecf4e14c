#pragma once
// Settings of the `system` sensor type: the machine's own health, read from procfs and sysfs.
//
//   { "type": "system",            // name defaults to "System", id to "system"
//     "interval": "60s",           // default for every metric below
//     "root": "/",                 // where proc/ and sys/ are looked up (tests use a fake tree)
//     "metrics": {
//       "cpu_temperature": true,   // each metric: true, false, or an object with "enabled"
//       "cpu_usage": { "interval": "10s" },  // (default true), "interval" and its own keys
//       "disk": { "mounts": ["/", "/boot/firmware"] },
//       "network": { "interfaces": ["eth0"] },
//       "wifi": false } }
//
// Metrics, their entities (ids prefixed with the sensor id) and defaults:
//
// | key | entities | on by default | own keys |
// | --- | --- | --- | --- |
// | cpu_temperature | `cpu_temperature` | yes | `zone`: thermal zone number (0) |
// | cpu_usage | `cpu_usage` | yes | |
// | load | `load_1m`, `load_5m`, `load_15m` | yes | |
// | memory | `memory_used` | yes | |
// | swap | `swap_used` | yes | |
// | disk | `disk_used_<mount>` per mount ("/" is `root`) | yes | `mounts`: absolute paths (["/"]) |
// | uptime | `uptime` | yes | |
// | network | `network_<if>_rx`, `network_<if>_tx` per interface | no | `interfaces` (required) |
// | wifi | `wifi_signal_<if>` per interface | no | `interfaces` (required) |
// | throttled | the flags below, each also `<flag>_since_boot` | yes | |
//
// The throttled metric's entities are the Raspberry Pi firmware's flags, in this order:
// `under_voltage`, `frequency_capped`, `throttled`, `soft_temperature_limit`, each followed by
// its `_since_boot` twin (the condition now, and whether it has occurred since boot).
//
// Whether a metric can be read on this machine (a thermal zone, the Pi firmware) is found out by
// the sensor at start-up, not here; this layer only checks the configuration.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pimqttd/sensors/sensor_config.hpp"
#include "sensors/system/system.hpp"

namespace pimqttd::sensors {

struct SystemMetric {
  bool enabled = true;
  std::chrono::milliseconds interval{std::chrono::seconds{60}};
};

/// One entity of a system sensor, with what it measures.
struct SystemEntity {
  EntityConfig entity;
  SystemMetricKind metric;
  /// The mount point (disk_used) or interface (network_*, wifi_signal); empty otherwise.
  std::string subject;
  std::chrono::milliseconds interval;
};

class SystemSettings final : public SensorSettings {
 public:
  struct CpuTemperature : SystemMetric {
    /// /sys/class/thermal/thermal_zone<zone>/temp
    int zone = 0;
  };
  struct Disk : SystemMetric {
    /// Absolute mount points, at least one when enabled.
    std::vector<std::filesystem::path> mounts{"/"};
  };
  struct Interfaces : SystemMetric {
    /// Interface names, at least one when enabled.
    std::vector<std::string> interfaces;
  };

  /// The directory that holds proc/ and sys/; "/" on a real system.
  std::filesystem::path root{"/"};
  CpuTemperature cpu_temperature;
  SystemMetric cpu_usage;
  SystemMetric load;
  SystemMetric memory;
  SystemMetric swap;
  Disk disk;
  SystemMetric uptime;
  Interfaces network{{false, std::chrono::seconds{60}}, {}};
  Interfaces wifi{{false, std::chrono::seconds{60}}, {}};
  SystemMetric throttled;

  /// Every enabled metric's entities, in the order of the table above.
  [[nodiscard]] std::vector<SystemEntity> system_entities(const SensorConfig& sensor) const;
  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
};

/// The entity id part for a mount point: "root" for "/", else the path slugified
/// ("/boot/firmware" -> "boot_firmware").
[[nodiscard]] std::string mount_slug(const std::filesystem::path& mount);

/// The `system` type for the registry.
[[nodiscard]] SensorType system_sensor_type();

}  // namespace pimqttd::sensors
