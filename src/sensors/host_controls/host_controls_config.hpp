#pragma once
// Settings of the `host_controls` sensor type: Home Assistant buttons that restart pimqttd, reboot
// the host or power it off (see host_controls.hpp and hw/host_control.hpp):
//
//   { "type": "host_controls",   // name defaults to "Host" (id "host")
//     "restart": true,           // "<id>_restart": restart pimqttd's own systemd service
//     "reboot": true,            // "<id>_reboot": reboot the host (systemd-logind)
//     "power_off": false }       // "<id>_power_off": power the host off (systemd-logind)
//
// Each key is a boolean, false by default; an entry that enables none is an error (it would
// announce nothing). No polling. Each enabled action is one button entity.

#include <vector>

#include "pimqttd/sensors/sensor_config.hpp"
#include "sensors/host_controls/host_controls.hpp"

namespace pimqttd::sensors {

class HostControlsSettings final : public SensorSettings {
 public:
  /// The driver's options; the id comes from the entry when the driver is made.
  HostControlsOptions options;

  /// One entity per enabled action: "<id>_restart" "Restart pimqttd", "<id>_reboot" "Reboot",
  /// "<id>_power_off" "Power off", in that order.
  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
};

/// The `host_controls` type for the registry.
[[nodiscard]] SensorType host_controls_sensor_type();

}  // namespace pimqttd::sensors
