#pragma once
// Home Assistant's MQTT conventions and nothing else: topic names, the device-based discovery
// payload, availability, and the messages to (re)publish. Pure functions: it produces
// (topic, payload, retain, qos) and never touches a socket.
//
// Topics (node = the device id):
//   <base>/<node>/status                 availability: "online" / "offline" (the will), retained
//   <base>/<node>/<entity>/state         state, not retained (re-published on reconnect/HA birth)
//   <base>/<node>/<entity>/availability  per-entity availability ("online"/"offline"), retained
//   <base>/<node>/<entity>/set           command topic (commandable entities)
//   <discovery_prefix>/device/<node>/config   device-based discovery: dev + o + cmps, retained
//
// Every component's availability is the device status topic AND its own entity availability
// topic with availability_mode "all": an entity is available only once "online" was received
// on both. The app therefore publishes "online" (retained) on an entity's availability topic
// when the entity can be read, and "offline" when its sensor fails; until then Home Assistant
// shows the entity unavailable. Payloads are Home Assistant's defaults ("online"/"offline",
// and "ON"/"OFF" for binary sensors and switches, which match sensors::format_value).
//
// Keys: the envelope uses the abbreviations of Home Assistant's device-discovery documentation
// (`dev` with `ids`/`name`/`mf`/`mdl`/`sw`/`sa`, `o` with `name`/`sw`/`url`, `cmps`, `p`);
// every option inside a component is spelled in full (`unique_id`, `state_topic`...), as in
// that documentation's examples.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::ha {

/// The origin name announced in `o`.
inline constexpr std::string_view kOriginName = "pimqttd";

struct DeviceInfo {
  std::string id;    ///< node id: [a-zA-Z0-9_-]
  std::string name;  ///< shown in Home Assistant; the id when empty
  std::string manufacturer;  ///< "Raspberry Pi Ltd" on a Pi, else from DMI or "pimqttd"
  std::string model;         ///< the board model from the device tree on a Pi
  std::string sw_version;    ///< pimqttd's version (device `sw` and origin `sw`)
  std::string suggested_area;  ///< empty when not configured
  std::string support_url;     ///< origin `url` (http/https); omitted when empty
};

struct TopicConfig {
  std::string base = "pimqttd";
  std::string discovery_prefix = "homeassistant";
};

struct Message {
  std::string topic;
  std::string payload;
  bool retain = false;
  int qos = 1;
  friend bool operator==(const Message&, const Message&) = default;
};

class Topics {
 public:
  /// Throws std::invalid_argument when `node` is empty or not [a-zA-Z0-9_-] (Home Assistant
  /// ignores discovery topics with other characters), or when base or discovery prefix is empty
  /// or holds a wildcard ('+', '#') or NUL.
  Topics(TopicConfig config, std::string node);
  [[nodiscard]] const std::string& node() const { return node_; }
  [[nodiscard]] std::string status() const;
  [[nodiscard]] std::string state(std::string_view entity_id) const;
  [[nodiscard]] std::string availability(std::string_view entity_id) const;
  [[nodiscard]] std::string command(std::string_view entity_id) const;
  [[nodiscard]] std::string discovery() const;

 private:
  TopicConfig config_;
  std::string node_;
};

/// "sensor", "binary_sensor", "switch", "light", "fan", "number", "button", "event",
/// "device_automation" (device triggers): the platform key `p`, and the domain of entity ids.
[[nodiscard]] std::string_view platform_name(sensors::Platform platform);
/// The inverse of platform_name (for the announced set kept in the state directory).
[[nodiscard]] std::optional<sensors::Platform> parse_platform(std::string_view name);

/// The retained device-based discovery message for `entities` (QoS 1):
/// - `dev`: ids ["pimqttd_<node>"], name, mf, mdl, sw, sa (empty fields omitted);
/// - `o`: name "pimqttd", sw, url (omitted when empty);
/// - `cmps`, keyed by entity id, one component per entity: p, unique_id = "<node>_<entity id>",
///   default_entity_id = "<platform>.<object id>" where the object id is "<node>_<entity id>"
///   lowered, every run of characters outside [a-z0-9] made one '_', and '_' trimmed at both
///   ends (Home Assistant validates it as an entity id; it replaced `object_id`, which Home
///   Assistant stops accepting in 2026.4), name, state_topic, availability (see above),
///   availability_mode "all", device_class, state_class, unit_of_measurement,
///   suggested_display_precision (sensors only), entity_category "diagnostic",
///   icon, event_types (events), expire_after = 3 x interval in whole seconds rounded up (sensors and binary sensors
///   with a non-zero interval; the app must then publish the entity at least once per
///   interval, whatever its filters), payload_on/payload_off "ON"/"OFF" (binary sensors,
///   switches and fans), command_topic (commandable entities), then what the platform needs
///   (below), qos 1. Empty or unset fields are omitted.
/// - light: Home Assistant's JSON schema (`schema` "json", right after the name). Commands on
///   the command topic are JSON objects such as {"state":"ON","brightness":128,"transition":2}
///   (transition in seconds; the JSON schema always offers transitions); the state topic carries
///   {"brightness":128,"state":"ON"}. With a control range: brightness true, brightness_scale =
///   its max, supported_color_modes ["brightness"]; without: supported_color_modes ["onoff"].
/// - fan: the state topic carries {"percentage":40,"state":"ON"}, read with
///   state_value_template "{{ value_json.state }}"; with a control range also
///   percentage_state_topic (the same topic) with percentage_value_template
///   "{{ value_json.percentage }}", percentage_command_topic = the command topic (so commands
///   are "ON", "OFF" or a number in the speed range), speed_range_min and speed_range_max.
/// - number: min, max, step, mode (when set); the state and commands are the number itself.
/// - button: no state_topic; command_topic and payload_press "PRESS".
/// - event: state_topic carrying event_payload() of one of its event_types, and event_types.
///   With device_triggers, the event also adds one component per event type, keyed
///   "<entity id>_<event type>": p "device_automation", automation_type "trigger", topic = the
///   event's state topic, type = trigger_type(event type), subtype = the entity's name,
///   payload = the event type, value_template "{{ value_json.event_type }}", qos 1 (no
///   availability: Home Assistant's device triggers have none).
/// Integral numbers are written as JSON integers (1, not 1.0).
/// The payload is compact JSON in UTF-8 (invalid UTF-8 in names is replaced, never thrown).
[[nodiscard]] Message discovery_message(const DeviceInfo& device, const Topics& topics,
                                        const std::vector<sensors::EntityInfo>& entities);

