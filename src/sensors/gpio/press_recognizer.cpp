#include "sensors/gpio/press_recognizer.hpp"

#include <algorithm>
#include <stdexcept>

namespace pimqttd::sensors {

std::string_view to_string(PressEventType type) noexcept {
  switch (type) {
    case PressEventType::press:
      return "press";
    case PressEventType::double_press:
      return "double_press";
    case PressEventType::triple_press:
      return "triple_press";
    case PressEventType::long_press:
      return "long_press";
    case PressEventType::release:
      return "release";
  }
  return "?";
}

PressRecognizer::PressRecognizer(PressRecognizerOptions options) : options_(options) {
  if (options_.multi_press_gap <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("press recogniser: multi_press_gap must be positive");
  }
  if (options_.long_press <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("press recogniser: long_press must be positive");
  }
}

PressRecognizer::Events PressRecognizer::pressed(TimePoint t) {
  auto out = settle_until(t);
  switch (state_) {
    case State::idle:  // count_ is 0
    case State::waiting:
      state_ = State::held;
      ++count_;
      pressed_at_ = t;
      break;
    case State::held:
    case State::long_held:
      break;  // a missed release: ignored
  }
  return out;
}

PressRecognizer::Events PressRecognizer::released(TimePoint t) {
  auto out = settle_until(t);
  switch (state_) {
    case State::held:
      if (count_ >= max_presses()) {
        emit_sequence(t, out);
        reset();
      } else {
        state_ = State::waiting;
        released_at_ = t;
      }
      break;
    case State::long_held:
      if (options_.enabled.release) out.push_back({PressEventType::release, t});
      reset();
      break;
    case State::idle:
    case State::waiting:
      break;  // a missed press: ignored
  }
  return out;
}

PressRecognizer::Events PressRecognizer::expire(TimePoint now) { return settle_until(now); }

std::optional<PressRecognizer::TimePoint> PressRecognizer::deadline() const noexcept {
  switch (state_) {
    case State::held:
      if (options_.enabled.long_press) return pressed_at_ + options_.long_press;
      return std::nullopt;
    case State::waiting:
      return released_at_ + options_.multi_press_gap;
    case State::idle:
    case State::long_held:
      return std::nullopt;
  }
  return std::nullopt;
}

void PressRecognizer::reset() noexcept {
  state_ = State::idle;
  count_ = 0;
}

PressRecognizer::Events PressRecognizer::settle_until(TimePoint& t) {
  latest_ = std::max(latest_, t);
  t = latest_;
  Events out;
  settle(t, out);
  return out;
}

void PressRecognizer::settle(TimePoint now, Events& out) {
  const auto due = deadline();
  if (!due || *due > now) return;
  if (state_ == State::held) {
    out.push_back({PressEventType::long_press, *due});
    state_ = State::long_held;
  } else {
    emit_sequence(*due, out);
    state_ = State::idle;
  }
  count_ = 0;
}

void PressRecognizer::emit_sequence(TimePoint at, Events& out) const {
  const auto& on = options_.enabled;
  if (count_ == 1 && on.press) out.push_back({PressEventType::press, at});
  if (count_ == 2 && on.double_press) out.push_back({PressEventType::double_press, at});
  if (count_ == 3 && on.triple_press) out.push_back({PressEventType::triple_press, at});
}

int PressRecognizer::max_presses() const noexcept {
  if (options_.enabled.triple_press) return 3;
  if (options_.enabled.double_press) return 2;
  return 1;
}

}  // namespace pimqttd::sensors
