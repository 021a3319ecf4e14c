#include "sensors/bh1750/bh1750_config.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pimqttd::sensors {
namespace {

// In the order of Bh1750Resolution.
const std::vector<std::string>& resolution_names() {
  static const std::vector<std::string> names{"high", "high2", "low"};
  return names;
}

}  // namespace

void Bh1750Settings::to_json(Json& object) const {
  I2cSensorSettings::to_json(object);
  object["resolution"] = resolution_names().at(static_cast<std::size_t>(resolution_));
}

const I2cAddresses& bh1750_addresses() {
  static const I2cAddresses addresses{{0x23, 0x5C}};
  return addresses;
}

SensorType bh1750_sensor_type() {
  SensorType type;
  type.name = "bh1750";
  type.default_name = "BH1750";
  type.default_interval = std::chrono::seconds{60};
  type.min_interval = std::chrono::seconds{1};
  type.parse = [](ObjectReader& reader, const SensorParseContext& /*context*/) {
    const I2cLocation location = read_i2c_location(reader, bh1750_addresses());
    const std::size_t resolution = reader.choice("resolution", resolution_names()).value_or(0);
    return std::make_shared<Bh1750Settings>(location,
                                                static_cast<Bh1750Resolution>(resolution));
  };
  type.make = [](const SensorConfig& config) -> std::unique_ptr<Sensor> {
    const Bh1750Settings& settings = config.settings_of<Bh1750Settings>();
    auto device =
        std::make_unique<Bh1750>(open_i2c_bus(settings.location().bus),
                                          settings.location().address, settings.resolution());
    return make_polled_sensor(polled_options(config), config.name, settings.quantities(),
                                       std::move(device));
  };
  return type;
}

}  // namespace pimqttd::sensors
