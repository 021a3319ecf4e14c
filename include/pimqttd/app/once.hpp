#pragma once
// --once: reads every sensor once, without MQTT, to check the wiring. Outputs are left alone
// (checking the wiring must not switch a relay); every other sensor is started on a loop of its
// own until each of its entities gave a reading or reported itself unavailable, or the deadline
// passed, and then stopped.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::app {

inline constexpr std::chrono::seconds kOnceDeadline{5};

struct OnceResult {
  /// Entity id -> its reading (number, text or bool; a number rounded to its entity's display
  /// precision as the daemon publishes it, app::rounded; the entity's filters are not applied,
  /// a round filter included), plus "<id>_unit" -> the unit when the
  /// entity has one; null for an entity that gave no reading; and each sensor's listings
  /// (Sensor::listings: "<sensor id>_channels" -> the channels its device offers).
  nlohmann::json readings = nlohmann::json::object();
  /// The entities of outputs, which were not driven.
  std::vector<std::string> outputs;
  /// How many entities gave no reading in time.
  int missing = 0;
};

/// Reads `sensors` (outputs among them are skipped) on `loop` until `deadline`.
[[nodiscard]] OnceResult read_once(std::vector<std::unique_ptr<sensors::Sensor>> sensors,
                                   core::EventLoop& loop, core::Worker& worker,
                                   std::chrono::milliseconds deadline);

/// Reads the sensors `config` describes on a loop of its own, within kOnceDeadline.
[[nodiscard]] OnceResult read_once(const Config& config);

}  // namespace pimqttd::app
