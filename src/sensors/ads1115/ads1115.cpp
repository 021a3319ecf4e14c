#include "sensors/ads1115/ads1115.hpp"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace pimqttd::sensors {

using std::chrono::milliseconds;

namespace {

constexpr std::uint16_t kStart = 0x8000;       // OS
constexpr std::uint16_t kSingleShot = 0x0100;  // MODE
constexpr std::uint16_t kRate128 = 0x0080;     // DR = 100
constexpr std::uint16_t kNoComparator = 0x0003;
constexpr std::uint16_t kKeptBits = 0x01FF;  // MODE, DR, comparator: never changed here
constexpr std::uint16_t kKeptValue = kSingleShot | kRate128 | kNoComparator;
constexpr std::uint16_t kLoThreshReset = 0x8000;
constexpr std::uint16_t kHiThreshReset = 0x7FFF;

}  // namespace

Ads1115::Ads1115(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address,
                 std::vector<Ads1115Channel> channels)
    : chip_(std::move(bus), address, "ADS1115"), channels_(std::move(channels)) {
  if (channels_.empty()) throw std::invalid_argument("ADS1115: no channel");
  for (const Ads1115Channel& channel : channels_) {
    if (!pga_code(channel.full_scale)) {
      throw std::invalid_argument(
          fmt::format("ADS1115: no full-scale range of {} V", channel.full_scale));
    }
  }
}

std::optional<std::uint8_t> Ads1115::pga_code(double full_scale) noexcept {
  for (std::size_t i = 0; i < kFullScales.size(); ++i) {
    if (kFullScales[i] == full_scale) return static_cast<std::uint8_t>(i);
  }
  return std::nullopt;
}

std::uint16_t Ads1115::config_word(const Ads1115Channel& channel) {
  const auto mux = static_cast<unsigned>(channel.input);
  const unsigned pga = pga_code(channel.full_scale).value_or(2);
  return static_cast<std::uint16_t>(kStart | (mux << 12U) | (pga << 9U) | kKeptValue);
}

double Ads1115::volts(std::int16_t count, double full_scale) noexcept {
  return count * full_scale / 32768.0;
}

int Ads1115::display_precision(const Ads1115Channel& channel) noexcept {
  return decimals_for_step(channel.full_scale / 32768.0 * channel.multiplier);
}

void Ads1115::setup() {
  const std::uint16_t config = chip_.read_word_be(kConfigRegister, "the config register");
  const std::uint16_t lo = chip_.read_word_be(kLoThreshRegister, "the Lo_thresh register");
  const std::uint16_t hi = chip_.read_word_be(kHiThreshRegister, "the Hi_thresh register");
  if ((config & kKeptBits) != kKeptValue || lo != kLoThreshReset || hi != kHiThreshReset) {
    chip_.fail(fmt::format("config {:#06x}, Lo_thresh {:#06x}, Hi_thresh {:#06x}: expected "
                           "config & 0x01ff = {:#06x}, {:#06x}, {:#06x} (not an ADS1115?)",
                           config, lo, hi, kKeptValue, kLoThreshReset, kHiThreshReset));
  }
}

milliseconds Ads1115::start(std::size_t channel) {
  current_ = channel;
  written_ = config_word(channels_[channel]);
  chip_.write_word_be(kConfigRegister, written_, "the config register");
  return kConversionWait;
}

milliseconds Ads1115::begin() { return start(0); }

std::vector<Reading> Ads1115::collect() {
  const std::uint16_t config = chip_.read_word_be(kConfigRegister, "the config register");
  if ((config & kStart) == 0) {
    chip_.fail(fmt::format("conversion of {} not finished after {} ms", channels_[current_].key,
                           kConversionWait.count()));
  }
  if ((config & ~kStart) != (written_ & ~kStart)) {
    chip_.fail(fmt::format("config register reads {:#06x} after the conversion of {}, written "
                           "{:#06x} (was the chip reset?)",
                           config, channels_[current_].key, written_));
  }
  const auto count = static_cast<std::int16_t>(
      chip_.read_word_be(kConversionRegister, "the conversion register"));
  const Ads1115Channel& channel = channels_[current_];
  return {Reading{channel.key, volts(count, channel.full_scale) * channel.multiplier}};
}

std::optional<milliseconds> Ads1115::begin_next() {
  if (current_ + 1 >= channels_.size()) return std::nullopt;
  return start(current_ + 1);
}

}  // namespace pimqttd::sensors
