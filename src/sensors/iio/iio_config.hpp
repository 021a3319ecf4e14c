#pragma once
// Settings of the `iio` sensor type: a device of the kernel's Industrial I/O subsystem, its
// channels read through sysfs (iio.hpp), with the keys every kernel sensor has
// (kernel_sensor_config.hpp):
//
//   { "type": "iio", "name": "Weather", "device": "bmp280", "interval": "30s",
//     "channels": ["temp", "pressure",
//                  {"channel": "humidityrelative", "name": "Humidity", "id": "weather_rh"}] }
//
// Entity ids "<sensor id>_<channel>" ("weather_temp"), names "<sensor name> <quantity>"
// ("Weather temperature"), unless the item says otherwise.

#include "pimqttd/sensors/kernel_sensor_config.hpp"

namespace pimqttd::sensors {

/// What the shared schema needs to know of IIO devices.
[[nodiscard]] const KernelFamily& iio_family();

/// The `iio` type for the registry.
[[nodiscard]] SensorType iio_sensor_type();

}  // namespace pimqttd::sensors
