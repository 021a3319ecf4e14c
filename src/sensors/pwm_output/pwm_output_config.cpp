#include "sensors/pwm_output/pwm_output_config.hpp"

#include <fmt/format.h>

#include <array>
#include <memory>
#include <nlohmann/json.hpp>

namespace pimqttd::sensors {
namespace {

constexpr std::int64_t kMaxChannel = 1023;
constexpr double kMaxFrequency = 1e6;
constexpr double kDefaultFanFrequency = 25000;

const std::vector<std::string> kAsChoices = {"light", "fan", "number"};
const std::vector<std::string> kPolarityChoices = {"normal", "inversed"};
const std::vector<std::string> kInitialChoices = {"off", "on", "restore"};

NumberRule percent_rule() {
  return {[](double v) { return v >= 0 && v <= 100; }, "a percentage from 0 to 100"};
}

std::shared_ptr<const SensorSettings> parse(ObjectReader& r, const SensorParseContext& context) {
  auto settings = std::make_shared<PwmOutputSettings>();
  PwmOutputOptions& o = settings->options;
  o.chip = r.string("chip",
                    StringRule::checked(
                        4096, [](std::string_view) { return true; },
                        "a PWM chip's device name (such as \"fe20c000.pwm\"), device path or "
                        "device-tree compatible"),
                    Presence::required)
               .value_or("");
  o.channel = static_cast<std::uint32_t>(r.integer("channel", 0, kMaxChannel).value_or(0));
  if (const auto as = r.choice("as", kAsChoices)) {
    constexpr std::array<PwmAs, 3> kAs = {PwmAs::light, PwmAs::fan, PwmAs::number};
    o.as = kAs.at(*as);
  }
  if (o.as == PwmAs::fan) o.frequency = kDefaultFanFrequency;
  o.frequency = r.number("frequency", {[](double f) { return f >= 1 && f <= kMaxFrequency; },
                                       "a frequency in Hz from 1 to 1000000"})
                    .value_or(o.frequency);
  if (const auto polarity = r.choice("polarity", kPolarityChoices)) {
    o.polarity = *polarity == 0 ? hw::PwmPolarity::normal : hw::PwmPolarity::inversed;
  }
  o.min_duty = r.number("min_duty", percent_rule()).value_or(o.min_duty);
  if (const auto max_duty = r.number("max_duty", percent_rule())) {
    if (*max_duty <= o.min_duty) {
      r.error("max_duty", fmt::format("expected more than min_duty ({}), found number {}",
                                      o.min_duty, *max_duty));
    } else {
      o.max_duty = *max_duty;
    }
  } else if (o.min_duty >= o.max_duty) {
    r.error("min_duty", fmt::format("expected less than max_duty ({}), found number {}", o.max_duty,
                                    o.min_duty));
  }
  if (const auto initial = r.choice("initial", kInitialChoices)) {
    constexpr std::array<PwmInitial, 3> kInitials = {PwmInitial::off, PwmInitial::on,
                                                     PwmInitial::restore};
    o.initial = kInitials.at(*initial);
  }
  const auto transition =
      r.duration("transition", DurationRule{std::chrono::milliseconds{0}, std::chrono::hours{1}});
  if (transition && o.as != PwmAs::light) {
    r.error("transition", "only a light fades (\"as\": \"light\")");
  } else if (transition) {
    o.transition = *transition;
  }
  context.read_root(r, o.root);
  return settings;
}

std::unique_ptr<Sensor> make(const SensorConfig& config) {
  return std::make_unique<PwmOutput>(
      options_for(config.settings_of<PwmOutputSettings>().options, config));
}

}  // namespace

std::vector<EntityConfig> PwmOutputSettings::entities(const SensorConfig& sensor) const {
  return {EntityConfig{sensor.id, sensor.name}};
}

void PwmOutputSettings::to_json(Json& object) const {
  object["chip"] = options.chip;
  object["channel"] = options.channel;
  object["as"] = kAsChoices.at(static_cast<std::size_t>(options.as));
  object["frequency"] = options.frequency;
  object["polarity"] = options.polarity == hw::PwmPolarity::normal ? "normal" : "inversed";
  object["min_duty"] = options.min_duty;
  object["max_duty"] = options.max_duty;
  object["initial"] = kInitialChoices.at(static_cast<std::size_t>(options.initial));
  object["transition"] =
      options.as == PwmAs::light ? Json(format_duration(options.transition)) : Json(nullptr);
  object["root"] = options.root.string();
}

std::vector<SensorResource> PwmOutputSettings::resources() const {
  return {{fmt::format("pwm {} {}", options.chip, options.channel), "channel",
           fmt::format("PWM channel {} of {}", options.channel, options.chip)}};
}

SensorType pwm_output_sensor_type() {
  SensorType type;
  type.name = "pwm_output";
  type.polls = false;
  type.parse = parse;
  type.make = make;
  return type;
}

}  // namespace pimqttd::sensors
