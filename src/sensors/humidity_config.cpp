#include "pimqttd/sensors/humidity_config.hpp"

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "sensors/aht20/aht20.hpp"
#include "sensors/htu21d/htu21d.hpp"
#include "pimqttd/sensors/humidity.hpp"
#include "sensors/sht3x/sht3x.hpp"
#include "sensors/sht4x/sht4x.hpp"

namespace pimqttd::sensors {
namespace {

using Bus = std::shared_ptr<hw::I2cBus>;
using MakeDevice = std::function<std::unique_ptr<Device>(Bus, std::uint8_t)>;

SensorType humidity_type(std::string name, std::string default_name,
                         std::vector<std::uint8_t> addresses, MakeDevice make_device) {
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
    return make_polled_sensor(polled_options(config), config.name,
                                       kTemperatureHumidity,
                                       make_device(open_i2c_bus(location.bus), location.address));
  };
  return type;
}

}  // namespace

SensorType sht3x_sensor_type() {
  return humidity_type("sht3x", "SHT3x", {0x44, 0x45}, [](Bus bus, std::uint8_t address) {
    return std::make_unique<Sht3x>(std::move(bus), address);
  });
}

SensorType sht4x_sensor_type() {
  return humidity_type("sht4x", "SHT4x", {0x44, 0x45, 0x46}, [](Bus bus, std::uint8_t address) {
    return std::make_unique<Sht4x>(std::move(bus), address);
  });
}

SensorType htu21d_sensor_type() {
  return humidity_type("htu21d", "HTU21D", {0x40}, [](Bus bus, std::uint8_t address) {
    return std::make_unique<Htu21d>(std::move(bus), address, "HTU21D");
  });
}

SensorType si7021_sensor_type() {
  return humidity_type("si7021", "Si7021", {0x40}, [](Bus bus, std::uint8_t address) {
    return std::make_unique<Htu21d>(std::move(bus), address, "Si7021");
  });
}

SensorType aht20_sensor_type() {
  return humidity_type("aht20", "AHT20", {0x38}, [](Bus bus, std::uint8_t address) {
    return std::make_unique<Aht20>(std::move(bus), address);
  });
}

}  // namespace pimqttd::sensors
