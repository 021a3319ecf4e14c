#include "pimqttd/ha/discovery.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace pimqttd::ha {
namespace {

using Json = nlohmann::ordered_json;
using sensors::ControlRange;
using sensors::EntityInfo;
using sensors::Platform;

constexpr int kQos = 1;
constexpr std::string_view kOn = "ON";
constexpr std::string_view kOff = "OFF";
constexpr std::string_view kFanStateTemplate = "{{ value_json.state }}";
constexpr std::string_view kFanPercentageTemplate = "{{ value_json.percentage }}";
constexpr std::string_view kEventTypeTemplate = "{{ value_json.event_type }}";
constexpr std::string_view kPayloadPress = "PRESS";

bool is_node_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

bool is_entity_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

void check_topic_part(std::string_view what, std::string_view part) {
  if (part.empty()) {
    throw std::invalid_argument(std::string(what) + " must not be empty");
  }
  if (part.find_first_of(std::string_view("+#\0", 3)) != std::string_view::npos) {
    throw std::invalid_argument(std::string(what) + " '" + std::string(part) +
                                "' must not contain '+', '#' or NUL");
  }
}

std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const auto part : parts) {
    if (!out.empty()) {
      out += '/';
    }
    out += part;
  }
  return out;
}

// Home Assistant's entity id rules: [a-z0-9_], no leading or trailing '_', no "__".
std::string object_id(std::string_view node, std::string_view entity_id) {
  std::string out;
  bool pending_separator = false;
  const auto add = [&](std::string_view text) {
    for (const char raw : text) {
      char c = raw;
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      }
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        if (pending_separator && !out.empty()) {
          out += '_';
        }
        pending_separator = false;
        out += c;
      } else {
        pending_separator = true;
      }
    }
  };
  add(node);
  pending_separator = true;
  add(entity_id);
  return out;
}

std::int64_t expire_after_seconds(std::chrono::milliseconds interval) {
  const std::int64_t ms = interval.count();
  return (3 * ms + 999) / 1000;
}

Json device_json(const DeviceInfo& device) {
  Json dev = Json::object();
  dev["ids"] = Json::array({"pimqttd_" + device.id});
  dev["name"] = device.name.empty() ? device.id : device.name;
  if (!device.manufacturer.empty()) {
    dev["mf"] = device.manufacturer;
  }
  if (!device.model.empty()) {
    dev["mdl"] = device.model;
  }
  if (!device.sw_version.empty()) {
    dev["sw"] = device.sw_version;
  }
  if (!device.suggested_area.empty()) {
    dev["sa"] = device.suggested_area;
  }
  return dev;
}

Json origin_json(const DeviceInfo& device) {
  Json origin = Json::object();
  origin["name"] = kOriginName;
  if (!device.sw_version.empty()) {
    origin["sw"] = device.sw_version;
  }
  if (!device.support_url.empty()) {
    origin["url"] = device.support_url;
  }
  return origin;
}

// An integral value as a JSON integer (min 0, not 0.0), anything else as a number.
Json json_number(double value) {
  constexpr double kLargestExact = 9007199254740992.0;  // 2^53
  if (value == static_cast<double>(static_cast<std::int64_t>(value)) &&
      value >= -kLargestExact && value <= kLargestExact) {
    return static_cast<std::int64_t>(value);
  }
  return value;
}

// The options of a light with the JSON schema, a fan or a number that come after command_topic.
void add_control(Json& c, const Topics& topics, const EntityInfo& entity) {
  switch (entity.platform) {
    case Platform::light:
      if (entity.control && entity.control->max > 0) {
        c["brightness"] = true;
        c["brightness_scale"] = json_number(entity.control->max);
        c["supported_color_modes"] = Json::array({"brightness"});
      } else {
        c["supported_color_modes"] = Json::array({"onoff"});
      }
      break;
    case Platform::fan:
      c["state_value_template"] = kFanStateTemplate;
      if (entity.control) {
        c["percentage_state_topic"] = topics.state(entity.id);
        c["percentage_value_template"] = kFanPercentageTemplate;
        c["percentage_command_topic"] = topics.command(entity.id);
        c["speed_range_min"] = json_number(entity.control->min);
        c["speed_range_max"] = json_number(entity.control->max);
      }
      break;
    case Platform::number:
      if (entity.control) {
        c["min"] = json_number(entity.control->min);
        c["max"] = json_number(entity.control->max);
        c["step"] = json_number(entity.control->step);
        if (!entity.control->mode.empty()) c["mode"] = entity.control->mode;
      }
      break;
    case Platform::sensor:
    case Platform::binary_sensor:
    case Platform::switch_:
    case Platform::button:
    case Platform::event:
    case Platform::device_trigger:
      break;
  }
}

