#pragma once
// The quantities of the temperature and humidity chips (SHT3x, SHT4x, HTU21D and Si7021, AHT20):
// entities <sensor id>_temperature and <sensor id>_humidity, named "<sensor name> temperature"
// and "<sensor name> humidity".

#include <array>

#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

inline constexpr std::array<Quantity, 2> kTemperatureHumidity{{
    {"temperature", "temperature", "temperature", "measurement", "°C", 1},
    {"humidity", "humidity", "humidity", "measurement", "%", 1},
}};

}  // namespace pimqttd::sensors
