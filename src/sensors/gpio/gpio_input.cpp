#include "sensors/gpio/gpio_input.hpp"

#include <utility>

#include <fmt/format.h>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::sensors {

GpioLineHolder::Hooks GpioInput::hooks() {
  GpioLineHolder::Hooks hooks = GpioLineHolder::both_edges_input(
      options_.line, hw::GpioInputConfig{options_.bias, options_.active_low}, first_value_);
  hooks.on_events = [this](std::uint32_t events) { on_events(events); };
  hooks.on_held = [this] {
    published_ = first_value_;
    holder_.context()->publish(options_.id, first_value_);
  };
  hooks.on_released = [this] { debounce_timer_.reset(); };
  return hooks;
}

GpioInput::GpioInput(GpioInputOptions options, std::shared_ptr<hw::GpioLines> lines)
    : options_(std::move(options)),
      holder_(std::move(lines),
              FaultTracker::Options{options_.id, options_.retry_min, options_.retry_max},
              entities_, hooks()) {
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
  holder_.start(context);
  published_.reset();
  holder_.attempt();
}

void GpioInput::stop() {
  if (holder_.context() == nullptr) return;
  debounce_timer_.reset();
  holder_.stop();
}

void GpioInput::on_events(std::uint32_t events) {
  if (!holder_.read_events(events, events_) || events_.empty()) return;
  // Every edge restarts the wait: the value counts once the line has been quiet that long.
  debounce_timer_ =
      holder_.context()->loop().start_timer(options_.debounce, [this] { settle(); });
}

void GpioInput::settle() {
  hw::GpioLine& line = *holder_.line();
  bool value = false;
  if (const auto error = line.value(value)) {
    holder_.fail(fmt::format("cannot read {}: {}", line.name(), error.message()));
    return;
  }
  if (published_ == value) return;
  published_ = value;
  holder_.context()->publish(options_.id, value);
}

}  // namespace pimqttd::sensors
