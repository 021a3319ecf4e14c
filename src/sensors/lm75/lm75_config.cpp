// The `lm75` sensor type (LM75, LM75A, LM75B and compatible temperature sensors):
//
//   { "type": "lm75",              // name defaults to "LM75" (id "lm75")
//     "bus": 1, "address": "0x48", // see i2c_sensor_config.hpp; 0x48 (default) to 0x4F
//     "interval": "60s" }          // 1s to 1d, default 60s
//
// No keys of its own: the settings are an I2cSensorSettings. Entity: <id>_temperature; see
// lm75.hpp.

#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "sensors/lm75/lm75.hpp"

namespace pimqttd::sensors {

SensorType lm75_sensor_type() {
  SensorType type;
  type.name = "lm75";
  type.default_name = "LM75";
  type.parse = [](ObjectReader& reader, const SensorParseContext& /*context*/) {
    // Pins A2..A0 select 0x48 (all low) to 0x4F.
    static const I2cAddresses addresses{{0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F}};
    return std::make_shared<I2cSensorSettings>(read_i2c_location(reader, addresses),
                                               Lm75::kQuantities);
  };
  type.make = [](const SensorConfig& config) -> std::unique_ptr<Sensor> {
    const auto& settings = config.settings_of<I2cSensorSettings>();
    return make_polled_sensor(
        polled_options(config), config.name, settings.quantities(),
        std::make_unique<Lm75>(open_i2c_bus(settings.location().bus), settings.location().address));
  };
  return type;
}

}  // namespace pimqttd::sensors
