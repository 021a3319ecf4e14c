#include "sensors/gpio/gpio_config.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sensors/gpio/gpio_button.hpp"
#include "sensors/gpio/gpio_counter.hpp"
#include "sensors/gpio/gpio_input.hpp"

namespace pimqttd::sensors {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kMaxOffset = 65535;
constexpr std::int64_t kMaxChipNumber = 65535;
constexpr double kMaxMultiplier = 1e9;

const std::vector<std::string> kBiasChoices = {"pull_up", "pull_down", "disabled"};
const std::vector<std::string> kEdgeChoices = {"rising", "falling"};
const std::vector<std::string> kRateChoices = {"minute", "hour"};
const std::vector<std::string> kInitialChoices = {"off", "on", "restore"};
const std::vector<std::string> kPressEvents = {"press", "double_press", "triple_press",
                                               "long_press", "release"};

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

StringRule line_name_rule() {
  // The kernel's line names are at most 31 bytes: a longer one cannot match.
  StringRule rule;
  rule.max_length = 31;
  return rule;
}

StringRule chip_rule() {
  StringRule rule;
  rule.max_length = 4096;
  return rule;
}

StringRule text_rule(std::size_t max) {
  StringRule rule;
  rule.max_length = max;
  return rule;
}

// "chip" and "line".
hw::GpioLineSpec read_line(ObjectReader& r) {
  hw::GpioLineSpec spec;
  bool by_offset = false;
  if (const Json* line = r.find("line", Presence::required)) {
    const Location where = r.location_of("line");
    if (line->is_number_integer()) {
      by_offset = true;
      if (const auto offset = read_integer(*line, where, r.diagnostics(), 0, kMaxOffset)) {
        spec.line = static_cast<std::uint32_t>(*offset);
      }
    } else if (line->is_string()) {
      if (auto name = read_string(*line, where, r.diagnostics(), line_name_rule())) {
        spec.line = std::move(*name);
      }
    } else {
      r.error("line",
              "expected a line offset (an integer from 0 to 65535) or a line name (a string such "
              "as \"GPIO17\"), found " +
                  describe(*line));
    }
  }
  if (const Json* chip = r.find("chip")) {
    const Location where = r.location_of("chip");
    if (chip->is_number_integer()) {
      if (const auto number = read_integer(*chip, where, r.diagnostics(), 0, kMaxChipNumber)) {
        spec.chip = std::to_string(*number);
      }
    } else if (chip->is_string()) {
      spec.chip = read_string(*chip, where, r.diagnostics(), chip_rule()).value_or("");
    } else {
      r.error("chip",
              "expected a chip name, label or path (a string such as \"gpiochip0\") or a chip "
              "number, found " +
                  describe(*chip));
    }
  } else if (by_offset) {
    r.error("chip", "required key missing (a line given by its offset needs its chip)");
  }
  return spec;
}

void line_to_json(Json& object, const hw::GpioLineSpec& spec, bool active_low) {
  if (spec.chip.empty()) {
    object["chip"] = nullptr;
  } else if (all_digits(spec.chip)) {
    object["chip"] = std::stoll(spec.chip);
  } else {
    object["chip"] = spec.chip;
  }
  if (const auto* offset = std::get_if<std::uint32_t>(&spec.line)) {
    object["line"] = *offset;
  } else {
    object["line"] = std::get<std::string>(spec.line);
  }
  object["active_low"] = active_low;
}

hw::GpioBias read_bias(ObjectReader& r) {
  const auto bias = r.choice("bias", kBiasChoices);
  if (!bias) return hw::GpioBias::as_is;
  constexpr std::array<hw::GpioBias, 3> kBiases = {hw::GpioBias::pull_up, hw::GpioBias::pull_down,
                                                   hw::GpioBias::disabled};
  return kBiases.at(*bias);
}

Json bias_json(hw::GpioBias bias) {
  switch (bias) {
    case hw::GpioBias::as_is: return nullptr;
    case hw::GpioBias::pull_up: return "pull_up";
    case hw::GpioBias::pull_down: return "pull_down";
    case hw::GpioBias::disabled: return "disabled";
  }
  return nullptr;
}

std::string read_device_class(ObjectReader& r, const SensorParseContext& context,
                              Platform platform, std::string_view expected) {
  auto device_class = r.string("device_class", text_rule(64));
  if (!device_class) return {};
  EntityInfo entity;
  entity.platform = platform;
  entity.device_class = *device_class;
  entity.commandable = platform == Platform::switch_;
  if (platform == Platform::event) entity.event_types = {"press"};
  if (!context.problems_of(entity).empty()) {
    r.error("device_class", fmt::format("expected {}, found {}", expected, quote(*device_class)));
    return {};
  }
  return *device_class;
}

Json optional_text(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

std::shared_ptr<hw::GpioLines> real_lines() { return hw::configured_gpio_lines(); }

// ---- gpio_input --------------------------------------------------------------------------------

std::shared_ptr<const SensorSettings> parse_input(ObjectReader& r,
                                                  const SensorParseContext& context) {
  auto settings = std::make_shared<GpioInputSettings>();
  GpioInputOptions& o = settings->options;
  o.line = read_line(r);
  o.active_low = r.boolean("active_low").value_or(o.active_low);
  o.bias = read_bias(r);
  o.debounce = r.duration("debounce", DurationRule{milliseconds{0}, std::chrono::minutes{1}, false})
                   .value_or(o.debounce);
  o.device_class = read_device_class(
      r, context, Platform::binary_sensor,
      "a Home Assistant binary_sensor device class (such as \"door\", \"window\", \"motion\", "
      "\"moisture\")");
  return settings;
}

std::unique_ptr<Sensor> make_input(const SensorConfig& config) {
  return std::make_unique<GpioInput>(
      options_for(config.settings_of<GpioInputSettings>().options, config), real_lines());
}

// ---- gpio_button -------------------------------------------------------------------------------

PressEventsEnabled read_press_events(ObjectReader& r) {
  PressEventsEnabled enabled;
  const Json* list = r.find("events");
  if (list == nullptr) return enabled;
  const Location where = r.location_of("events");
  if (!list->is_array() || list->empty()) {
    r.error("events",
            "expected a non-empty array of event types among \"press\", \"double_press\", "
            "\"triple_press\", \"long_press\", \"release\", found " +
                (list->is_array() ? std::string("an empty array") : describe(*list)));
    return enabled;
  }
  enabled = PressEventsEnabled{false, false, false, false, false};
  bool* const flags[] = {&enabled.press, &enabled.double_press, &enabled.triple_press,
                         &enabled.long_press, &enabled.release};
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    const Location at = where.element(i);
    const auto found = item.is_string()
                           ? std::find(kPressEvents.begin(), kPressEvents.end(),
                                       item.get<std::string>())
                           : kPressEvents.end();
    if (found == kPressEvents.end()) {
      r.diagnostics().error(at, "expected one of \"press\", \"double_press\", \"triple_press\", "
                                "\"long_press\", \"release\", found " +
                                    (item.is_string() ? quote(item.get<std::string>())
                                                      : describe(item)));
      continue;
    }
    bool& flag = *flags[found - kPressEvents.begin()];
    if (flag) r.diagnostics().error(at, "listed twice: " + quote(item.get<std::string>()));
    flag = true;
  }
  if (enabled.release && !enabled.long_press) {
    r.error("events", "\"release\" ends a long press: it needs \"long_press\" too");
  }
  return enabled;
}

std::shared_ptr<const SensorSettings> parse_button(ObjectReader& r,
                                                   const SensorParseContext& context) {
  auto settings = std::make_shared<GpioButtonSettings>();
  GpioButtonOptions& o = settings->options;
  o.line = read_line(r);
  o.active_low = r.boolean("active_low").value_or(o.active_low);
  o.bias = read_bias(r);
  o.debounce =
      r.duration("debounce", DurationRule{milliseconds{0}, std::chrono::seconds{1}, false})
          .value_or(o.debounce);
  o.presses.multi_press_gap =
      r.duration("multi_press_gap", DurationRule{milliseconds{50}, std::chrono::seconds{5}})
          .value_or(o.presses.multi_press_gap);
  o.presses.long_press =
      r.duration("long_press", DurationRule{milliseconds{100}, std::chrono::seconds{60}})
          .value_or(o.presses.long_press);
  o.presses.enabled = read_press_events(r);
  if (r.has("device_class")) {
    o.device_class = read_device_class(
        r, context, Platform::event,
        "a Home Assistant event device class (\"button\", \"doorbell\" or \"motion\")");
  }
  o.device_triggers = r.boolean("device_triggers").value_or(o.device_triggers);
  o.held_sensor = r.boolean("held_sensor").value_or(o.held_sensor);
  return settings;
}

std::unique_ptr<Sensor> make_button(const SensorConfig& config) {
  return std::make_unique<GpioButton>(
      options_for(config.settings_of<GpioButtonSettings>().options, config), real_lines());
}

// ---- gpio_counter ------------------------------------------------------------------------------

GpioCounterSettings::RateEntity decide_rate_entity(const GpioCounterOptions& o,
                                                   GpioRate rate,
                                                   const SensorParseContext& context) {
  const bool hourly = rate == GpioRate::hour;
  if (o.device_class == "energy" && hourly) {
    // Energy per hour is power: kWh/h = kW.
    static const std::array<std::pair<std::string_view, std::string_view>, 4> kPower = {
        {{"Wh", "W"}, {"kWh", "kW"}, {"MWh", "MW"}, {"GWh", "GW"}}};
    for (const auto& [energy, power] : kPower) {
      if (o.unit == energy) return {std::string(power), "power"};
    }
  }
  GpioCounterSettings::RateEntity out;
  out.unit = (o.unit.empty() ? std::string("pulses") : o.unit) + (hourly ? "/h" : "/min");
  EntityInfo flow;
  flow.platform = Platform::sensor;
  flow.device_class = "volume_flow_rate";
  flow.state_class = "measurement";
  flow.unit = out.unit;
  if (context.problems_of(flow).empty()) out.device_class = "volume_flow_rate";
  return out;
}

std::shared_ptr<const SensorSettings> parse_counter(ObjectReader& r,
                                                    const SensorParseContext& context) {
  auto settings = std::make_shared<GpioCounterSettings>();
  GpioCounterOptions& o = settings->options;
  o.line = read_line(r);
  o.active_low = r.boolean("active_low").value_or(o.active_low);
  o.bias = read_bias(r);
  if (const auto edge = r.choice("edge", kEdgeChoices)) {
    o.edge = *edge == 0 ? hw::GpioEdge::rising : hw::GpioEdge::falling;
  }
  o.min_pulse = r.duration("min_pulse", DurationRule{milliseconds{0}, std::chrono::seconds{10}})
                    .value_or(o.min_pulse);
  o.multiplier = r.number("multiplier", {[](double m) { return m > 0 && m <= kMaxMultiplier; },
                                          "a number greater than 0 and at most 1e9"})
                     .value_or(o.multiplier);
  o.unit = r.string("unit", text_rule(32)).value_or("");
  if (auto device_class = r.string("device_class", text_rule(64))) {
    EntityInfo total;
    total.platform = Platform::sensor;
    total.device_class = *device_class;
    total.state_class = "total_increasing";
    total.unit = o.unit;
    const auto problems = context.problems_of(total);
    for (const std::string& problem : problems) r.error("device_class", problem);
    if (problems.empty()) o.device_class = std::move(*device_class);
  }
  if (const auto rate = r.choice("rate", kRateChoices)) {
    settings->rate = *rate == 0 ? GpioRate::minute : GpioRate::hour;
    settings->rate_entity = decide_rate_entity(o, *settings->rate, context);
  }
  o.save_interval =
      r.duration("save_interval", DurationRule{std::chrono::seconds{1}, std::chrono::hours{24}})
          .value_or(o.save_interval);
  return settings;
}

std::unique_ptr<Sensor> make_counter(const SensorConfig& config) {
  const auto& s = config.settings_of<GpioCounterSettings>();
  GpioCounterOptions options = options_for(s.options, config);
  if (s.rate) {
    const auto entities = s.entities(config);
    options.rate = GpioCounterOptions::Rate{
        entities.at(1).id, entities.at(1).name,
        *s.rate == GpioRate::minute ? std::chrono::seconds{60} : std::chrono::seconds{3600},
        s.rate_entity.unit, s.rate_entity.device_class};
  }
  return std::make_unique<GpioCounter>(std::move(options), real_lines());
}

// ---- gpio_output -------------------------------------------------------------------------------

std::shared_ptr<const SensorSettings> parse_output(ObjectReader& r,
                                                   const SensorParseContext& context) {
  auto settings = std::make_shared<GpioOutputSettings>();
  GpioOutputOptions& o = settings->options;
  o.line = read_line(r);
  o.active_low = r.boolean("active_low").value_or(o.active_low);
  const auto initial = r.choice("initial", kInitialChoices);
  if (initial) {
    constexpr std::array<GpioInitial, 3> kInitials = {GpioInitial::off, GpioInitial::on,
                                                      GpioInitial::restore};
    o.initial = kInitials.at(*initial);
  }
  o.momentary =
      r.duration("momentary", DurationRule{milliseconds{10}, std::chrono::hours{1}, false});
  if (o.momentary && initial && o.initial != GpioInitial::off) {
    r.error("initial", fmt::format("expected \"off\" for a momentary output, found \"{}\"",
                                   kInitialChoices.at(*initial)));
  }
  o.device_class = read_device_class(
      r, context, Platform::switch_,
      "a Home Assistant switch device class (\"outlet\" or \"switch\")");
  return settings;
}

std::unique_ptr<Sensor> make_output(const SensorConfig& config) {
  return std::make_unique<GpioOutput>(
      options_for(config.settings_of<GpioOutputSettings>().options, config), real_lines());
}

}  // namespace

