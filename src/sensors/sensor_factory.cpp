#include "pimqttd/sensors/sensor_factory.hpp"

#include <stdexcept>

namespace pimqttd::sensors {

std::unique_ptr<Sensor> make_sensor(const SensorConfig& config) {
  if (const SensorType* type = builtin_sensor_types().find(config.type); type && type->make) {
    return type->make(config);
  }
  throw std::logic_error("sensor '" + config.id + "': type '" + config.type +
                         "' has no driver in this build");
}

}  // namespace pimqttd::sensors
