#pragma once
// Settings of the `ina219` sensor type: Texas Instruments' INA219 current and power monitor.
//
//   { "type": "ina219", "name": "Solar", "address": "0x40",   // 0x40 (default) to 0x4F
//     "shunt_ohms": 0.1, "max_current": 2 }
//
// - `shunt_ohms`: the shunt resistor in Ω, a number greater than 0 and at most 1000; default
//   0.1 (the usual breakout board's R100).
// - `max_current`: the largest current expected, in A, which sets the resolution (max_current /
//   32768 per count of the current register); greater than 0 and at most what the shunt range
//   allows, 0.32 V / shunt_ohms, which is the default (3.2 A with 0.1 Ω). More current than
//   max_current makes the reading fail (the chip's math overflow) rather than clip.
//
// Entities: <id>_bus_voltage (voltage, V), <id>_current (current, A), <id>_power (power, W), all
// measurement, with the display precision of their LSBs: 3 for the bus voltage, and for
// current and power what `max_current` gives (5 and 3 by default; ina219_quantities). Interval
// 1 s to 1 d, default 60 s. The driver is ina219.hpp.

#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "pimqttd/sensors/sensor_config.hpp"

namespace pimqttd::sensors {

class Ina219Settings final : public I2cSensorSettings {
 public:
  Ina219Settings(I2cLocation location, double shunt_ohms, double max_current);

  [[nodiscard]] double shunt_ohms() const noexcept { return shunt_ohms_; }
  [[nodiscard]] double max_current() const noexcept { return max_current_; }
  void to_json(Json& object) const override;

 private:
  double shunt_ohms_;
  double max_current_;
};

/// 0.32 V / shunt_ohms, to 12 significant digits (3.2 for 0.1 Ω, not 3.2000000000000006).
[[nodiscard]] double ina219_max_current(double shunt_ohms);

[[nodiscard]] SensorType ina219_sensor_type();

}  // namespace pimqttd::sensors
