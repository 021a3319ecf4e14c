#pragma once
// The toolkit the configuration parser is built from: strict, typed reads over a parsed JSON
// document that collect every error (not just the first) with the JSON path it is about.
//
// - `Location` names a value: its path for messages (`sensors[2].interval`, the top level is
//   `(top level)`, keys that are not identifiers are quoted: `mqtt["a b"]`) and its position in
//   document order, so that errors found in any order are reported in the order of the file.
// - `Diagnostics` collects errors ("<path>: <message>") and warnings.
// - `ObjectReader` walks one JSON object: every read declares its key as valid, reads it with a
//   type and a range, and records a precise error when the value does not fit ("expected an
//   integer from 1 to 65535, found 70000"). `finish()` then reports every key no read declared,
//   with a did-you-mean when a valid key is close.
//
// Conventions every reader follows:
// - A key whose value is `null` counts as absent (so the output of `--print-config`, which shows
//   unset optional keys as `null`, reads back the same).
// - A read returns std::nullopt when the key is absent or its value is invalid (the error is
//   already recorded); callers apply their default with `value_or` and carry on, so that one run
//   finds every error.
// - Messages say what was expected and what was found. A value read as a secret is never echoed:
//   only its JSON type is named.
//
// Sensor types use this toolkit to read their own keys (see sensor_config.hpp).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace pimqttd::core {

/// Configuration documents keep their keys in document order.
using Json = nlohmann::ordered_json;

/// Where a value sits in the document.
struct Location {
  /// Position that sorts after every child of an object: where a missing key is reported.
  static constexpr std::size_t kEnd = static_cast<std::size_t>(-1);

  /// JSON path without a leading `$`; empty for the top level.
  std::string path;
  /// Child indices from the root (object members and array elements, in document order).
  std::vector<std::size_t> position;

  /// The member `key`, which is child number `index` of this object (kEnd when it is absent).
  [[nodiscard]] Location key(std::string_view key, std::size_t index) const;
  /// The array element `index`.
  [[nodiscard]] Location element(std::size_t index) const;
  /// `path`, or `(top level)` for the root.
  [[nodiscard]] std::string display() const;
};

/// Errors and warnings collected while reading one document.
class Diagnostics {
 public:
  /// Records "<where.display()>: <message>".
  void error(const Location& where, std::string_view message);
  /// Warnings are free text (they may be about the file rather than a key).
  void warning(std::string message);

  [[nodiscard]] bool has_errors() const noexcept { return !errors_.empty(); }
  [[nodiscard]] std::size_t error_count() const noexcept { return errors_.size(); }
  /// Every error, in document order (errors at the same position keep the order they were
  /// recorded in).
  [[nodiscard]] std::vector<std::string> errors() const;
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  struct Entry {
    std::vector<std::size_t> position;
    std::string text;
  };
  std::vector<Entry> errors_;
  std::vector<std::string> warnings_;
};

/// Whether a key must be present.
enum class Presence : std::uint8_t { optional, required };

/// How a string value is checked. The default accepts any non-empty string of at most 65535
/// bytes (the longest MQTT string) without U+0000.
struct StringRule {
  std::size_t min_length = 1;
  std::size_t max_length = 65535;
  /// An extra check on the content; a value it rejects gets "expected <expected>, found ...".
  std::function<bool(std::string_view)> accept;
  /// What to say a value should be, when the length or `accept` rejects it. Empty: a message
  /// derived from the lengths ("a non-empty string", "a string of at most 255 bytes").
  std::string expected;
  /// The value is a secret: error messages name its JSON type only, never its content.
  bool secret = false;

  /// A non-empty string of at most `max` bytes that `check` accepts, described as `what`.
  [[nodiscard]] static StringRule checked(std::size_t max,
                                          std::function<bool(std::string_view)> check,
                                          std::string what) {
    StringRule rule;
    rule.max_length = max;
    rule.accept = std::move(check);
    rule.expected = std::move(what);
    return rule;
  }
};

/// How a duration is checked. Durations are a number of seconds (`30`, `0.5`) or a string with
/// units (`"500ms"`, `"30s"`, `"5m"`, `"1h"`, `"1d"`, or several: `"1m30s"`), with millisecond
/// resolution.
struct DurationRule {
  std::chrono::milliseconds min{0};
  std::chrono::milliseconds max{std::chrono::hours{24}};
  /// Only whole seconds are valid (MQTT's keep-alive).
  bool whole_seconds = false;
};

/// How a number that need not be an integer is checked (a gain, a resistance, a multiplier).
/// Any finite number passes `accept` (all do when it is empty); anything else gets
/// "expected <expected>, found ...".
struct NumberRule {
  std::function<bool(double)> accept;
  std::string expected = "a number";
};

/// Parses the string form of a duration ("1m30s"); nullopt when it is not one (or overflows).
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
/// The shortest string form that parses back to the same value: "1h", "90s", "1500ms", "0s".
[[nodiscard]] std::string format_duration(std::chrono::milliseconds duration);

