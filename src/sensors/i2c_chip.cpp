#include "pimqttd/sensors/i2c_chip.hpp"

#include <utility>

#include <fmt/format.h>

#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

I2cChip::I2cChip(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address, std::string_view name)
    : bus_(std::move(bus)),
      address_(address),
      where_(fmt::format("{} at {:#04x} on {}", name, address, bus_->name())) {}

void I2cChip::write(std::span<const std::uint8_t> bytes, std::string_view what) {
  if (const std::error_code error = bus_->write(address_, bytes)) {
    fail(fmt::format("writing {}: {}", what, error.message()));
  }
}

void I2cChip::read(std::span<std::uint8_t> out, std::string_view what) {
  if (const std::error_code error = bus_->read(address_, out)) {
    fail(fmt::format("reading {}: {}", what, error.message()));
  }
}

std::uint8_t I2cChip::read_byte(std::uint8_t reg, std::string_view what) {
  std::uint8_t value = 0;
  if (const std::error_code error = bus_->read_byte_data(address_, reg, value)) {
    fail(fmt::format("reading {}: {}", what, error.message()));
  }
  return value;
}

void I2cChip::write_byte(std::uint8_t reg, std::uint8_t value, std::string_view what) {
  if (const std::error_code error = bus_->write_byte_data(address_, reg, value)) {
    fail(fmt::format("writing {}: {}", what, error.message()));
  }
}

void I2cChip::read_block(std::uint8_t reg, std::span<std::uint8_t> out, std::string_view what) {
  if (const std::error_code error = bus_->read_block_data(address_, reg, out)) {
    fail(fmt::format("reading {}: {}", what, error.message()));
  }
}

std::uint16_t I2cChip::read_word_be(std::uint8_t reg, std::string_view what) {
  std::uint16_t word = 0;
  if (const std::error_code error = bus_->read_word_data(address_, reg, word)) {
    fail(fmt::format("reading {}: {}", what, error.message()));
  }
  return hw::swap_bytes(word);
}

void I2cChip::write_word_be(std::uint8_t reg, std::uint16_t value, std::string_view what) {
  if (const std::error_code error = bus_->write_word_data(address_, reg, hw::swap_bytes(value))) {
    fail(fmt::format("writing {}: {}", what, error.message()));
  }
}

void I2cChip::fail(std::string_view message) const {
  throw DeviceError(fmt::format("{}: {}", where_, message));
}

ContinuousChip::ContinuousChip(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address,
                               std::string_view name, std::chrono::milliseconds wake_time)
    : chip_(std::move(bus), address, name), wake_time_(wake_time) {}

std::chrono::milliseconds ContinuousChip::begin() {
  return std::exchange(woken_, false) ? wake_time_ : std::chrono::milliseconds{0};
}

}  // namespace pimqttd::sensors
