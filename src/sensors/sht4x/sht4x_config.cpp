// The `sht4x` type (Sensirion SHT40, SHT41, SHT43, SHT45): see humidity.hpp.

#include <utility>

#include "pimqttd/sensors/humidity.hpp"
#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "sensors/sht4x/sht4x.hpp"

namespace pimqttd::sensors {

SensorType sht4x_sensor_type() {
  return i2c_sensor_type("sht4x", "SHT4x", {0x44, 0x45, 0x46}, kTemperatureHumidity,
                         [](auto bus, std::uint8_t address) {
                           return std::make_unique<Sht4x>(std::move(bus), address);
                         });
}

}  // namespace pimqttd::sensors
