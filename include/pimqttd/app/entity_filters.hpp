#pragma once
// EntityFilters: the filter chain of every configured entity (the `filters` of its sensor entry,
// see filter_config.hpp), which the daemon runs each reading through before publishing it, and
// the rounding of what comes out of it.
//
// - Numbers go through their entity's chain (sensors/filters.hpp); a suppressed reading is not
//   published. Booleans and text, and entities without filters, pass the chain unchanged.
// - Rounding, the one rule for what a number is published with: a number that passed is
//   rounded (sensors::round_to_decimals: halves away from zero, -0 -> 0, NaN and infinities
//   untouched) to the entity's published decimals (sensors::published_decimals): its display
//   precision, the sensor's resolution, unless its filters hold a `round`, which then decides
//   alone (the last one's decimals; a `multiply` shifts them by its factor's decimal order).
//   Entities with neither are published as they come. `--once` prints readings rounded by
//   `rounded` with the display precision alone (it applies no filters).
// - The chains are built with the sensors (start, reload) and keep their state while the
//   sensors run. An entity that comes back after being unavailable starts its chain afresh, so
//   that its first reading is published at once (Home Assistant may have expired the last one).
// - Discovery: an entity whose filters can hold readings back is announced with the longest
//   silence they allow as its interval (sensors::longest_silence), from which Home Assistant's
//   expire_after derives; with a delta and no heartbeat after it, without expire_after. Only
//   entities of the sensor platform are adjusted (binary sensors and switches carry booleans,
//   which are never filtered). Their display precision becomes the published decimals, so that
//   Home Assistant's suggested_display_precision shows what is sent (a `round 0` filter on a
//   temperature announces 0).

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <span>
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
  /// The chains of every entity of `sensors` that has filters, and the published decimals of
  /// every entity of `entities` (the running sensors' entities, whose display precision the
  /// drivers chose). Throws std::invalid_argument only for filters a parsed configuration
  /// cannot hold.
  explicit EntityFilters(const std::vector<sensors::SensorConfig>& sensors,
                         std::span<const sensors::EntityInfo> entities = {});

  /// The value to publish for this reading of `entity_id` at `now` (filtered, then rounded), or
  /// nullopt when its filters suppress it.
  [[nodiscard]] std::optional<sensors::Value> apply(std::string_view entity_id,
                                                    sensors::Value value,
                                                    sensors::FilterTime now);
  /// The entity's chain starts afresh (no-op for an entity without filters).
  void reset(std::string_view entity_id);
  /// Sets `entity.interval` to the longest silence its filters allow and its display precision
  /// to its published decimals (see above).
  void adjust(sensors::EntityInfo& entity) const;
  /// The decimals `entity_id`'s numbers are published with; nullopt: as they come.
  [[nodiscard]] std::optional<int> decimals(std::string_view entity_id) const;

  /// The entity has at least one filter.
  [[nodiscard]] bool filtered(std::string_view entity_id) const;

 private:
  struct Entry {
    std::vector<sensors::FilterSpec> specs;
    sensors::FilterChain chain;
    std::optional<int> decimals;
  };
  std::map<std::string, Entry, std::less<>> entries_;
};

/// `value` as published with `decimals`: a number rounded to that many decimals
/// (sensors::round_to_decimals), unchanged without decimals; booleans and text unchanged.
[[nodiscard]] sensors::Value rounded(sensors::Value value, std::optional<int> decimals);

}  // namespace pimqttd::app
