#pragma once
// EventLoop: the single-threaded reactor every part of pimqttd runs on.
//
// One epoll instance owns the process's readiness: fd watches (sockets, GPIO event fds, the
// worker's eventfd), one TimerQueue over one CLOCK_MONOTONIC timerfd, and signals read through a
// signalfd. Callbacks run on the loop's thread, one at a time; a callback must not block for more
// than a few milliseconds (slow work goes to core::Worker).
//
// Watches and timers exist only through move-only handles (start_watch, start_timer,
// start_periodic; the models are libgpiod 2's line_request and sdeventplus's source::Base):
// destroying a handle, reset() or assigning another handle to it unwatches the fd or cancels the
// timer, so an owner never cancels by hand and nothing is left registered behind a destroyed
// owner. There are no raw ids: a member handle is the whole bookkeeping. A watch refers to an fd
// it does not own: declare the WatchHandle after the UniqueFd it watches (members are destroyed
// in reverse order), and reset() it before closing the fd early.
//
// Lifetimes: a handle must not outlive the loop that made it (the loop does not track its
// handles; every owner of a handle already holds the loop by reference and is destroyed before
// it). Callbacks may add or remove watches and timers, including their own (destroying the
// handle of the timer or watch whose callback is running is allowed), and may call stop(); a
// watch or timer removed from inside a callback is never called again, even if its event was
// already collected in the same epoll_wait batch.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "pimqttd/core/timer_queue.hpp"
#include "pimqttd/core/unique_fd.hpp"

struct signalfd_siginfo;

namespace pimqttd::core {

/// Readiness bits, used both for the interest set and for the events a callback receives.
enum IoEvent : std::uint32_t {
  kReadable = 1u << 0,
  kWritable = 1u << 1,
  /// Delivered (never requested): the fd reported an error or hang-up. The owner should read
  /// or write to learn the cause (EOF, ECONNRESET...).
  kError = 1u << 2,
};

class EventLoop;

/// Owns one timer of an EventLoop: cancels it when destroyed, reset() or assigned another timer.
/// An empty handle (default-constructed, moved from, reset) owns nothing. Move-only.
class TimerHandle {
 public:
  TimerHandle() noexcept = default;
  ~TimerHandle() { reset(); }
  TimerHandle(TimerHandle&& other) noexcept;
  /// Cancels the timer this handle owned, then takes over `other`'s.
  TimerHandle& operator=(TimerHandle&& other) noexcept;
  TimerHandle(const TimerHandle&) = delete;
  TimerHandle& operator=(const TimerHandle&) = delete;

  /// Cancels the timer (if it is still scheduled) and empties the handle.
  void reset() noexcept;
  /// The timer is still scheduled: false for an empty handle and, once a one-shot timer's
  /// callback has started, false inside that callback and afterwards (a periodic timer stays
  /// active until cancelled).
  [[nodiscard]] bool active() const noexcept;
  explicit operator bool() const noexcept { return active(); }

 private:
  friend class EventLoop;
  TimerHandle(EventLoop& loop, TimerId id) noexcept : loop_(&loop), id_(id) {}

  EventLoop* loop_ = nullptr;
  TimerId id_ = 0;
};

/// Owns one fd watch of an EventLoop: unwatches the fd when destroyed, reset() or assigned
/// another watch. It never owns the fd itself. A handle never touches a later watch of the same
/// fd number (each watch has its own serial). Move-only.
class WatchHandle {
 public:
  WatchHandle() noexcept = default;
  ~WatchHandle() { reset(); }
  WatchHandle(WatchHandle&& other) noexcept;
  /// Unwatches the fd this handle watched, then takes over `other`'s watch.
  WatchHandle& operator=(WatchHandle&& other) noexcept;
  WatchHandle(const WatchHandle&) = delete;
  WatchHandle& operator=(const WatchHandle&) = delete;

