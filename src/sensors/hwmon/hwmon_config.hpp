#pragma once
// Settings of the `hwmon` sensor type: a device of the kernel's hardware monitoring class, its
// channels read through sysfs (hwmon.hpp), with the keys every kernel sensor has
// (kernel_sensor_config.hpp):
//
//   {"type": "hwmon", "name": "Fan", "device": "cooling_fan"}
//   {"type": "hwmon", "name": "Power supply", "device": "rpi_volt"}
//   {"type": "hwmon", "name": "Room", "device": "lm75", "channels": ["temp1"]}
//
// Channels "temp1", "fan1", "in0"... and alarm files ("in0_lcrit_alarm"); entity ids
// "<sensor id>_<channel>", names from the channels' _label files when the device is there at
// load, else "<sensor name> <channel>".

#include "pimqttd/sensors/kernel_sensor_config.hpp"

namespace pimqttd::sensors {

/// What the shared schema needs to know of hwmon devices.
[[nodiscard]] const KernelFamily& hwmon_family();

/// The `hwmon` type for the registry.
[[nodiscard]] SensorType hwmon_sensor_type();

}  // namespace pimqttd::sensors
