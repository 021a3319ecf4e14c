#pragma once
// The temperature and humidity chips' sensor types. They have no keys of their own besides the
// I2C location (`bus`, `address`: i2c_sensor_config.hpp):
//
//   { "type": "sht4x", "name": "Greenhouse", "address": "0x44", "interval": "30s" }
//
// | type | chip | addresses (the first is the default) | default name |
// | --- | --- | --- | --- |
// | sht3x | Sensirion SHT30, SHT31, SHT35 | 0x44, 0x45 | SHT3x |
// | sht4x | Sensirion SHT40, SHT41, SHT43, SHT45 | 0x44, 0x45, 0x46 | SHT4x |
// | htu21d | TE HTU21D(F) | 0x40 | HTU21D |
// | si7021 | Silicon Labs Si7021 | 0x40 | Si7021 |
// | aht20 | Aosong AHT20 | 0x38 | AHT20 |
//
// `si7021` is a type of its own (not an alias) only so that its default name, and the chip named
// in log lines, are right: it runs the htu21d driver, whose commands and conversions the Si7021
// shares.
//
// Entities: <id>_temperature (°C) and <id>_humidity (%), named "<name> temperature" and
// "<name> humidity". Interval: 1 s to 1 d, default 60 s. The drivers are in
// src/sensors/{sht3x,sht4x,htu21d,aht20}/.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/polled.hpp"
#include "pimqttd/sensors/sensor_config.hpp"

namespace pimqttd::sensors {

/// Builds a chip's driver for the bus and address of an entry.
using MakeI2cDevice =
    std::function<std::unique_ptr<Device>(std::shared_ptr<hw::I2cBus>, std::uint8_t address)>;

/// The type of a temperature-and-humidity chip: `addresses` (the first the default), the two
/// entities of kTemperatureHumidity, and the driver `make_device` builds. Each chip's folder
/// defines its `<type>_sensor_type()` with it.
[[nodiscard]] SensorType humidity_sensor_type(std::string name, std::string default_name,
                                              std::vector<std::uint8_t> addresses,
                                              MakeI2cDevice make_device);

}  // namespace pimqttd::sensors
