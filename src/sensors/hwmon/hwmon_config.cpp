#include "sensors/hwmon/hwmon_config.hpp"

#include "sensors/hwmon/hwmon.hpp"

namespace pimqttd::sensors {

const KernelFamily& hwmon_family() {
  static const KernelFamily family{
      kHwmonClass,
      is_hwmon_channel,
      "a hwmon channel such as \"temp1\", \"fan1\", \"in0\", \"curr1\", \"power1\", "
      "\"energy1\" or \"humidity1\", or an alarm file such as \"in0_lcrit_alarm\"",
      list_hwmon_channels,
      [](const SensorConfig& sensor, const std::string& channel,
         const std::filesystem::path& device) {
        return hwmon_channel(sensor.id, sensor.name, channel,
                             sensor.interval.value_or(std::chrono::seconds{60}), device);
      }};
  return family;
}

SensorType hwmon_sensor_type() { return kernel_sensor_type("hwmon", hwmon_family()); }

}  // namespace pimqttd::sensors
