#include "pimqttd/sensors/sensor.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <ctime>
#include <system_error>
#include <type_traits>

#include <fmt/format.h>

namespace pimqttd::sensors {
namespace {

constexpr double kFixedMin = 1e-6;
constexpr double kFixedLimit = 1e21;

std::string format_number(double value) {
  if (!std::isfinite(value)) {
    return "None";
  }
  if (value == 0.0) {
    return "0";
  }
  // Shortest round-trip digits in fixed notation need at most 17 significant digits plus
  // 21 integer digits or 6 leading fraction zeros, a sign and a point: 64 bytes are plenty.
  std::array<char, 64> buffer{};
  const double magnitude = std::fabs(value);
  const auto result =
      (magnitude >= kFixedMin && magnitude < kFixedLimit)
          ? std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                          std::chars_format::fixed)
          : std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (result.ec != std::errc{}) {
    return "None";
  }
  return std::string(buffer.data(), result.ptr);
}

}  // namespace

std::string printable_payload(std::string_view payload) {
  constexpr std::size_t kMax = 32;
  std::string out;
  for (const char c : payload.substr(0, kMax)) out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  if (payload.size() > kMax) out += "...";
  return out;
}

std::string format_value(const Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>) {
          return format_number(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "ON" : "OFF";
        } else {
          return v;
        }
      },
      value);
}

double round_to_decimals(double value, int decimals) noexcept {
  const double scale = std::pow(10.0, std::clamp(decimals, 0, 15));
  constexpr double kIntegral = 4503599627370496.0;  // 2^52: from there on, every double is whole
  if (!(std::abs(value) * scale < kIntegral)) return value;
  const double rounded = std::round(value * scale) / scale;
  return rounded == 0 ? 0.0 : rounded;
}

int decimals_for_step(double step) noexcept {
  if (!(step > 0) || !std::isfinite(step)) return 0;
  // The slack: 0.001 as a double is a little above or below 10^-3, and its log10 likewise.
  return std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 15);
}

std::string iso8601_utc(std::int64_t unix_seconds) {
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (::gmtime_r(&seconds, &tm) == nullptr || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
    return {};
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace pimqttd::sensors
