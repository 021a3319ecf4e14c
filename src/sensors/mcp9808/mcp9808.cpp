#include "sensors/mcp9808/mcp9808.hpp"

#include <utility>

#include <fmt/format.h>

namespace pimqttd::sensors {
namespace {

constexpr std::uint8_t kRegConfig = 0x01;
constexpr std::uint8_t kRegAmbient = 0x05;
constexpr std::uint8_t kRegManufacturerId = 0x06;
constexpr std::uint8_t kRegDeviceId = 0x07;

constexpr std::uint16_t kManufacturerId = 0x0054;
constexpr std::uint8_t kDeviceId = 0x04;
constexpr std::uint16_t kConfigShutdown = 0x0100;

}  // namespace

double mcp9808_temperature(std::uint16_t ta) noexcept {
  const int sixteenths = ta & 0x0FFF;
  const bool negative = (ta & 0x1000) != 0;
  return (negative ? sixteenths - 4096 : sixteenths) / 16.0;
}

Mcp9808::Mcp9808(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address)
    : ContinuousChip(std::move(bus), address, "MCP9808", kWakeTime) {}

void Mcp9808::setup() {
  const std::uint16_t manufacturer = chip().read_word_be(kRegManufacturerId, "the manufacturer id");
  if (manufacturer != kManufacturerId) {
    chip().fail(
        fmt::format("manufacturer id {:#06x}, expected {:#06x}", manufacturer, kManufacturerId));
  }
  const auto device =
      static_cast<std::uint8_t>(chip().read_word_be(kRegDeviceId, "the device id") >> 8U);
  if (device != kDeviceId) {
    chip().fail(fmt::format("device id {:#04x}, expected {:#04x}", device, kDeviceId));
  }
  const std::uint16_t config = chip().read_word_be(kRegConfig, "CONFIG");
  if ((config & kConfigShutdown) != 0) {
    const auto awake = static_cast<std::uint16_t>(config & ~kConfigShutdown);
    chip().write_word_be(kRegConfig, awake, "CONFIG");
    woke();
  }
}

std::vector<Reading> Mcp9808::collect() {
  const std::uint16_t ta = chip().read_word_be(kRegAmbient, "the temperature");
  return {{"temperature", mcp9808_temperature(ta)}};
}

}  // namespace pimqttd::sensors
