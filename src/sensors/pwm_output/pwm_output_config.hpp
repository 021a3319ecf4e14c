#pragma once
// The pwm_output type: one channel of a PWM controller through the kernel's sysfs PWM interface,
// announced as a Home Assistant light, fan or number (pwm_output.hpp). Keys (see
// pimqttd.json(5)):
// - "chip" (required): the controller's device name ("fe20c000.pwm", "1f00098000.pwm"), the
//   full /sys/devices path of that device, or its device-tree compatible string when only one
//   controller has it;
// - "channel" (default 0): the channel on the chip, 0 to 1023;
// - "as": "light" (default), "fan" or "number";
// - "frequency": in Hz, 1 to 1000000 (default 1000, 25000 for a fan: the PC fan standard);
// - "polarity": "normal" (default) or "inversed";
// - "min_duty", "max_duty": percent of the period for the lowest and the highest non-zero
//   value (defaults 0 and 100; min_duty below max_duty);
// - "initial": "off" (default), "on" or "restore";
// - "transition" (lights only): the fade time of a command that gives none, 0s to 1h
//   (default 0s);
// - "root" (default "/"): the directory holding sys/ (a fake tree in tests).
// The type does not poll; its entity id is the sensor id.

#include <string>
#include <vector>

#include "pimqttd/sensors/sensor_config.hpp"
#include "sensors/pwm_output/pwm_output.hpp"

namespace pimqttd::sensors {

class PwmOutputSettings final : public SensorSettings {
 public:
  /// The driver's options; id and name come from the entry when the driver is made.
  PwmOutputOptions options;

  /// One entity: the sensor's id and name.
  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
  /// The channel: "pwm <chip> <channel>", compared as written.
  [[nodiscard]] std::vector<SensorResource> resources() const override;
};

[[nodiscard]] SensorType pwm_output_sensor_type();

}  // namespace pimqttd::sensors
