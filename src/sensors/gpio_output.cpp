#include "pimqttd/sensors/gpio_output.hpp"

#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::sensors {
namespace {

constexpr std::string_view kOn = "ON";
constexpr std::string_view kOff = "OFF";

/// A payload as log lines show it: printable ASCII kept, anything else '?', cut to 32 bytes.
std::string printable(std::string_view payload) {
  constexpr std::size_t kMax = 32;
  std::string out;
  for (const char c : payload.substr(0, kMax)) out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  if (payload.size() > kMax) out += "...";
  return out;
}

}  // namespace

GpioOutput::GpioOutput(GpioOutputOptions options, std::shared_ptr<hw::GpioLines> lines)
    : options_(std::move(options)),
      lines_(std::move(lines)),
      faults_(FaultTracker::Options{options_.id, options_.retry_min, options_.retry_max,
                                    std::chrono::hours{1}}) {
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
  context_ = &context;
  faults_.reset();
  saved_.reset();
  if (!options_.momentary) {
    if (const auto saved = context.restore(options_.id)) {
      if (*saved == kOn || *saved == kOff) {
        saved_ = *saved == kOn;
      } else {
        spdlog::warn("{}: ignored the saved state \"{}\" (expected ON or OFF)", options_.id,
                     printable(*saved));
      }
    }
  }
  switch (options_.initial) {
    case GpioInitial::off: state_ = false; break;
    case GpioInitial::on: state_ = true; break;
    case GpioInitial::restore: state_ = saved_.value_or(false); break;
  }
  if (options_.momentary) state_ = false;
  attempt();
}

void GpioOutput::stop() {
  if (context_ == nullptr) return;
  core::EventLoop& loop = context_->loop();
  if (pulse_timer_ != 0) loop.cancel(pulse_timer_);
  if (retry_timer_ != 0) loop.cancel(retry_timer_);
  pulse_timer_ = 0;
  retry_timer_ = 0;
  if (options_.momentary && state_ && line_) {
    // A pulse must not outlive the daemon; the error has nowhere to go any more.
    static_cast<void>(line_->set_value(false));
    state_ = false;
  }
  release();
  context_ = nullptr;
}

void GpioOutput::release() { line_.reset(); }

void GpioOutput::attempt() {
  SensorContext* context = context_;
  try {
    line_ = lines_->request_output(options_.line,
                                   hw::GpioOutputConfig{options_.active_low, state_});
  } catch (const hw::GpioError& error) {
    fail(error.what());
    return;
  }
  faults_.succeeded(*context, entities_);
  if (context_ != context) return;
  context->publish(options_.id, state_);
  if (context_ != context) return;
  remember(state_);
}

void GpioOutput::fail(std::string_view reason) {
  SensorContext* context = context_;
  const std::string why(reason);
  release();
  if (pulse_timer_ != 0) context->loop().cancel(pulse_timer_);
  pulse_timer_ = 0;
  // A pulse cut short by the fault is not resumed when the line comes back.
  if (options_.momentary) state_ = false;
  const std::chrono::milliseconds retry = faults_.failed(*context, entities_, why);
  if (context_ != context) return;
  retry_timer_ = context->loop().add_timer(retry, [this] {
    retry_timer_ = 0;
    attempt();
  });
}

void GpioOutput::command(std::string_view /*entity_id*/, std::string_view payload) {
  if (context_ == nullptr) return;
  if (payload != kOn && payload != kOff) {
    spdlog::warn("{}: ignored the command \"{}\": expected ON or OFF", options_.id,
                 printable(payload));
    return;
  }
  if (!line_) {
    spdlog::warn("{}: ignored the command {}: the line is unavailable", options_.id, payload);
    return;
  }
  apply(payload == kOn);
}

void GpioOutput::apply(bool on) {
  if (!on && pulse_timer_ != 0) {
    context_->loop().cancel(pulse_timer_);
    pulse_timer_ = 0;
  }
  if (const auto error = line_->set_value(on)) {
    fail(fmt::format("cannot set {} {}: {}", line_->name(), on ? kOn : kOff, error.message()));
    return;
  }
  state_ = on;
  SensorContext* context = context_;
  context->publish(options_.id, on);
  if (context_ != context) return;
  remember(on);
  if (on && options_.momentary) {
    if (pulse_timer_ != 0) context->loop().cancel(pulse_timer_);
    pulse_timer_ = context->loop().add_timer(*options_.momentary, [this] {
      pulse_timer_ = 0;
      apply(false);
    });
  }
}

void GpioOutput::remember(bool on) {
  if (options_.momentary || saved_ == on) return;
  saved_ = on;
  context_->persist(options_.id, std::string(on ? kOn : kOff));
}

}  // namespace pimqttd::sensors
