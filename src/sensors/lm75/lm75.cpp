#include "sensors/lm75/lm75.hpp"

#include <utility>

namespace pimqttd::sensors {
namespace {

constexpr std::uint8_t kRegTemperature = 0x00;
constexpr std::uint8_t kRegConfig = 0x01;
constexpr std::uint8_t kConfigShutdown = 0x01;
constexpr std::uint16_t kUsedBits = 0xFFE0;

}  // namespace

double lm75_temperature(std::uint16_t reg) noexcept {
  const auto count = static_cast<std::int16_t>(reg & kUsedBits);
  return count / 256.0;
}

Lm75::Lm75(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address)
    : ContinuousChip(std::move(bus), address, "LM75", kWakeTime) {}

void Lm75::setup() {
  const std::uint8_t config = chip().read_byte(kRegConfig, "the configuration");
  if ((config & kConfigShutdown) != 0) {
    chip().write_byte(kRegConfig, static_cast<std::uint8_t>(config & ~kConfigShutdown),
                      "the configuration");
    woke();
  }
}

std::vector<Reading> Lm75::collect() {
  const std::uint16_t reg = chip().read_word_be(kRegTemperature, "the temperature");
  return {{"temperature", lm75_temperature(reg)}};
}

}  // namespace pimqttd::sensors
