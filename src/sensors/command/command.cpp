#include "sensors/command/command.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace pimqttd::sensors {
namespace {

constexpr std::string_view kOn = "ON";
constexpr std::string_view kOff = "OFF";
constexpr std::string_view kPress = "PRESS";
constexpr std::string_view kSpace = " \t\r\n\f\v";

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::optional<double> number_in(std::string_view text) {
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(number)) {
    return std::nullopt;
  }
  return number;
}

/// What is wrong with a run before its output is read: it did not exit with 0, or its output
/// was cut.
std::optional<std::string> run_problem(const core::SubprocessResult& result) {
  if (!result.succeeded()) return result.describe();
  if (result.output_truncated) {
    return fmt::format("printed more than the {} bytes kept", result.output.size());
  }
  return std::nullopt;
}

CommandReading not_a(std::string_view what, std::string_view text) {
  return {std::nullopt, fmt::format("printed \"{}\", not {}", printable_payload(text), what)};
}

CommandReading json_reading(std::string_view text, std::string_view pointer) {
  const auto document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded()) {
    return {std::nullopt, fmt::format("printed \"{}\", not a JSON document",
                                      printable_payload(trimmed(text)))};
  }
  const nlohmann::json* found = nullptr;
  try {
    found = &document.at(nlohmann::json::json_pointer(std::string(pointer)));
  } catch (const nlohmann::json::exception&) {
    return {std::nullopt, fmt::format("printed JSON with nothing at \"{}\"", pointer)};
  }
  if (found->is_number()) {
    if (const double number = found->get<double>(); std::isfinite(number)) return {number, {}};
  } else if (found->is_string()) {
    if (const auto number = number_in(trimmed(found->get_ref<const std::string&>()))) {
      return {*number, {}};
    }
  }
  return {std::nullopt, fmt::format("printed {} at \"{}\", not a number",
                                    printable_payload(found->dump()), pointer)};
}

}  // namespace

CommandReading sensor_reading(const core::SubprocessResult& result, std::string_view pointer) {
  if (auto problem = run_problem(result)) return {std::nullopt, std::move(*problem)};
  if (!pointer.empty()) return json_reading(result.output, pointer);
  const std::string_view text = trimmed(result.output);
  if (text.empty()) return {std::nullopt, "printed nothing, not a number"};
  if (const auto number = number_in(text)) return {*number, {}};
  return not_a("a number", text);
}

