#include "pimqttd/sensors/filter_config.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pimqttd::sensors {
namespace {


constexpr std::int64_t kMaxDecimals = 6;
constexpr std::int64_t kMaxWindow = 1000;
const DurationRule kPeriodRule{std::chrono::seconds{1}, std::chrono::hours{24}, false};

const std::array<std::string, 8> kFilterNames{"offset", "multiply", "round",    "moving_average",
                                              "median", "delta",    "throttle", "heartbeat"};

std::string quoted_list(std::span<const std::string> names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += quote(name, std::string::npos);
  }
  return out;
}

// "5%", "2.5%": digits, an optional fraction, then '%'.
std::optional<double> parse_percent(std::string_view text) {
  if (text.size() < 2 || text.back() != '%') return std::nullopt;
  text.remove_suffix(1);
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const std::size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view{} : text.substr(point + 1);
  if (whole.empty() || !std::all_of(whole.begin(), whole.end(), digit)) return std::nullopt;
  if (point != std::string_view::npos &&
      (fraction.empty() || !std::all_of(fraction.begin(), fraction.end(), digit))) {
    return std::nullopt;
  }
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(number)) {
    return std::nullopt;
  }
  return number;
}

std::optional<FilterSpec> read_delta(const Json& value, const Location& where,
                                     Diagnostics& diagnostics) {
  if (value.is_number() && std::isfinite(value.get<double>()) && value.get<double>() > 0) {
    return FilterSpec::delta(value.get<double>());
  }
  if (value.is_string()) {
    const auto percent = parse_percent(value.get_ref<const std::string&>());
    if (percent && *percent > 0) return FilterSpec::delta_percent(*percent);
  }
  diagnostics.error(where, "expected a number above 0 or a percentage such as \"5%\", found " +
                               describe(value));
  return std::nullopt;
}

std::optional<FilterSpec> read_filter(const Json& value, const Location& where,
                                      Diagnostics& diagnostics) {
  if (!value.is_object() || value.empty()) {
    diagnostics.error(where, fmt::format("expected a filter: an object with one key, one of {}, "
                                         "found {}",
                                         quoted_list(kFilterNames),
                                         value.is_object() ? "{}" : describe(value)));
    return std::nullopt;
  }
  if (value.size() > 1) {
    std::vector<std::string> keys;
    for (const auto& item : value.items()) keys.push_back(item.key());
    diagnostics.error(where, fmt::format("expected one filter per object, found {} keys: {}",
                                         keys.size(), quoted_list(keys)));
    return std::nullopt;
  }
  const auto item = value.items().begin();
  const std::string& name = item.key();
  const Json& argument = item.value();
  const Location at = where.key(name, 0);
  const auto kind = std::find(kFilterNames.begin(), kFilterNames.end(), name);
  if (kind == kFilterNames.end()) {
    std::string message = fmt::format("expected a filter, one of {}, found {}",
                                      quoted_list(kFilterNames), quote(name));
    if (auto hint = closest_match(name, kFilterNames)) {
      message += fmt::format("; did you mean {}?", quote(*hint, std::string::npos));
    }
    diagnostics.error(at, message);
    return std::nullopt;
  }
  switch (static_cast<FilterKind>(kind - kFilterNames.begin())) {
    case FilterKind::offset:
      if (auto x = read_number(argument, at, diagnostics)) return FilterSpec::offset(*x);
      break;
    case FilterKind::multiply:
      if (auto x = read_number(argument, at, diagnostics,
                               {[](double v) { return v != 0; }, "a number other than 0"})) {
        return FilterSpec::multiply(*x);
      }
      break;
    case FilterKind::round:
      if (auto d = read_integer(argument, at, diagnostics, 0, kMaxDecimals)) {
        return FilterSpec::round(static_cast<std::size_t>(*d));
      }
      break;
    case FilterKind::moving_average:
      if (auto n = read_integer(argument, at, diagnostics, 1, kMaxWindow)) {
        return FilterSpec::moving_average(static_cast<std::size_t>(*n));
      }
      break;
    case FilterKind::median:
      if (auto n = read_integer(argument, at, diagnostics, 1, kMaxWindow)) {
        return FilterSpec::median(static_cast<std::size_t>(*n));
      }
      break;
    case FilterKind::delta: return read_delta(argument, at, diagnostics);
    case FilterKind::throttle:
      if (auto t = read_duration(argument, at, diagnostics, kPeriodRule)) {
        return FilterSpec::throttle(*t);
      }
      break;
    case FilterKind::heartbeat:
      if (auto t = read_duration(argument, at, diagnostics, kPeriodRule)) {
        return FilterSpec::heartbeat(*t);
      }
      break;
  }
  return std::nullopt;
}

