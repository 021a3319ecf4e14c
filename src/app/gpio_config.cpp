#include "pimqttd/app/gpio_config.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/sensors/gpio_counter.hpp"
#include "pimqttd/sensors/gpio_input.hpp"

namespace pimqttd::app {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kMaxOffset = 65535;
constexpr std::int64_t kMaxChipNumber = 65535;
constexpr double kMaxMultiplier = 1e9;

const std::vector<std::string> kBiasChoices = {"pull_up", "pull_down", "disabled"};
const std::vector<std::string> kEdgeChoices = {"rising", "falling"};
const std::vector<std::string> kRateChoices = {"minute", "hour"};
const std::vector<std::string> kInitialChoices = {"off", "on", "restore"};

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

/// Home Assistant's verdict on one entity, each problem without the entity id it starts with.
std::vector<std::string> problems_of(sensors::EntityInfo entity) {
  entity.id = "x";
  entity.name = "x";
  std::vector<std::string> problems = ha::validate_entity(entity);
  for (std::string& problem : problems) {
    if (problem.starts_with("x: ")) problem.erase(0, 3);
  }
  return problems;
}

std::string read_device_class(ObjectReader& r, sensors::Platform platform,
                              std::string_view expected) {
  auto device_class = r.string("device_class", text_rule(64));
  if (!device_class) return {};
  sensors::EntityInfo entity;
  entity.platform = platform;
  entity.device_class = *device_class;
  entity.commandable = platform == sensors::Platform::switch_;
  if (!problems_of(entity).empty()) {
    r.error("device_class", fmt::format("expected {}, found {}", expected, quote(*device_class)));
    return {};
  }
  return *device_class;
}

Json optional_text(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

std::shared_ptr<hw::GpioLines> real_lines() { return std::make_shared<hw::LibgpiodLines>(); }

// ---- gpio_input --------------------------------------------------------------------------------

std::shared_ptr<const SensorSettings> parse_input(ObjectReader& r,
                                                  const SensorParseContext& /*context*/) {
  auto settings = std::make_shared<GpioInputSettings>();
  settings->line = read_line(r);
  settings->active_low = r.boolean("active_low").value_or(false);
  settings->bias = read_bias(r);
  settings->debounce =
      r.duration("debounce", DurationRule{milliseconds{0}, std::chrono::minutes{1}, false})
          .value_or(milliseconds{50});
  settings->device_class = read_device_class(
      r, sensors::Platform::binary_sensor,
      "a Home Assistant binary_sensor device class (such as \"door\", \"window\", \"motion\", "
      "\"moisture\")");
  return settings;
}

std::unique_ptr<sensors::Sensor> make_input(const SensorConfig& config) {
  const auto& s = config.settings_of<GpioInputSettings>();
  sensors::GpioInputOptions options;
  options.id = config.id;
  options.name = config.name;
  options.line = s.line;
  options.bias = s.bias;
  options.active_low = s.active_low;
  options.debounce = s.debounce;
  options.device_class = s.device_class;
  return std::make_unique<sensors::GpioInput>(std::move(options), real_lines());
}

// ---- gpio_counter ------------------------------------------------------------------------------

std::shared_ptr<const SensorSettings> parse_counter(ObjectReader& r,
                                                    const SensorParseContext& /*context*/) {
  auto settings = std::make_shared<GpioCounterSettings>();
  auto& s = *settings;
  s.line = read_line(r);
  s.active_low = r.boolean("active_low").value_or(false);
  s.bias = read_bias(r);
  if (const auto edge = r.choice("edge", kEdgeChoices)) {
    s.edge = *edge == 0 ? hw::GpioEdge::rising : hw::GpioEdge::falling;
  }
  s.min_pulse = r.duration("min_pulse", DurationRule{milliseconds{0}, std::chrono::seconds{10}})
                    .value_or(milliseconds{0});
  s.multiplier = r.number("multiplier", {[](double m) { return m > 0 && m <= kMaxMultiplier; },
                                          "a number greater than 0 and at most 1e9"})
                     .value_or(1.0);
  s.unit = r.string("unit", text_rule(32)).value_or("");
  if (auto device_class = r.string("device_class", text_rule(64))) {
    sensors::EntityInfo total;
    total.platform = sensors::Platform::sensor;
    total.device_class = *device_class;
    total.state_class = "total_increasing";
    total.unit = s.unit;
    const auto problems = problems_of(total);
    for (const std::string& problem : problems) r.error("device_class", problem);
    if (problems.empty()) s.device_class = std::move(*device_class);
  }
  if (const auto rate = r.choice("rate", kRateChoices)) {
    s.rate = *rate == 0 ? GpioRate::minute : GpioRate::hour;
  }
  s.save_interval =
      r.duration("save_interval", DurationRule{std::chrono::seconds{1}, std::chrono::hours{24}})
          .value_or(std::chrono::seconds{60});
  return settings;
}

std::unique_ptr<sensors::Sensor> make_counter(const SensorConfig& config) {
  const auto& s = config.settings_of<GpioCounterSettings>();
  sensors::GpioCounterOptions options;
  options.id = config.id;
  options.name = config.name;
  options.line = s.line;
  options.bias = s.bias;
  options.active_low = s.active_low;
  options.edge = s.edge;
  options.min_pulse = s.min_pulse;
  options.multiplier = s.multiplier;
  options.device_class = s.device_class;
  options.unit = s.unit;
  if (s.rate) {
    const auto entities = s.entities(config);
    const GpioCounterSettings::RateEntity rate = s.rate_entity();
    options.rate = sensors::GpioCounterOptions::Rate{
        entities.at(1).id, entities.at(1).name,
        *s.rate == GpioRate::minute ? std::chrono::seconds{60} : std::chrono::seconds{3600},
        rate.unit, rate.device_class};
  }
  options.interval = config.interval.value_or(std::chrono::seconds{60});
  options.save_interval = s.save_interval;
  return std::make_unique<sensors::GpioCounter>(std::move(options), real_lines());
}

// ---- gpio_output -------------------------------------------------------------------------------

std::shared_ptr<const SensorSettings> parse_output(ObjectReader& r,
                                                   const SensorParseContext& /*context*/) {
  auto settings = std::make_shared<GpioOutputSettings>();
  auto& s = *settings;
  s.line = read_line(r);
  s.active_low = r.boolean("active_low").value_or(false);
  const auto initial = r.choice("initial", kInitialChoices);
  if (initial) {
    constexpr std::array<sensors::GpioInitial, 3> kInitials = {
        sensors::GpioInitial::off, sensors::GpioInitial::on, sensors::GpioInitial::restore};
    s.initial = kInitials.at(*initial);
  }
  s.momentary =
      r.duration("momentary", DurationRule{milliseconds{10}, std::chrono::hours{1}, false});
  if (s.momentary && initial && s.initial != sensors::GpioInitial::off) {
    r.error("initial", fmt::format("expected \"off\" for a momentary output, found \"{}\"",
                                   kInitialChoices.at(*initial)));
  }
  s.device_class = read_device_class(
      r, sensors::Platform::switch_,
      "a Home Assistant switch device class (\"outlet\" or \"switch\")");
  return settings;
}

std::unique_ptr<sensors::Sensor> make_output(const SensorConfig& config) {
  const auto& s = config.settings_of<GpioOutputSettings>();
  sensors::GpioOutputOptions options;
  options.id = config.id;
  options.name = config.name;
  options.line = s.line;
  options.active_low = s.active_low;
  options.initial = s.initial;
  options.momentary = s.momentary;
  options.device_class = s.device_class;
  return std::make_unique<sensors::GpioOutput>(std::move(options), real_lines());
}

}  // namespace

// ---- settings ----------------------------------------------------------------------------------

std::vector<EntityConfig> GpioInputSettings::entities(const SensorConfig& sensor) const {
  return {EntityConfig{sensor.id, sensor.name}};
}

void GpioInputSettings::to_json(Json& object) const {
  line_to_json(object, line, active_low);
  object["bias"] = bias_json(bias);
  object["debounce"] = format_duration(debounce);
  object["device_class"] = optional_text(device_class);
}

std::vector<EntityConfig> GpioCounterSettings::entities(const SensorConfig& sensor) const {
  std::vector<EntityConfig> out{EntityConfig{sensor.id, sensor.name}};
  if (rate) out.push_back(EntityConfig{sensor.id + "_rate", sensor.name + " rate"});
  return out;
}

void GpioCounterSettings::to_json(Json& object) const {
  line_to_json(object, line, active_low);
  object["bias"] = bias_json(bias);
  object["edge"] = edge == hw::GpioEdge::rising ? "rising" : "falling";
  object["min_pulse"] = format_duration(min_pulse);
  object["multiplier"] = multiplier;
  object["unit"] = optional_text(unit);
  object["device_class"] = optional_text(device_class);
  object["rate"] = !rate ? Json(nullptr) : Json(*rate == GpioRate::minute ? "minute" : "hour");
  object["save_interval"] = format_duration(save_interval);
}

GpioCounterSettings::RateEntity GpioCounterSettings::rate_entity() const {
  const bool hourly = rate == GpioRate::hour;
  if (device_class == "energy" && hourly) {
    // Energy per hour is power: kWh/h = kW.
    static const std::array<std::pair<std::string_view, std::string_view>, 4> kPower = {
        {{"Wh", "W"}, {"kWh", "kW"}, {"MWh", "MW"}, {"GWh", "GW"}}};
    for (const auto& [energy, power] : kPower) {
      if (unit == energy) return {std::string(power), "power"};
    }
  }
  RateEntity out;
  out.unit = (unit.empty() ? std::string("pulses") : unit) + (hourly ? "/h" : "/min");
  sensors::EntityInfo flow;
  flow.platform = sensors::Platform::sensor;
  flow.device_class = "volume_flow_rate";
  flow.state_class = "measurement";
  flow.unit = out.unit;
  if (problems_of(flow).empty()) out.device_class = "volume_flow_rate";
  return out;
}

std::vector<EntityConfig> GpioOutputSettings::entities(const SensorConfig& sensor) const {
  return {EntityConfig{sensor.id, sensor.name}};
}

void GpioOutputSettings::to_json(Json& object) const {
  line_to_json(object, line, active_low);
  switch (initial) {
    case sensors::GpioInitial::off: object["initial"] = "off"; break;
    case sensors::GpioInitial::on: object["initial"] = "on"; break;
    case sensors::GpioInitial::restore: object["initial"] = "restore"; break;
  }
  object["momentary"] = momentary ? Json(format_duration(*momentary)) : Json(nullptr);
  object["device_class"] = optional_text(device_class);
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

}  // namespace pimqttd::app
