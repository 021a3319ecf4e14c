#pragma once
// CommandRouter: which sensor feeds which entity, and the commands Home Assistant sends to
// commandable entities (outputs). A message on `<base>/<node>/<entity>/set` goes to the sensor
// that owns the entity at the time it arrives; after a reload the index is rebuilt and the same
// subscriptions reach the new owners.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/app/uplink.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::app {

class CommandRouter {
 public:
  CommandRouter() = default;
  CommandRouter(const CommandRouter&) = delete;
  CommandRouter& operator=(const CommandRouter&) = delete;

  /// Maps every entity of `sensors` to its sensor (referred to, not owned: index again before a
  /// sensor goes). A later sensor's entity wins over an earlier one with the same id.
  void index(const std::vector<sensors::Sensor*>& sensors);
  /// Whether some indexed sensor feeds `entity_id`.
  [[nodiscard]] bool contains(std::string_view entity_id) const;
  /// The number of entities indexed.
  [[nodiscard]] std::size_t size() const noexcept { return owners_.size(); }

  /// Subscribes (QoS 1) to the command topic of every commandable entity of `entities`; each
  /// message goes to route().
  void subscribe(Uplink& uplink, const std::vector<sensors::EntityInfo>& entities);
  /// Hands `payload` to the sensor that feeds `entity_id`; false when none does.
  bool route(std::string_view entity_id, std::string_view payload) const;

 private:
  std::map<std::string, sensors::Sensor*, std::less<>> owners_;
};

}  // namespace pimqttd::app