/// How a found value is shown in messages: `string "1883"`, `number 1.5`, `true`, `null`,
/// `an object`, `an array`. Long strings are cut to 40 bytes with "...".
[[nodiscard]] std::string describe(const Json& value);
/// The same for a secret: `a string`, `a number`, `a boolean`, `null`, `an object`, `an array`.
[[nodiscard]] std::string describe_type(const Json& value);
/// A string as it appears in messages: JSON-quoted, cut to `max_bytes` (on a character
/// boundary) with "..." when longer. Paths are quoted whole (max_bytes = npos).
[[nodiscard]] std::string quote(std::string_view text, std::size_t max_bytes = 40);

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);
/// The candidate closest to `word` (compared case-insensitively) if it is close enough to be a
/// plausible typo: at most 2 edits, at most a third of the longer word's length (at least 1),
/// and fewer edits than the shorter word has characters ("y" is not a typo of "x"). Ties go to
/// the earlier candidate.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       std::span<const std::string> candidates);

// Typed reads of one value, for values that are not object members (array elements). Each
// records an error at `where` and returns nullopt when the value does not fit.
[[nodiscard]] std::optional<std::string> read_string(const Json& value, const Location& where,
                                                     Diagnostics& diagnostics,
                                                     const StringRule& rule = {});
[[nodiscard]] std::optional<bool> read_boolean(const Json& value, const Location& where,
                                               Diagnostics& diagnostics);
[[nodiscard]] std::optional<std::int64_t> read_integer(const Json& value, const Location& where,
                                                       Diagnostics& diagnostics, std::int64_t min,
                                                       std::int64_t max);
[[nodiscard]] std::optional<double> read_number(const Json& value, const Location& where,
                                               Diagnostics& diagnostics,
                                               const NumberRule& rule = {});
[[nodiscard]] std::optional<std::chrono::milliseconds> read_duration(const Json& value,
                                                                     const Location& where,
                                                                     Diagnostics& diagnostics,
                                                                     const DurationRule& rule);
/// One of `choices` (strings); returns its index. A near miss gets a did-you-mean.
[[nodiscard]] std::optional<std::size_t> read_choice(const Json& value, const Location& where,
                                                     Diagnostics& diagnostics,
                                                     std::span<const std::string> choices);

/// A cursor over one JSON object. Not copyable; it refers to the value and the diagnostics,
/// which must outlive it.
class ObjectReader {
 public:
  /// Records "expected an object, found ..." when `value` is not an object; every read then
  /// returns nullopt and finish() reports nothing.
  ObjectReader(const Json& value, Location where, Diagnostics& diagnostics);
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  /// The value is an object.
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] const Location& location() const noexcept { return where_; }
  [[nodiscard]] Diagnostics& diagnostics() const noexcept { return *diagnostics_; }

  /// Declares `key` valid and returns its value; nullptr when absent or null. Records
  /// "required key missing" for an absent required key.
  const Json* find(std::string_view key, Presence presence = Presence::optional);
  /// Declares keys valid without reading them.
  void allow(std::string_view key);
  /// The key is present with a value other than null (does not declare it).
  [[nodiscard]] bool has(std::string_view key) const;
  /// Where `key` is, or where it would be reported when absent (after every present key).
  [[nodiscard]] Location location_of(std::string_view key) const;
  /// Records an error about `key` (present or not).
  void error(std::string_view key, std::string_view message);

  std::optional<std::string> string(std::string_view key, const StringRule& rule = {},
                                    Presence presence = Presence::optional);
  std::optional<bool> boolean(std::string_view key, Presence presence = Presence::optional);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max,
                                      Presence presence = Presence::optional);
  std::optional<double> number(std::string_view key, const NumberRule& rule = {},
                               Presence presence = Presence::optional);
  std::optional<std::chrono::milliseconds> duration(std::string_view key, const DurationRule& rule,
                                                    Presence presence = Presence::optional);
  std::optional<std::size_t> choice(std::string_view key, std::span<const std::string> choices,
                                    Presence presence = Presence::optional);
  /// An array of strings, each checked by `item`. `min_items` is checked too.
  std::optional<std::vector<std::string>> string_list(std::string_view key, const StringRule& item,
                                                      std::size_t min_items = 0,
                                                      Presence presence = Presence::optional);
  /// Runs `read` on the nested object and finishes its reader. Returns whether the key held an
  /// object (an error is recorded when it held something else).
  bool object(std::string_view key, const std::function<void(ObjectReader&)>& read,
              Presence presence = Presence::optional);
  /// Calls `each` with every element of the array and its location. Returns whether the key
  /// held an array.
  bool array(std::string_view key, const std::function<void(const Json&, const Location&)>& each,
             Presence presence = Presence::optional);

  /// Reports every member no read declared: "<path>: unknown key, did you mean 'x'?" (the hint
  /// only when a declared key is close). Call once, after every read.
  void finish();

 private:
  const Json* value_;
  Location where_;
  Diagnostics* diagnostics_;
  bool ok_ = false;
  std::vector<std::string> known_;
};

}  // namespace pimqttd::core
