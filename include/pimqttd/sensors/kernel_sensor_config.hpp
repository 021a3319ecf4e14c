#pragma once
// The schema the `iio` and `hwmon` sensor types share (their driver is KernelSensor,
// kernel_sensor.hpp):
//
//   { "type": "iio", "name": "Weather",
//     "device": "bmp280",            // exactly one of: "device" (the device's `name` file),
//     // "compatible": "bosch,bme680",  a device-tree compatible of its node or its parent's,
//     // "path": "/sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0077",  its or its parent's
//     "index": 0,                    // which of several matching devices (by real path); 0
//     "channels": ["temp", {"channel": "humidityrelative", "name": "Humidity", "id": "rh"}],
//     "interval": "30s",             // 100ms to 1d, default 60s
//     "retries": 2,                  // extra attempts in a cycle after a transient failure
//     "retry_pause": "500ms",        // before each of them (0 to 10s)
//     "unavailable_after": 3,        // failed cycles in a row before an entity is unavailable
//     "root": "/" }                  // where sys/ is looked up (tests use a fake tree)
//
// `channels` lists the channels to announce (a name, or an object with `channel` and optional
// `name` and `id`); without it, every channel the device offers when the configuration is
// loaded. Then the device must be there at load: its absence is an error on the selector's key
// that names the devices there are; with `channels` the daemon starts without it and its
// entities stay unavailable until it appears. Entity ids are the item's `id`, else
// "<sensor id>_<channel>" slugified; names the item's `name`, else the type's
// ("<sensor name> temperature").

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/sensors/kernel_sensor.hpp"
#include "pimqttd/sensors/sensor_config.hpp"

namespace pimqttd::sensors {

/// One item of `channels`.
struct ChannelChoice {
  std::string channel;
  std::string name;  ///< empty: the type's name for it
  std::string id;    ///< empty: "<sensor id>_<channel>"
  friend bool operator==(const ChannelChoice&, const ChannelChoice&) = default;
};

/// What a type (iio, hwmon) tells the shared schema.
struct KernelFamily {
  SysfsClass sysfs_class;
  /// A channel name of the type: "temp", "voltage0" (iio); "fan1", "in0_lcrit_alarm" (hwmon).
  std::function<bool(std::string_view)> valid_channel;
  /// What a channel name should look like, for the error message.
  std::string channel_expected;
  /// The channels the device in a directory offers.
  ListChannels list;
  /// The channel's entity (id "<sensor id>_<channel>" slugified, the type's name) and read
  /// function. `device` is the device's directory when it was found at load (hwmon reads its
  /// labels there), else empty.
  std::function<KernelChannel(const SensorConfig& sensor, const std::string& channel,
                              const std::filesystem::path& device)>
      make_channel;
};

class KernelSensorSettings final : public SensorSettings {
 public:
  /// The driver's options (id, name and interval from the entry).
  KernelSensorOptions options;
  /// `channels` as written; empty when the entry has none.
  std::vector<ChannelChoice> chosen;
  /// The channels announced: the chosen ones, or every one the device offered at load.
  std::vector<KernelChannel> channels;
  const KernelFamily* family = nullptr;

  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
};

/// A type of kernel sensor: `family` (static, it must outlive the registry) gives its class,
/// channels and entities; the schema above reads the entry.
[[nodiscard]] SensorType kernel_sensor_type(std::string name, const KernelFamily& family);

/// "<sensor id>_<channel>" slugified: the default entity id of a channel.
[[nodiscard]] std::string channel_entity_id(const SensorConfig& sensor, std::string_view channel);

}  // namespace pimqttd::sensors
