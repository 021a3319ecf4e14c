#pragma once
// The `filters` key every sensor entry accepts: what happens to its numeric readings before they
// are published (sensors/filters.hpp defines each filter; this is only their configuration).
//
// Two forms:
//
//   "filters": [ {"round": 1}, {"delta": 0.2}, {"heartbeat": "5m"} ]
//       the same filters, in this order, for every entity of the sensor (entities whose values
//       are not numbers, such as binary sensors, are not filtered);
//
//   "filters": { "cpu_temperature": [ {"median": 3} ], "system_load_1m": [ {"round": 1} ] }
//       filters per entity, keyed by the entity id without the sensor id and '_' in front, or by
//       the full entity id; entities not named are not filtered. A key that names no entity of
//       the sensor is an error that lists the valid keys; two keys for the same entity are too.
//
// Each filter is an object with exactly one key:
//
// | filter | value |
// | --- | --- |
// | offset | a number |
// | multiply | a number other than 0 |
// | round | decimals: an integer from 0 to 6 |
// | moving_average, median | the window: an integer from 1 to 1000 |
// | delta | a number > 0, or a string "<number>%" with the number > 0 ("5%", "2.5%") |
// | throttle, heartbeat | a duration from 1s to 1d |
//
// Errors name the JSON path (`sensors[0].filters[1].round`) and say what was expected.

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pimqttd/sensors/schema.hpp"
#include "pimqttd/sensors/filters.hpp"

namespace pimqttd::sensors {

/// A sensor's `filters`, as read. At most one of the two forms is used.
struct SensorFilters {
  /// The array form: for every entity of the sensor.
  std::vector<FilterSpec> every_entity;
  /// The object form: full entity id -> its filters, in the order of the keys.
  std::vector<std::pair<std::string, std::vector<FilterSpec>>> by_entity;

  /// The filters of entity `id` (empty: none).
  [[nodiscard]] std::span<const FilterSpec> for_entity(std::string_view id) const;
  [[nodiscard]] bool empty() const noexcept { return every_entity.empty() && by_entity.empty(); }
  friend bool operator==(const SensorFilters&, const SensorFilters&) = default;
};

/// Reads `filters` from a sensor entry (declaring the key) for the sensor `sensor_id` whose
/// entities have the ids `entity_ids`; records errors in the entry's diagnostics and leaves out
/// what is invalid. Keys of the object form are checked only when there are entities.
[[nodiscard]] SensorFilters read_filters(ObjectReader& entry, std::string_view sensor_id,
                                         std::span<const std::string> entity_ids);

/// One filter as written in the configuration: {"round": 1}, {"delta": "5%"},
/// {"throttle": "30s"}.
[[nodiscard]] Json filter_to_json(const FilterSpec& spec);

/// `filters` for --print-config: the array form ([] when there are none), or the object form
/// keyed by full entity ids. Reads back as the same SensorFilters.
[[nodiscard]] Json filters_to_json(const SensorFilters& filters);

}  // namespace pimqttd::sensors
