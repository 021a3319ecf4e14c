#pragma once
// TimerQueue: every timer of the loop, ordered by deadline, over one CLOCK_MONOTONIC timerfd.
//
// Deadlines are steady_clock time points, never wall time (a Pi without an RTC steps its wall
// clock at NTP sync). The timerfd is re-armed only when the earliest deadline changes. The queue
// itself never blocks: the EventLoop watches fd() and calls expire() when it is readable.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>

#include "pimqttd/core/unique_fd.hpp"

namespace pimqttd::core {

/// Identifies one timer; 0 is never a valid id.
using TimerId = std::uint64_t;

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;
  using Callback = std::function<void()>;

  /// Creates the timerfd (non-blocking, close-on-exec). Throws std::system_error on failure.
  TimerQueue();

  /// The timerfd, readable when the earliest deadline has passed. Owned by the queue.
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

  /// Adds a timer at `deadline`; `period` > 0 makes it repeat every period after that.
  TimerId add(Clock::time_point deadline, Clock::duration period, Callback callback);
  /// Removes a timer; false if it is not (or no longer) there. Safe from inside a callback.
  bool cancel(TimerId id) noexcept;
  /// The timer is still there (a one-shot timer leaves as its callback starts).
  [[nodiscard]] bool contains(TimerId id) const noexcept { return by_id_.contains(id); }

  /// Runs every timer due at `now` in deadline order (ties in order of addition) and re-arms the
  /// fd. Periodic timers are rescheduled from their previous deadline (no drift), skipping
  /// periods that were missed entirely. Returns the number of callbacks run.
  std::size_t expire(Clock::time_point now);

  /// The earliest deadline, or Clock::time_point::max() when empty.
  [[nodiscard]] Clock::time_point next_deadline() const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return by_id_.size(); }

 private:
  struct Entry {
    TimerId id;
    Clock::duration period;
    Callback callback;
  };
  using Key = std::pair<Clock::time_point, TimerId>;

  /// Arms the fd for the earliest deadline if that differs from what it is armed for.
  void rearm();
  /// rearm() that reports failure instead of throwing (the fd then stays as it was).
  bool try_rearm() noexcept;

  UniqueFd fd_;
  std::map<Key, Entry> by_deadline_;
  std::unordered_map<TimerId, Clock::time_point> by_id_;
  Clock::time_point armed_ = Clock::time_point::max();
  TimerId next_id_ = 1;
  bool expiring_ = false;  ///< inside expire(): add/cancel leave re-arming to its end
};

}  // namespace pimqttd::core