std::vector<FilterSpec> read_list(const Json& value, const Location& where,
                                  Diagnostics& diagnostics) {
  std::vector<FilterSpec> out;
  if (!value.is_array()) {
    diagnostics.error(where, "expected an array of filters, found " + describe(value));
    return out;
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (auto spec = read_filter(value[i], where.element(i), diagnostics)) out.push_back(*spec);
  }
  return out;
}

// The entity a key of the object form names: the full id, or the id after "<sensor id>_".
std::optional<std::string> entity_of(const std::string& key, std::string_view sensor_id,
                                     std::span<const std::string> entity_ids) {
  if (std::find(entity_ids.begin(), entity_ids.end(), key) != entity_ids.end()) return key;
  const std::string full = std::string(sensor_id) + "_" + key;
  if (std::find(entity_ids.begin(), entity_ids.end(), full) != entity_ids.end()) return full;
  return std::nullopt;
}

// What a user would write for each entity: the id without the sensor's prefix where it has one.
std::vector<std::string> entity_keys(std::string_view sensor_id,
                                     std::span<const std::string> entity_ids) {
  const std::string prefix = std::string(sensor_id) + "_";
  std::vector<std::string> keys;
  for (const auto& id : entity_ids) {
    keys.push_back(id.size() > prefix.size() && id.compare(0, prefix.size(), prefix) == 0
                       ? id.substr(prefix.size())
                       : id);
  }
  return keys;
}

}  // namespace

std::span<const FilterSpec> SensorFilters::for_entity(std::string_view id) const {
  if (by_entity.empty()) return every_entity;
  for (const auto& [entity, specs] : by_entity) {
    if (entity == id) return specs;
  }
  return {};
}

SensorFilters read_filters(ObjectReader& entry, std::string_view sensor_id,
                           std::span<const std::string> entity_ids) {
  SensorFilters out;
  const Json* value = entry.find("filters");
  if (value == nullptr) return out;
  const Location where = entry.location_of("filters");
  Diagnostics& diagnostics = entry.diagnostics();
  if (value->is_array()) {
    out.every_entity = read_list(*value, where, diagnostics);
    return out;
  }
  if (!value->is_object()) {
    diagnostics.error(where,
                      "expected an array of filters, or an object of arrays of filters keyed by "
                      "entity, found " +
                          describe(*value));
    return out;
  }
  std::size_t index = 0;
  for (const auto& item : value->items()) {
    const Location at = where.key(item.key(), index++);
    std::vector<FilterSpec> specs = read_list(item.value(), at, diagnostics);
    if (entity_ids.empty()) continue;
    const auto entity = entity_of(item.key(), sensor_id, entity_ids);
    if (!entity) {
      const std::vector<std::string> keys = entity_keys(sensor_id, entity_ids);
      std::string message =
          fmt::format("expected an entity of this sensor, one of {} (or its full entity id), "
                      "found {}",
                      quoted_list(keys), quote(item.key()));
      if (auto hint = closest_match(item.key(), keys)) {
        message += fmt::format("; did you mean {}?", quote(*hint, std::string::npos));
      }
      diagnostics.error(at, message);
      continue;
    }
    const auto earlier = std::find_if(out.by_entity.begin(), out.by_entity.end(),
                                      [&](const auto& e) { return e.first == *entity; });
    if (earlier != out.by_entity.end()) {
      diagnostics.error(at, fmt::format("entity \"{}\" already has its filters from an earlier key",
                                        *entity));
      continue;
    }
    out.by_entity.emplace_back(*entity, std::move(specs));
  }
  return out;
}

Json filter_to_json(const FilterSpec& spec) {
  Json argument;
  switch (spec.kind) {
    case FilterKind::offset:
    case FilterKind::multiply: argument = spec.number; break;
    case FilterKind::round:
    case FilterKind::moving_average:
    case FilterKind::median: argument = spec.count; break;
    case FilterKind::delta:
      argument = spec.percent ? Json(fmt::format("{}%", spec.number)) : Json(spec.number);
      break;
    case FilterKind::throttle:
    case FilterKind::heartbeat: argument = format_duration(spec.period); break;
  }
  Json out = Json::object();
  out[std::string(filter_name(spec.kind))] = std::move(argument);
  return out;
}

Json filters_to_json(const SensorFilters& filters) {
  const auto list = [](const std::vector<FilterSpec>& specs) {
    Json out = Json::array();
    for (const FilterSpec& spec : specs) out.push_back(filter_to_json(spec));
    return out;
  };
  if (filters.by_entity.empty()) return list(filters.every_entity);
  Json out = Json::object();
  for (const auto& [entity, specs] : filters.by_entity) out[entity] = list(specs);
  return out;
}

}  // namespace pimqttd::sensors
