#pragma once
// Htu21d: TE (MEAS) HTU21D(F) temperature and humidity sensor at 0x40, and Silicon Labs' Si7021,
// which answers the same commands with the same conversions (the `htu21d` and `si7021` sensor
// types).
//
// The two conversions run one after the other, each with its own wait (PolledSensor's steps):
//
//     setup()      -- reads the user register (command 0xE7, one byte): the chip's answer is its
//                     identity check. When the resolution bits (7 and 0) are not 00 (12-bit RH,
//                     14-bit temperature, the waits below assume it) or the heater (bit 2) is
//                     on, writes it back (command 0xE6) with those three bits cleared and the
//                     others kept, as the datasheet asks (read, modify, write).
//     begin()      -- 0xF3: measure temperature, no hold master; at most 50 ms at 14 bits
//     collect()    -- three bytes: MSB, LSB, CRC
//     begin_next() -- 0xF5: measure humidity, no hold master; at most 16 ms at 12 bits
//     collect()    -- three bytes again
//
// "No hold master": a chip still converting NACKs the read (a DeviceError) instead of stretching
// the clock. The CRC (sensirion.hpp's crc8, starting at 0x00) covers MSB and LSB; a mismatch is a
// DeviceError. Bit 1 of the LSB is the measurement type (0 temperature, 1 humidity): a reply of
// the wrong type is a DeviceError too. Bits 1 and 0 are status bits, cleared before converting
// (HTU21D datasheet):
//
//     T  = -46.85 + 175.72 * S_T / 65536 °C
//     RH = -6 + 125 * S_RH / 65536 %, cropped to 0..100 (it can reach slightly beyond; Si7021's
//          datasheet says to crop it in software)
//
// The datasheet's optional temperature compensation of RH (-0.15 %RH/°C away from 25 °C) is not
// applied: it is not part of the conversion and the Si7021 compensates internally.
//
// Entities: kTemperatureHumidity (humidity.hpp).

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/i2c_chip.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

class Htu21d final : public Device {
 public:
  static constexpr std::uint8_t kAddress = 0x40;
  static constexpr std::uint8_t kReadUserRegister = 0xE7;
  static constexpr std::uint8_t kWriteUserRegister = 0xE6;
  static constexpr std::uint8_t kMeasureTemperature = 0xF3;
  static constexpr std::uint8_t kMeasureHumidity = 0xF5;
  static constexpr std::chrono::milliseconds kTemperatureWait{50};
  static constexpr std::chrono::milliseconds kHumidityWait{16};
  /// The user register's resolution bits (7 and 0) and heater bit (2).
  static constexpr std::uint8_t kUserRegisterMask = 0x85;

  /// `chip` names it in messages: "HTU21D" or "Si7021".
  Htu21d(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address, std::string_view chip = "HTU21D");

  void setup() override;
  std::chrono::milliseconds begin() override;
  std::vector<Reading> collect() override;
  std::optional<std::chrono::milliseconds> begin_next() override;

  /// °C from the raw word (status bits included: they are cleared here).
  [[nodiscard]] static double temperature(std::uint16_t raw) noexcept;
  /// %RH from the raw word (status bits included), cropped to 0..100.
  [[nodiscard]] static double humidity(std::uint16_t raw) noexcept;

 private:
  enum class Step : std::uint8_t { temperature, humidity };

  I2cChip chip_;
  Step step_ = Step::temperature;
};

}  // namespace pimqttd::sensors
