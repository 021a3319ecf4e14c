#include "sensors/apt_updates/apt_updates_config.hpp"

#include <nlohmann/json.hpp>

namespace pimqttd::sensors {
namespace {

std::shared_ptr<const SensorSettings> parse_apt_updates(ObjectReader& reader,
                                                        const SensorParseContext& context) {
  auto settings = std::make_shared<AptUpdatesSettings>();
  context.read_root(reader, settings->options.root);
  settings->options.security = reader.boolean("security").value_or(true);
  return settings;
}

std::unique_ptr<Sensor> make_apt_updates_sensor(const SensorConfig& config) {
  return std::make_unique<AptUpdatesSensor>(
      options_for(config.settings_of<AptUpdatesSettings>().options, config));
}

}  // namespace

std::vector<EntityConfig> AptUpdatesSettings::entities(const SensorConfig& sensor) const {
  std::vector<EntityConfig> out;
  for (const EntityInfo& entity : apt_updates_entities(options_for(options, sensor))) {
    out.push_back(EntityConfig{entity.id, entity.name});
  }
  return out;
}

void AptUpdatesSettings::to_json(Json& object) const {
  object["security"] = options.security;
  object["root"] = options.root.string();
}

SensorType apt_updates_sensor_type() {
  SensorType type;
  type.name = "apt_updates";
  type.default_name = "Updates";
  // apt refreshes its lists a few times a day at most, and a scan reads tens of MB.
  type.default_interval = std::chrono::hours{1};
  type.min_interval = std::chrono::hours{1};
  type.parse = parse_apt_updates;
  type.make = make_apt_updates_sensor;
  return type;
}

}  // namespace pimqttd::sensors
