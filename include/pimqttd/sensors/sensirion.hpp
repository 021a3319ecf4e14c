#pragma once
// What Sensirion's humidity sensors share (SHT3x, SHT4x), and the CRC-8 that other chips use too.
//
// The CRC: polynomial 0x31 (x^8 + x^5 + x^4 + 1), most significant bit first, no reflection, no
// final XOR, over the bytes it protects. Sensirion's chips start it at 0xFF and send one after
// every 16-bit word (the SHT3x datasheet's example: CRC(0xBEEF) = 0x92); AHT20 starts at 0xFF
// too, over its six data bytes; HTU21D and Si7021 start at 0x00 (x^8 + x^5 + x^4 + 1 is what
// their datasheets write as 0x131, the same polynomial with its x^8 term).
//
// The measurement cycle of both SHT chips, with PolledSensor's steps:
//
//     setup()      -- nothing on the bus: the chip's identity is checked by the next cycle
//     begin()      -- the first cycle after setup() sends the serial-number command and waits;
//                     the others send the measurement command and wait the measurement time
//     collect()    -- reads six bytes (two words, each with its CRC): the serial number, which
//                     identifies the chip (a wrong CRC there means another chip, or none), or
//                     temperature and humidity
//     begin_next() -- after the serial number, sends the measurement command
//
// Both commands are the "no clock stretching" kind: a chip still busy answers its read with a
// NACK (which is a DeviceError), never by holding the bus. A CRC that does not match fails the
// cycle with a message naming the word, what it came with and what was expected.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "pimqttd/sensors/i2c_chip.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

/// CRC-8, polynomial 0x31, starting at `init` (see above).
[[nodiscard]] constexpr std::uint8_t crc8(std::span<const std::uint8_t> bytes,
                                          std::uint8_t init) noexcept {
  std::uint8_t crc = init;
  for (const std::uint8_t byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      const unsigned shifted = static_cast<unsigned>(crc) << 1U;
      crc = static_cast<std::uint8_t>((crc & 0x80U) != 0 ? shifted ^ 0x31U : shifted);
    }
  }
  return crc;
}

/// Sensirion's CRC of one word, sent most significant byte first.
[[nodiscard]] constexpr std::uint8_t sensirion_crc(std::uint16_t word) noexcept {
  const std::uint8_t bytes[2] = {static_cast<std::uint8_t>(word >> 8U),
                                 static_cast<std::uint8_t>(word & 0xFFU)};
  return crc8(bytes, 0xFF);
}

/// Reads words.size() words, each two bytes and a CRC, into `words`. Throws DeviceError when the
/// read fails or a CRC does not match ("CRC mismatch in word 2 of the measurement: 0x6666 came
/// with CRC 0x00, expected 0x93").
void read_sensirion_words(I2cChip& chip, std::span<std::uint16_t> words, std::string_view what);

/// The commands and timing of one Sensirion chip.
struct SensirionCommands {
  std::span<const std::uint8_t> serial_number;  ///< reads two words: the serial number
  std::chrono::milliseconds serial_number_wait;
  std::span<const std::uint8_t> measure;  ///< reads two words: temperature, humidity
  std::chrono::milliseconds measure_wait;
  /// The chip's conversions of the raw words into °C and %RH.
  double (*temperature)(std::uint16_t raw);
  double (*humidity)(std::uint16_t raw);
};

/// The cycle above; Sht3x and Sht4x give it their commands. Readings: "temperature" (°C) and
/// "humidity" (%), the keys of kTemperatureHumidity.
class SensirionHumiditySensor : public Device {
 public:
  void setup() override;
  std::chrono::milliseconds begin() override;
  std::vector<Reading> collect() override;
  std::optional<std::chrono::milliseconds> begin_next() override;

  /// The serial number read since the last setup(), if any.
  [[nodiscard]] std::optional<std::uint32_t> serial_number() const noexcept {
    return serial_number_;
  }

 protected:
  SensirionHumiditySensor(I2cChip chip, const SensirionCommands& commands);

 private:
  enum class Step : std::uint8_t { serial_number, measurement };
  std::chrono::milliseconds start_measurement();

  I2cChip chip_;
  SensirionCommands commands_;
  Step step_ = Step::serial_number;
  std::optional<std::uint32_t> serial_number_;
};

}  // namespace pimqttd::sensors