Json component_json(const Topics& topics, const EntityInfo& entity) {
  const std::string_view platform = platform_name(entity.platform);
  Json c = Json::object();
  c["p"] = platform;
  c["unique_id"] = topics.node() + "_" + entity.id;
  if (const std::string object = object_id(topics.node(), entity.id); !object.empty()) {
    c["default_entity_id"] = std::string(platform) + "." + object;
  }
  c["name"] = entity.name;
  if (entity.platform == Platform::light) {
    c["schema"] = "json";
  }
  if (sensors::keeps_state(entity.platform) || entity.platform == Platform::event) {
    c["state_topic"] = topics.state(entity.id);
  }
  if (entity.platform == Platform::event) {
    c["event_types"] = entity.event_types;
  }
  c["availability"] = Json::array({Json{{"topic", topics.status()}},
                                   Json{{"topic", topics.availability(entity.id)}}});
  c["availability_mode"] = "all";
  if (!entity.device_class.empty()) {
    c["device_class"] = entity.device_class;
  }
  if (!entity.state_class.empty()) {
    c["state_class"] = entity.state_class;
  }
  if (!entity.unit.empty()) {
    c["unit_of_measurement"] = entity.unit;
  }
  if (entity.display_precision && entity.platform == Platform::sensor) {
    c["suggested_display_precision"] = *entity.display_precision;
  }
  if (entity.diagnostic) {
    c["entity_category"] = "diagnostic";
  }
  if (!entity.icon.empty()) {
    c["icon"] = entity.icon;
  }
  const bool reports = entity.platform == Platform::sensor ||
                       entity.platform == Platform::binary_sensor;
  if (entity.interval.count() > 0 && reports) {
    c["expire_after"] = expire_after_seconds(entity.interval);
  }
  if (entity.platform == Platform::binary_sensor || entity.platform == Platform::switch_ ||
      entity.platform == Platform::fan) {
    c["payload_on"] = kOn;
    c["payload_off"] = kOff;
  }
  if (entity.commandable) {
    c["command_topic"] = topics.command(entity.id);
  }
  if (entity.platform == Platform::button) {
    c["payload_press"] = kPayloadPress;
  }
  add_control(c, topics, entity);
  c["qos"] = kQos;
  return c;
}

// The device triggers of an event entity: one component per event type, keyed
// "<entity id>_<event type>".
void add_triggers(Json& components, const Topics& topics, const EntityInfo& entity) {
  if (entity.platform != Platform::event || !entity.device_triggers) return;
  for (const std::string& event_type : entity.event_types) {
    Json t = Json::object();
    t["p"] = platform_name(Platform::device_trigger);
    t["automation_type"] = "trigger";
    t["topic"] = topics.state(entity.id);
    t["type"] = trigger_type(event_type);
    t["subtype"] = entity.name;
    t["payload"] = event_type;
    t["value_template"] = kEventTypeTemplate;
    t["qos"] = kQos;
    components[entity.id + "_" + event_type] = std::move(t);
  }
}

Json components_json(const Topics& topics, const std::vector<EntityInfo>& entities) {
  Json components = Json::object();
  for (const auto& entity : entities) {
    components[entity.id] = component_json(topics, entity);
    add_triggers(components, topics, entity);
  }
  return components;
}

Message config_message(const Topics& topics, const Json& payload) {
  return Message{topics.discovery(),
                 payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), true,
                 kQos};
}

