#include "sensors/bme280/bme280_config.hpp"

#include <array>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace pimqttd::sensors {
namespace {

/// One oversampling key: absent (`otherwise`), or 1, 2, 4, 8 or 16.
int read_oversampling(ObjectReader& reader, std::string_view key, int otherwise) {
  const Json* value = reader.find(key);
  if (value == nullptr) return otherwise;
  constexpr std::array<std::int64_t, 5> kAllowed{1, 2, 4, 8, 16};
  if (value->is_number_integer()) {
    const auto number = value->get<std::int64_t>();
    for (const std::int64_t allowed : kAllowed) {
      if (number == allowed) return static_cast<int>(number);
    }
  }
  reader.error(key, "expected 1, 2, 4, 8 or 16, found " + describe(*value));
  return 1;
}

SensorType make_type(Bme280Chip chip) {
  const bool bme280 = chip == Bme280Chip::bme280;
  SensorType type;
  type.name = bme280 ? "bme280" : "bmp280";
  type.default_name = bme280 ? "BME280" : "BMP280";
  type.default_interval = std::chrono::seconds{60};
  type.min_interval = std::chrono::seconds{1};
  type.parse = [chip, bme280](ObjectReader& reader, const SensorParseContext& /*context*/) {
    const I2cLocation location = read_i2c_location(reader, bme280_addresses());
    Bme280Options options;
    options.chip = chip;
    reader.object("oversampling", [&](ObjectReader& r) {
      options.temperature_oversampling =
          read_oversampling(r, "temperature", options.temperature_oversampling);
      options.pressure_oversampling =
          read_oversampling(r, "pressure", options.pressure_oversampling);
      if (bme280) {
        options.humidity_oversampling =
            read_oversampling(r, "humidity", options.humidity_oversampling);
      }
    });
    return std::make_shared<Bme280Settings>(location, options);
  };
  type.make = [](const SensorConfig& config) -> std::unique_ptr<Sensor> {
    const Bme280Settings& settings = config.settings_of<Bme280Settings>();
    auto device =
        std::make_unique<Bme280>(open_i2c_bus(settings.location().bus),
                                          settings.location().address, settings.options());
    return make_polled_sensor(polled_options(config), config.name, settings.quantities(),
                                       std::move(device));
  };
  return type;
}

}  // namespace

void Bme280Settings::to_json(Json& object) const {
  I2cSensorSettings::to_json(object);
  Json oversampling = Json::object();
  oversampling["temperature"] = options_.temperature_oversampling;
  oversampling["pressure"] = options_.pressure_oversampling;
  if (options_.chip == Bme280Chip::bme280) {
    oversampling["humidity"] = options_.humidity_oversampling;
  }
  object["oversampling"] = std::move(oversampling);
}

const I2cAddresses& bme280_addresses() {
  static const I2cAddresses addresses{{0x76, 0x77}};
  return addresses;
}

SensorType bme280_sensor_type() { return make_type(Bme280Chip::bme280); }
SensorType bmp280_sensor_type() { return make_type(Bme280Chip::bmp280); }

}  // namespace pimqttd::sensors
