#pragma once
// Settings of the `ds18b20` sensor type: a DS18B20 (or DS1822) 1-Wire thermometer, read through
// the kernel's w1 sysfs files (ds18b20.hpp).
//
//   { "type": "ds18b20",
//     "name": "Outdoor",               // required; the entity id defaults to it slugified
//     "address": "28-0316a2794aff",    // required: the sensor's directory under
//                                      // /sys/bus/w1/devices
//     "interval": "60s",               // 2s to 1d (a read takes up to 750 ms)
//     "root": "/" }                    // where sys/ is looked up (tests use a fake tree)
//
// `address` is the 1-Wire id the kernel names the sensor by: the family code "28" (DS18B20) or
// "22" (DS1822), '-', and 12 hexadecimal digits; upper case is accepted and kept in lower case,
// as the kernel writes it. (The common key `id` is the entity id, as for every sensor.) One
// entity, whose id is the sensor id.

#include <filesystem>
#include <string>
#include <vector>

#include "pimqttd/sensors/sensor_config.hpp"
#include "sensors/ds18b20/ds18b20.hpp"

namespace pimqttd::sensors {

/// The driver's own options (address and root as read; id, name and interval from the entry).
class Ds18b20Settings final : public SensorSettings {
 public:
  Ds18b20Options options;

  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
  [[nodiscard]] std::vector<SensorResource> resources() const override {
    return {{"w1 " + options.root.string() + " " + options.address, "address",
             "1-Wire device " + options.address}};
  }
};

/// The `ds18b20` type for the registry.
[[nodiscard]] SensorType ds18b20_sensor_type();

}  // namespace pimqttd::sensors
