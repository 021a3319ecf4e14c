// The `htu21d` and `si7021` types (TE HTU21D(F), Silicon Labs Si7021, one
// driver): see humidity.hpp.

#include <utility>

#include "pimqttd/sensors/humidity.hpp"
#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "sensors/htu21d/htu21d.hpp"

namespace pimqttd::sensors {

SensorType htu21d_sensor_type() {
  return i2c_sensor_type("htu21d", "HTU21D", {0x40}, kTemperatureHumidity,
                         [](auto bus, std::uint8_t address) {
                           return std::make_unique<Htu21d>(std::move(bus), address, "HTU21D");
                         });
}

SensorType si7021_sensor_type() {
  return i2c_sensor_type("si7021", "Si7021", {0x40}, kTemperatureHumidity,
                         [](auto bus, std::uint8_t address) {
                           return std::make_unique<Htu21d>(std::move(bus), address, "Si7021");
                         });
}

}  // namespace pimqttd::sensors
