#pragma once
// Settings of the `bh1750` sensor type (ROHM BH1750 ambient light sensor):
//
//   { "type": "bh1750",            // name defaults to "BH1750" (id "bh1750")
//     "bus": 1, "address": "0x23", // see i2c_sensor_config.hpp; 0x23 (ADDR low, default), 0x5C
//     "interval": "60s",           // 1s to 1d, default 60s
//     "resolution": "high" }       // optional: "high" (1 lx steps, up to 54612 lx, default),
//                                  // "high2" (0.5 lx steps, up to 27306 lx: dim places) or
//                                  // "low" (4 lx steps, 24 ms instead of 180 ms)
//
// Entity: <id>_illuminance; see bh1750.hpp.

#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "sensors/bh1750/bh1750.hpp"

namespace pimqttd::sensors {

class Bh1750Settings final : public I2cSensorSettings {
 public:
  Bh1750Settings(I2cLocation location, Bh1750Resolution resolution)
      : I2cSensorSettings(location, Bh1750::quantities(resolution)), resolution_(resolution) {}

  [[nodiscard]] Bh1750Resolution resolution() const noexcept { return resolution_; }
  void to_json(Json& object) const override;

 private:
  Bh1750Resolution resolution_;
};

/// The addresses the ADDR pin selects: 0x23 (low, the default), 0x5C (high).
[[nodiscard]] const I2cAddresses& bh1750_addresses();

/// The `bh1750` type for the registry.
[[nodiscard]] SensorType bh1750_sensor_type();

}  // namespace pimqttd::sensors
