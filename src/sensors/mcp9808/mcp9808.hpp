#pragma once
// Microchip MCP9808 precision temperature sensor on I2C (±0.25 °C typical, 0.0625 °C steps).
//
// One entity (kQuantities): temperature, device class temperature, state class measurement,
// °C, display precision 2.
//
// The chip converts continuously on its own (every 250 ms at its power-up resolution) into a
// double-buffered register, so a cycle is a single read and never waits. Its 16-bit registers
// are sent most significant byte first, the opposite of SMBus words: every word read or written
// goes through hw::swap_bytes. SMBus word transactions only, so it runs on i2c-stub too.
// - setup(): checks the manufacturer id (register 0x06 = 0x0054) and the device id (upper byte
//   of register 0x07 = 0x04; the lower byte is the revision, any), throwing DeviceError with what
//   was found otherwise; reads CONFIG (0x01) and, when the chip was left in shutdown (bit 8, in
//   which it stops converting and holds an old reading), clears that bit and nothing else.
// - begin(): no wait, except after waking the chip from shutdown: then the first cycle waits
//   kWakeTime for a fresh conversion.
// - collect(): reads the ambient temperature register (0x05); see mcp9808_temperature().

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/i2c_chip.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

/// The ambient temperature register (0x05, the value as the datasheet draws it, bit 15 first) in
/// °C. Bits 15..13 are alert flags (TA >= TCRIT, > TUPPER, < TLOWER) and are ignored; bit 12 is
/// the sign; bits 12..0 are a two's complement count of 1/16 °C. That is the datasheet's
/// equation 5-1, UpperByte * 2^4 + LowerByte * 2^-4 with the flags masked, minus 256 when the
/// sign is set (the datasheet prints "256 - ..." for negative values, which gives the magnitude
/// with the wrong sign; its own text says the data is two's complement).
[[nodiscard]] double mcp9808_temperature(std::uint16_t ta) noexcept;

class Mcp9808 final : public ContinuousChip {
 public:
  // Display precision 2: the fewest decimals that keep the 0.0625 °C steps apart (4 would
  // write them exactly, finer than the ±0.25 °C accuracy can use).
  static constexpr std::array<Quantity, 1> kQuantities{{
      {"temperature", "temperature", "temperature", "measurement", "°C", 2},
  }};
  /// The first conversion after leaving shutdown: the datasheet's 250 ms at the power-up
  /// resolution (the longest of the four), with margin.
  static constexpr std::chrono::milliseconds kWakeTime{300};

  Mcp9808(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address);

  void setup() override;
  std::vector<Reading> collect() override;
};

}  // namespace pimqttd::sensors