  /// Stops watching (if still watching) and empties the handle.
  void reset() noexcept;
  [[nodiscard]] bool active() const noexcept;
  explicit operator bool() const noexcept { return active(); }
  /// The fd watched, or -1 for an empty handle.
  [[nodiscard]] int fd() const noexcept { return fd_; }

  /// Changes the interest set (kReadable | kWritable, or 0); a syscall only when it changes, so
  /// an owner may call it after every read and write ("writable only while output is pending").
  /// Throws std::logic_error on an inactive handle.
  void set_interest(std::uint32_t interest);
  /// The current interest set; 0 when inactive.
  [[nodiscard]] std::uint32_t interest() const noexcept;

 private:
  friend class EventLoop;
  WatchHandle(EventLoop& loop, int fd, std::uint32_t serial) noexcept
      : loop_(&loop), fd_(fd), serial_(serial) {}

  EventLoop* loop_ = nullptr;
  int fd_ = -1;
  std::uint32_t serial_ = 0;
};

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using IoCallback = std::function<void(std::uint32_t events)>;
  using SignalCallback = std::function<void(const signalfd_siginfo&)>;

  /// Throws std::system_error if epoll, timerfd or signalfd cannot be created.
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Starts watching fd for the readiness bits in `interest` (kReadable | kWritable, or 0 to
  /// park it) until the handle lets go. Exactly one watch per fd; watching an fd twice throws
  /// std::logic_error.
  [[nodiscard]] WatchHandle start_watch(int fd, std::uint32_t interest, IoCallback callback);
  /// Runs `callback` once at `deadline` (steady clock), unless the handle lets go first.
  [[nodiscard]] TimerHandle start_timer(Clock::time_point deadline,
                                        TimerQueue::Callback callback);
  /// Runs `callback` once after `delay`.
  [[nodiscard]] TimerHandle start_timer(Clock::duration delay, TimerQueue::Callback callback);
  /// Runs `callback` every `period`, first after one period, until the handle lets go.
  [[nodiscard]] TimerHandle start_periodic(Clock::duration period, TimerQueue::Callback callback);

  /// Blocks `signo` in the calling thread (threads started afterwards inherit the mask; Worker
  /// threads block every signal) and delivers it to `callback` through the loop's signalfd.
  /// Call it before starting other threads. One callback per signal; a second call for the same
  /// signal replaces the callback. The signal stays blocked after the loop is destroyed.
  void on_signal(int signo, SignalCallback callback);

  /// Runs `callback` on the loop thread after the current iteration's callbacks (soon, but never
  /// re-entrantly). Loop thread only.
  void defer(std::function<void()> callback);

  /// Runs until stop() is called (a stop() from before run() started is forgotten). Rethrows any
  /// exception a callback lets escape (after stopping).
  void run();
  /// One iteration: waits at most `max_wait` (negative: no limit; zero when callbacks are
  /// deferred) for readiness, dispatches what is ready, runs due timers and deferred callbacks.
  /// Returns the number of callbacks run. An exception a callback lets escape propagates; events
  /// of the batch not yet dispatched are reported again by the next iteration. For tests and
  /// for embedding.
  std::size_t run_once(std::chrono::milliseconds max_wait);
  /// Makes run() return after the current iteration. Loop thread only.
  void stop() noexcept;
  [[nodiscard]] bool stopped() const noexcept;

  /// The loop's clock: std::chrono::steady_clock::now().
  [[nodiscard]] static Clock::time_point now() noexcept { return Clock::now(); }

 private:
  friend class WatchHandle;
  friend class TimerHandle;
  // What the handles call. A watch is keyed by fd and checked by serial; a timer by its id.
  std::uint32_t add_watch(int fd, std::uint32_t interest, IoCallback callback);
  void modify(int fd, std::uint32_t interest);
  void unwatch(int fd) noexcept;
  TimerId add_timer(Clock::time_point deadline, Clock::duration period,
                    TimerQueue::Callback callback);
  bool cancel(TimerId id) noexcept;
  [[nodiscard]] bool scheduled(TimerId id) const noexcept;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pimqttd::core
