#include "sensors/pwm_output/pwm_output.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

namespace pimqttd::sensors {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kOn = "ON";
constexpr std::string_view kOff = "OFF";
constexpr int kBrightnessScale = 255;
constexpr int kPercentScale = 100;
constexpr double kMaxTransitionSeconds = 3600;

/// A whole number from `min` to `max` written as a JSON number ("42", "42.0"), else nullopt.
std::optional<int> whole_number(const Json& value, int min, int max) {
  if (!value.is_number()) return std::nullopt;
  const double v = value.get<double>();
  if (!std::isfinite(v) || v < min || v > max) return std::nullopt;
  return static_cast<int>(std::lround(v));
}

std::optional<int> parse_whole(std::string_view text, int min, int max) {
  const Json value = Json::parse(text, nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return whole_number(value, min, max);
}

std::string_view value_key(PwmAs as) { return as == PwmAs::light ? "brightness" : "percentage"; }

Platform platform_of(PwmAs as) {
  switch (as) {
    case PwmAs::light:
      return Platform::light;
    case PwmAs::fan:
      return Platform::fan;
    case PwmAs::number:
      return Platform::number;
  }
  return Platform::light;
}

}  // namespace

PwmOutput::PwmOutput(PwmOutputOptions options)
    : options_(std::move(options)),
      period_ns_(static_cast<std::uint64_t>(std::llround(1e9 / options_.frequency))),
      pwm_(options_.root, options_.chip, options_.channel),
      faults_(FaultTracker::Options{options_.id, options_.retry_min, options_.retry_max}) {
  EntityInfo info;
  info.id = options_.id;
  info.name = options_.name;
  info.platform = platform_of(options_.as);
  info.commandable = true;
  switch (options_.as) {
    case PwmAs::light:
      info.control = ControlRange{0, kBrightnessScale, 0, ""};
      break;
    case PwmAs::fan:
      info.control = ControlRange{1, kPercentScale, 0, ""};
      break;
    case PwmAs::number:
      info.control = ControlRange{0, kPercentScale, 1, "slider"};
      info.unit = std::string("%");  // GCC 12: -Wrestrict false positive
      break;
  }
  entities_.push_back(std::move(info));
}

PwmOutput::~PwmOutput() { stop(); }

int PwmOutput::scale() const noexcept {
  return options_.as == PwmAs::light ? kBrightnessScale : kPercentScale;
}

std::uint64_t PwmOutput::duty_ns(double value) const noexcept {
  if (value <= 0) return 0;
  const double s = scale();
  const double v = std::min(value, s);
  const double percent = options_.min_duty > 0
                             ? options_.min_duty + std::max(0.0, v - 1) / (s - 1) *
                                                       (options_.max_duty - options_.min_duty)
                             : v / s * options_.max_duty;
  const auto duty =
      static_cast<std::uint64_t>(std::llround(static_cast<double>(period_ns_) * percent / 100));
  return std::min(duty, period_ns_);
}

Value PwmOutput::state_of(const PwmLevel& level) const {
  if (options_.as == PwmAs::number) return static_cast<double>(level.on ? level.value : 0);
  Json state = Json::object();
  state["state"] = level.on ? kOn : kOff;
  state[std::string(value_key(options_.as))] = level.value;
  return state.dump();
}

std::optional<PwmLevel> PwmOutput::restored(std::string_view saved) const {
  if (options_.as == PwmAs::number) {
    const auto value = parse_whole(saved, 0, kPercentScale);
    if (!value) return std::nullopt;
    return PwmLevel{*value > 0, *value};
  }
  const Json state = Json::parse(saved, nullptr, false);
  if (!state.is_object() || !state.contains("state")) return std::nullopt;
  const Json& on_json = state["state"];
  if (!on_json.is_string()) return std::nullopt;
  const auto on = on_json.get<std::string>();
  if (on != kOn && on != kOff) return std::nullopt;
  const auto key = std::string(value_key(options_.as));
  if (!state.contains(key)) return std::nullopt;
  const auto value = whole_number(state[key], 1, scale());
  if (!value) return std::nullopt;
  return PwmLevel{on == kOn, *value};
}

void PwmOutput::start(SensorContext& context) {
  stop();
  context_ = &context;
  faults_.reset();
  saved_.reset();
  const PwmLevel off = options_.as == PwmAs::number ? PwmLevel{false, 0} : PwmLevel{false, scale()};
  std::optional<PwmLevel> saved;
  if (const auto text = context.restore(options_.id)) {
    saved = restored(*text);
    if (saved) {
      saved_ = *text;
    } else {
      spdlog::warn("{}: ignored the saved state \"{}\"", options_.id, printable_payload(*text));
    }
  }
  switch (options_.initial) {
    case PwmInitial::off:
      level_ = off;
      break;
    case PwmInitial::on:
      level_ = PwmLevel{true, scale()};
      break;
    case PwmInitial::restore:
      level_ = saved.value_or(off);
      break;
  }
  attempt();
}

void PwmOutput::stop() {
  if (context_ == nullptr) return;
  retry_timer_.reset();
  fade_timer_.reset();
  if (fade_ && pwm_.is_open()) {
    // A fade must not stop half way; the error has nowhere to go any more.
    try {
      pwm_.apply({period_ns_, duty_ns(fade_->to), options_.polarity, true});
      if (const std::string state = format_value(state_of(level_)); saved_ != state) {
        saved_ = state;
        context_->persist(options_.id, state);
      }
    } catch (const hw::PwmError&) {
    }
  }
  fade_.reset();
  pwm_.close();
  context_ = nullptr;
}

void PwmOutput::attempt() {
  SensorContext* context = context_;
  try {
    pwm_.open();
  } catch (const hw::PwmError& error) {
    fail(error.what());
    return;
  }
  if (!write(level_.on ? level_.value : 0)) return;
  faults_.succeeded(*context, entities_);
  if (context_ != context) return;  // stopped from inside a callback
  settle();
}

void PwmOutput::fail(std::string_view reason) {
  SensorContext* context = context_;
  const std::string why(reason);
  pwm_.close();
  fade_timer_.reset();
  fade_.reset();
  const std::chrono::milliseconds retry = faults_.failed(*context, entities_, why);
  if (context_ != context) return;
  retry_timer_ = context->loop().start_timer(retry, [this] { attempt(); });
}

bool PwmOutput::write(double value) {
  try {
    pwm_.apply({period_ns_, duty_ns(value), options_.polarity, true});
  } catch (const hw::PwmError& error) {
    fail(error.what());
    return false;
  }
  output_ = value;
  return true;
}

void PwmOutput::settle() {
  SensorContext* context = context_;
  const Value state = state_of(level_);
  context->publish(options_.id, state);
  if (context_ != context) return;
  if (std::string text = format_value(state); saved_ != text) {
    saved_ = text;
    context->persist(options_.id, std::move(text));
  }
}

void PwmOutput::set(PwmLevel target, std::chrono::milliseconds transition) {
  fade_timer_.reset();
  fade_.reset();
  level_ = target;
  const double to = target.on ? target.value : 0;
  if (transition.count() <= 0 || to == output_) {
    if (write(to)) settle();
    return;
  }
  const auto steps = std::max<std::int64_t>(1, transition / kFadeStep);
  fade_ = Fade{output_, to, static_cast<int>(steps), 0, core::EventLoop::now(), transition};
  fade_step();
}

void PwmOutput::fade_step() {
  Fade& fade = *fade_;
  if (fade.done > 0) {
    const double value = fade.done >= fade.steps
                             ? fade.to
                             : fade.from + (fade.to - fade.from) * fade.done / fade.steps;
    if (!write(value)) return;
    if (fade.done >= fade.steps) {
      fade_.reset();
      settle();
      return;
    }
  }
  ++fade.done;
  const auto at = fade.start + fade.length * fade.done / fade.steps;
  fade_timer_ = context_->loop().start_timer(at, [this] { fade_step(); });
}

std::optional<PwmOutput::Command> PwmOutput::parse_command(std::string_view payload) const {
  const auto warn = [&](std::string_view expected) {
    spdlog::warn("{}: ignored the command \"{}\": expected {}", options_.id,
                 printable_payload(payload), expected);
    return std::nullopt;
  };
  const int last = level_.value > 0 ? level_.value : scale();
  switch (options_.as) {
    case PwmAs::light: {
      constexpr std::string_view kExpected =
          "a JSON object with \"state\" ON or OFF, \"brightness\" 0 to 255, \"transition\" in "
          "seconds";
      const Json json = Json::parse(payload, nullptr, false);
      if (!json.is_object()) return warn(kExpected);
      Command out;
      bool on = true;
      if (const auto it = json.find("state"); it != json.end()) {
        const std::string state = it->is_string() ? it->get<std::string>() : std::string();
        if (state != kOn && state != kOff) return warn(kExpected);
        on = state == kOn;
      } else if (!json.contains("brightness")) {
        return warn(kExpected);
      }
      int value = level_.value > 0 ? level_.value : kBrightnessScale;
      if (const auto it = json.find("brightness"); it != json.end() && on) {
        const auto brightness = whole_number(*it, 0, kBrightnessScale);
        if (!brightness) return warn(kExpected);
        if (*brightness == 0) {
          on = false;
        } else {
          value = *brightness;
        }
      }
      if (const auto it = json.find("transition"); it != json.end()) {
        if (!it->is_number() || !(it->get<double>() >= 0)) return warn(kExpected);
        const double seconds = std::min(it->get<double>(), kMaxTransitionSeconds);
        out.transition = std::chrono::milliseconds{std::llround(seconds * 1000)};
      }
      out.level = PwmLevel{on, value};
      return out;
    }
    case PwmAs::fan: {
      constexpr std::string_view kExpected = "ON, OFF or a percentage from 0 to 100";
      if (payload == kOn) return Command{{true, last}, std::nullopt};
      if (payload == kOff) return Command{{false, last}, std::nullopt};
      const auto percentage = parse_whole(payload, 0, kPercentScale);
      if (!percentage) return warn(kExpected);
      if (*percentage == 0) return Command{{false, last}, std::nullopt};
      return Command{{true, *percentage}, std::nullopt};
    }
    case PwmAs::number: {
      const auto value = parse_whole(payload, 0, kPercentScale);
      if (!value) return warn("a number from 0 to 100");
      return Command{{*value > 0, *value}, std::nullopt};
    }
  }
  return std::nullopt;
}

void PwmOutput::command(std::string_view /*entity_id*/, std::string_view payload) {
  if (context_ == nullptr) return;
  const auto parsed = parse_command(payload);
  if (!parsed) return;
  if (!pwm_.is_open()) {
    spdlog::warn("{}: ignored the command \"{}\": {} is unavailable", options_.id,
                 printable_payload(payload), pwm_.describe());
    return;
  }
  const std::chrono::milliseconds transition =
      options_.as == PwmAs::light ? parsed->transition.value_or(options_.transition)
                                  : std::chrono::milliseconds{0};
  set(parsed->level, transition);
}

}  // namespace pimqttd::sensors
