#pragma once
// Settings of the `command` sensor type: a configured program as a Home Assistant button,
// switch or sensor (the driver: command.hpp).
//
//   { "type": "command", "name": "Restart Kodi", "platform": "button",
//     "command": ["/usr/bin/systemctl", "--user", "restart", "kodi"] }
//   { "type": "command", "name": "VPN", "platform": "switch",
//     "on": ["/usr/local/bin/vpn", "up"], "off": ["/usr/local/bin/vpn", "down"],
//     "state": ["/usr/local/bin/vpn", "status"], "state_from": "exit", "interval": "30s" }
//   { "type": "command", "name": "Pond temperature", "platform": "sensor",
//     "command": ["/usr/local/bin/pond", "--json"], "value": "/water/temperature",
//     "unit": "°C", "device_class": "temperature", "state_class": "measurement" }
//
// | key | platforms | meaning |
// | --- | --- | --- |
// | platform | all | "button", "switch" or "sensor"; required |
// | command | button, sensor | argv, required |
// | on, off | switch | argv, required |
// | state | switch | argv; without it the switch is optimistic |
// | state_from | switch with state | "exit" (default) or "output" |
// | value | sensor | a JSON pointer ("/data/temperature"): stdout is a JSON document |
// | interval | sensor, switch with state | 1s to 1d, default 60s |
// | timeout | all | 100ms to 1h, default 10s |
// | environment | all | {"NAME": "value"}: variables besides PATH and LANG |
// | device_class | all | Home Assistant's device classes of the platform |
// | unit, state_class | sensor | as Home Assistant allows them with the device class |
// | precision | sensor | 0 to 6: the decimals it is published with (and shown with); without |
// | | | it, the number as the program printed it |
// | icon | all | "mdi:..." |
//
// An argv is an array of 1 to 256 non-empty strings, the first an absolute path: the program is
// run as it is, without a shell and without a PATH search. A key of another platform is an
// error that says whose key it is.

#include <memory>
#include <string>
#include <vector>

#include "pimqttd/sensors/sensor_config.hpp"
#include "sensors/command/command.hpp"

namespace pimqttd::sensors {

class CommandSettings final : public SensorSettings {
 public:
  /// The driver's options (id and name completed by options_for).
  CommandOptions options;

  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
};

/// The `command` type for the registry.
[[nodiscard]] SensorType command_sensor_type();

}  // namespace pimqttd::sensors
