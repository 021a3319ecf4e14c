#include "pimqttd/core/config_reader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pimqttd::core {
namespace {

using std::chrono::milliseconds;

bool is_identifier(std::string_view key) {
  if (key.empty()) return false;
  const auto alpha = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!alpha(key.front())) return false;
  return std::all_of(key.begin(), key.end(), [&](char c) { return alpha(c) || digit(c); });
}

std::string json_quote(std::string_view text) {
  return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

std::string choices_text(std::span<const std::string> choices) {
  std::string out;
  for (const auto& choice : choices) {
    if (!out.empty()) out += ", ";
    out += json_quote(choice);
  }
  return out;
}

std::string default_expectation(const StringRule& rule) {
  if (!rule.expected.empty()) return rule.expected;
  if (rule.min_length == 0) return fmt::format("a string of at most {} bytes", rule.max_length);
  if (rule.min_length == 1) {
    return rule.max_length >= 65535
               ? std::string("a non-empty string")
               : fmt::format("a non-empty string of at most {} bytes", rule.max_length);
  }
  return fmt::format("a string of {} to {} bytes", rule.min_length, rule.max_length);
}

// Takes "<digits>[.<digits>]" (at most 9 digits each) from the front of text.
bool take_number(std::string_view& text, std::int64_t& whole, std::string_view& fraction) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0 || i > 9) return false;
  whole = 0;
  for (std::size_t k = 0; k < i; ++k) whole = whole * 10 + (text[k] - '0');
  text.remove_prefix(i);
  fraction = {};
  if (!text.empty() && text.front() == '.') {
    text.remove_prefix(1);
    std::size_t j = 0;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j == 0 || j > 9) return false;
    fraction = text.substr(0, j);
    text.remove_prefix(j);
  }
  return true;
}

}  // namespace

Location Location::key(std::string_view key, std::size_t index) const {
  Location out{path, position};
  if (is_identifier(key)) {
    if (!out.path.empty()) out.path += '.';
    out.path += key;
  } else {
    out.path += '[' + json_quote(key) + ']';
  }
  out.position.push_back(index);
  return out;
}

Location Location::element(std::size_t index) const {
  Location out{path, position};
  out.path += fmt::format("[{}]", index);
  out.position.push_back(index);
  return out;
}

std::string Location::display() const { return path.empty() ? "(top level)" : path; }

void Diagnostics::error(const Location& where, std::string_view message) {
  errors_.push_back(Entry{where.position, fmt::format("{}: {}", where.display(), message)});
}

void Diagnostics::warning(std::string message) { warnings_.push_back(std::move(message)); }

std::vector<std::string> Diagnostics::errors() const {
  std::vector<const Entry*> sorted;
  sorted.reserve(errors_.size());
  for (const auto& entry : errors_) sorted.push_back(&entry);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Entry* a, const Entry* b) { return a->position < b->position; });
  std::vector<std::string> out;
  out.reserve(sorted.size());
  for (const auto* entry : sorted) out.push_back(entry->text);
  return out;
}

std::optional<milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  constexpr std::int64_t kLimit = std::int64_t{1} << 56;
  std::int64_t total = 0;
  while (!text.empty()) {
    std::int64_t whole = 0;
    std::string_view fraction;
    if (!take_number(text, whole, fraction)) return std::nullopt;
    std::int64_t unit = 0;
    if (text.starts_with("ms")) {
      unit = 1;
      text.remove_prefix(2);
    } else if (!text.empty()) {
      switch (text.front()) {
        case 's': unit = 1'000; break;
        case 'm': unit = 60'000; break;
        case 'h': unit = 3'600'000; break;
        case 'd': unit = 86'400'000; break;
        default: return std::nullopt;
      }
      text.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    std::int64_t value = whole * unit;
    if (!fraction.empty()) {
      std::int64_t numerator = 0;
      std::int64_t denominator = 1;
      for (const char c : fraction) {
        numerator = numerator * 10 + (c - '0');
        denominator *= 10;
      }
      if ((numerator * unit) % denominator != 0) return std::nullopt;
      value += numerator * unit / denominator;
    }
    total += value;
    if (total > kLimit) return std::nullopt;
  }
  return milliseconds{total};
}

