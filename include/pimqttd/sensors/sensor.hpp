#pragma once
// Sensor: one configured device (the system, a BME280, a GPIO line...) and the entities it
// feeds. The daemon starts every sensor with a SensorContext; a sensor polls on its own loop
// timers or reacts to fd events, and hands readings and availability changes to the context.
// It never blocks the loop (slow reads go to the context's Worker) and never touches MQTT:
// the app layer filters readings and the ha layer turns them into messages.
//
// The same interface serves `--once`: the daemon starts every sensor with a context that
// collects the first reading of each entity, then stops them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pimqttd::core {
class EventLoop;
class Worker;
}  // namespace pimqttd::core

namespace pimqttd::sensors {

/// The Home Assistant platform an entity appears as.
/// - button: commandable and stateless (Home Assistant sends "PRESS"; nothing is published);
/// - event: stateless, its readings are event types (text) that happen once: published as they
///   come, never kept for a replay after reconnecting (an automation must not fire twice);
/// - device_trigger: never an entity of a sensor; the ha layer announces one per event type of
///   an event entity that asks for device triggers (EntityInfo::device_triggers), and this value
///   names those components in the set of what was announced.
enum class Platform : std::uint8_t {
  sensor,
  binary_sensor,
  switch_,
  light,
  fan,
  number,
  button,
  event,
  device_trigger,
};

/// Whether the entity's readings are states, kept and published again after a reconnect
/// (false for buttons and events).
[[nodiscard]] constexpr bool keeps_state(Platform platform) noexcept {
  return platform != Platform::button && platform != Platform::event &&
         platform != Platform::device_trigger;
}

/// The values a commandable light, fan or number takes (ha/discovery.hpp announces them):
/// - light (JSON schema, brightness color mode): `max` is the brightness scale, the largest
///   brightness in its commands and states (min and step unused);
/// - fan: min..max is the speed range its percentage commands and states use (step unused);
/// - number: min, max and step of the value, shown as `mode` ("slider", "box", "auto").
struct ControlRange {
  double min = 0;
  double max = 0;
  double step = 0;
  std::string mode;
  friend bool operator==(const ControlRange&, const ControlRange&) = default;
};

/// What Home Assistant needs to know about one entity. Device class, state class and unit are
/// chosen by the driver so that Home Assistant accepts them together.
struct EntityInfo {
  /// Stable id, unique within the device ([a-z0-9_]); from the config's names, never from the
  /// order of the config, so unique ids survive restarts and reorderings.
  std::string id;
  std::string name;  ///< as shown in Home Assistant ("CPU temperature")
  Platform platform = Platform::sensor;
  std::string device_class;  ///< "temperature", "problem", "door"... or empty
  std::string state_class;   ///< "measurement", "total_increasing", "total" or empty
  std::string unit;          ///< "°C", "%", "B/s"... or empty
  /// The decimals the entity's numbers carry: the resolution of the value as the driver
  /// converts it (a chip's LSB, a kernel ABI's unit), capped where that is finer than the
  /// quantity's accuracy can use. Readings are published rounded to it (round_to_decimals, in
  /// the app, after the entity's filters; see app/entity_filters.hpp) and Home Assistant is
  /// told to show as many (suggested_display_precision). Unset: published as they come.
  std::optional<int> display_precision;
  bool diagnostic = false;  ///< entity_category: diagnostic
  std::string icon;         ///< "mdi:..." or empty
  /// How often the entity is published when it polls (0 for event-driven entities). Home
  /// Assistant's expire_after derives from it.
  std::chrono::milliseconds interval{0};
  /// Accepts commands (a switch, light, fan, number or button): the command topic is subscribed and
  /// routed to Sensor::command.
  bool commandable = false;
  /// Set for lights, fans and numbers only.
  std::optional<ControlRange> control;
  /// An event entity's event types ("press", "double_press"...), in the order announced; its
  /// readings are one of them.
  std::vector<std::string> event_types;
  /// An event entity is also announced as one Home Assistant device trigger per event type
  /// (shown on the device page and offered to automations).
  bool device_triggers = false;
  friend bool operator==(const EntityInfo&, const EntityInfo&) = default;
};

/// A reading: a number, an on/off state, or text (a timestamp in ISO 8601 for device class
/// "timestamp", the last error...).
using Value = std::variant<double, bool, std::string>;

/// Formats a value as an MQTT state payload for Home Assistant:
/// - a finite number in its shortest form that reads back as the same double ("21.5",
///   "0.30000000000000004"); integral values carry no ".0" (42.0 -> "42") and -0.0 is "0".
///   Plain decimal notation for magnitudes in [1e-6, 1e21), exponent notation outside it
///   ("1e+21", "1e-07"), the rule JavaScript's Number-to-string uses; both parse as numbers in
///   Home Assistant.
/// - NaN and +/-infinity are not numbers Home Assistant can store: they become "None", the
///   payload Home Assistant's MQTT sensor and binary sensor take as the state "unknown".
/// - booleans "ON"/"OFF" (the default payload_on/payload_off of binary sensors and switches);
/// - text as is.
[[nodiscard]] std::string format_value(const Value& value);

/// `value` rounded to `decimals` (0 to 15) decimals, as readings are published: the nearest
/// multiple of 10^-decimals as std::round(value * 10^decimals) / 10^decimals computes it in
/// doubles, halves away from zero (20.25 -> 20.3, -20.25 -> -20.3), the result the double
/// nearest that decimal, so format_value prints no more than `decimals` decimals. A decimal half
/// that binary cannot hold exactly goes the way the product rounds (2.675 -> 2.68 at 2, 1.005 ->
/// 1). A result of zero is +0 (-0.04 -> 0 at 1 decimal). NaN, infinities and values with no
/// fractional digits to round (|value| * 10^decimals >= 2^52) are returned unchanged.
[[nodiscard]] double round_to_decimals(double value, int decimals) noexcept;

/// The fewest decimals (0 to 15) that keep values `step` apart distinct when rounded: the
/// smallest d with 10^-d <= step, allowing for the binary error of decimal steps (0.0625 -> 2,
/// 0.125 -> 1, 0.004 -> 3, 0.001 -> 3, 1/1.2 -> 1, 4 -> 0). A driver whose resolution is a
/// setting (an ADC's gain, a shunt's LSB) derives its display precision from its step with it.
/// A step that is not a positive finite number gives 0.
[[nodiscard]] int decimals_for_step(double step) noexcept;

/// A command payload as a log line shows it: printable ASCII kept, every other byte '?', cut to
/// 32 bytes with "..." after it.
[[nodiscard]] std::string printable_payload(std::string_view payload);

/// A moment (boot time and the like) as Home Assistant's timestamp:
/// "YYYY-MM-DDTHH:MM:SS+00:00" (UTC); "" when it cannot be written so.
[[nodiscard]] std::string iso8601_utc(std::int64_t unix_seconds);

/// What a running sensor may use. Implemented by the app layer (and by tests).
class SensorContext {
 public:
  virtual ~SensorContext() = default;
  [[nodiscard]] virtual core::EventLoop& loop() = 0;
  [[nodiscard]] virtual core::Worker& worker() = 0;
  /// A new reading for one of the sensor's entities (before filters).
  virtual void publish(std::string_view entity_id, Value value) = 0;
  /// The entity can (not) be read: a failing sensor marks its entities unavailable, logs once,
  /// and retries; when it answers again it marks them available.
  virtual void set_available(std::string_view entity_id, bool available) = 0;
  /// State this sensor saved under `key` in an earlier run (a pulse count, an output's last
  /// state); nullopt when there is none. Keys are the sensor's entity ids.
  [[nodiscard]] virtual std::optional<std::string> restore(std::string_view /*key*/) {
    return std::nullopt;
  }
  /// Keeps `value` for the next run. The app writes it to the state directory atomically, off
  /// the loop; callers rate-limit (an SD card must not wear out), and persist once more from
  /// stop(), which the app writes before it exits.
  virtual void persist(std::string_view /*key*/, std::string /*value*/) {}
};

/// A list a sensor shows in `--once` output besides its readings: what its device offers
/// ("<sensor id>_channels": the channels of an IIO or hwmon device, even those its entry left
/// out).
struct SensorListing {
  std::string key;
  std::vector<std::string> items;
  friend bool operator==(const SensorListing&, const SensorListing&) = default;
};

class Sensor {
 public:
  virtual ~Sensor() = default;
  /// The entities this sensor feeds; fixed for the sensor's lifetime.
  [[nodiscard]] virtual const std::vector<EntityInfo>& entities() const = 0;
  /// Starts polling / watching. Readings go to `context`, which outlives the running sensor.
  virtual void start(SensorContext& context) = 0;
  /// Stops every timer and watch; no callback into the context after this returns.
  virtual void stop() = 0;
  /// A command from Home Assistant for one of its commandable entities.
  virtual void command(std::string_view /*entity_id*/, std::string_view /*payload*/) {}
  /// The wall clock was set (a Pi without a battery-backed clock steps when NTP first syncs):
  /// a running sensor publishes again, computed anew, every value that carries wall-clock time.
  /// Nothing for most types: their timers are monotonic and their values carry no time.
  virtual void wall_clock_stepped() {}
  /// What --once shows besides the readings (after stop()); none for most types.
  [[nodiscard]] virtual std::vector<SensorListing> listings() const { return {}; }
};

}  // namespace pimqttd::sensors
