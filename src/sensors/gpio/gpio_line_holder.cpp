#include "sensors/gpio/gpio_line_holder.hpp"

#include <utility>

#include <fmt/format.h>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::sensors {

GpioLineHolder::GpioLineHolder(std::shared_ptr<hw::GpioLines> lines, FaultTracker::Options faults,
                               const std::vector<EntityInfo>& entities, Hooks hooks)
    : lines_(std::move(lines)),
      faults_(std::move(faults)),
      entities_(entities),
      hooks_(std::move(hooks)) {}

GpioLineHolder::Hooks GpioLineHolder::both_edges_input(const hw::GpioLineSpec& line,
                                                       hw::GpioInputConfig config,
                                                       bool& first_value) {
  config.edges = hw::GpioEdges::both;
  Hooks hooks;
  hooks.request = [&line, config](hw::GpioLines& gpio) {
    return gpio.request_input(line, config);
  };
  hooks.check = [&first_value](hw::GpioLine& held) -> std::string {
    if (const auto error = held.value(first_value)) {
      return fmt::format("cannot read {}: {}", held.name(), error.message());
    }
    return {};
  };
  return hooks;
}

GpioLineHolder::~GpioLineHolder() { stop(); }

bool GpioLineHolder::read_events(std::uint32_t events, std::vector<hw::GpioEvent>& out) {
  hw::GpioLine& line = *line_;
  out.clear();
  if (const std::error_code error = line.read_events(out)) {
    fail(fmt::format("cannot read the edges of {}: {}", line.name(), error.message()));
    return false;
  }
  if (out.empty() && (events & core::kError) != 0) {
    fail(fmt::format("{}: its event fd reports an error", line.name()));
    return false;
  }
  return true;
}

void GpioLineHolder::start(SensorContext& context) {
  stop();
  context_ = &context;
  faults_.reset();
}

void GpioLineHolder::stop() {
  if (context_ == nullptr) return;
  retry_timer_.reset();
  release();
  context_ = nullptr;
}

void GpioLineHolder::release() {
  if (!line_) return;
  events_watch_.reset();
  line_.reset();
}

void GpioLineHolder::attempt() {
  SensorContext* context = context_;
  try {
    line_ = hooks_.request(*lines_);
  } catch (const hw::GpioError& error) {
    fail(error.what());
    return;
  }
  if (hooks_.on_events && line_->event_fd() < 0) {
    fail(fmt::format("{}: no edge events", line_->name()));
    return;
  }
  if (hooks_.check) {
    if (const std::string why = hooks_.check(*line_); !why.empty()) {
      fail(why);
      return;
    }
  }
  if (hooks_.on_events) {
    events_watch_ =
        context->loop().start_watch(line_->event_fd(), core::kReadable, hooks_.on_events);
  }
  faults_.succeeded(*context, entities_);
  if (context_ != context) return;  // stopped from inside a callback
  if (hooks_.on_held) hooks_.on_held();
}

void GpioLineHolder::fail(std::string_view reason) {
  SensorContext* context = context_;
  const std::string why(reason);  // the reason may name the line that release() destroys
  release();
  if (hooks_.on_released) hooks_.on_released();
  const std::chrono::milliseconds retry = faults_.failed(*context, entities_, why);
  if (context_ != context) return;
  retry_timer_ = context->loop().start_timer(retry, [this] { attempt(); });
}

}  // namespace pimqttd::sensors
