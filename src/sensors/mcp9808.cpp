#include "pimqttd/sensors/mcp9808.hpp"

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
    : bus_(std::move(bus)), address_(address) {
  where_ = fmt::format("MCP9808 at {:#04x} on {}", address_, bus_->name());
}

std::uint16_t Mcp9808::read_word(std::uint8_t reg, const char* name) {
  std::uint16_t word = 0;
  check(bus_->read_word_data(address_, reg, word), fmt::format("{}: reading {}", where_, name));
  return hw::swap_bytes(word);
}

void Mcp9808::setup() {
  const std::uint16_t manufacturer = read_word(kRegManufacturerId, "the manufacturer id");
  if (manufacturer != kManufacturerId) {
    throw DeviceError(fmt::format("{}: manufacturer id {:#06x}, expected {:#06x}", where_,
                                  manufacturer, kManufacturerId));
  }
  const auto device = static_cast<std::uint8_t>(read_word(kRegDeviceId, "the device id") >> 8U);
  if (device != kDeviceId) {
    throw DeviceError(
        fmt::format("{}: device id {:#04x}, expected {:#04x}", where_, device, kDeviceId));
  }
  const std::uint16_t config = read_word(kRegConfig, "CONFIG");
  if ((config & kConfigShutdown) != 0) {
    const auto awake = static_cast<std::uint16_t>(config & ~kConfigShutdown);
    check(bus_->write_word_data(address_, kRegConfig, hw::swap_bytes(awake)),
          where_ + ": writing CONFIG");
    woken_ = true;
  }
}

std::chrono::milliseconds Mcp9808::begin() {
  return std::exchange(woken_, false) ? kWakeTime : std::chrono::milliseconds{0};
}

std::vector<Reading> Mcp9808::collect() {
  const std::uint16_t ta = read_word(kRegAmbient, "the temperature");
  return {{"temperature", mcp9808_temperature(ta)}};
}

}  // namespace pimqttd::sensors