// ---- settings ----------------------------------------------------------------------------------

std::vector<EntityConfig> GpioInputSettings::entities(const SensorConfig& sensor) const {
  return {EntityConfig{sensor.id, sensor.name}};
}

void GpioInputSettings::to_json(Json& object) const {
  line_to_json(object, options.line, options.active_low);
  object["bias"] = bias_json(options.bias);
  object["debounce"] = format_duration(options.debounce);
  object["device_class"] = optional_text(options.device_class);
}

std::vector<EntityConfig> GpioButtonSettings::entities(const SensorConfig& sensor) const {
  std::vector<EntityConfig> out{EntityConfig{sensor.id, sensor.name}};
  if (options.held_sensor) out.push_back(EntityConfig{sensor.id + "_held", sensor.name + " held"});
  return out;
}

void GpioButtonSettings::to_json(Json& object) const {
  line_to_json(object, options.line, options.active_low);
  object["bias"] = bias_json(options.bias);
  object["debounce"] = format_duration(options.debounce);
  object["multi_press_gap"] = format_duration(options.presses.multi_press_gap);
  object["long_press"] = format_duration(options.presses.long_press);
  object["events"] = event_types(options.presses.enabled);
  object["device_class"] = optional_text(options.device_class);
  object["device_triggers"] = options.device_triggers;
  object["held_sensor"] = options.held_sensor;
}

