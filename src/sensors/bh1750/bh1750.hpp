#pragma once
// ROHM BH1750 ambient light sensor on I2C.
//
// One entity (quantities()): illuminance, device class illuminance, state class measurement, lx,
// display precision 0 (high, low) or 1 (high2).
//
// The chip takes commands, not register addresses (plain I2C writes of one opcode, plain reads of
// the 2-byte result), and has no identity to check. It is used in its one-time modes: each
// measurement is started by its own command and the chip powers down after it, so nothing runs
// between readings. The measurement-time register stays at its default (MTreg 69).
// - setup(): writes Power On (0x01); a chip that does not acknowledge is a DeviceError.
// - begin(): writes the one-time command of the resolution (Bh1750Resolution) and returns the
//   datasheet's maximum measurement time for it: 180 ms (high, high2) or 24 ms (low).
// - collect(): reads the 2-byte result, high byte first (a chip still converting does not
//   acknowledge: a DeviceError for this cycle); see bh1750_illuminance().

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/i2c_chip.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

enum class Bh1750Resolution : std::uint8_t {
  high,   ///< One Time H-Resolution Mode (0x20): 1 lx steps, up to 54612 lx
  high2,  ///< One Time H-Resolution Mode2 (0x21): 0.5 lx steps, up to 27306 lx
  low,    ///< One Time L-Resolution Mode (0x23): 4 lx steps
};

/// The result in lx at the default MTreg (69): counts / 1.2, and / 2 again in H-resolution
/// mode2 (the datasheet's example: 0x8390 = 33680 counts is about 28067 lx).
[[nodiscard]] double bh1750_illuminance(std::uint16_t counts, Bh1750Resolution resolution) noexcept;

class Bh1750 final : public Device {
 public:
  // Display precision by resolution (readings are published rounded to it):
  // - high: 0, capped from the 1/1.2 lx a count (1): the datasheet rates the mode at 1 lx, and
  //   the chip is accurate to ±20 %;
  // - high2: 1, for its 1/2.4 lx counts (the datasheet's 0.5 lx): the mode for dim places;
  // - low: 0, for its 4 lx steps.
  static constexpr std::array<Quantity, 1> kQuantities{{
      {"illuminance", "illuminance", "illuminance", "measurement", "lx", 0},
  }};
  static constexpr std::array<Quantity, 1> kHigh2Quantities{{
      {"illuminance", "illuminance", "illuminance", "measurement", "lx", 1},
  }};
  /// The table of a resolution: kHigh2Quantities for high2, else kQuantities.
  [[nodiscard]] static std::span<const Quantity> quantities(Bh1750Resolution resolution) noexcept;

  Bh1750(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address,
         Bh1750Resolution resolution = Bh1750Resolution::high);

  void setup() override;
  std::chrono::milliseconds begin() override;
  std::vector<Reading> collect() override;

 private:
  void command(std::uint8_t opcode, const char* name);

  I2cChip chip_;
  Bh1750Resolution resolution_;
};

}  // namespace pimqttd::sensors
