#pragma once
// Settings of the `ads1115` sensor type: Texas Instruments' ADS1115 ADC, read as voltages.
//
//   { "type": "ads1115", "name": "Power", "address": "0x48",   // 0x48 (default) to 0x4B
//     "channels": [
//       { "name": "Battery", "input": "A0", "gain": 4.096, "multiplier": 11 },
//       { "name": "Shunt", "input": "A2-A3", "gain": 0.256 } ] }
//
// `channels`: required, 1 to 8 objects, converted one after the other every interval:
// - `name`: required, 1 to 64 bytes with an ASCII letter or digit; the entity is
//   <sensor id>_<name made an id> ("Battery" -> power_battery), named "<sensor name> <name>".
//   Two channels whose names give the same id are an error, reported on the later one.
// - `input`: required: "A0", "A1", "A2", "A3" (against GND) or "A0-A1", "A0-A3", "A1-A3",
//   "A2-A3" (differential, the first minus the second).
// - `gain`: the full-scale range in V, one of 6.144, 4.096, 2.048, 1.024, 0.512, 0.256; default
//   4.096. (No input may exceed the supply voltage + 0.3 V, whatever the range.)
// - `multiplier`: what the measured voltage is multiplied by (a voltage divider's ratio), a
//   number greater than 0 and at most 1000000; default 1.
//
// Entities: voltage, V, measurement, display precision from the gain and multiplier (one LSB
// times the multiplier, Ads1115::display_precision: 4 for 4.096 V and multiplier 1). Interval
// 1 s to 1 d, default 60 s.
// The driver is ads1115.hpp.

#include <string>
#include <vector>

#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "pimqttd/sensors/sensor_config.hpp"
#include "sensors/ads1115/ads1115.hpp"

namespace pimqttd::sensors {

/// One item of `channels`: its name and input as written, and the driver's own channel (its key
/// is the name made an id, the entity id's suffix; its full scale is the `gain` key).
struct Ads1115ChannelSettings {
  std::string name;
  std::string input;  ///< as written: "A0", "A0-A1"...
  Ads1115Channel channel;
  friend bool operator==(const Ads1115ChannelSettings&, const Ads1115ChannelSettings&) = default;
};

class Ads1115Settings final : public SensorSettings {
 public:
  I2cLocation location;
  std::vector<Ads1115ChannelSettings> channels;

  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
  [[nodiscard]] std::vector<SensorResource> resources() const override {
    return {i2c_resource(location)};
  }
};

[[nodiscard]] SensorType ads1115_sensor_type();

}  // namespace pimqttd::sensors
