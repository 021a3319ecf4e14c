// Every sensor type this build knows, one line each, in the order messages list them. A type's
// folder (src/sensors/<folder>/) defines `SensorType <type>_sensor_type()` in its schema file.

#include "pimqttd/sensors/sensor_config.hpp"

#define PIMQTTD_SENSOR_TYPES(X) \
  X(system)                     \
  X(apt_updates)                \
  X(gpio_input)                 \
  X(gpio_button)                \
  X(gpio_counter)               \
  X(gpio_output)                \
  X(pwm_output)                 \
  X(bme280)                     \
  X(bmp280)                     \
  X(mcp9808)                    \
  X(lm75)                       \
  X(bh1750)                     \
  X(ds18b20)                    \
  X(sht3x)                      \
  X(sht4x)                      \
  X(htu21d)                     \
  X(si7021)                     \
  X(aht20)                      \
  X(ads1115)                    \
  X(ina219)                     \
  X(iio)                        \
  X(hwmon)                      \
  X(command)                    \
  X(host_controls)

namespace pimqttd::sensors {

#define PIMQTTD_DECLARE_SENSOR_TYPE(type) SensorType type##_sensor_type();
PIMQTTD_SENSOR_TYPES(PIMQTTD_DECLARE_SENSOR_TYPE)

const SensorTypeRegistry& builtin_sensor_types() {
  static const SensorTypeRegistry registry = [] {
    SensorTypeRegistry types;
#define PIMQTTD_ADD_SENSOR_TYPE(type) types.add(type##_sensor_type());
    PIMQTTD_SENSOR_TYPES(PIMQTTD_ADD_SENSOR_TYPE)
    return types;
  }();
  return registry;
}

}  // namespace pimqttd::sensors
