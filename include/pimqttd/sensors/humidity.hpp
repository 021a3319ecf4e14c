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

// Display precision 2 for both quantities of every chip (readings are published rounded to it):
// - sht3x, sht4x: 16-bit words, 175/65535 °C and 100/65535 (125/65535) %RH a count (3
//   decimals), capped at 2: the chips repeat to 0.04 °C and 0.08 %RH at best;
// - htu21d, si7021: the default 14-bit temperature (0.01 °C) and 12-bit humidity (0.03 %RH)
//   counts, which 2 decimals keep apart;
// - aht20: 20-bit counts (0.0002 °C, 0.0001 %RH), capped at 2: the datasheet's resolution is
//   0.01 °C and 0.024 %RH.
inline constexpr std::array<Quantity, 2> kTemperatureHumidity{{
    {"temperature", "temperature", "temperature", "measurement", "°C", 2},
    {"humidity", "humidity", "humidity", "measurement", "%", 2},
}};

}  // namespace pimqttd::sensors
