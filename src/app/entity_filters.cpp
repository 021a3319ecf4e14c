#include "pimqttd/app/entity_filters.hpp"

#include <utility>

namespace pimqttd::app {

EntityFilters::EntityFilters(const std::vector<sensors::SensorConfig>& sensors) {
  for (const sensors::SensorConfig& sensor : sensors) {
    for (const sensors::EntityConfig& entity : sensor.entities) {
      const auto specs = sensor.filters.for_entity(entity.id);
      if (specs.empty()) continue;
      entries_.insert_or_assign(
          entity.id, Entry{std::vector<sensors::FilterSpec>(specs.begin(), specs.end()),
                           sensors::FilterChain(specs)});
    }
  }
}

std::optional<sensors::Value> EntityFilters::apply(std::string_view entity_id,
                                                   sensors::Value value,
                                                   sensors::FilterTime now) {
  const double* number = std::get_if<double>(&value);
  if (number == nullptr) return value;
  const auto found = entries_.find(entity_id);
  if (found == entries_.end()) return value;
  if (auto passed = found->second.chain.apply(*number, now)) return sensors::Value{*passed};
  return std::nullopt;
}

void EntityFilters::reset(std::string_view entity_id) {
  if (const auto found = entries_.find(entity_id); found != entries_.end()) {
    found->second.chain.reset();
  }
}

void EntityFilters::adjust(sensors::EntityInfo& entity) const {
  if (entity.platform != sensors::Platform::sensor) return;
  const auto found = entries_.find(entity.id);
  if (found == entries_.end()) return;
  entity.interval = sensors::longest_silence(found->second.specs, entity.interval);
}

bool EntityFilters::filtered(std::string_view entity_id) const {
  return entries_.find(entity_id) != entries_.end();
}

}  // namespace pimqttd::app