std::string format_duration(milliseconds duration) {
  const auto ms = duration.count();
  if (ms == 0) return "0s";
  if (ms % 86'400'000 == 0) return fmt::format("{}d", ms / 86'400'000);
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms % 1'000 == 0) return fmt::format("{}s", ms / 1'000);
  return fmt::format("{}ms", ms);
}

std::string quote(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return json_quote(text);
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;
  return json_quote(std::string(text.substr(0, cut)) + "...");
}

std::string describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string: return "string " + quote(value.get_ref<const std::string&>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "number " + value.dump();
    case Json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    default: return "null";
  }
}

std::string describe_type(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string: return "a string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "a number";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    default: return "null";
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::size_t> d((n + 1) * (m + 1));
  const auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * (m + 1) + j]; };
  for (std::size_t i = 0; i <= n; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j <= m; ++j) at(0, j) = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(n, m);
}

std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string> candidates) {
  const std::string lowered = lowercase(word);
  std::optional<std::string> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& candidate : candidates) {
    if (candidate == word) continue;
    const std::size_t distance = edit_distance(lowered, lowercase(candidate));
    const std::size_t longer = std::max(word.size(), candidate.size());
    const std::size_t shorter = std::min(word.size(), candidate.size());
    const std::size_t allowed = std::min<std::size_t>(2, std::max<std::size_t>(1, longer / 3));
    if (distance <= allowed && distance < shorter && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::optional<std::string> read_string(const Json& value, const Location& where,
                                       Diagnostics& diagnostics, const StringRule& rule) {
  if (!value.is_string()) {
    diagnostics.error(where, "expected a string, found " +
                                 (rule.secret ? describe_type(value) : describe(value)));
    return std::nullopt;
  }
  const auto& text = value.get_ref<const std::string&>();
  const std::string found = rule.secret ? std::string("a string") : quote(text);
  if (text.find('\0') != std::string::npos) {
    diagnostics.error(where, "expected a string without U+0000 characters, found " + found);
    return std::nullopt;
  }
  if (text.size() < rule.min_length || text.size() > rule.max_length ||
      (rule.accept && !rule.accept(text))) {
    diagnostics.error(where,
                      fmt::format("expected {}, found {}", default_expectation(rule), found));
    return std::nullopt;
  }
  return text;
}

std::optional<bool> read_boolean(const Json& value, const Location& where,
                                 Diagnostics& diagnostics) {
  if (!value.is_boolean()) {
    diagnostics.error(where, "expected true or false, found " + describe(value));
    return std::nullopt;
  }
  return value.get<bool>();
}

std::optional<std::int64_t> read_integer(const Json& value, const Location& where,
                                         Diagnostics& diagnostics, std::int64_t min,
                                         std::int64_t max) {
  if (!value.is_number_integer()) {
    diagnostics.error(where, "expected an integer, found " + describe(value));
    return std::nullopt;
  }
  bool in_range = false;
  std::int64_t number = 0;
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    in_range = u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) &&
               static_cast<std::int64_t>(u) >= min && static_cast<std::int64_t>(u) <= max;
    number = in_range ? static_cast<std::int64_t>(u) : 0;
  } else {
    number = value.get<std::int64_t>();
    in_range = number >= min && number <= max;
  }
  if (!in_range) {
    diagnostics.error(
        where, fmt::format("expected an integer from {} to {}, found {}", min, max, value.dump()));
    return std::nullopt;
  }
  return number;
}

std::optional<double> read_number(const Json& value, const Location& where,
                                  Diagnostics& diagnostics, const NumberRule& rule) {
  if (value.is_number()) {
    const auto number = value.get<double>();
    if (std::isfinite(number) && (!rule.accept || rule.accept(number))) return number;
  }
  diagnostics.error(where, fmt::format("expected {}, found {}", rule.expected, describe(value)));
  return std::nullopt;
}

