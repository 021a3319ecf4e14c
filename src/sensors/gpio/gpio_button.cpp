#include "sensors/gpio/gpio_button.hpp"

#include <utility>

#include <fmt/format.h>

namespace pimqttd::sensors {
namespace {

/// An edge's timestamp further from the time it was read than this is not CLOCK_MONOTONIC.
constexpr std::chrono::seconds kPlausibleEdgeAge{10};

}  // namespace

std::vector<std::string> event_types(const PressEventsEnabled& enabled) {
  std::vector<std::string> out;
  const std::pair<bool, PressEventType> all[] = {
      {enabled.press, PressEventType::press},
      {enabled.double_press, PressEventType::double_press},
      {enabled.triple_press, PressEventType::triple_press},
      {enabled.long_press, PressEventType::long_press},
      {enabled.release, PressEventType::release},
  };
  for (const auto& [on, type] : all) {
    if (on) out.emplace_back(to_string(type));
  }
  return out;
}

GpioLineHolder::Hooks GpioButton::hooks() {
  GpioLineHolder::Hooks hooks = GpioLineHolder::both_edges_input(
      options_.line, hw::GpioInputConfig{options_.bias, options_.active_low}, first_value_);
  hooks.on_events = [this](std::uint32_t events) { on_events(events); };
  hooks.on_held = [this] {
    pressed_ = first_value_;
    if (options_.held_sensor) holder_.context()->publish(entities_.at(1).id, pressed_);
  };
  hooks.on_released = [this] {
    debounce_timer_.reset();
    deadline_timer_.reset();
    recognizer_.reset();
  };
  return hooks;
}

GpioButton::GpioButton(GpioButtonOptions options, std::shared_ptr<hw::GpioLines> lines)
    : options_(std::move(options)),
      recognizer_(options_.presses),
      holder_(std::move(lines),
              FaultTracker::Options{options_.id, options_.retry_min, options_.retry_max},
              entities_, hooks()) {
  EntityInfo event;
  event.id = options_.id;
  event.name = options_.name;
  event.platform = Platform::event;
  event.device_class = options_.device_class;
  event.event_types = event_types(options_.presses.enabled);
  event.device_triggers = options_.device_triggers;
  entities_.push_back(std::move(event));
  if (options_.held_sensor) {
    EntityInfo held;
    held.id = options_.id + "_held";
    held.name = options_.name + " held";
    held.platform = Platform::binary_sensor;
    entities_.push_back(std::move(held));
  }
}

GpioButton::~GpioButton() { stop(); }

void GpioButton::start(SensorContext& context) {
  stop();
  holder_.start(context);
  recognizer_.reset();
  holder_.attempt();
}

void GpioButton::stop() {
  if (holder_.context() == nullptr) return;
  debounce_timer_.reset();
  deadline_timer_.reset();
  holder_.stop();
}

GpioButton::TimePoint GpioButton::edge_time(std::chrono::nanoseconds timestamp, TimePoint now) {
  const TimePoint at(std::chrono::duration_cast<TimePoint::duration>(timestamp));
  if (at > now || now - at > kPlausibleEdgeAge) return now;
  return at;
}

void GpioButton::on_events(std::uint32_t events) {
  if (!holder_.read_events(events, events_) || events_.empty()) return;
  const TimePoint now = PressRecognizer::Clock::now();
  if (options_.debounce.count() == 0) {
    for (const hw::GpioEvent& edge : events_) {
      change(edge.edge == hw::GpioEdge::rising, edge_time(edge.timestamp, now));
      if (holder_.context() == nullptr) return;  // stopped by what it published
    }
    arm();
    return;
  }
  if (!debounce_timer_) burst_start_ = edge_time(events_.front().timestamp, now);
  // Every edge restarts the wait: the value counts once the line has been quiet that long.
  debounce_timer_ =
      holder_.context()->loop().start_timer(options_.debounce, [this] { settle(); });
}

void GpioButton::settle() {
  debounce_timer_.reset();
  hw::GpioLine& line = *holder_.line();
  bool value = false;
  if (const auto error = line.value(value)) {
    holder_.fail(fmt::format("cannot read {}: {}", line.name(), error.message()));
    return;
  }
  change(value, burst_start_);
  if (holder_.context() != nullptr) arm();
}

void GpioButton::change(bool pressed, TimePoint at) {
  if (pressed == pressed_) return;
  pressed_ = pressed;
  emit(pressed ? recognizer_.pressed(at) : recognizer_.released(at));
  if (options_.held_sensor && holder_.context() != nullptr) {
    holder_.context()->publish(entities_.at(1).id, pressed);
  }
}

void GpioButton::arm() {
  const auto deadline = recognizer_.deadline();
  if (!deadline) {
    deadline_timer_.reset();
    return;
  }
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(
      *deadline - PressRecognizer::Clock::now());
  deadline_timer_ = holder_.context()->loop().start_timer(
      std::max(wait, std::chrono::milliseconds{0}), [this] { on_deadline(); });
}

void GpioButton::on_deadline() {
  deadline_timer_.reset();
  // A burst still settling comes first: its change is older than the deadline may be.
  if (debounce_timer_) return;
  emit(recognizer_.expire(PressRecognizer::Clock::now()));
  if (holder_.context() != nullptr) arm();
}

void GpioButton::emit(const PressRecognizer::Events& events) {
  for (const PressEvent& event : events) {
    SensorContext* context = holder_.context();
    if (context == nullptr) return;
    context->publish(options_.id, std::string(to_string(event.type)));
  }
}

}  // namespace pimqttd::sensors
