// The `aht20` type (Aosong AHT20): see humidity.hpp.

#include <utility>

#include "pimqttd/sensors/humidity.hpp"
#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "sensors/aht20/aht20.hpp"

namespace pimqttd::sensors {

SensorType aht20_sensor_type() {
  return i2c_sensor_type("aht20", "AHT20", {0x38}, kTemperatureHumidity,
                         [](auto bus, std::uint8_t address) {
                           return std::make_unique<Aht20>(std::move(bus), address);
                         });
}

}  // namespace pimqttd::sensors
