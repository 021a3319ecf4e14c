#pragma once
// Settings of the `bme280` and `bmp280` sensor types (Bosch BME280: temperature, humidity,
// pressure; BMP280: temperature, pressure):
//
//   { "type": "bme280",            // name defaults to "BME280" (id "bme280"); "BMP280" for bmp280
//     "bus": 1, "address": "0x76", // see i2c_sensor_config.hpp; 0x76 (default) or 0x77
//     "interval": "60s",           // 1s to 1d, default 60s
//     "oversampling": {            // optional: each 1, 2, 4, 8 or 16, default 1
//       "temperature": 1, "pressure": 1,
//       "humidity": 1 } }          // bme280 only
//
// Oversampling trades measurement time (and current) for noise: 1 for all three is Bosch's
// recommendation for weather monitoring; 16 for pressure divides its noise by 4 and makes the
// measurement 34.5 ms longer. The chip id is checked when the sensor starts, not here.
//
// Entities: <id>_temperature, <id>_humidity (bme280 only), <id>_pressure; see
// bme280.hpp beside this file.

#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "sensors/bme280/bme280.hpp"

namespace pimqttd::sensors {

/// The location and the driver's own options (the chip and its oversampling).
class Bme280Settings final : public I2cSensorSettings {
 public:
  Bme280Settings(I2cLocation location, Bme280Options options)
      : I2cSensorSettings(location, Bme280::quantities(options.chip)), options_(options) {}

  [[nodiscard]] Bme280Chip chip() const noexcept { return options_.chip; }
  [[nodiscard]] const Bme280Options& options() const noexcept { return options_; }
  void to_json(Json& object) const override;

 private:
  Bme280Options options_;
};

/// The addresses the chips' SDO pin selects: 0x76 (SDO to GND, the default), 0x77.
[[nodiscard]] const I2cAddresses& bme280_addresses();

/// The `bme280` and `bmp280` types for the registry.
[[nodiscard]] SensorType bme280_sensor_type();
[[nodiscard]] SensorType bmp280_sensor_type();

}  // namespace pimqttd::sensors
