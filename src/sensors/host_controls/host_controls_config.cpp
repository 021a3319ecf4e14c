#include "sensors/host_controls/host_controls_config.hpp"

#include <memory>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "pimqttd/hw/host_control.hpp"

namespace pimqttd::sensors {
namespace {

std::shared_ptr<const SensorSettings> parse(ObjectReader& r, const SensorParseContext&) {
  auto settings = std::make_shared<HostControlsSettings>();
  HostControlsOptions& o = settings->options;
  bool invalid = false;  // already reported
  const auto read = [&r, &invalid](std::string_view key, bool& enabled) {
    if (const auto value = r.boolean(key)) {
      enabled = *value;
    } else if (r.has(key)) {
      invalid = true;
    }
  };
  read("restart", o.restart);
  read("reboot", o.reboot);
  read("power_off", o.power_off);
  if (!o.restart && !o.reboot && !o.power_off && !invalid) {
    r.diagnostics().error(r.location(),
                          "expected at least one of \"restart\", \"reboot\" and \"power_off\" "
                          "set to true (a host_controls entry that enables none has no button)");
  }
  return settings;
}

std::unique_ptr<Sensor> make(const SensorConfig& config) {
  return std::make_unique<HostControls>(
      options_for(config.settings_of<HostControlsSettings>().options, config),
      [](core::EventLoop& loop) { return std::make_unique<hw::DbusHostControl>(loop); });
}

}  // namespace

std::vector<EntityConfig> HostControlsSettings::entities(const SensorConfig& sensor) const {
  std::vector<EntityConfig> out;
  for (EntityInfo& entity : host_controls_entities(options_for(options, sensor))) {
    out.push_back({std::move(entity.id), std::move(entity.name)});
  }
  return out;
}

void HostControlsSettings::to_json(Json& object) const {
  object["restart"] = options.restart;
  object["reboot"] = options.reboot;
  object["power_off"] = options.power_off;
}

SensorType host_controls_sensor_type() {
  SensorType type;
  type.name = "host_controls";
  type.default_name = "Host";
  type.polls = false;
  type.parse = parse;
  type.make = make;
  return type;
}

}  // namespace pimqttd::sensors
