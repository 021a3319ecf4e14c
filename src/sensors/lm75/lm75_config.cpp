// The `lm75` sensor type (LM75, LM75A, LM75B and compatible temperature
// sensors):
//
//   { "type": "lm75",              // name defaults to "LM75" (id "lm75")
//     "bus": 1, "address": "0x48", // see i2c_sensor_config.hpp; 0x48 (default)
//     to 0x4F "interval": "60s" }          // 1s to 1d, default 60s
//
// No keys of its own: the settings are an I2cSensorSettings. Entity:
// <id>_temperature; see lm75.hpp.

#include <utility>

#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "sensors/lm75/lm75.hpp"

namespace pimqttd::sensors {

SensorType lm75_sensor_type() {
  // Pins A2..A0 select 0x48 (all low, the default) to 0x4F.
  return i2c_sensor_type("lm75", "LM75", {0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F},
                         Lm75::kQuantities, [](auto bus, std::uint8_t address) {
                           return std::make_unique<Lm75>(std::move(bus), address);
                         });
}

}  // namespace pimqttd::sensors
