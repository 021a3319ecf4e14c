#include "sensors/ina219/ina219_config.hpp"

#include <memory>
#include <string>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sensors/ina219/ina219.hpp"

namespace pimqttd::sensors {
namespace {

/// `number` in its shortest form with at most 12 significant digits: 0.32 / 0.1 is
/// 3.2000000000000006 in binary, and shows as 3.2.
double round12(double number) { return std::stod(fmt::format("{:.12g}", number)); }

constexpr double kDefaultShunt = 0.1;

std::shared_ptr<const SensorSettings> parse_ina219(ObjectReader& reader,
                                                   const SensorParseContext& /*context*/) {
  std::vector<std::uint8_t> addresses;
  for (std::uint8_t address = 0x40; address <= 0x4F; ++address) addresses.push_back(address);
  const I2cLocation location = read_i2c_location(reader, I2cAddresses{std::move(addresses)});
  const double shunt =
      reader
          .number("shunt_ohms", {[](double ohms) { return ohms > 0 && ohms <= 1000; },
                                 "a number of ohms greater than 0 and at most 1000"})
          .value_or(kDefaultShunt);
  const double limit = ina219_max_current(shunt);
  const double max_current =
      reader
          .number("max_current",
                  {// The same tolerance as the driver's: 3.2 A with 0.1 Ω is 0.32000000000000006 V.
                   [&](double amperes) {
                     return amperes > 0 &&
                            amperes * shunt <= Ina219::kShuntRange * (1 + 1e-9);
                   },
                   fmt::format("a number of amperes greater than 0 and at most {} (0.32 V "
                               "across {} Ω)",
                               limit, shunt)})
          .value_or(limit);
  return std::make_shared<Ina219Settings>(location, shunt, max_current);
}

std::unique_ptr<Sensor> make_ina219(const SensorConfig& config) {
  const Ina219Settings& settings = config.settings_of<Ina219Settings>();
  const I2cLocation& location = settings.location();
  auto device = std::make_unique<Ina219>(open_i2c_bus(location.bus), location.address,
                                         settings.shunt_ohms(), settings.max_current());
  const auto quantities = ina219_quantities(device->current_lsb());
  return make_polled_sensor(polled_options(config), config.name, quantities, std::move(device));
}

}  // namespace

Ina219Settings::Ina219Settings(I2cLocation location, double shunt_ohms, double max_current)
    : I2cSensorSettings(location, kIna219Quantities),
      shunt_ohms_(shunt_ohms),
      max_current_(max_current) {}

void Ina219Settings::to_json(Json& object) const {
  I2cSensorSettings::to_json(object);
  object["shunt_ohms"] = shunt_ohms_;
  object["max_current"] = max_current_;
}

double ina219_max_current(double shunt_ohms) {
  return round12(Ina219::kShuntRange / shunt_ohms);
}

SensorType ina219_sensor_type() {
  SensorType type;
  type.name = "ina219";
  type.default_name = "INA219";
  type.parse = parse_ina219;
  type.make = make_ina219;
  return type;
}

}  // namespace pimqttd::sensors
