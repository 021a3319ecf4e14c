#pragma once
// WallClockWatch: tells the loop when the wall clock (CLOCK_REALTIME) is set, and by how much.
//
// A Raspberry Pi has no battery-backed clock: it boots with the time of its last shutdown (or
// 1970) and steps to the real time when NTP syncs, often a long way. Timers never notice (they run
// on CLOCK_MONOTONIC, see TimerQueue), but values that carry wall-clock time (the daemon's start,
// the host's boot time) are wrong until they are computed again. The watch holds a timerfd on
// CLOCK_REALTIME armed at an absolute time far in the future with TFD_TIMER_CANCEL_ON_SET: a
// read then fails with ECANCELED when the clock is set, which the watch turns into one callback
// with the step (the change of realtime minus monotonic), and re-arms. A step of the clock by
// adjtime/NTP slewing is no set and is not reported.
//
// The kernel calls go through a WallClockApi, so that a test can drive a set without touching
// the host's clock.

#include <chrono>
#include <functional>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/unique_fd.hpp"

namespace pimqttd::core {

/// The calls WallClockWatch makes; kernel_wall_clock() makes the real ones.
class WallClockApi {
 public:
  virtual ~WallClockApi() = default;
  /// A non-blocking fd that becomes readable when the wall clock is set, armed (timerfd_create
  /// on CLOCK_REALTIME, armed as rearm() does).
  [[nodiscard]] virtual UniqueFd open() const = 0;
  /// Arms `fd` again after a set was reported.
  virtual void rearm(int fd) const = 0;
  /// Consumes what made `fd` readable: true when the clock was set (ECANCELED), false for
  /// nothing or an expiry (the fd is then re-armed by the caller too).
  [[nodiscard]] virtual bool consume_set(int fd) const = 0;
  /// CLOCK_REALTIME now.
  [[nodiscard]] virtual std::chrono::system_clock::time_point now() const = 0;
};

/// The real timerfd and clock.
[[nodiscard]] const WallClockApi& kernel_wall_clock();

class WallClockWatch {
 public:
  /// `step`: how far the wall clock moved relative to the monotonic clock (positive: forward).
  using Callback = std::function<void(std::chrono::system_clock::duration step)>;

  /// Starts watching on `loop`; `callback` runs on the loop after every set. Throws
  /// std::system_error when the timerfd cannot be made.
  WallClockWatch(EventLoop& loop, Callback callback,
                 const WallClockApi& api = kernel_wall_clock());
  WallClockWatch(const WallClockWatch&) = delete;
  WallClockWatch& operator=(const WallClockWatch&) = delete;

  /// The wall-clock time of the monotonic time point `at`, by the current offset between
  /// the two clocks (so a value derived from it is right again after a set).
  [[nodiscard]] std::chrono::system_clock::time_point wall_time_of(
      EventLoop::Clock::time_point at) const;
  /// The fd watched (for tests that drive a fake WallClockApi).
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

 private:
  void on_readable();
  [[nodiscard]] std::chrono::system_clock::duration offset() const;

  const WallClockApi& api_;
  Callback callback_;
  std::chrono::system_clock::duration offset_;
  UniqueFd fd_;
  WatchHandle watch_;
};

}  // namespace pimqttd::core
