#include "pimqttd/app/reload_plan.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace pimqttd::app {

std::size_t ReloadPlan::built() const noexcept {
  return static_cast<std::size_t>(
      std::count(keep.begin(), keep.end(), std::optional<std::size_t>{}));
}

std::string sensor_key(const SensorConfig& sensor) { return sensor_to_json(sensor).dump(); }

ReloadPlan plan_reload(const std::vector<std::string>& running,
                       const std::vector<std::string>& wanted) {
  ReloadPlan plan;
  std::vector<bool> taken(running.size(), false);
  for (const std::string& key : wanted) {
    std::optional<std::size_t> match;
    for (std::size_t j = 0; j < running.size() && !match; ++j) {
      if (!taken[j] && running[j] == key) {
        taken[j] = true;
        match = j;
      }
    }
    plan.keep.push_back(match);
  }
  for (std::size_t j = 0; j < running.size(); ++j) {
    if (!taken[j]) plan.stop.push_back(j);
  }
  return plan;
}

bool needs_new_connection(const Config& current, const Config& next) {
  return next.mqtt != current.mqtt || next.device != current.device ||
         next.homeassistant != current.homeassistant;
}

}  // namespace pimqttd::app
