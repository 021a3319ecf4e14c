#include "pimqttd/app/command_router.hpp"

namespace pimqttd::app {

void CommandRouter::index(const std::vector<sensors::Sensor*>& sensors) {
  owners_.clear();
  for (sensors::Sensor* sensor : sensors) {
    for (const sensors::EntityInfo& entity : sensor->entities()) owners_[entity.id] = sensor;
  }
}

bool CommandRouter::contains(std::string_view entity_id) const {
  return owners_.contains(entity_id);
}

void CommandRouter::subscribe(Uplink& uplink, const std::vector<sensors::EntityInfo>& entities) {
  for (const sensors::EntityInfo& entity : entities) {
    if (!entity.commandable) continue;
    uplink.client().subscribe(uplink.topics().command(entity.id), mqtt::QoS::at_least_once,
                              [this, id = entity.id](const mqtt::Publish& message) {
                                route(id, message.payload);
                              });
  }
}

bool CommandRouter::route(std::string_view entity_id, std::string_view payload) const {
  const auto found = owners_.find(entity_id);
  if (found == owners_.end()) return false;
  found->second->command(entity_id, payload);
  return true;
}

}  // namespace pimqttd::app
