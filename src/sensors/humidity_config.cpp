#include "pimqttd/sensors/humidity_config.hpp"

#include <utility>

#include "pimqttd/sensors/humidity.hpp"
#include "pimqttd/sensors/i2c_sensor_config.hpp"

namespace pimqttd::sensors {

SensorType humidity_sensor_type(std::string name, std::string default_name,
                                std::vector<std::uint8_t> addresses, MakeI2cDevice make_device) {
  SensorType type;
  type.name = std::move(name);
  type.default_name = std::move(default_name);
  type.parse = [addresses = I2cAddresses{std::move(addresses)}](
                   ObjectReader& reader, const SensorParseContext&) {
    return std::make_shared<I2cSensorSettings>(read_i2c_location(reader, addresses),
                                               kTemperatureHumidity);
  };
  type.make = [make_device = std::move(make_device)](const SensorConfig& config) {
    const I2cSensorSettings& settings = config.settings_of<I2cSensorSettings>();
    const I2cLocation& location = settings.location();
    return make_polled_sensor(polled_options(config), config.name, kTemperatureHumidity,
                              make_device(open_i2c_bus(location.bus), location.address));
  };
  return type;
}

}  // namespace pimqttd::sensors
