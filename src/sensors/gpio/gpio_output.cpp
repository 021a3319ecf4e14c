#include "sensors/gpio/gpio_output.hpp"

#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::sensors {
namespace {

constexpr std::string_view kOn = "ON";
constexpr std::string_view kOff = "OFF";

}  // namespace

GpioOutput::GpioOutput(GpioOutputOptions options, std::shared_ptr<hw::GpioLines> lines)
    : options_(std::move(options)),
      holder_(std::move(lines),
              FaultTracker::Options{options_.id, options_.retry_min, options_.retry_max},
              entities_,
              GpioLineHolder::Hooks{
                  .request =
                      [this](hw::GpioLines& gpio) {
                        return gpio.request_output(
                            options_.line, hw::GpioOutputConfig{options_.active_low, state_});
                      },
                  .on_events = nullptr,  // an output has no edges
                  .check = nullptr,
                  .on_held =
                      [this] {
                        SensorContext* context = holder_.context();
                        context->publish(options_.id, state_);
                        if (holder_.context() != context) return;
                        remember(state_);
                      },
                  .on_released =
                      [this] {
                        pulse_timer_.reset();
                        // A pulse cut short by the fault is not resumed when the line comes
                        // back.
                        if (options_.momentary) state_ = false;
                      },
              }) {
  EntityInfo info;
  info.id = options_.id;
  info.name = options_.name;
  info.platform = Platform::switch_;
  info.device_class = options_.device_class;
  info.commandable = true;
  entities_.push_back(std::move(info));
}

GpioOutput::~GpioOutput() { stop(); }

void GpioOutput::start(SensorContext& context) {
  stop();
  holder_.start(context);
  saved_.reset();
  if (!options_.momentary) {
    if (const auto saved = context.restore(options_.id)) {
      if (*saved == kOn || *saved == kOff) {
        saved_ = *saved == kOn;
      } else {
        spdlog::warn("{}: ignored the saved state \"{}\" (expected ON or OFF)", options_.id,
                     printable_payload(*saved));
      }
    }
  }
  switch (options_.initial) {
    case GpioInitial::off: state_ = false; break;
    case GpioInitial::on: state_ = true; break;
    case GpioInitial::restore: state_ = saved_.value_or(false); break;
  }
  if (options_.momentary) state_ = false;
  holder_.attempt();
}

void GpioOutput::stop() {
  if (holder_.context() == nullptr) return;
  pulse_timer_.reset();
  if (options_.momentary && state_ && holder_.line() != nullptr) {
    // A pulse must not outlive the daemon; the error has nowhere to go any more.
    static_cast<void>(holder_.line()->set_value(false));
    state_ = false;
  }
  holder_.stop();
}

void GpioOutput::command(std::string_view /*entity_id*/, std::string_view payload) {
  if (holder_.context() == nullptr) return;
  if (payload != kOn && payload != kOff) {
    spdlog::warn("{}: ignored the command \"{}\": expected ON or OFF", options_.id,
                 printable_payload(payload));
    return;
  }
  if (holder_.line() == nullptr) {
    spdlog::warn("{}: ignored the command {}: the line is unavailable", options_.id, payload);
    return;
  }
  apply(payload == kOn);
}

void GpioOutput::apply(bool on) {
  if (!on) pulse_timer_.reset();
  hw::GpioLine& line = *holder_.line();
  if (const auto error = line.set_value(on)) {
    holder_.fail(
        fmt::format("cannot set {} {}: {}", line.name(), on ? kOn : kOff, error.message()));
    return;
  }
  state_ = on;
  SensorContext* context = holder_.context();
  context->publish(options_.id, on);
  if (holder_.context() != context) return;
  remember(on);
  if (on && options_.momentary) {
    pulse_timer_ = context->loop().start_timer(*options_.momentary, [this] { apply(false); });
  }
}

void GpioOutput::remember(bool on) {
  if (options_.momentary || saved_ == on) return;
  saved_ = on;
  holder_.context()->persist(options_.id, std::string(on ? kOn : kOff));
}

}  // namespace pimqttd::sensors
