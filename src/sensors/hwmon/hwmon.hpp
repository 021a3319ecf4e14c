#pragma once
// The `hwmon` sensor type's channels: devices of the kernel's hardware monitoring class
// (sys/class/hwmon/hwmonN: the Raspberry Pi's rpi_volt under-voltage monitor, the Pi 5's fan,
// an lm75 bound by an overlay...), read by KernelSensor (kernel_sensor.hpp).
//
// Channels follow the hwmon sysfs ABI (Documentation/hwmon/sysfs-interface): "<type><n>" reads
// <type><n>_input, named after <type><n>_label when the device has one, converted:
//
// | type | ABI unit | published as | device class |
// | --- | --- | --- | --- |
// | temp | m°C | °C | temperature |
// | in | mV | V | voltage |
// | curr | mA | A | current |
// | power | µW | W | power |
// | energy | µJ | Wh (total_increasing) | energy |
// | humidity | m% | % | humidity |
// | fan | RPM | RPM | (none) |
//
// An alarm file "<type><n>[_<kind>]_alarm" (0 or 1: in0_lcrit_alarm, the Pi's under-voltage
// alarm) is a channel of its own, a binary sensor of device class problem named
// "<sensor name> [<label or channel>] <kind> alarm" ("undervoltage" for an in*_lcrit_alarm).

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/sensors/kernel_sensor.hpp"

namespace pimqttd::sensors {

/// "temp1", "fan1", "in0", or an alarm: "in0_lcrit_alarm", "temp1_alarm".
[[nodiscard]] bool is_hwmon_channel(std::string_view channel) noexcept;
/// The channel is an alarm file.
[[nodiscard]] bool is_hwmon_alarm(std::string_view channel) noexcept;

/// What a (non-alarm) channel measures, per the table above.
[[nodiscard]] KernelQuantity hwmon_quantity(std::string_view channel);

/// The channels of `device`: every <channel>_input of the types above, then every alarm file,
/// each group sorted.
[[nodiscard]] std::vector<std::string> list_hwmon_channels(const std::filesystem::path& device);

/// The channel's value (a number, or a bool for an alarm).
[[nodiscard]] ChannelReading read_hwmon_channel(const std::filesystem::path& device,
                                                const std::string& channel,
                                                const ReadAttribute& read);

/// The entity name: `label` is the content of the channel's (or the alarm's channel's) _label
/// file, empty when there is none. A label that starts with the sensor name stands alone
/// ("Fan" and "Fan speed" -> "Fan speed", not "Fan Fan speed").
[[nodiscard]] std::string hwmon_entity_name(const std::string& sensor_name,
                                            const std::string& channel, const std::string& label);

/// The channel's entity and read function; `device` (may be empty) is where its label is read.
[[nodiscard]] KernelChannel hwmon_channel(const std::string& sensor_id,
                                          const std::string& sensor_name,
                                          const std::string& channel,
                                          std::chrono::milliseconds interval,
                                          const std::filesystem::path& device);

}  // namespace pimqttd::sensors
