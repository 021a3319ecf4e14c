#include "pimqttd/sensors/sensirion.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>

namespace pimqttd::sensors {

using std::chrono::milliseconds;

void read_sensirion_words(I2cChip& chip, std::span<std::uint16_t> words, std::string_view what) {
  std::array<std::uint8_t, 3 * 8> buffer{};
  const std::span<std::uint8_t> bytes = std::span(buffer).first(3 * words.size());
  chip.read(bytes, what);
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::span<const std::uint8_t> word = bytes.subspan(3 * i, 2);
    const std::uint8_t received = bytes[3 * i + 2];
    const std::uint8_t expected = crc8(word, 0xFF);
    words[i] = static_cast<std::uint16_t>((word[0] << 8U) | word[1]);
    if (received != expected) {
      chip.fail(fmt::format("CRC mismatch in word {} of {}: {:#06x} came with CRC {:#04x}, "
                            "expected {:#04x}",
                            i + 1, what, words[i], received, expected));
    }
  }
}

SensirionHumiditySensor::SensirionHumiditySensor(I2cChip chip, const SensirionCommands& commands)
    : chip_(std::move(chip)), commands_(commands) {}

void SensirionHumiditySensor::setup() {
  step_ = Step::serial_number;
  serial_number_.reset();
}

milliseconds SensirionHumiditySensor::begin() {
  if (serial_number_) return start_measurement();
  step_ = Step::serial_number;
  chip_.write(commands_.serial_number, "the serial-number command");
  return commands_.serial_number_wait;
}

milliseconds SensirionHumiditySensor::start_measurement() {
  step_ = Step::measurement;
  chip_.write(commands_.measure, "the measurement command");
  return commands_.measure_wait;
}

std::vector<Reading> SensirionHumiditySensor::collect() {
  std::array<std::uint16_t, 2> words{};
  if (step_ == Step::serial_number) {
    read_sensirion_words(chip_, words, "the serial number");
    serial_number_ = (std::uint32_t{words[0]} << 16U) | words[1];
    return {};
  }
  read_sensirion_words(chip_, words, "the measurement");
  return {Reading{"temperature", commands_.temperature(words[0])},
          Reading{"humidity", commands_.humidity(words[1])}};
}

std::optional<milliseconds> SensirionHumiditySensor::begin_next() {
  if (step_ == Step::serial_number) return start_measurement();
  return std::nullopt;
}

}  // namespace pimqttd::sensors