// ---- validation tables: a snapshot of Home Assistant's sensor, binary sensor and switch
// constants (homeassistant/components/{sensor,binary_sensor,switch}/const.py).

enum class UnitRule : std::uint8_t { listed, none, listed_or_none, currency, non_numeric };

struct SensorClass {
  std::string_view name;
  UnitRule rule;
  std::vector<std::string_view> units;
  std::vector<std::string_view> state_classes;
};

const std::vector<std::string_view> kMeasurement = {"measurement"};
const std::vector<std::string_view> kAnyStateClass = {"measurement", "measurement_angle",
                                                      "total", "total_increasing"};
const std::vector<std::string_view> kTotals = {"total", "total_increasing"};

const std::vector<SensorClass>& sensor_classes() {
  static const std::vector<std::string_view> pressure = {
      "mPa", "Pa", "hPa", "kPa", "bar", "cbar", "mbar", "mmHg", "inHg", "inH₂O", "psi"};
  static const std::vector<std::string_view> energy = {
      "J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal", "kcal", "Mcal",
      "Gcal"};
  static const std::vector<std::string_view> speed = {"Beaufort", "ft/s", "in/s", "m/min",
                                                      "m/s",      "km/h", "kn",   "mph",
                                                      "mm/s"};
  static const std::vector<std::string_view> flux = {"in/d", "in/h", "mm/d", "mm/h"};
  static const std::vector<std::string_view> volume = {"ft³", "CCF", "MCF", "m³",
                                                       "L",   "mL",  "gal", "fl. oz."};
  static const std::vector<std::string_view> micrograms = {"μg/m³"};
  static const std::vector<std::string_view> percent = {"%"};
  static const std::vector<SensorClass> table = [&] {
    std::vector<std::string_view> speed_or_flux = speed;
    speed_or_flux.insert(speed_or_flux.end(), flux.begin(), flux.end());
    return std::vector<SensorClass>{
        {"date", UnitRule::non_numeric, {}, {}},
        {"enum", UnitRule::non_numeric, {}, {}},
        {"timestamp", UnitRule::non_numeric, {}, {}},
        {"apparent_power", UnitRule::listed, {"mVA", "VA", "kVA"}, kMeasurement},
        {"aqi", UnitRule::none, {}, kMeasurement},
        {"area",
         UnitRule::listed,
         {"m²", "cm²", "km²", "mm²", "in²", "ft²", "yd²", "mi²", "ac", "ha"},
         kAnyStateClass},
        {"atmospheric_pressure", UnitRule::listed, pressure, kMeasurement},
        {"battery", UnitRule::listed, percent, kMeasurement},
        {"blood_glucose_concentration", UnitRule::listed, {"mg/dL", "mmol/L"}, kMeasurement},
        {"carbon_monoxide", UnitRule::listed, {"ppm"}, kMeasurement},
        {"carbon_dioxide", UnitRule::listed, {"ppm"}, kMeasurement},
        {"conductivity", UnitRule::listed, {"S/cm", "μS/cm", "mS/cm"}, kMeasurement},
        {"current", UnitRule::listed, {"mA", "A"}, kMeasurement},
        {"data_rate",
         UnitRule::listed,
         {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "B/s", "kB/s", "MB/s", "GB/s", "KiB/s", "MiB/s",
          "GiB/s"},
         kMeasurement},
        {"data_size",
         UnitRule::listed,
         {"bit", "kbit", "Mbit", "Gbit", "B",   "kB",  "MB",  "GB",  "TB",  "PB", "EB",
          "ZB",  "YB",   "KiB",  "MiB",  "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"},
         kAnyStateClass},
        {"distance",
         UnitRule::listed,
         {"mm", "cm", "m", "km", "in", "ft", "yd", "mi", "nmi"},
         kAnyStateClass},
        {"duration", UnitRule::listed, {"d", "h", "min", "s", "ms", "μs"}, kAnyStateClass},
        {"energy", UnitRule::listed, energy, kTotals},
        {"energy_distance",
         UnitRule::listed,
         {"kWh/100km", "Wh/km", "mi/kWh", "km/kWh"},
         kMeasurement},
        {"energy_storage", UnitRule::listed, energy, kMeasurement},
        {"frequency", UnitRule::listed, {"Hz", "kHz", "MHz", "GHz"}, kMeasurement},
        {"gas", UnitRule::listed, {"CCF", "ft³", "m³", "L"}, kTotals},
        {"humidity", UnitRule::listed, percent, kMeasurement},
        {"illuminance", UnitRule::listed, {"lx"}, kMeasurement},
        {"irradiance", UnitRule::listed, {"W/m²", "BTU/(h⋅ft²)"}, kMeasurement},
        {"moisture", UnitRule::listed, percent, kMeasurement},
        {"monetary", UnitRule::currency, {}, {"total"}},
        {"nitrogen_dioxide", UnitRule::listed, micrograms, kMeasurement},
        {"nitrogen_monoxide", UnitRule::listed, micrograms, kMeasurement},
        {"nitrous_oxide", UnitRule::listed, micrograms, kMeasurement},
        {"ozone", UnitRule::listed, micrograms, kMeasurement},
        {"ph", UnitRule::none, {}, kMeasurement},
        {"pm1", UnitRule::listed, micrograms, kMeasurement},
        {"pm10", UnitRule::listed, micrograms, kMeasurement},
        {"pm25", UnitRule::listed, micrograms, kMeasurement},
        {"power_factor", UnitRule::listed_or_none, percent, kMeasurement},
        {"power",
         UnitRule::listed,
         {"mW", "W", "kW", "MW", "GW", "TW", "BTU/h"},
         kMeasurement},
        {"precipitation", UnitRule::listed, {"in", "mm", "cm"}, kAnyStateClass},
        {"precipitation_intensity", UnitRule::listed, flux, kMeasurement},
        {"pressure", UnitRule::listed, pressure, kMeasurement},
        {"reactive_power", UnitRule::listed, {"mvar", "var", "kvar"}, kMeasurement},
        {"signal_strength", UnitRule::listed, {"dB", "dBm"}, kMeasurement},
        {"sound_pressure", UnitRule::listed, {"dB", "dBA"}, kMeasurement},
        {"speed", UnitRule::listed, speed_or_flux, kMeasurement},
        {"sulphur_dioxide", UnitRule::listed, micrograms, kMeasurement},
        {"temperature", UnitRule::listed, {"°C", "°F", "K"}, kMeasurement},
        {"volatile_organic_compounds", UnitRule::listed, micrograms, kMeasurement},
        {"volatile_organic_compounds_parts", UnitRule::listed, {"ppb", "ppm"}, kMeasurement},
        {"voltage", UnitRule::listed, {"μV", "mV", "V", "kV", "MV"}, kMeasurement},
        {"volume", UnitRule::listed, volume, kTotals},
        {"volume_storage", UnitRule::listed, volume, kMeasurement},
        {"volume_flow_rate",
         UnitRule::listed,
         {"m³/h", "m³/min", "m³/s", "ft³/min", "L/h", "L/min", "L/s", "gal/h", "gal/min",
          "gal/d", "mL/s"},
         kMeasurement},
        {"water", UnitRule::listed, {"CCF", "ft³", "m³", "gal", "L"}, kTotals},
        {"weight",
         UnitRule::listed,
         {"g", "kg", "mg", "μg", "oz", "lb", "st"},
         {"measurement", "total", "total_increasing"}},
        {"wind_direction", UnitRule::listed, {"°"}, {"measurement_angle"}},
        {"wind_speed", UnitRule::listed, speed, kMeasurement},
    };
  }();
  return table;
}

