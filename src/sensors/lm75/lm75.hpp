#pragma once
// LM75-family temperature sensors on I2C: the LM75 (0.5 °C steps), LM75A/LM75B (0.125 °C) and
// the many chips that copy their registers (the hwmon driver of Linux serves about thirty).
//
// One entity (kQuantities): temperature, device class temperature, state class measurement,
// °C, display precision 1.
//
// The chip converts continuously on its own (a conversion about every 100 ms) and keeps the
// last result in its temperature register, so a cycle is a single read and never waits. The
// register is 16 bits, sent most significant byte first (the opposite of SMBus words: it goes
// through hw::swap_bytes). The family has no identity register, so setup() cannot tell an LM75
// from another chip at the address; it only checks that something answers.
// - setup(): reads the configuration register (0x01, one byte) and, when the chip was left in
//   shutdown (bit 0, in which it stops converting and holds an old reading), clears that bit
//   and nothing else.
// - begin(): no wait, except after waking the chip from shutdown: then the first cycle waits
//   kWakeTime for a fresh conversion.
// - collect(): reads the temperature register (0x00); see lm75_temperature().

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/i2c_chip.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

/// The temperature register (bit 15 first, as the datasheets draw it) in °C: a two's complement
/// count of 1/256 °C in which only the top bits are the chip's (9 on the LM75, 11 on the LM75A);
/// the low 5 bits, unused by every member of the family, are ignored. 0x1900 is 25 °C, 0xFF80
/// is -0.5 °C, 0xC900 is -55 °C.
[[nodiscard]] double lm75_temperature(std::uint16_t reg) noexcept;

class Lm75 final : public ContinuousChip {
 public:
  // Display precision 1: lm75_temperature() keeps 11 bits, 0.125 °C steps (the LM75's own 9 bits
  // give 0.5 °C steps), which one decimal keeps apart.
  static constexpr std::array<Quantity, 1> kQuantities{{
      {"temperature", "temperature", "temperature", "measurement", "°C", 1},
  }};
  /// The first conversion after leaving shutdown: about 100 ms on the common parts, with margin
  /// for the slower members of the family.
  static constexpr std::chrono::milliseconds kWakeTime{300};

  Lm75(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address);

  void setup() override;
  std::vector<Reading> collect() override;
};

}  // namespace pimqttd::sensors
