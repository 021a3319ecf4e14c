#pragma once
// From a sensor entry to its running driver: looks the entry's type up in the registry and calls
// the type's own `make` (each type's folder builds its driver from its settings).

#include <memory>

#include "pimqttd/sensors/sensor_config.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {

/// The driver for `config`. Construction may probe the machine (which files exist) but never
/// blocks for long. Throws std::logic_error for a type this build cannot run.
[[nodiscard]] std::unique_ptr<Sensor> make_sensor(const SensorConfig& config);

}  // namespace pimqttd::sensors