std::optional<milliseconds> read_duration(const Json& value, const Location& where,
                                          Diagnostics& diagnostics, const DurationRule& rule) {
  std::optional<milliseconds> parsed;
  std::string found;
  bool negative = false;
  if (value.is_number_integer()) {
    found = value.dump();
    if (value.is_number_unsigned()) {
      const auto u = value.get<std::uint64_t>();
      parsed = u <= 1'000'000'000'000ULL ? milliseconds{static_cast<std::int64_t>(u) * 1000}
                                         : milliseconds::max();
    } else {
      negative = true;
    }
  } else if (value.is_number_float()) {
    found = value.dump();
    const double seconds = value.get<double>();
    if (seconds < 0) {
      negative = true;
    } else if (seconds > 1e12) {
      parsed = milliseconds::max();
    } else {
      const double ms = seconds * 1000.0;
      const double rounded = std::round(ms);
      if (std::abs(ms - rounded) <= 1e-6) parsed = milliseconds{static_cast<std::int64_t>(rounded)};
    }
  } else if (value.is_string()) {
    found = quote(value.get_ref<const std::string&>());
    parsed = parse_duration(value.get_ref<const std::string&>());
  } else {
    found = describe(value);
  }
  const std::string range =
      fmt::format("{}from {} to {}", rule.whole_seconds ? "in whole seconds " : "",
                  format_duration(rule.min), format_duration(rule.max));
  if (negative) {
    diagnostics.error(where, fmt::format("expected a duration {}, found {}", range, found));
    return std::nullopt;
  }
  if (!parsed) {
    diagnostics.error(where,
                      "expected a duration (seconds, or a string such as \"500ms\", "
                      "\"30s\", \"5m\", \"1h\"), found " +
                          describe(value));
    return std::nullopt;
  }
  if (*parsed < rule.min || *parsed > rule.max ||
      (rule.whole_seconds && parsed->count() % 1000 != 0)) {
    diagnostics.error(where, fmt::format("expected a duration {}, found {}", range, found));
    return std::nullopt;
  }
  return parsed;
}

std::optional<std::size_t> read_choice(const Json& value, const Location& where,
                                       Diagnostics& diagnostics,
                                       std::span<const std::string> choices) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    const auto it = std::find(choices.begin(), choices.end(), text);
    if (it != choices.end()) return static_cast<std::size_t>(it - choices.begin());
  }
  std::string message =
      fmt::format("expected one of {}, found {}", choices_text(choices),
                  value.is_string() ? quote(value.get_ref<const std::string&>()) : describe(value));
  if (value.is_string()) {
    if (auto hint = closest_match(value.get_ref<const std::string&>(), choices)) {
      message += fmt::format("; did you mean {}?", json_quote(*hint));
    }
  }
  diagnostics.error(where, message);
  return std::nullopt;
}

ObjectReader::ObjectReader(const Json& value, Location where, Diagnostics& diagnostics)
    : value_(&value), where_(std::move(where)), diagnostics_(&diagnostics), ok_(value.is_object()) {
  if (!ok_) diagnostics_->error(where_, "expected an object, found " + describe(value));
}

const Json* ObjectReader::find(std::string_view key, Presence presence) {
  allow(key);
  if (!ok_) return nullptr;
  const auto it = value_->find(key);
  if (it == value_->end()) {
    if (presence == Presence::required) error(key, "required key missing");
    return nullptr;
  }
  if (it->is_null()) {
    if (presence == Presence::required) error(key, "expected a value, found null");
    return nullptr;
  }
  return &*it;
}

void ObjectReader::allow(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
}

bool ObjectReader::has(std::string_view key) const {
  if (!ok_) return false;
  const auto it = value_->find(key);
  return it != value_->end() && !it->is_null();
}

Location ObjectReader::location_of(std::string_view key) const {
  if (ok_) {
    std::size_t index = 0;
    for (const auto& item : value_->items()) {
      if (item.key() == key) return where_.key(key, index);
      ++index;
    }
  }
  return where_.key(key, Location::kEnd);
}

