#pragma once
// The `iio` sensor type's channels: devices of the kernel's Industrial I/O subsystem
// (sys/bus/iio/devices/iio:deviceN: the bmp280/bme680 drivers of the i2c-sensor overlay, the
// dht11 driver, ADCs...), read by KernelSensor (kernel_sensor.hpp).
//
// A channel is named as the kernel spells it in its attributes: "temp" for in_temp_input,
// "voltage0" for in_voltage0_raw, "concentration_co2" for in_concentration_co2_raw. Its value,
// per the IIO ABI (Documentation/ABI/testing/sysfs-bus-iio):
// - in_<channel>_input when the driver offers it (already processed);
// - else (in_<channel>_raw + offset) * scale, where scale is in_<channel>_scale, else the
//   scale the type's channels share (in_voltage_scale for in_voltage0_raw; the index removed),
//   else 1, and offset in_<channel>_offset / the shared one, else 0;
// then converted from the ABI's unit to the one Home Assistant takes:
//
// | channel type | ABI unit | published as | device class |
// | --- | --- | --- | --- |
// | temp | m°C | °C | temperature |
// | humidityrelative | m% | % | humidity |
// | pressure | kPa | hPa | pressure |
// | illuminance | lx | lx | illuminance |
// | voltage | mV | V | voltage |
// | current | mA | A | current |
// | power | mW | W | power |
// | concentration_co2 | % | ppm | carbon_dioxide |
// | concentration_voc | % | ppb | volatile_organic_compounds_parts |
// | resistance | Ω | Ω | (none) |
// | proximity, anything else | as is | no unit | (none) |

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/sensors/kernel_sensor.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

/// A channel name: lower-case letters, an optional index, then optional "_<modifier>" parts
/// ("temp", "voltage0", "concentration_co2", "accel_x"), at most 48 characters.
[[nodiscard]] bool is_iio_channel(std::string_view channel) noexcept;

/// What the channel measures, per the table above.
[[nodiscard]] KernelQuantity iio_quantity(std::string_view channel);

/// The name a channel's entity takes after the sensor's: "temperature", "voltage 0", "CO2".
[[nodiscard]] std::string iio_channel_label(std::string_view channel);

/// The channel the attributes of a shared scale and offset belong to: "voltage0" -> "voltage";
/// the channel itself when it has no index.
[[nodiscard]] std::string iio_shared_channel(std::string_view channel);

/// The channels whose in_<channel>_input or in_<channel>_raw is in `device`, sorted.
[[nodiscard]] std::vector<std::string> list_iio_channels(const std::filesystem::path& device);

/// Reads one channel in `device` per the ABI rules above, converted.
[[nodiscard]] ChannelReading read_iio_channel(const std::filesystem::path& device,
                                              const std::string& channel,
                                              const ReadAttribute& read);

/// The channel's entity and read function for the sensor `sensor_id` named `sensor_name`.
[[nodiscard]] KernelChannel iio_channel(const std::string& sensor_id,
                                        const std::string& sensor_name,
                                        const std::string& channel,
                                        std::chrono::milliseconds interval);

}  // namespace pimqttd::sensors
