#pragma once
// Sht3x: Sensirion SHT30/SHT31/SHT35 temperature and humidity sensor (the `sht3x` sensor type),
// at 0x44 (ADDR low) or 0x45 (ADDR high).
//
// The cycle is SensirionHumiditySensor's (sensirion.hpp) with these commands (SHT3x-DIS
// datasheet and Sensirion's electronic identification code note for the SHT3x):
// - serial number: 0x36 0x82, the variant without clock stretching; two words with their CRCs.
//   The datasheet gives no time for it; the driver waits 10 ms, as long as Sensirion's own
//   drivers allow the chip for its status and serial reads.
// - measurement: 0x24 0x00, single shot, high repeatability, no clock stretching; temperature
//   and humidity words with their CRCs after at most 15.5 ms: the driver waits 16 ms.
// - conversion (datasheet section 4.13): T = -45 + 175 * S_T / 65535 °C,
//   RH = 100 * S_RH / 65535 %.
//
// Entities: kTemperatureHumidity (humidity.hpp).

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/sensirion.hpp"

namespace pimqttd::sensors {

class Sht3x final : public SensirionHumiditySensor {
 public:
  static constexpr std::array<std::uint8_t, 2> kSerialNumberCommand{0x36, 0x82};
  static constexpr std::chrono::milliseconds kSerialNumberWait{10};
  static constexpr std::array<std::uint8_t, 2> kMeasureCommand{0x24, 0x00};
  static constexpr std::chrono::milliseconds kMeasureWait{16};

  Sht3x(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address);

  /// °C from the raw temperature word.
  [[nodiscard]] static double temperature(std::uint16_t raw) noexcept;
  /// %RH from the raw humidity word (0 to 100 by construction).
  [[nodiscard]] static double humidity(std::uint16_t raw) noexcept;
};

}  // namespace pimqttd::sensors
