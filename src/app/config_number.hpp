#pragma once
// Reading a key whose value is a number that need not be an integer (a gain, a resistance), for
// the sensor types that have such keys. Private to the app layer's sources.

#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pimqttd/app/config_reader.hpp"

namespace pimqttd::app {

/// The number at `key` when `accept` takes it; nullopt when the key is absent (or null), or
/// when it is not a finite number `accept` takes, which records "expected <expected>, found ...".
inline std::optional<double> read_number(ObjectReader& reader, std::string_view key,
                                         const std::function<bool(double)>& accept,
                                         std::string_view expected,
                                         Presence presence = Presence::optional) {
  const Json* value = reader.find(key, presence);
  if (value == nullptr) return std::nullopt;
  if (value->is_number()) {
    const auto number = value->get<double>();
    if (std::isfinite(number) && accept(number)) return number;
  }
  reader.error(key, fmt::format("expected {}, found {}", expected, describe(*value)));
  return std::nullopt;
}

/// `number` in its shortest form with at most 12 significant digits: 0.32 / 0.1 is
/// 3.2000000000000006 in binary, and shows as 3.2.
[[nodiscard]] inline double round12(double number) {
  return std::stod(fmt::format("{:.12g}", number));
}

}  // namespace pimqttd::app
