#pragma once
// ReloadPlan: what a reload does with the running sensors, decided from the old and the new
// configuration alone (pure, no I/O). A sensor whose entry is unchanged (its filters aside) keeps
// running untouched, so that a reload never switches a relay, resets a debounce or loses a pulse;
// the others are stopped, and the new entries built.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "pimqttd/app/config.hpp"

namespace pimqttd::app {

struct ReloadPlan {
  /// Index for index with the new entries: the running sensor kept for it, or none (build one).
  std::vector<std::optional<std::size_t>> keep;
  /// The running sensors no entry keeps, ascending: stopped before any is built, so that what
  /// they hold (a GPIO line) is free for their successors.
  std::vector<std::size_t> stop;

  /// How many sensors are to be built.
  [[nodiscard]] std::size_t built() const noexcept;
  friend bool operator==(const ReloadPlan&, const ReloadPlan&) = default;
};

/// What an entry is compared by: sensor_to_json(entry), which leaves the filters out.
[[nodiscard]] std::string sensor_key(const SensorConfig& sensor);

/// Matches each wanted key to the first running sensor with the same key not matched yet (two
/// identical entries keep two sensors, in order).
[[nodiscard]] ReloadPlan plan_reload(const std::vector<std::string>& running,
                                     const std::vector<std::string>& wanted);

/// Whether `next` needs a new connection: its `mqtt`, `device` or `homeassistant` section
/// differs from `current`'s. Otherwise the device is re-announced on the same connection.
[[nodiscard]] bool needs_new_connection(const Config& current, const Config& next);

}  // namespace pimqttd::app
