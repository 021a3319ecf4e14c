// The `aht20` type (Aosong AHT20): see humidity_config.hpp.

#include <utility>

#include "pimqttd/sensors/humidity_config.hpp"
#include "sensors/aht20/aht20.hpp"

namespace pimqttd::sensors {

SensorType aht20_sensor_type() {
  return humidity_sensor_type("aht20", "AHT20", {0x38}, [](auto bus, std::uint8_t address) {
    return std::make_unique<Aht20>(std::move(bus), address);
  });
}

}  // namespace pimqttd::sensors
