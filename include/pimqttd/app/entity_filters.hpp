#pragma once
// EntityFilters: the filter chain of every configured entity (the `filters` of its sensor entry,
// see filter_config.hpp), which the daemon runs each reading through before publishing it.
//
// - Numbers go through their entity's chain (sensors/filters.hpp); a suppressed reading is not
//   published. Booleans and text, and entities without filters, pass unchanged.
// - The chains are built with the sensors (start, reload) and keep their state while the
//   sensors run. An entity that comes back after being unavailable starts its chain afresh, so
//   that its first reading is published at once (Home Assistant may have expired the last one).
// - Discovery: an entity whose filters can hold readings back is announced with the longest
//   silence they allow as its interval (sensors::longest_silence), from which Home Assistant's
//   expire_after derives; with a delta and no heartbeat after it, without expire_after. Only
//   entities of the sensor platform are adjusted (binary sensors and switches carry booleans,
//   which are never filtered).

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/sensors/sensor_config.hpp"
#include "pimqttd/sensors/filters.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::app {

class EntityFilters {
 public:
  EntityFilters() = default;
  /// The chains of every entity of `sensors` that has filters. Throws std::invalid_argument
  /// only for filters a parsed configuration cannot hold.
  explicit EntityFilters(const std::vector<sensors::SensorConfig>& sensors);

  /// The value to publish for this reading of `entity_id` at `now`, or nullopt when its filters
  /// suppress it.
  [[nodiscard]] std::optional<sensors::Value> apply(std::string_view entity_id,
                                                    sensors::Value value,
                                                    sensors::FilterTime now);
  /// The entity's chain starts afresh (no-op for an entity without filters).
  void reset(std::string_view entity_id);
  /// Sets `entity.interval` to the longest silence its filters allow (see above).
  void adjust(sensors::EntityInfo& entity) const;

  /// The entity has at least one filter.
  [[nodiscard]] bool filtered(std::string_view entity_id) const;

 private:
  struct Entry {
    std::vector<sensors::FilterSpec> specs;
    sensors::FilterChain chain;
  };
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace pimqttd::app
