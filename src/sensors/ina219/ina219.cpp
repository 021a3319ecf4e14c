#include "sensors/ina219/ina219.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace pimqttd::sensors {

using std::chrono::milliseconds;

namespace {

constexpr std::uint16_t kConversionReady = 0x0002;  // CNVR
constexpr std::uint16_t kMathOverflow = 0x0001;     // OVF
constexpr double kBusVoltageLsb = 0.004;            // V

}  // namespace

std::array<Quantity, 3> ina219_quantities(double current_lsb) noexcept {
  std::array<Quantity, 3> quantities = kIna219Quantities;
  quantities[1].precision = decimals_for_step(current_lsb);
  quantities[2].precision = decimals_for_step(20.0 * current_lsb);
  return quantities;
}

std::uint16_t Ina219::calibration(double shunt_ohms, double max_current) noexcept {
  const double current_lsb = max_current / 32768.0;
  const double cal = std::trunc(0.04096 / (current_lsb * shunt_ohms));
  return static_cast<std::uint16_t>(static_cast<unsigned>(std::clamp(cal, 2.0, 65534.0)) & ~1U);
}

Ina219::Ina219(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address, double shunt_ohms,
               double max_current)
    : chip_(std::move(bus), address, "INA219"),
      calibration_(0),
      current_lsb_(0) {
  // The tolerance lets 0.1 Ω and 3.2 A (0.32000000000000006 V in binary) through.
  if (!(shunt_ohms > 0) || !(max_current > 0) ||
      max_current * shunt_ohms > kShuntRange * (1 + 1e-9)) {
    throw std::invalid_argument(fmt::format(
        "INA219: shunt of {} Ω and maximum current of {} A out of range", shunt_ohms,
        max_current));
  }
  calibration_ = calibration(shunt_ohms, max_current);
  current_lsb_ = 0.04096 / (calibration_ * shunt_ohms);
}

void Ina219::setup() {
  std::uint16_t config = chip_.read_word_be(kConfigRegister, "the configuration register");
  if (config != kResetConfig) {
    chip_.write_word_be(kConfigRegister, kReset, "the configuration register (reset)");
    config = chip_.read_word_be(kConfigRegister, "the configuration register");
    if (config != kResetConfig) {
      chip_.fail(fmt::format("configuration register {:#06x} after a reset, expected {:#06x} "
                             "(not an INA219?)",
                             config, kResetConfig));
    }
  }
  chip_.write_word_be(kCalibrationRegister, calibration_, "the calibration register");
  settle_ = true;
}

milliseconds Ina219::begin() {
  const bool settle = std::exchange(settle_, false);
  return settle ? kSettleWait : milliseconds{0};
}

std::vector<Reading> Ina219::collect() {
  const std::uint16_t cal = chip_.read_word_be(kCalibrationRegister, "the calibration register");
  if (cal != calibration_) {
    chip_.fail(fmt::format("calibration register reads {:#06x}, written {:#06x} (was the chip "
                           "reset?)",
                           cal, calibration_));
  }
  const std::uint16_t bus = chip_.read_word_be(kBusVoltageRegister, "the bus voltage register");
  if ((bus & kConversionReady) == 0) {
    chip_.fail(fmt::format("no conversion completed (bus voltage register {:#06x})", bus));
  }
  if ((bus & kMathOverflow) != 0) {
    chip_.fail("current or power out of range (math overflow: more current than max_current)");
  }
  const auto current =
      static_cast<std::int16_t>(chip_.read_word_be(kCurrentRegister, "the current register"));
  const std::uint16_t power = chip_.read_word_be(kPowerRegister, "the power register");
  return {Reading{"bus_voltage", (bus >> 3U) * kBusVoltageLsb},
          Reading{"current", current * current_lsb_},
          Reading{"power", power * 20.0 * current_lsb_}};
}

}  // namespace pimqttd::sensors