constexpr std::string_view kBinarySensorClasses[] = {
    "battery", "battery_charging", "carbon_monoxide", "cold",     "connectivity", "door",
    "garage_door", "gas",          "heat",            "light",    "lock",         "moisture",
    "motion",  "moving",           "occupancy",       "opening",  "plug",         "power",
    "presence", "problem",         "running",         "safety",   "smoke",        "sound",
    "tamper",  "update",           "vibration",       "window"};

constexpr std::string_view kSwitchClasses[] = {"outlet", "switch"};

constexpr std::string_view kNumberModes[] = {"auto", "box", "slider"};
constexpr std::string_view kButtonClasses[] = {"identify", "restart", "update"};
constexpr std::string_view kEventClasses[] = {"button", "doorbell", "motion"};
constexpr double kMinNumberStep = 1e-3;
constexpr double kMaxBrightnessScale = 65535;

template <typename Range>
bool contains(const Range& range, std::string_view value) {
  return std::find(std::begin(range), std::end(range), value) != std::end(range);
}

template <typename Range>
std::string list(const Range& range) {
  std::string out;
  for (const auto& item : range) {
    if (!out.empty()) {
      out += ", ";
    }
    out += item;
  }
  return out;
}

// Home Assistant's constants moved from U+00B5 MICRO SIGN to U+03BC GREEK SMALL LETTER MU.
std::string normalize_micro(std::string_view unit) {
  std::string out(unit);
  constexpr std::string_view kMicroSign = "\xC2\xB5";
  constexpr std::string_view kGreekMu = "\xCE\xBC";
  for (auto pos = out.find(kMicroSign); pos != std::string::npos;
       pos = out.find(kMicroSign, pos + kGreekMu.size())) {
    out.replace(pos, kMicroSign.size(), kGreekMu);
  }
  return out;
}

