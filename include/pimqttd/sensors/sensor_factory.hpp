#pragma once
// From a sensor's configuration to the running driver: the one place where the app layer maps
// each type's settings (app) to its driver's options (sensors).

#include <memory>

#include "pimqttd/sensors/sensor_config.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {

/// The driver for `config`. Construction may probe the machine (which files exist) but never
/// blocks for long. Throws std::logic_error for a type this build cannot run.
[[nodiscard]] std::unique_ptr<Sensor> make_sensor(const SensorConfig& config);

}  // namespace pimqttd::sensors
