#pragma once
// wait_until: the one place where tests wait. A test never sleeps for a fixed time to let
// something happen; it states the condition it needs and a generous deadline, and this loop polls
// the condition until it holds or the deadline passes. The loop is bounded in time (deadline) and
// therefore in count (deadline / poll + 1).

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace pimqttd::test {

/// Polls condition every `poll` until it returns true (-> true) or `deadline` has passed since the
/// call (-> false). The condition is always evaluated at least once, and once more at the
/// deadline, so a condition that becomes true during the last sleep is not missed.
inline bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline,
                       std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  using Clock = std::chrono::steady_clock;
  const auto end = Clock::now() + deadline;
  const auto step = std::max(poll, std::chrono::milliseconds(1));
  while (true) {
    if (condition()) {
      return true;
    }
    const auto now = Clock::now();
    if (now >= end) {
      return false;
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(step, end - now));
  }
}

}  // namespace pimqttd::test
