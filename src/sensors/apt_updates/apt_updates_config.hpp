#pragma once
// Settings of the `apt_updates` sensor type: how many packages apt would upgrade, read from the
// files apt's own `apt-get update` leaves (apt_lists.hpp, apt_updates.hpp).
//
//   { "type": "apt_updates",     // name defaults to "Updates", id to "updates"
//     "interval": "1h",          // 1h (the least) to 1d: the lists change a few times a day
//     "security": true,          // announce <id>_security, the security updates among them
//     "root": "/" }              // where var/lib/dpkg and var/lib/apt are (tests: a fake tree)
//
// Entities: `<id>` (the count), `<id>_security` (unless "security" is false) and
// `<id>_lists_updated` (diagnostic: when the newest list apt holds was published).

#include <string>
#include <vector>

#include "pimqttd/sensors/sensor_config.hpp"
#include "sensors/apt_updates/apt_updates.hpp"

namespace pimqttd::sensors {

/// The driver's own options (root and security as read; id, name and interval from the entry).
class AptUpdatesSettings final : public SensorSettings {
 public:
  AptUpdatesOptions options;

  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
};

/// The `apt_updates` type for the registry.
[[nodiscard]] SensorType apt_updates_sensor_type();

}  // namespace pimqttd::sensors
