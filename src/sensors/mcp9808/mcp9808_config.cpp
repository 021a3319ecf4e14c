#include "sensors/mcp9808/mcp9808_config.hpp"

#include <stdexcept>

#include "sensors/mcp9808/mcp9808.hpp"

namespace pimqttd::sensors {

const I2cAddresses& mcp9808_addresses() {
  static const I2cAddresses addresses{{0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F}};
  return addresses;
}

SensorType mcp9808_sensor_type() {
  SensorType type;
  type.name = "mcp9808";
  type.default_name = "MCP9808";
  type.default_interval = std::chrono::seconds{60};
  type.min_interval = std::chrono::seconds{1};
  type.parse = [](ObjectReader& reader, const SensorParseContext& /*context*/) {
    return std::make_shared<I2cSensorSettings>(read_i2c_location(reader, mcp9808_addresses()),
                                               Mcp9808::kQuantities);
  };
  type.make = [](const SensorConfig& config) -> std::unique_ptr<Sensor> {
    const I2cSensorSettings& settings = config.settings_of<I2cSensorSettings>();
    auto device = std::make_unique<Mcp9808>(open_i2c_bus(settings.location().bus),
                                                     settings.location().address);
    return make_polled_sensor(polled_options(config), config.name, settings.quantities(),
                                       std::move(device));
  };
  return type;
}

}  // namespace pimqttd::sensors
