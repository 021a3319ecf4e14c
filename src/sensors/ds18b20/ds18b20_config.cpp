#include "sensors/ds18b20/ds18b20_config.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "pimqttd/hw/w1.hpp"
#include "sensors/ds18b20/ds18b20.hpp"

namespace pimqttd::sensors {
namespace {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return text;
}

StringRule address_rule() {
  return StringRule::checked(
      15, [](std::string_view text) { return hw::is_thermometer_id(lowercase(std::string(text))); },
      "a DS18B20 or DS1822 1-Wire id: \"28-\" or \"22-\" and 12 hexadecimal digits, such as "
      "\"28-0316a2794aff\"");
}

std::shared_ptr<const SensorSettings> parse_ds18b20(ObjectReader& reader,
                                                    const SensorParseContext& context) {
  auto settings = std::make_shared<Ds18b20Settings>();
  settings->options.address =
      lowercase(reader.string("address", address_rule(), Presence::required).value_or(""));
  context.read_root(reader, settings->options.root);
  return settings;
}

std::unique_ptr<Sensor> make_ds18b20_sensor(const SensorConfig& config) {
  return std::make_unique<Ds18b20Sensor>(
      options_for(config.settings_of<Ds18b20Settings>().options, config));
}

}  // namespace

std::vector<EntityConfig> Ds18b20Settings::entities(const SensorConfig& sensor) const {
  return {EntityConfig{sensor.id, sensor.name}};
}

void Ds18b20Settings::to_json(Json& object) const {
  object["address"] = options.address;
  object["root"] = options.root.string();
}

SensorType ds18b20_sensor_type() {
  SensorType type;
  type.name = "ds18b20";
  // `id` is every entry's entity id; the 1-Wire device's own id has a key of its own.
  type.id_hint = "a 1-Wire id such as 28-... goes in \"address\"";
  type.default_interval = std::chrono::seconds{60};
  // A read blocks the worker for up to 750 ms: leave it time for other jobs.
  type.min_interval = std::chrono::seconds{2};
  type.parse = parse_ds18b20;
  type.make = make_ds18b20_sensor;
  return type;
}

}  // namespace pimqttd::sensors
