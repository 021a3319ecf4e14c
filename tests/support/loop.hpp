#pragma once
// Driving a real core::EventLoop in tests: wait on a condition, never on a sleep.

#include <chrono>
#include <cstdint>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::test {

/// Runs `loop` until `condition()` holds or `deadline` has passed; bounded in time and in
/// iterations. The condition is evaluated once per iteration (it may consume what it checks);
/// an iteration waits at most `step` for the loop (a larger step for a costly condition).
template <typename Condition>
bool run_until(core::EventLoop& loop, Condition condition,
               std::chrono::steady_clock::duration deadline = std::chrono::seconds(10),
               std::chrono::milliseconds step = std::chrono::milliseconds(10)) {
  using Clock = std::chrono::steady_clock;
  const auto give_up = Clock::now() + deadline;
  const std::int64_t max_iterations =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline).count() * 10 + 1000;
  for (std::int64_t i = 0; i < max_iterations; ++i) {
    if (condition()) {
      return true;
    }
    if (Clock::now() >= give_up) {
      return false;
    }
    static_cast<void>(loop.run_once(step));
  }
  return false;
}

/// Runs `loop` for `duration` of real time: only to show that nothing happens in it (a callback
/// that must not come, a timer that was cancelled).
inline void run_for(core::EventLoop& loop, std::chrono::steady_clock::duration duration) {
  const auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    static_cast<void>(loop.run_once(std::chrono::milliseconds(5)));
  }
}

}  // namespace pimqttd::test