/// Every component discovery_message announces for `entities`, as (key, platform): each
/// entity, and after an event with device triggers one (key, device_trigger) per event type.
/// The Announcer keeps this set to remove what a later configuration no longer has.
[[nodiscard]] std::vector<std::pair<std::string, sensors::Platform>> components(
    const std::vector<sensors::EntityInfo>& entities);

/// Home Assistant's device trigger type for an event type: press -> button_short_press,
/// double_press -> button_double_press, triple_press -> button_triple_press, long_press ->
/// button_long_press, release -> button_long_release; any other event type as it is (Home
/// Assistant then shows "<subtype> <type>").
[[nodiscard]] std::string_view trigger_type(std::string_view event_type);

/// An event entity's state payload: {"event_type":"<event type>"} (compact JSON).
[[nodiscard]] std::string event_payload(std::string_view event_type);

/// The message that removes entities Home Assistant knew but the config no longer has, sent on
/// the discovery topic (retained, QoS 1) before discovery_message: `current` as in
/// discovery_message plus every removed (entity id, platform) as a component reduced to
/// {"p": <platform>}, Home Assistant's removal of one component of a device. Home Assistant
/// does not remove a component merely omitted from an update. Then publish discovery_message,
/// so that the retained config is the current one (as Home Assistant's documentation asks);
/// if the daemon dies in between, the retained removal message still sets up `current`.
/// A removed pair that is among components(current) is not a removal and is skipped; an id in
/// `current` under another platform is left out of this message (the key cannot hold both) and
/// set up by the discovery message that follows.
[[nodiscard]] Message removal_message(
    const DeviceInfo& device, const Topics& topics,
    const std::vector<sensors::EntityInfo>& current,
    const std::vector<std::pair<std::string, sensors::Platform>>& removed);

/// Checks an entity against what Home Assistant accepts, from its sensor, binary sensor and
/// switch constants (device classes, the units each sensor device class allows, the state
/// classes each allows) and its MQTT schemas. Returns one line per problem, each starting with
/// the entity id; empty when the entity is valid. Rules:
/// - id non-empty and [a-z0-9_]; name non-empty; icon "prefix:name" when set;
/// - sensor: a known sensor device class; state class among measurement, measurement_angle,
///   total, total_increasing, and one the device class allows; the unit one the device class
///   allows (none for aqi and ph; an ISO 4217 code for monetary); date, enum and timestamp
///   take no unit, state class or display precision (enum also needs options, which pimqttd
///   does not describe, so it is rejected); measurement_angle needs the unit "°";
/// - binary_sensor: a known binary sensor device class, no unit, state class or precision;
/// - switch: device class outlet or switch, no unit, state class or precision, commandable;
/// - light and fan: no device class, unit, state class or precision, commandable; a light's
///   brightness scale (control max) a whole number from 1 to 65535; a fan's speed range whole
///   numbers with 1 <= min < max <= 65535;
/// - number: commandable, a control range with min < max and step >= 0.001 (Home Assistant's
///   MQTT number schema), mode auto, box or slider when set; no state class or precision; a
///   device class among the numeric sensor device classes (Home Assistant's number device
///   classes mirror them), with the units the sensor table allows; without one any unit;
/// - button: device class identify, restart or update; no unit, state class or precision;
///   commandable;
/// - event: device class button, doorbell or motion; no unit, state class or precision; at
///   least one event type, each [a-z0-9_] and listed once; only events have event types or
///   device triggers; device_trigger is never valid as an entity;
/// - buttons and events have no interval;
/// - only switches, lights, fans, numbers and buttons are commandable, only lights, fans and numbers
///   have a control range; display precision >= 0; interval >= 0.
/// The tables are a snapshot of Home Assistant 2025 (micro units accepted with either 'µ'
/// U+00B5 or 'μ' U+03BC); newer device classes are reported as unknown.
[[nodiscard]] std::vector<std::string> validate_entity(const sensors::EntityInfo& entity);

}  // namespace pimqttd::ha