void ObjectReader::error(std::string_view key, std::string_view message) {
  diagnostics_->error(location_of(key), message);
}

std::optional<std::string> ObjectReader::string(std::string_view key, const StringRule& rule,
                                                Presence presence) {
  const Json* value = find(key, presence);
  if (value == nullptr) return std::nullopt;
  return read_string(*value, location_of(key), *diagnostics_, rule);
}

std::optional<bool> ObjectReader::boolean(std::string_view key, Presence presence) {
  const Json* value = find(key, presence);
  if (value == nullptr) return std::nullopt;
  return read_boolean(*value, location_of(key), *diagnostics_);
}

std::optional<std::int64_t> ObjectReader::integer(std::string_view key, std::int64_t min,
                                                  std::int64_t max, Presence presence) {
  const Json* value = find(key, presence);
  if (value == nullptr) return std::nullopt;
  return read_integer(*value, location_of(key), *diagnostics_, min, max);
}

std::optional<double> ObjectReader::number(std::string_view key, const NumberRule& rule,
                                           Presence presence) {
  const Json* value = find(key, presence);
  if (value == nullptr) return std::nullopt;
  return read_number(*value, location_of(key), *diagnostics_, rule);
}

std::optional<milliseconds> ObjectReader::duration(std::string_view key, const DurationRule& rule,
                                                   Presence presence) {
  const Json* value = find(key, presence);
  if (value == nullptr) return std::nullopt;
  return read_duration(*value, location_of(key), *diagnostics_, rule);
}

std::optional<std::size_t> ObjectReader::choice(std::string_view key,
                                                std::span<const std::string> choices,
                                                Presence presence) {
  const Json* value = find(key, presence);
  if (value == nullptr) return std::nullopt;
  return read_choice(*value, location_of(key), *diagnostics_, choices);
}

std::optional<std::vector<std::string>> ObjectReader::string_list(std::string_view key,
                                                                  const StringRule& item,
                                                                  std::size_t min_items,
                                                                  Presence presence) {
  const Json* value = find(key, presence);
  if (value == nullptr) return std::nullopt;
  const Location where = location_of(key);
  if (!value->is_array()) {
    diagnostics_->error(where, "expected an array of strings, found " + describe(*value));
    return std::nullopt;
  }
  if (value->size() < min_items) {
    diagnostics_->error(where, min_items == 1 ? std::string("expected a non-empty array, found []")
                                              : fmt::format("expected at least {} items, found {}",
                                                            min_items, value->size()));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool good = true;
  for (std::size_t i = 0; i < value->size(); ++i) {
    if (auto text = read_string((*value)[i], where.element(i), *diagnostics_, item)) {
      out.push_back(std::move(*text));
    } else {
      good = false;
    }
  }
  if (!good) return std::nullopt;
  return out;
}

bool ObjectReader::object(std::string_view key, const std::function<void(ObjectReader&)>& read,
                          Presence presence) {
  const Json* value = find(key, presence);
  if (value == nullptr) return false;
  ObjectReader nested(*value, location_of(key), *diagnostics_);
  if (!nested.ok()) return false;
  read(nested);
  nested.finish();
  return true;
}

bool ObjectReader::array(std::string_view key,
                         const std::function<void(const Json&, const Location&)>& each,
                         Presence presence) {
  const Json* value = find(key, presence);
  if (value == nullptr) return false;
  const Location where = location_of(key);
  if (!value->is_array()) {
    diagnostics_->error(where, "expected an array, found " + describe(*value));
    return false;
  }
  for (std::size_t i = 0; i < value->size(); ++i) each((*value)[i], where.element(i));
  return true;
}

void ObjectReader::finish() {
  if (!ok_) return;
  std::size_t index = 0;
  for (const auto& item : value_->items()) {
    const std::string& key = item.key();
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
      std::string message = "unknown key";
      if (auto hint = closest_match(key, known_))
        message += fmt::format(", did you mean '{}'?", *hint);
      diagnostics_->error(where_.key(key, index), message);
    }
    ++index;
  }
}

}  // namespace pimqttd::core
