#include "pimqttd/app/entity_filters.hpp"

#include <utility>

namespace pimqttd::app {

EntityFilters::EntityFilters(const std::vector<sensors::SensorConfig>& sensors,
                             std::span<const sensors::EntityInfo> entities) {
  for (const sensors::SensorConfig& sensor : sensors) {
    for (const sensors::EntityConfig& entity : sensor.entities) {
      const auto specs = sensor.filters.for_entity(entity.id);
      if (specs.empty()) continue;
      entries_.insert_or_assign(
          entity.id, Entry{std::vector<sensors::FilterSpec>(specs.begin(), specs.end()),
                           sensors::FilterChain(specs), sensors::published_decimals(specs, {})});
    }
  }
  for (const sensors::EntityInfo& entity : entities) {
    auto found = entries_.find(entity.id);
    if (found == entries_.end()) {
      if (!entity.display_precision) continue;
      found = entries_.emplace(entity.id, Entry{}).first;
    }
    found->second.decimals =
        sensors::published_decimals(found->second.specs, entity.display_precision);
  }
}

std::optional<sensors::Value> EntityFilters::apply(std::string_view entity_id,
                                                   sensors::Value value,
                                                   sensors::FilterTime now) {
  const double* number = std::get_if<double>(&value);
  if (number == nullptr) return value;
  const auto found = entries_.find(entity_id);
  if (found == entries_.end()) return value;
  Entry& entry = found->second;
  if (entry.chain.empty()) return rounded(std::move(value), entry.decimals);
  if (auto passed = entry.chain.apply(*number, now)) return rounded(*passed, entry.decimals);
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
  if (found == entries_.end() || found->second.specs.empty()) return;
  entity.interval = sensors::longest_silence(found->second.specs, entity.interval);
  entity.display_precision =
      sensors::published_decimals(found->second.specs, entity.display_precision);
}

std::optional<int> EntityFilters::decimals(std::string_view entity_id) const {
  const auto found = entries_.find(entity_id);
  return found == entries_.end() ? std::nullopt : found->second.decimals;
}

bool EntityFilters::filtered(std::string_view entity_id) const {
  const auto found = entries_.find(entity_id);
  return found != entries_.end() && !found->second.specs.empty();
}

sensors::Value rounded(sensors::Value value, std::optional<int> decimals) {
  const double* number = std::get_if<double>(&value);
  if (number == nullptr || !decimals) return value;
  return sensors::round_to_decimals(*number, *decimals);
}

}  // namespace pimqttd::app
