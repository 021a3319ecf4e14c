#include "sensors/iio/iio_config.hpp"

#include "sensors/iio/iio.hpp"

namespace pimqttd::sensors {

const KernelFamily& iio_family() {
  static const KernelFamily family{
      kIioClass,
      is_iio_channel,
      "an IIO channel name as in in_<channel>_input or in_<channel>_raw, such as \"temp\", "
      "\"humidityrelative\", \"pressure\" or \"voltage0\"",
      list_iio_channels,
      [](const SensorConfig& sensor, const std::string& channel,
         const std::filesystem::path& /*device*/) {
        return iio_channel(sensor.id, sensor.name, channel,
                           sensor.interval.value_or(std::chrono::seconds{60}));
      }};
  return family;
}

SensorType iio_sensor_type() { return kernel_sensor_type("iio", iio_family()); }

}  // namespace pimqttd::sensors
