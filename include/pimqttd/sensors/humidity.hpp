#pragma once
// The temperature and humidity chips' sensor types. They have no keys of their own besides the
// I2C location (`bus`, `address`: i2c_sensor_config.hpp); each folder defines its type with
// i2c_sensor_type() and kTemperatureHumidity below:
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

#include <array>

#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

inline constexpr std::array<Quantity, 2> kTemperatureHumidity{{
    {"temperature", "temperature", "temperature", "measurement", "°C", 1},
    {"humidity", "humidity", "humidity", "measurement", "%", 1},
}};

}  // namespace pimqttd::sensors