bool is_currency_code(std::string_view unit) {
  return unit.size() == 3 &&
         std::all_of(unit.begin(), unit.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

void validate_sensor(const EntityInfo& e, const std::string& prefix,
                     std::vector<std::string>& problems) {
  if (!e.state_class.empty() && !contains(kAnyStateClass, e.state_class)) {
    problems.push_back(prefix + "unknown state class '" + e.state_class + "' (expected one of " +
                       list(kAnyStateClass) + ")");
  }
  if (e.state_class == "measurement_angle" && e.unit != "°") {
    problems.push_back(prefix + "state class measurement_angle needs the unit '°', got '" +
                       e.unit + "'");
  }
  if (e.device_class.empty()) {
    return;
  }
  const auto& classes = sensor_classes();
  const auto it = std::find_if(classes.begin(), classes.end(), [&](const SensorClass& c) {
    return c.name == e.device_class;
  });
  // A number's device classes are the numeric ones of a sensor.
  const bool number = e.platform == Platform::number;
  if (it == classes.end() || (number && it->rule == UnitRule::non_numeric)) {
    problems.push_back(prefix + "unknown " + std::string(platform_name(e.platform)) +
                       " device class '" + e.device_class + "'");
    return;
  }
  const SensorClass& cls = *it;
  const std::string unit = normalize_micro(e.unit);
  switch (cls.rule) {
    case UnitRule::non_numeric:
      if (!e.unit.empty()) {
        problems.push_back(prefix + "device class " + e.device_class +
                           " is not numeric and takes no unit, got '" + e.unit + "'");
      }
      if (!e.state_class.empty()) {
        problems.push_back(prefix + "device class " + e.device_class +
                           " is not numeric and takes no state class, got '" + e.state_class +
                           "'");
      }
      if (e.display_precision) {
        problems.push_back(prefix + "device class " + e.device_class +
                           " is not numeric and takes no display precision");
      }
      if (e.device_class == "enum") {
        problems.push_back(prefix +
                           "device class enum needs a list of options, which pimqttd does not "
                           "announce");
      }
      return;
    case UnitRule::none:
      if (!e.unit.empty()) {
        problems.push_back(prefix + "device class " + e.device_class + " takes no unit, got '" +
                           e.unit + "'");
      }
      break;
    case UnitRule::listed:
    case UnitRule::listed_or_none:
      if (!(contains(cls.units, unit) || (cls.rule == UnitRule::listed_or_none && unit.empty()))) {
        problems.push_back(prefix + "device class " + e.device_class + " needs a unit among " +
                           list(cls.units) +
                           (cls.rule == UnitRule::listed_or_none ? " (or none)" : "") +
                           ", got '" + e.unit + "'");
      }
      break;
    case UnitRule::currency:
      if (!is_currency_code(e.unit)) {
        problems.push_back(prefix + "device class monetary needs an ISO 4217 currency code, got '" +
                           e.unit + "'");
      }
      break;
  }
  if (!e.state_class.empty() && contains(kAnyStateClass, e.state_class) &&
      !contains(cls.state_classes, e.state_class)) {
    problems.push_back(prefix + "device class " + e.device_class + " allows state classes " +
                       list(cls.state_classes) + ", got '" + e.state_class + "'");
  }
}

void validate_not_numeric(const EntityInfo& e, const std::string& prefix,
                          std::vector<std::string>& problems) {
  const std::string platform(platform_name(e.platform));
  if (!e.unit.empty()) {
    problems.push_back(prefix + "a " + platform + " takes no unit, got '" + e.unit + "'");
  }
  if (!e.state_class.empty()) {
    problems.push_back(prefix + "a " + platform + " takes no state class, got '" +
                       e.state_class + "'");
  }
  if (e.display_precision) {
    problems.push_back(prefix + "a " + platform + " takes no display precision");
  }
}

// What a light, fan or number needs besides being commandable.
void validate_control(const EntityInfo& e, const std::string& prefix,
                      std::vector<std::string>& problems) {
  const std::string platform(platform_name(e.platform));
  if (!e.commandable) {
    problems.push_back(prefix + "a " + platform + " must be commandable");
  }
  if (!e.control) {
    if (e.platform == Platform::number) {
      problems.push_back(prefix + "a number needs its min, max and step");
    }
    return;
  }
  const ControlRange& r = *e.control;
  const auto whole = [](double v) { return v == static_cast<double>(static_cast<std::int64_t>(v)); };
  switch (e.platform) {
    case Platform::light:
      if (!(r.max >= 1 && r.max <= kMaxBrightnessScale && whole(r.max))) {
        problems.push_back(prefix + "the brightness scale must be a whole number from 1 to 65535");
      }
      break;
    case Platform::fan:
      if (!(r.min >= 1 && whole(r.min) && whole(r.max) && r.max > r.min &&
            r.max <= kMaxBrightnessScale)) {
        problems.push_back(prefix +
                           "the speed range must be whole numbers with 1 <= min < max <= 65535");
      }
      break;
    case Platform::number:
      if (!(std::isfinite(r.min) && std::isfinite(r.max) && r.min < r.max)) {
        problems.push_back(prefix + "a number's min must be less than its max");
      }
      if (!(std::isfinite(r.step) && r.step >= kMinNumberStep)) {
        problems.push_back(prefix + "a number's step must be at least 0.001");
      }
      if (!r.mode.empty() && !contains(kNumberModes, r.mode)) {
        problems.push_back(prefix + "unknown number mode '" + r.mode +
                           "' (expected auto, box or slider)");
      }
      break;
    case Platform::sensor:
    case Platform::binary_sensor:
    case Platform::switch_:
    case Platform::button:
    case Platform::event:
    case Platform::device_trigger:
      break;
  }
}

void validate_event(const EntityInfo& e, const std::string& prefix,
                    std::vector<std::string>& problems) {
  if (!e.device_class.empty() && !contains(kEventClasses, e.device_class)) {
    problems.push_back(prefix + "unknown event device class '" + e.device_class +
                       "' (expected button, doorbell or motion)");
  }
  validate_not_numeric(e, prefix, problems);
  if (e.event_types.empty()) {
    problems.push_back(prefix + "an event needs at least one event type");
  }
  for (auto it = e.event_types.begin(); it != e.event_types.end(); ++it) {
    if (it->empty() || !std::all_of(it->begin(), it->end(), is_entity_id_char)) {
      problems.push_back(prefix + "event type '" + *it + "' must be non-empty and only [a-z0-9_]");
    } else if (std::find(e.event_types.begin(), it, *it) != it) {
      problems.push_back(prefix + "event type '" + *it + "' is listed twice");
    }
  }
}

}  // namespace

Topics::Topics(TopicConfig config, std::string node)
    : config_(std::move(config)), node_(std::move(node)) {
  check_topic_part("base topic", config_.base);
  check_topic_part("discovery prefix", config_.discovery_prefix);
  if (node_.empty() || !std::all_of(node_.begin(), node_.end(), is_node_char)) {
    throw std::invalid_argument("node id '" + node_ +
                                "' must be non-empty and only [a-zA-Z0-9_-]");
  }
}

std::string Topics::status() const { return join({config_.base, node_, "status"}); }

std::string Topics::state(std::string_view entity_id) const {
  return join({config_.base, node_, entity_id, "state"});
}

std::string Topics::availability(std::string_view entity_id) const {
  return join({config_.base, node_, entity_id, "availability"});
}

std::string Topics::command(std::string_view entity_id) const {
  return join({config_.base, node_, entity_id, "set"});
}

std::string Topics::discovery() const {
  return join({config_.discovery_prefix, "device", node_, "config"});
}

std::string_view platform_name(Platform platform) {
  switch (platform) {
    case Platform::sensor:
      return "sensor";
    case Platform::binary_sensor:
      return "binary_sensor";
    case Platform::switch_:
      return "switch";
    case Platform::light:
      return "light";
    case Platform::fan:
      return "fan";
    case Platform::number:
      return "number";
    case Platform::button:
      return "button";
    case Platform::event:
      return "event";
    case Platform::device_trigger:
      return "device_automation";
  }
  return "sensor";
}

std::optional<Platform> parse_platform(std::string_view name) {
  for (const Platform p : {Platform::sensor, Platform::binary_sensor, Platform::switch_,
                           Platform::light, Platform::fan, Platform::number, Platform::button,
                           Platform::event, Platform::device_trigger}) {
    if (platform_name(p) == name) {
      return p;
    }
  }
  return std::nullopt;
}

Message discovery_message(const DeviceInfo& device, const Topics& topics,
                          const std::vector<EntityInfo>& entities) {
  Json payload = Json::object();
  payload["dev"] = device_json(device);
  payload["o"] = origin_json(device);
  payload["cmps"] = components_json(topics, entities);
  return config_message(topics, payload);
}

std::vector<std::pair<std::string, Platform>> components(const std::vector<EntityInfo>& entities) {
  std::vector<std::pair<std::string, Platform>> out;
  for (const auto& entity : entities) {
    out.emplace_back(entity.id, entity.platform);
    if (entity.platform != Platform::event || !entity.device_triggers) continue;
    for (const std::string& event_type : entity.event_types) {
      out.emplace_back(entity.id + "_" + event_type, Platform::device_trigger);
    }
  }
  return out;
}

std::string_view trigger_type(std::string_view event_type) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"press", "button_short_press"},        {"double_press", "button_double_press"},
      {"triple_press", "button_triple_press"}, {"long_press", "button_long_press"},
      {"release", "button_long_release"},
  };
  for (const auto& [event, trigger] : kTypes) {
    if (event == event_type) return trigger;
  }
  return event_type;
}

