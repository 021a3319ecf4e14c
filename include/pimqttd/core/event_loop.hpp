#pragma once
// EventLoop: the single-threaded reactor every part of pimqttd runs on.
//
// One epoll instance owns the process's readiness: fd watches (sockets, GPIO event fds, the
// worker's eventfd), one TimerQueue over one CLOCK_MONOTONIC timerfd, and signals read through a
// signalfd. Callbacks run on the loop's thread, one at a time; a callback must not block for more
// than a few milliseconds (slow work goes to core::Worker).
//
// Lifetimes: a watch refers to an fd it does not own; whoever owns the fd must unwatch() it
// before closing it. Callbacks may add or remove watches and timers, including their own, and
// may call stop(); a watch or timer removed from inside a callback is never called again, even
// if its event was already collected in the same epoll_wait batch.

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
  /// park it). Exactly one watch per fd; watching an fd twice throws std::logic_error.
  void watch(int fd, std::uint32_t interest, IoCallback callback);
  /// Changes the interest set of a watched fd (cheap when unchanged).
  void modify(int fd, std::uint32_t interest);
  /// Stops watching fd. Safe to call for an fd that is not watched (does nothing).
  void unwatch(int fd) noexcept;
  [[nodiscard]] bool watching(int fd) const noexcept;

  /// Runs `callback` once at `deadline` (steady clock). Returns an id for cancel().
  TimerId add_timer(Clock::time_point deadline, TimerQueue::Callback callback);
  /// Runs `callback` once after `delay`.
  TimerId add_timer(Clock::duration delay, TimerQueue::Callback callback);
  /// Runs `callback` every `period`, first after one period. Keeps running until cancelled.
  TimerId add_periodic(Clock::duration period, TimerQueue::Callback callback);
  /// Cancels a timer. Returns false if it already fired (one-shot) or was never there.
  bool cancel(TimerId id) noexcept;

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
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pimqttd::core
