#include "pimqttd/hw/w1.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <limits>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "pimqttd/core/file.hpp"
#include "pimqttd/core/unique_fd.hpp"

namespace pimqttd::hw {
namespace {

constexpr std::int32_t kPowerOnMillidegrees = 85'000;
constexpr std::uint8_t kPowerOnLsb = 0x50;  // 0550h, +85 degC
constexpr std::uint8_t kPowerOnMsb = 0x05;

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && line[at] == ' ') ++at;
    const std::size_t start = at;
    while (at < line.size() && line[at] != ' ') ++at;
    if (at > start) out.push_back(line.substr(start, at - start));
  }
  return out;
}

// Nine two-digit hexadecimal words at the front of `line`.
bool read_bytes(const std::vector<std::string_view>& line, std::array<std::uint8_t, 9>& bytes) {
  if (line.size() < bytes.size()) return false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::string_view word = line[i];
    if (word.size() != 2 || !is_hex(word[0]) || !is_hex(word[1])) return false;
    bytes[i] = static_cast<std::uint8_t>(hex_value(word[0]) * 16 + hex_value(word[1]));
  }
  return true;
}

// The text as it can appear in a log line: printable ASCII, the rest escaped, cut short.
std::string shown(std::string_view text) {
  constexpr std::size_t kMax = 100;
  std::string out = "\"";
  for (const char c : text.substr(0, kMax)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  out += text.size() > kMax ? "\"..." : "\"";
  return out;
}

W1Failure malformed(std::string_view text) {
  return {W1Fault::malformed, "malformed w1_slave text " + shown(text)};
}

std::string hex_bytes(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (const std::uint8_t byte : bytes) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{:02x}", byte);
  }
  return out;
}

}  // namespace

bool is_thermometer_id(std::string_view id) noexcept {
  if (id.size() != 15 || id[2] != '-') return false;
  const std::string_view family = id.substr(0, 2);
  if (family != "28" && family != "22") return false;
  const std::string_view serial = id.substr(3);
  return std::all_of(serial.begin(), serial.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::uint8_t w1_crc8(std::span<const std::uint8_t> bytes) noexcept {
  // x^8 + x^5 + x^4 + 1, shifted out LSB first: the reflected polynomial is 8Ch.
  std::uint8_t crc = 0;
  for (std::uint8_t byte : bytes) {
    for (int bit = 0; bit < 8; ++bit) {
      const bool mix = ((crc ^ byte) & 1U) != 0;
      crc = static_cast<std::uint8_t>(crc >> 1U);
      if (mix) crc = static_cast<std::uint8_t>(crc ^ 0x8CU);
      byte = static_cast<std::uint8_t>(byte >> 1U);
    }
  }
  return crc;
}

W1Result parse_w1_slave(std::string_view text) {
  std::string_view rest = text;
  if (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);
  const std::size_t newline = rest.find('\n');
  if (newline == std::string_view::npos) return malformed(text);
  const std::string_view first_line = rest.substr(0, newline);
  const std::string_view second_line = rest.substr(newline + 1);
  if (second_line.find('\n') != std::string_view::npos) return malformed(text);

  // "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES"
  const auto first = words(first_line);
  W1Reading reading;
  if (first.size() != 12 || !read_bytes(first, reading.scratchpad) || first[9] != ":" ||
      first[10].size() != 6 || first[10].substr(0, 4) != "crc=" || !is_hex(first[10][4]) ||
      !is_hex(first[10][5]) || (first[11] != "YES" && first[11] != "NO")) {
    return malformed(text);
  }
  // "72 01 4b 46 7f ff 0e 10 57 t=23125"
  const auto second = words(second_line);
  std::array<std::uint8_t, 9> retained{};
  if (second.size() != 10 || !read_bytes(second, retained) || second[9].size() < 3 ||
      second[9].substr(0, 2) != "t=") {
    return malformed(text);
  }
  const std::string_view t = second[9].substr(2);
  const auto [end, error] = std::from_chars(t.data(), t.data() + t.size(), reading.millidegrees);
  if (error != std::errc{} || end != t.data() + t.size()) return malformed(text);

  const auto& bytes = reading.scratchpad;
  if (first[11] == "NO") {
    return W1Failure{W1Fault::crc_mismatch,
                     fmt::format("CRC check failed ({} {}): scratchpad {}", first[10], first[11],
                                 hex_bytes(bytes))};
  }
  if (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; })) {
    return W1Failure{W1Fault::bus_low,
                     "the scratchpad reads all zero (no thermometer sends that): the data line "
                     "is held low"};
  }
  const std::uint8_t crc = w1_crc8(std::span(bytes).first(8));
  if (crc != bytes[8]) {
    return W1Failure{W1Fault::crc_mismatch,
                     fmt::format("CRC mismatch: bytes 0-7 give {:02x}, byte 8 is {:02x}: "
                                 "scratchpad {}",
                                 crc, bytes[8], hex_bytes(bytes))};
  }
  if ((bytes[0] == kPowerOnLsb && bytes[1] == kPowerOnMsb) ||
      reading.millidegrees == kPowerOnMillidegrees) {
    return W1Failure{W1Fault::power_on_value,
                     "85 °C, the power-on value of the temperature register: the sensor has not "
                     "completed a conversion since it was powered"};
  }
  return reading;
}

W1Devices::W1Devices(std::filesystem::path root) : root_(std::move(root)) {}

std::filesystem::path W1Devices::device_directory(std::string_view id) const {
  return root_ / "sys/bus/w1/devices" / std::string(id);
}

W1Result W1Devices::read_temperature(std::string_view id) const {
  const std::filesystem::path directory = device_directory(id);
  std::error_code ignored;
  if (!std::filesystem::is_directory(directory, ignored)) {
    return W1Failure{W1Fault::no_device,
                     fmt::format("{}: no such 1-Wire device (1-Wire not enabled, or the sensor "
                                 "not connected or not found yet)",
                                 directory.string())};
  }
  const std::filesystem::path file = directory / "w1_slave";
  const auto failed = [&](int error) {
    return W1Failure{W1Fault::unreadable,
                     fmt::format("{}: {}", file.string(), std::generic_category().message(error))};
  };
  const core::FileContents contents = core::read_file(file, kMaxFileSize);
  if (contents.error) return failed(contents.error.value());
  if (contents.too_big) {
    return W1Failure{W1Fault::malformed,
                     fmt::format("{}: longer than {} bytes", file.string(), kMaxFileSize)};
  }
  const std::string& text = contents.text;
  W1Result result = parse_w1_slave(text);
  if (result) return result;
  W1Failure failure = result.failure();
  failure.message = file.string() + ": " + failure.message;
  return failure;
}

}  // namespace pimqttd::hw