CommandReading switch_reading(const core::SubprocessResult& result, StateFrom from) {
  if (from == StateFrom::exit_status) {
    if (!result.error && !result.timed_out && (result.exit_code == 0 || result.exit_code == 1)) {
      return {result.exit_code == 0, {}};
    }
    if (result.exit_code && !result.error && !result.timed_out) {
      std::string problem =
          fmt::format("exited with status {}, neither 0 (ON) nor 1 (OFF)", *result.exit_code);
      if (const std::string line = result.error_line(); !line.empty()) problem += ": " + line;
      return {std::nullopt, std::move(problem)};
    }
    return {std::nullopt, result.describe()};
  }
  if (auto problem = run_problem(result)) return {std::nullopt, std::move(*problem)};
  std::string text(trimmed(result.output));
  std::transform(text.begin(), text.end(), text.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  if (text == "on" || text == "1" || text == "true") return {true, {}};
  if (text == "off" || text == "0" || text == "false") return {false, {}};
  return not_a("a state (ON/OFF, on/off, 1/0, true/false)", trimmed(result.output));
}

CommandSensor::CommandSensor(CommandOptions options)
    : options_(std::move(options)), faults_(FaultTracker::Options{options_.id}) {
  EntityInfo info;
  info.id = options_.id;
  info.name = options_.name;
  info.device_class = options_.device_class;
  info.icon = options_.icon;
  switch (options_.platform) {
    case CommandPlatform::button:
      info.platform = Platform::button;
      info.commandable = true;
      break;
    case CommandPlatform::switch_:
      info.platform = Platform::switch_;
      info.commandable = true;
      if (!options_.state.empty()) info.interval = options_.interval;
      break;
    case CommandPlatform::sensor:
      info.platform = Platform::sensor;
      info.state_class = options_.state_class;
      info.unit = options_.unit;
      info.display_precision = options_.precision;
      info.interval = options_.interval;
      break;
  }
  entities_.push_back(std::move(info));
}

CommandSensor::~CommandSensor() { stop(); }

const std::vector<std::string>& CommandSensor::argv_of(Run run) const noexcept {
  switch (run) {
    case Run::turn_on: return options_.on;
    case Run::turn_off: return options_.off;
    case Run::poll:
      return options_.platform == CommandPlatform::switch_ ? options_.state : options_.command;
    case Run::press: break;
  }
  return options_.command;
}

void CommandSensor::start(SensorContext& context) {
  stop();
  context_ = &context;
  faults_.reset();
  runner_.emplace(context.loop(), context.worker());
  const bool polls = options_.platform == CommandPlatform::sensor || !options_.state.empty();
  if (!polls) {
    context.set_available(options_.id, true);
    if (options_.platform == CommandPlatform::switch_) {
      saved_.reset();
      if (const auto saved = context.restore(options_.id)) {
        if (*saved == kOn || *saved == kOff) {
          saved_ = *saved == kOn;
          context.publish(options_.id, *saved_);
        } else {
          spdlog::warn("{}: ignored the saved state \"{}\" (expected ON or OFF)", options_.id,
                       printable_payload(*saved));
        }
      }
    }
    return;
  }
  poll_timer_ = context.loop().start_periodic(options_.interval, [this] { poll(); });
  poll();
}

void CommandSensor::stop() {
  if (context_ == nullptr) return;
  poll_timer_.reset();
  runner_.reset();
  running_.reset();
  context_ = nullptr;
}

void CommandSensor::command(std::string_view /*entity_id*/, std::string_view payload) {
  if (context_ == nullptr) return;
  if (options_.platform == CommandPlatform::button) {
    if (payload != kPress) {
      spdlog::warn("{}: ignored the command \"{}\": expected PRESS", options_.id,
                   printable_payload(payload));
    } else if (running_) {
      spdlog::warn("{}: ignored the press: {} still runs from the last one", options_.id,
                   options_.command.front());
    } else {
      run(Run::press);
    }
    return;
  }
  if (options_.platform != CommandPlatform::switch_) return;
  if (payload != kOn && payload != kOff) {
    spdlog::warn("{}: ignored the command \"{}\": expected ON or OFF", options_.id,
                 printable_payload(payload));
    return;
  }
  if (running_ == Run::poll) {
    runner_->cancel();  // a state poll gives way to a command
    running_.reset();
  } else if (running_) {
    spdlog::warn("{}: ignored the command {}: {} still runs", options_.id, payload,
                 argv_of(*running_).front());
    return;
  }
  run(payload == kOn ? Run::turn_on : Run::turn_off);
}

void CommandSensor::poll() {
  if (running_) {
    spdlog::debug("{}: skipped a poll: {} still runs", options_.id, argv_of(*running_).front());
    return;
  }
  run(Run::poll);
}

void CommandSensor::run(Run what) {
  core::SubprocessOptions options;
  options.argv = argv_of(what);
  options.environment = options_.environment;
  options.timeout = options_.timeout;
  running_ = what;
  runner_->start(std::move(options), [this, what](core::SubprocessResult result) {
    running_.reset();
    finished(what, result);
  });
}

void CommandSensor::finished(Run what, const core::SubprocessResult& result) {
  const std::string& program = argv_of(what).front();
  switch (what) {
    case Run::poll:
      polled(result);
      return;
    case Run::press:
      if (result.succeeded()) {
        spdlog::debug("{}: pressed: {} exited with status 0", options_.id, program);
      } else {
        spdlog::warn("{}: the press failed: {} {}", options_.id, program, result.describe());
      }
      return;
    case Run::turn_on:
    case Run::turn_off: {
      const bool on = what == Run::turn_on;
      if (!result.succeeded()) {
        spdlog::warn("{}: turning {} failed: {} {}", options_.id, on ? kOn : kOff, program,
                     result.describe());
      } else if (options_.state.empty()) {
        set_state(on);
      }
      // The state command tells what the switch is now, after a success or a failure.
      if (!options_.state.empty() && context_ != nullptr && !running_) poll();
      return;
    }
  }
}

void CommandSensor::polled(const core::SubprocessResult& result) {
  const CommandReading reading = options_.platform == CommandPlatform::switch_
                                     ? switch_reading(result, options_.state_from)
                                     : sensor_reading(result, options_.value);
  SensorContext* context = context_;
  if (!reading.value) {
    // Retried at the next interval, not after FaultTracker's back-off.
    static_cast<void>(
        faults_.failed(*context, entities_, argv_of(Run::poll).front() + " " + reading.problem));
    return;
  }
  faults_.succeeded(*context, entities_);
  if (context_ != context) return;
  context->publish(options_.id, *reading.value);
}

void CommandSensor::set_state(bool on) {
  SensorContext* context = context_;
  context->publish(options_.id, on);
  if (context_ != context || saved_ == on) return;
  saved_ = on;
  context->persist(options_.id, std::string(on ? kOn : kOff));
}

}  // namespace pimqttd::sensors
