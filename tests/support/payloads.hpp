#pragma once
// What the daemon publishes for a driver's readings: each number rounded to its entity's display
// precision by the app's one rule (app::rounded; no filters), then written by
// sensors::format_value. Driver tests compare these texts, so that a precision that keeps a
// digit too many, or drops one the sensor resolves, shows as a failure. For tests that link the
// app library (the sensor types' own folders do).

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pimqttd/app/entity_filters.hpp"
#include "pimqttd/sensors/polled.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::test {

/// The payload of `value` for an entity of display precision `precision`.
inline std::string payload(const sensors::Value& value, std::optional<int> precision) {
  return sensors::format_value(app::rounded(value, precision));
}

/// The payload of `value` for `entity`.
inline std::string payload(const sensors::Value& value, const sensors::EntityInfo& entity) {
  return payload(value, entity.display_precision);
}

/// "key=payload" for each of `readings`, in order, each with the precision of the quantity of
/// its key in `quantities` (none for a key without one).
inline std::vector<std::string> payloads(const std::vector<sensors::Reading>& readings,
                                         std::span<const sensors::Quantity> quantities) {
  std::vector<std::string> out;
  for (const sensors::Reading& reading : readings) {
    std::optional<int> precision;
    for (const sensors::Quantity& quantity : quantities) {
      if (quantity.key == reading.key) precision = quantity.precision;
    }
    out.push_back(std::string(reading.key) + "=" + payload(reading.value, precision));
  }
  return out;
}

}  // namespace pimqttd::test
