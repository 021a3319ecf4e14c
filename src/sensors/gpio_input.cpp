#include "pimqttd/sensors/gpio_input.hpp"

#include <utility>

#include <fmt/format.h>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::sensors {

GpioInput::GpioInput(GpioInputOptions options, std::shared_ptr<hw::GpioLines> lines)
    : options_(std::move(options)),
      lines_(std::move(lines)),
      faults_(FaultTracker::Options{options_.id, options_.retry_min, options_.retry_max,
                                    std::chrono::hours{1}}) {
  EntityInfo info;
  info.id = options_.id;
  info.name = options_.name;
  info.platform = Platform::binary_sensor;
  info.device_class = options_.device_class;
  entities_.push_back(std::move(info));
}

GpioInput::~GpioInput() { stop(); }

void GpioInput::start(SensorContext& context) {
  stop();
  context_ = &context;
  faults_.reset();
  published_.reset();
  attempt();
}

void GpioInput::stop() {
  if (context_ == nullptr) return;
  core::EventLoop& loop = context_->loop();
  if (retry_timer_ != 0) loop.cancel(retry_timer_);
  if (debounce_timer_ != 0) loop.cancel(debounce_timer_);
  retry_timer_ = 0;
  debounce_timer_ = 0;
  release();
  context_ = nullptr;
}

void GpioInput::release() {
  if (!line_) return;
  if (line_->event_fd() >= 0) context_->loop().unwatch(line_->event_fd());
  line_.reset();
}

void GpioInput::attempt() {
  SensorContext* context = context_;
  try {
    line_ = lines_->request_input(options_.line, hw::GpioInputConfig{options_.bias,
                                                                     options_.active_low,
                                                                     hw::GpioEdges::both});
  } catch (const hw::GpioError& error) {
    fail(error.what());
    return;
  }
  if (line_->event_fd() < 0) {
    fail(fmt::format("{}: no edge events", line_->name()));
    return;
  }
  bool value = false;
  if (const auto error = line_->value(value)) {
    fail(fmt::format("cannot read {}: {}", line_->name(), error.message()));
    return;
  }
  context->loop().watch(line_->event_fd(), core::kReadable,
                        [this](std::uint32_t events) { on_events(events); });
  faults_.succeeded(*context, entities_);
  if (context_ != context) return;  // stopped from inside a callback
  published_ = value;
  context->publish(options_.id, value);
}

void GpioInput::fail(std::string_view reason) {
  SensorContext* context = context_;
  const std::string why(reason);  // the reason may name the line that release() destroys
  release();
  if (debounce_timer_ != 0) context->loop().cancel(debounce_timer_);
  debounce_timer_ = 0;
  const std::chrono::milliseconds retry = faults_.failed(*context, entities_, why);
  if (context_ != context) return;
  retry_timer_ = context->loop().add_timer(retry, [this] {
    retry_timer_ = 0;
    attempt();
  });
}

void GpioInput::on_events(std::uint32_t events) {
  events_.clear();
  if (const auto error = line_->read_events(events_)) {
    fail(fmt::format("cannot read the edges of {}: {}", line_->name(), error.message()));
    return;
  }
  if (events_.empty()) {
    if ((events & core::kError) != 0) {
      fail(fmt::format("{}: its event fd reports an error", line_->name()));
    }
    return;
  }
  // Every edge restarts the wait: the value counts once the line has been quiet that long.
  core::EventLoop& loop = context_->loop();
  if (debounce_timer_ != 0) loop.cancel(debounce_timer_);
  debounce_timer_ = loop.add_timer(options_.debounce, [this] {
    debounce_timer_ = 0;
    settle();
  });
}

void GpioInput::settle() {
  bool value = false;
  if (const auto error = line_->value(value)) {
    fail(fmt::format("cannot read {}: {}", line_->name(), error.message()));
    return;
  }
  if (published_ == value) return;
  published_ = value;
  context_->publish(options_.id, value);
}

}  // namespace pimqttd::sensors