std::string event_payload(std::string_view event_type) {
  Json payload = Json::object();
  payload["event_type"] = event_type;
  return payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Message removal_message(const DeviceInfo& device, const Topics& topics,
                        const std::vector<EntityInfo>& current,
                        const std::vector<std::pair<std::string, Platform>>& removed) {
  const std::vector<std::pair<std::string, Platform>> now = components(current);
  std::vector<std::pair<std::string, Platform>> removals;
  for (const auto& item : removed) {
    if (std::find(now.begin(), now.end(), item) != now.end()) {
      continue;
    }
    if (std::find(removals.begin(), removals.end(), item) == removals.end()) {
      removals.push_back(item);
    }
  }
  Json payload = Json::object();
  payload["dev"] = device_json(device);
  payload["o"] = origin_json(device);
  Json components = components_json(topics, current);
  // A removal replaces a current component of the same id on another platform.
  for (const auto& [id, platform] : removals) {
    components[id] = Json{{"p", platform_name(platform)}};
  }
  payload["cmps"] = std::move(components);
  return config_message(topics, payload);
}

std::vector<std::string> validate_entity(const EntityInfo& e) {
  std::vector<std::string> problems;
  const std::string prefix = (e.id.empty() ? std::string("(no id)") : e.id) + ": ";
  if (e.id.empty() || !std::all_of(e.id.begin(), e.id.end(), is_entity_id_char)) {
    problems.push_back(prefix + "the id must be non-empty and only [a-z0-9_]");
  }
  if (e.name.empty()) {
    problems.push_back(prefix + "the name must not be empty");
  }
  if (!e.icon.empty()) {
    const auto colon = e.icon.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == e.icon.size()) {
      problems.push_back(prefix + "the icon must read 'prefix:name' (e.g. mdi:thermometer), got '" +
                         e.icon + "'");
    }
  }
  if (e.display_precision && *e.display_precision < 0) {
    problems.push_back(prefix + "the display precision must be >= 0");
  }
  if (e.interval.count() < 0) {
    problems.push_back(prefix + "the interval must be >= 0");
  }
  switch (e.platform) {
    case Platform::sensor:
      validate_sensor(e, prefix, problems);
      break;
    case Platform::binary_sensor:
      if (!e.device_class.empty() && !contains(kBinarySensorClasses, e.device_class)) {
        problems.push_back(prefix + "unknown binary_sensor device class '" + e.device_class +
                           "'");
      }
      validate_not_numeric(e, prefix, problems);
      break;
    case Platform::switch_:
      if (!e.device_class.empty() && !contains(kSwitchClasses, e.device_class)) {
        problems.push_back(prefix + "unknown switch device class '" + e.device_class +
                           "' (expected outlet or switch)");
      }
      validate_not_numeric(e, prefix, problems);
      if (!e.commandable) {
        problems.push_back(prefix + "a switch must be commandable");
      }
      break;
    case Platform::light:
    case Platform::fan:
      if (!e.device_class.empty()) {
        problems.push_back(prefix + "a " + std::string(platform_name(e.platform)) +
                           " takes no device class, got '" + e.device_class + "'");
      }
      validate_not_numeric(e, prefix, problems);
      validate_control(e, prefix, problems);
      break;
    case Platform::number:
      if (!e.state_class.empty()) {
        problems.push_back(prefix + "a number takes no state class, got '" + e.state_class + "'");
      }
      if (e.display_precision) {
        problems.push_back(prefix + "a number takes no display precision");
      }
      if (!e.device_class.empty()) {
        EntityInfo without_state_class = e;  // reported above
        without_state_class.state_class.clear();
        validate_sensor(without_state_class, prefix, problems);
      }
      validate_control(e, prefix, problems);
      break;
    case Platform::button:
      if (!e.device_class.empty() && !contains(kButtonClasses, e.device_class)) {
        problems.push_back(prefix + "unknown button device class '" + e.device_class +
                           "' (expected identify, restart or update)");
      }
      validate_not_numeric(e, prefix, problems);
      if (!e.commandable) {
        problems.push_back(prefix + "a button must be commandable");
      }
      break;
    case Platform::event:
      validate_event(e, prefix, problems);
      break;
    case Platform::device_trigger:
      problems.push_back(prefix +
                         "a device trigger is announced for an event entity, never on its own");
      break;
  }
  if (e.platform != Platform::event && (!e.event_types.empty() || e.device_triggers)) {
    problems.push_back(prefix + "only an event has event types and device triggers");
  }
  if (!sensors::keeps_state(e.platform) && e.interval.count() > 0) {
    problems.push_back(prefix + "a " + std::string(platform_name(e.platform)) +
                       " publishes no state and has no interval");
  }
  const bool takes_commands = e.platform == Platform::switch_ || e.platform == Platform::light ||
                              e.platform == Platform::fan || e.platform == Platform::number ||
                              e.platform == Platform::button;
  if (e.commandable && !takes_commands) {
    problems.push_back(prefix + "only a switch, light, fan, number or button accepts commands");
  }
  if (e.control && !takes_commands) {
    problems.push_back(prefix + "only a light, fan or number has a control range");
  }
  if (e.control && e.platform == Platform::switch_) {
    problems.push_back(prefix + "a switch has no control range");
  }
  return problems;
}

}  // namespace pimqttd::ha
