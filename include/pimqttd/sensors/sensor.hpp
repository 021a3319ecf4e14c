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
  /// What --once shows besides the readings (after stop()); none for most types.
  [[nodiscard]] virtual std::vector<SensorListing> listings() const { return {}; }
};

}  // namespace pimqttd::sensors