std::vector<EntityConfig> GpioCounterSettings::entities(const SensorConfig& sensor) const {
  std::vector<EntityConfig> out{EntityConfig{sensor.id, sensor.name}};
  if (rate) out.push_back(EntityConfig{sensor.id + "_rate", sensor.name + " rate"});
  return out;
}

void GpioCounterSettings::to_json(Json& object) const {
  line_to_json(object, options.line, options.active_low);
  object["bias"] = bias_json(options.bias);
  object["edge"] = options.edge == hw::GpioEdge::rising ? "rising" : "falling";
  object["min_pulse"] = format_duration(options.min_pulse);
  object["multiplier"] = options.multiplier;
  object["unit"] = optional_text(options.unit);
  object["device_class"] = optional_text(options.device_class);
  object["rate"] = !rate ? Json(nullptr) : Json(*rate == GpioRate::minute ? "minute" : "hour");
  object["save_interval"] = format_duration(options.save_interval);
}

std::vector<EntityConfig> GpioOutputSettings::entities(const SensorConfig& sensor) const {
  return {EntityConfig{sensor.id, sensor.name}};
}

void GpioOutputSettings::to_json(Json& object) const {
  line_to_json(object, options.line, options.active_low);
  switch (options.initial) {
    case GpioInitial::off: object["initial"] = "off"; break;
    case GpioInitial::on: object["initial"] = "on"; break;
    case GpioInitial::restore: object["initial"] = "restore"; break;
  }
  object["momentary"] =
      options.momentary ? Json(format_duration(*options.momentary)) : Json(nullptr);
  object["device_class"] = optional_text(options.device_class);
}

// ---- types -------------------------------------------------------------------------------------

SensorType gpio_input_sensor_type() {
  SensorType type;
  type.name = "gpio_input";
  type.polls = false;
  type.parse = parse_input;
  type.make = make_input;
  return type;
}

SensorType gpio_button_sensor_type() {
  SensorType type;
  type.name = "gpio_button";
  type.polls = false;
  type.parse = parse_button;
  type.make = make_button;
  return type;
}

SensorType gpio_counter_sensor_type() {
  SensorType type;
  type.name = "gpio_counter";
  type.polls = true;
  type.default_interval = std::chrono::seconds{60};
  type.min_interval = std::chrono::seconds{1};
  type.max_interval = std::chrono::hours{24};
  type.parse = parse_counter;
  type.make = make_counter;
  return type;
}

SensorType gpio_output_sensor_type() {
  SensorType type;
  type.name = "gpio_output";
  type.polls = false;
  type.parse = parse_output;
  type.make = make_output;
  return type;
}

SensorResource gpio_resource(const hw::GpioLineSpec& line) {
  return {"gpio " + hw::describe(line), "line", "GPIO line " + hw::describe(line)};
}

}  // namespace pimqttd::sensors
