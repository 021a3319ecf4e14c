#pragma once
// What every I2C sensor entry shares, for the sensor types of I2C chips (bme280, sht3x...):
//
//   { "type": "bme280", "name": "Greenhouse",
//     "bus": 1,              // the N of /dev/i2c-N; default 1, the bus on the Pi's header
//     "address": "0x77" }    // 7-bit address, a number (118) or a hex string ("0x76");
//                            // default: the chip's usual address
//
// A chip answers only at the addresses its pins can select; any other address is an error that
// lists them ("expected one of 0x76, 0x77, found \"0x78\""), so a typo is caught by
// --check-config rather than by a sensor that never answers.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pimqttd/sensors/sensor_config.hpp"
#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

struct I2cLocation {
  int bus = 1;
  std::uint8_t address = 0;
  friend bool operator==(const I2cLocation&, const I2cLocation&) = default;
};

/// The addresses a chip can have; the first is its default.
struct I2cAddresses {
  std::vector<std::uint8_t> allowed;
};

/// Reads `bus` (0..255) and `address` (one of `addresses.allowed`, default the first). Errors are
/// recorded in the reader's diagnostics; the result then holds the defaults.
[[nodiscard]] I2cLocation read_i2c_location(ObjectReader& reader, const I2cAddresses& addresses);
/// Adds "bus" and "address" (as a hex string) to `object`.
void i2c_location_to_json(const I2cLocation& location, Json& object);
/// "0x76"
[[nodiscard]] std::string format_i2c_address(std::uint8_t address);

/// The chip at `location`, as a resource of its entry.
[[nodiscard]] SensorResource i2c_resource(const I2cLocation& location);

/// The bus at /dev/i2c-<bus> (opened on first use, see LinuxI2cBus).
[[nodiscard]] std::shared_ptr<hw::I2cBus> open_i2c_bus(int bus);

/// The entities for `quantities`, ids and names as quantity_entity makes them.
[[nodiscard]] std::vector<EntityConfig> quantity_entities(
    const SensorConfig& sensor, std::span<const Quantity> quantities);

/// Settings of an I2C chip type with no keys of its own besides the location. Types with more
/// keys derive from it.
class I2cSensorSettings : public SensorSettings {
 public:
  /// `quantities` must outlive the settings (a driver's static table).
  I2cSensorSettings(I2cLocation location, std::span<const Quantity> quantities)
      : location_(location), quantities_(quantities) {}

  [[nodiscard]] const I2cLocation& location() const noexcept { return location_; }
  [[nodiscard]] std::span<const Quantity> quantities() const noexcept {
    return quantities_;
  }
  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
  [[nodiscard]] std::vector<SensorResource> resources() const override {
    return {i2c_resource(location_)};
  }

 private:
  I2cLocation location_;
  std::span<const Quantity> quantities_;
};

/// The polled-sensor options for an entry (its id and interval).
[[nodiscard]] PolledOptions polled_options(const SensorConfig& sensor);

/// Builds a chip's driver for the bus and address of an entry.
using MakeI2cDevice =
    std::function<std::unique_ptr<Device>(std::shared_ptr<hw::I2cBus>, std::uint8_t address)>;

/// The type of an I2C chip with no keys of its own besides its location: `addresses` (the first
/// the default), the entities of `quantities` (a driver's static table), the driver
/// `make_device` builds, polled on the type's default interval (1 s to 1 d, default 60 s). A
/// chip's folder defines its `<type>_sensor_type()` with it in a few lines (mcp9808, lm75, the
/// temperature-and-humidity chips).
[[nodiscard]] SensorType i2c_sensor_type(std::string name, std::string default_name,
                                         std::vector<std::uint8_t> addresses,
                                         std::span<const Quantity> quantities,
                                         MakeI2cDevice make_device);

}  // namespace pimqttd::sensors
