#pragma once
// Settings of the `mcp9808` sensor type (Microchip MCP9808 temperature sensor):
//
//   { "type": "mcp9808",           // name defaults to "MCP9808" (id "mcp9808")
//     "bus": 1, "address": "0x18", // see i2c_sensor_config.hpp; 0x18 (default) to 0x1F
//     "interval": "60s" }          // 1s to 1d, default 60s
//
// No keys of its own: the settings are an I2cSensorSettings. Entity: <id>_temperature; see
// mcp9808.hpp beside this file.

#include "pimqttd/sensors/i2c_sensor_config.hpp"

namespace pimqttd::sensors {

/// The addresses pins A2..A0 select: 0x18 (all low, the default) to 0x1F.
[[nodiscard]] const I2cAddresses& mcp9808_addresses();

/// The `mcp9808` type for the registry.
[[nodiscard]] SensorType mcp9808_sensor_type();

}  // namespace pimqttd::sensors
