#include "sensors/htu21d/htu21d.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "pimqttd/sensors/sensirion.hpp"

namespace pimqttd::sensors {

using std::chrono::milliseconds;

Htu21d::Htu21d(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address, std::string_view chip)
    : chip_(std::move(bus), address, chip) {}

void Htu21d::setup() {
  const std::array<std::uint8_t, 1> read_command{kReadUserRegister};
  chip_.write(read_command, "the read-user-register command");
  std::array<std::uint8_t, 1> user{};
  chip_.read(user, "the user register");
  if ((user[0] & kUserRegisterMask) != 0) {
    const std::array<std::uint8_t, 2> write_command{
        kWriteUserRegister, static_cast<std::uint8_t>(user[0] & ~kUserRegisterMask)};
    chip_.write(write_command, "the user register");
  }
}

milliseconds Htu21d::begin() {
  step_ = Step::temperature;
  const std::array<std::uint8_t, 1> command{kMeasureTemperature};
  chip_.write(command, "the temperature command");
  return kTemperatureWait;
}

std::vector<Reading> Htu21d::collect() {
  const bool humidity_step = step_ == Step::humidity;
  const std::string_view what = humidity_step ? "the humidity" : "the temperature";
  std::array<std::uint8_t, 3> reply{};
  chip_.read(reply, what);
  const std::uint8_t expected = crc8(std::span(reply).first(2), 0x00);
  const auto raw = static_cast<std::uint16_t>((reply[0] << 8U) | reply[1]);
  if (reply[2] != expected) {
    chip_.fail(fmt::format("CRC mismatch in {}: {:#06x} came with CRC {:#04x}, expected {:#04x}",
                           what, raw, reply[2], expected));
  }
  if (((raw & 0x0002U) != 0) != humidity_step) {
    chip_.fail(fmt::format("{:#06x} is not {}: its type bit (1) says {}", raw, what,
                           humidity_step ? "temperature" : "humidity"));
  }
  if (humidity_step) return {Reading{"humidity", humidity(raw)}};
  return {Reading{"temperature", temperature(raw)}};
}

std::optional<milliseconds> Htu21d::begin_next() {
  if (step_ == Step::humidity) return std::nullopt;
  step_ = Step::humidity;
  const std::array<std::uint8_t, 1> command{kMeasureHumidity};
  chip_.write(command, "the humidity command");
  return kHumidityWait;
}

double Htu21d::temperature(std::uint16_t raw) noexcept {
  return -46.85 + 175.72 * (raw & 0xFFFCU) / 65536.0;
}

double Htu21d::humidity(std::uint16_t raw) noexcept {
  return std::clamp(-6.0 + 125.0 * (raw & 0xFFFCU) / 65536.0, 0.0, 100.0);
}

}  // namespace pimqttd::sensors
