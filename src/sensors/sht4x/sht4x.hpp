#pragma once
// Sht4x: Sensirion SHT40/SHT41/SHT43/SHT45 temperature and humidity sensor (the `sht4x` sensor
// type), at 0x44, 0x45 or 0x46 depending on the part number.
//
// The cycle is SensirionHumiditySensor's (sensirion.hpp) with these commands (SHT4x datasheet):
// - serial number: 0x89; two words with their CRCs, read 10 ms later (the wait Sensirion's own
//   driver allows).
// - measurement: 0xFD, high repeatability; temperature and humidity words with their CRCs after
//   at most 8.3 ms: the driver waits 10 ms (as Sensirion's driver does).
// - conversion: T = -45 + 175 * S_T / 65535 °C, RH = -6 + 125 * S_RH / 65535 %, which reaches
//   slightly below 0 and above 100: the datasheet says to crop it to 0..100, and so does the
//   driver.
//
// Entities: kTemperatureHumidity (humidity.hpp).

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/sensirion.hpp"

namespace pimqttd::sensors {

class Sht4x final : public SensirionHumiditySensor {
 public:
  static constexpr std::array<std::uint8_t, 1> kSerialNumberCommand{0x89};
  static constexpr std::chrono::milliseconds kSerialNumberWait{10};
  static constexpr std::array<std::uint8_t, 1> kMeasureCommand{0xFD};
  static constexpr std::chrono::milliseconds kMeasureWait{10};

  Sht4x(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address);

  /// °C from the raw temperature word.
  [[nodiscard]] static double temperature(std::uint16_t raw) noexcept;
  /// %RH from the raw humidity word, cropped to 0..100.
  [[nodiscard]] static double humidity(std::uint16_t raw) noexcept;
};

}  // namespace pimqttd::sensors
