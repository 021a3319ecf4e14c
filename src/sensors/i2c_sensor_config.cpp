#include "pimqttd/sensors/i2c_sensor_config.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pimqttd::sensors {
namespace {

std::string allowed_list(const I2cAddresses& addresses) {
  std::string out;
  for (const std::uint8_t address : addresses.allowed) {
    if (!out.empty()) out += ", ";
    out += format_i2c_address(address);
  }
  return addresses.allowed.size() == 1 ? out : "one of " + out;
}

/// A number, or a string "0x.." (hex) / decimal digits.
std::optional<std::int64_t> address_value(const Json& value) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  std::string_view digits(text);
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
    base = 16;
  }
  std::int64_t number = 0;
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), number, base);
  if (error != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return number;
}

}  // namespace

std::string format_i2c_address(std::uint8_t address) { return fmt::format("{:#04x}", address); }

I2cLocation read_i2c_location(ObjectReader& reader, const I2cAddresses& addresses) {
  I2cLocation location;
  location.address = addresses.allowed.front();
  location.bus = static_cast<int>(reader.integer("bus", 0, 255).value_or(1));
  if (const Json* value = reader.find("address")) {
    const std::optional<std::int64_t> number = address_value(*value);
    const auto allowed = std::find_if(
        addresses.allowed.begin(), addresses.allowed.end(),
        [&](std::uint8_t a) { return number && *number == static_cast<std::int64_t>(a); });
    if (allowed == addresses.allowed.end()) {
      reader.error("address", "expected " + allowed_list(addresses) + ", found " +
                                  describe(*value));
    } else {
      location.address = *allowed;
    }
  }
  return location;
}

void i2c_location_to_json(const I2cLocation& location, Json& object) {
  object["bus"] = location.bus;
  object["address"] = format_i2c_address(location.address);
}

SensorResource i2c_resource(const I2cLocation& location) {
  const std::string address = format_i2c_address(location.address);
  return {fmt::format("i2c {} {}", location.bus, address), "address",
          fmt::format("I2C address {} on bus {}", address, location.bus)};
}

std::shared_ptr<hw::I2cBus> open_i2c_bus(int bus) {
  return std::make_shared<hw::LinuxI2cBus>(hw::LinuxI2cBus::device_path(bus));
}

std::vector<EntityConfig> quantity_entities(const SensorConfig& sensor,
                                            std::span<const Quantity> quantities) {
  std::vector<EntityConfig> out;
  out.reserve(quantities.size());
  for (const Quantity& quantity : quantities) {
    const EntityInfo info = quantity_entity(
        sensor.id, sensor.name, quantity, sensor.interval.value_or(std::chrono::milliseconds{0}));
    out.push_back({info.id, info.name});
  }
  return out;
}

std::vector<EntityConfig> I2cSensorSettings::entities(const SensorConfig& sensor) const {
  return quantity_entities(sensor, quantities_);
}

void I2cSensorSettings::to_json(Json& object) const { i2c_location_to_json(location_, object); }

PolledOptions polled_options(const SensorConfig& sensor) {
  PolledOptions options;
  options.id = sensor.id;
  if (sensor.interval) options.interval = *sensor.interval;
  return options;
}

SensorType i2c_sensor_type(std::string name, std::string default_name,
                           std::vector<std::uint8_t> addresses,
                           std::span<const Quantity> quantities, MakeI2cDevice make_device) {
  SensorType type;
  type.name = std::move(name);
  type.default_name = std::move(default_name);
  type.parse = [addresses = I2cAddresses{std::move(addresses)}, quantities](
                   ObjectReader& reader, const SensorParseContext&) {
    return std::make_shared<I2cSensorSettings>(read_i2c_location(reader, addresses), quantities);
  };
  type.make = [make_device = std::move(make_device)](const SensorConfig& config) {
    const I2cSensorSettings& settings = config.settings_of<I2cSensorSettings>();
    const I2cLocation& location = settings.location();
    return make_polled_sensor(polled_options(config), config.name, settings.quantities(),
                              make_device(open_i2c_bus(location.bus), location.address));
  };
  return type;
}

}  // namespace pimqttd::sensors
