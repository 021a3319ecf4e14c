#pragma once
// Ads1115: Texas Instruments ADS1115 16-bit ADC (the `ads1115` sensor type), at 0x48 to 0x4B
// (ADDR tied to GND, VDD, SDA or SCL), reading a list of channels as voltages.
//
// Register chip: only SMBus word transactions, most significant byte first (so it also runs on
// i2c-stub). Registers (the datasheet's register map): 0x00 conversion, 0x01 config, 0x02
// Lo_thresh, 0x03 Hi_thresh.
//
// Identity (setup()): the config register's bits this driver never changes must hold their reset
// values: MODE = 1 (single shot), DR = 100 (128 SPS), comparator bits 00011 (disabled), i.e.
// config & 0x01FF == 0x0183 (the reset value is 0x8583); and the threshold registers, which it
// never writes, their reset values Lo_thresh = 0x8000, Hi_thresh = 0x7FFF. (An ADS1015 passes
// too: its registers are the same.)
//
// One single-shot conversion per channel, the channels of a cycle in sequence (PolledSensor's
// steps): begin() (first channel) and begin_next() (the next ones) write the config register
//
//     OS = 1 (start) | MUX << 12 | PGA << 9 | MODE = 1 | DR = 100 (128 SPS) | 00011
//
// and wait 10 ms: one conversion at 128 SPS takes 1/128 s = 7.8 ms, the data rate may be 10 %
// slow (8.6 ms), and the chip wakes up first. collect() reads the config register back: OS must
// read 1 (no conversion in progress) and the other bits what was written (anything else means
// the chip was reset meanwhile), both DeviceErrors; then the conversion register, a two's
// complement count: volts = count * FSR / 32768 (FSR: the channel's full-scale range, so one
// LSB is FSR / 32768), times the channel's multiplier (a voltage divider's ratio).
//
// Inputs (MUX): A0-A1 000, A0-A3 001, A1-A3 010, A2-A3 011 (differential), A0 100, A1 101,
// A2 110, A3 111 (against GND). Full-scale ranges (PGA): 6.144 V 000, 4.096 V 001, 2.048 V 010,
// 1.024 V 011, 0.512 V 100, 0.256 V 101. Whatever the range, no input may go beyond the supply
// voltage + 0.3 V.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/i2c_chip.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

/// An input of the multiplexer; the value is its MUX code.
enum class Ads1115Input : std::uint8_t {
  a0_a1 = 0,
  a0_a3 = 1,
  a1_a3 = 2,
  a2_a3 = 3,
  a0 = 4,
  a1 = 5,
  a2 = 6,
  a3 = 7,
};

struct Ads1115Channel {
  std::string key;  ///< the reading's key (the entity's id suffix)
  Ads1115Input input = Ads1115Input::a0;
  double full_scale = 4.096;  ///< V, one of Ads1115::kFullScales
  double multiplier = 1.0;
  friend bool operator==(const Ads1115Channel&, const Ads1115Channel&) = default;
};

class Ads1115 final : public Device {
 public:
  static constexpr std::uint8_t kConversionRegister = 0x00;
  static constexpr std::uint8_t kConfigRegister = 0x01;
  static constexpr std::uint8_t kLoThreshRegister = 0x02;
  static constexpr std::uint8_t kHiThreshRegister = 0x03;
  static constexpr std::uint16_t kResetConfig = 0x8583;
  static constexpr std::chrono::milliseconds kConversionWait{10};
  /// The full-scale ranges in V, indexed by PGA code.
  static constexpr std::array<double, 6> kFullScales{6.144, 4.096, 2.048, 1.024, 0.512, 0.256};

  /// Throws std::invalid_argument without channels, or for a full scale not in kFullScales.
  Ads1115(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address,
          std::vector<Ads1115Channel> channels);

  void setup() override;
  std::chrono::milliseconds begin() override;
  std::vector<Reading> collect() override;
  std::optional<std::chrono::milliseconds> begin_next() override;

  /// The config word that starts `channel`'s conversion.
  [[nodiscard]] static std::uint16_t config_word(const Ads1115Channel& channel);
  /// The PGA code of a full-scale range; nullopt for one the chip does not have.
  [[nodiscard]] static std::optional<std::uint8_t> pga_code(double full_scale) noexcept;
  /// Volts at the input for a conversion count (before the multiplier).
  [[nodiscard]] static double volts(std::int16_t count, double full_scale) noexcept;
  /// The channel's display precision: the fewest decimals that keep its steps, one LSB times
  /// the multiplier, apart (decimals_for_step): with multiplier 1, 4 at 6.144 and 4.096 V, 5 at
  /// 2.048 to 0.512 V, 6 at 0.256 V. Not capped: at 128 SPS the chip's noise is one LSB.
  [[nodiscard]] static int display_precision(const Ads1115Channel& channel) noexcept;

 private:
  std::chrono::milliseconds start(std::size_t channel);

  I2cChip chip_;
  std::vector<Ads1115Channel> channels_;
  std::size_t current_ = 0;
  std::uint16_t written_ = 0;
};

}  // namespace pimqttd::sensors
