// The `sht3x` type (Sensirion SHT30, SHT31, SHT35): see humidity.hpp.

#include <utility>

#include "pimqttd/sensors/humidity.hpp"
#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "sensors/sht3x/sht3x.hpp"

namespace pimqttd::sensors {

SensorType sht3x_sensor_type() {
  return i2c_sensor_type("sht3x", "SHT3x", {0x44, 0x45}, kTemperatureHumidity,
                         [](auto bus, std::uint8_t address) {
                           return std::make_unique<Sht3x>(std::move(bus), address);
                         });
}

}  // namespace pimqttd::sensors
