#include "pimqttd/core/event_loop.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pthread.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/loop.hpp"

namespace pimqttd::core {
namespace {

using namespace std::chrono_literals;
using Clock = EventLoop::Clock;

constexpr auto kGenerous = 5s;  // a deadline for conditions, never a sleep
constexpr int kMaxIterations = 100'000;

template <typename Predicate>
bool run_until(EventLoop& loop, Predicate done) {
  return pimqttd::test::run_until(loop, done, kGenerous);
}

struct SocketPair {
  UniqueFd a;
  UniqueFd b;

  SocketPair() {
    std::array<int, 2> fds{};
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds.data()), 0);
    a = UniqueFd(std::move(fds[0]));
    b = UniqueFd(std::move(fds[1]));
  }
};

void send_text(int fd, std::string_view text) {
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

std::string receive_text(int fd) {
  std::array<char, 256> buffer{};
  const ssize_t n = ::read(fd, buffer.data(), buffer.size());
  if (n <= 0) {
    return {};
  }
  return {buffer.data(), static_cast<std::size_t>(n)};
}

// Whether `fd` is watched: a second watch of it is refused.
bool watched(EventLoop& loop, int fd) {
  try {
    const WatchHandle probe = loop.start_watch(fd, kReadable, [](std::uint32_t) {});
    return false;
  } catch (const std::logic_error&) {
    return true;
  } catch (const std::system_error&) {
    return false;  // not a valid fd at all
  }
}

class Boom : public std::runtime_error {
 public:
  Boom() : std::runtime_error("boom") {}
};

// --- watches -------------------------------------------------------------------------------------

TEST(EventLoop, NothingReadyTimesOut) {
  EventLoop loop;
  const auto start = Clock::now();
  EXPECT_EQ(loop.run_once(5ms), 0U);
  EXPECT_GE(Clock::now() - start, 4ms);
}

TEST(EventLoop, ReadableWatchGetsTheBytes) {
  EventLoop loop;
  SocketPair pair;
  std::vector<std::uint32_t> events;
  std::string received;
  const WatchHandle watch = loop.start_watch(pair.a.get(), kReadable, [&](std::uint32_t ev) {
    events.push_back(ev);
    received += receive_text(pair.a.get());
  });
  EXPECT_TRUE(watch.active());
  EXPECT_TRUE(watched(loop, pair.a.get()));
  EXPECT_EQ(loop.run_once(0ms), 0U);

  send_text(pair.b.get(), "hello");
  ASSERT_TRUE(run_until(loop, [&] { return received == "hello"; }));
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0], kReadable);
}

TEST(EventLoop, WritableWatchIsCalledWhenTheSocketHasRoom) {
  EventLoop loop;
  SocketPair pair;
  std::uint32_t seen = 0;
  WatchHandle watch;
  watch = loop.start_watch(pair.a.get(), kWritable, [&](std::uint32_t ev) {
    seen = ev;
    send_text(pair.a.get(), "x");
    watch.set_interest(0);
  });
  EXPECT_EQ(loop.run_once(1s), 1U);
  EXPECT_EQ(seen, kWritable);
  EXPECT_EQ(receive_text(pair.b.get()), "x");
}

TEST(EventLoop, SetInterestChangesTheInterestSet) {
  EventLoop loop;
  SocketPair pair;
  std::vector<std::uint32_t> events;
  WatchHandle watch =
      loop.start_watch(pair.a.get(), kReadable, [&](std::uint32_t ev) { events.push_back(ev); });
  EXPECT_EQ(loop.run_once(0ms), 0U);  // nothing to read

  watch.set_interest(kWritable);
  EXPECT_EQ(loop.run_once(1s), 1U);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0], kWritable);

  watch.set_interest(kReadable | kWritable);
  send_text(pair.b.get(), "y");
  EXPECT_EQ(loop.run_once(1s), 1U);
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[1], kReadable | kWritable);

  watch.set_interest(0);  // parked: readable data stays unreported
  EXPECT_EQ(loop.run_once(5ms), 0U);
  EXPECT_EQ(events.size(), 2U);
}

TEST(EventLoop, WatchRulesAreEnforced) {
  EventLoop loop;
  SocketPair pair;
  WatchHandle watch = loop.start_watch(pair.a.get(), kReadable, [](std::uint32_t) {});
  EXPECT_THROW(static_cast<void>(loop.start_watch(pair.a.get(), kReadable, [](std::uint32_t) {})),
               std::logic_error);
  WatchHandle empty;
  EXPECT_THROW(empty.set_interest(kReadable), std::logic_error);
  EXPECT_THROW(
      static_cast<void>(loop.start_watch(pair.b.get(), kReadable, EventLoop::IoCallback{})),
      std::invalid_argument);
  EXPECT_FALSE(watched(loop, pair.b.get()));
  empty.reset();  // not watching: nothing happens
  watch.reset();
  EXPECT_FALSE(watched(loop, pair.a.get()));
  watch.reset();
}

TEST(EventLoop, WatchOnABadFdThrowsSystemError) {
  EventLoop loop;
  int fd = -1;
  {
    SocketPair pair;
    fd = pair.a.get();
  }
  EXPECT_THROW(static_cast<void>(loop.start_watch(fd, kReadable, [](std::uint32_t) {})),
               std::system_error);
  EXPECT_FALSE(watched(loop, fd));
}

TEST(EventLoop, UnwatchInsideAnotherCallbackOfTheSameBatch) {
  EventLoop loop;
  SocketPair first;
  SocketPair second;
  // Both readable before the loop waits, so both events arrive in one epoll_wait batch.
  send_text(first.b.get(), "1");
  send_text(second.b.get(), "2");
  std::string order;
  WatchHandle first_watch;
  WatchHandle second_watch;
  first_watch = loop.start_watch(first.a.get(), kReadable, [&](std::uint32_t) {
    static_cast<void>(receive_text(first.a.get()));
    order += '1';
    second_watch.reset();
  });
  second_watch = loop.start_watch(second.a.get(), kReadable, [&](std::uint32_t) {
    static_cast<void>(receive_text(second.a.get()));
    order += '2';
    first_watch.reset();
  });
  EXPECT_EQ(loop.run_once(1s), 1U);
  ASSERT_EQ(order.size(), 1U);
  EXPECT_EQ(loop.run_once(5ms), 0U);
  EXPECT_EQ(order.size(), 1U);
}

TEST(EventLoop, ANewWatchOnTheSameFdDoesNotGetTheStaleEvent) {
  EventLoop loop;
  SocketPair first;
  SocketPair second;
  send_text(first.b.get(), "1");
  send_text(second.b.get(), "2");
  std::string order;
  // Whichever runs first replaces the other's watch with a new one on the same fd.
  WatchHandle first_watch;
  WatchHandle second_watch;
  auto replace = [&](WatchHandle& other) {
    const int fd = other.fd();
    other.reset();
    other = loop.start_watch(fd, kReadable, [&order](std::uint32_t) { order += 'n'; });
  };
  first_watch = loop.start_watch(first.a.get(), kReadable, [&](std::uint32_t) {
    static_cast<void>(receive_text(first.a.get()));
    order += 'o';
    replace(second_watch);
  });
  second_watch = loop.start_watch(second.a.get(), kReadable, [&](std::uint32_t) {
    static_cast<void>(receive_text(second.a.get()));
    order += 'o';
    replace(first_watch);
  });
  EXPECT_EQ(loop.run_once(1s), 1U);
  EXPECT_EQ(order, "o");
  // The new watch gets its own, fresh event on the next iteration.
  EXPECT_EQ(loop.run_once(1s), 1U);
  EXPECT_EQ(order, "on");
}

TEST(EventLoop, ACallbackMayUnwatchItsOwnFd) {
  EventLoop loop;
  SocketPair pair;
  int calls = 0;
  std::string captured = "kept alive while running";
  WatchHandle watch;
  watch = loop.start_watch(pair.a.get(), kReadable, [&, captured](std::uint32_t) {
    watch.reset();
    ++calls;
    EXPECT_EQ(captured, "kept alive while running");  // the closure still exists
  });
  send_text(pair.b.get(), "z");
  EXPECT_EQ(loop.run_once(1s), 1U);
  EXPECT_EQ(loop.run_once(5ms), 0U);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(watch.active());
  EXPECT_FALSE(watched(loop, pair.a.get()));
}

TEST(EventLoop, PeerCloseIsReportedAsError) {
  EventLoop loop;
  SocketPair pair;
  std::uint32_t seen = 0;
  ssize_t read_result = -2;
  WatchHandle watch;
  watch = loop.start_watch(pair.a.get(), kReadable, [&](std::uint32_t ev) {
    seen = ev;
    std::array<char, 8> buffer{};
    read_result = ::read(pair.a.get(), buffer.data(), buffer.size());
    watch.reset();
  });
  pair.b.reset();
  ASSERT_TRUE(run_until(loop, [&] { return seen != 0; }));
  EXPECT_NE(seen & kError, 0U);
  EXPECT_EQ(read_result, 0);
}

TEST(EventLoop, ErrorIsReportedEvenToAParkedWatch) {
  EventLoop loop;
  SocketPair pair;
  std::uint32_t seen = 0;
  WatchHandle watch;
  watch = loop.start_watch(pair.a.get(), 0, [&](std::uint32_t ev) {
    seen = ev;
    watch.reset();
  });
  pair.b.reset();
  ASSERT_TRUE(run_until(loop, [&] { return seen != 0; }));
  EXPECT_EQ(seen, kError);
}

// --- timers --------------------------------------------------------------------------------------

TEST(EventLoop, OneShotTimerFiresOnce) {
  EventLoop loop;
  const auto start = EventLoop::now();
  int fired = 0;
  Clock::time_point when;
  const TimerHandle timer = loop.start_timer(5ms, [&] {
    ++fired;
    when = EventLoop::now();
  });
  EXPECT_TRUE(timer.active());
  ASSERT_TRUE(run_until(loop, [&] { return fired == 1; }));
  EXPECT_GE(when - start, 5ms);
  EXPECT_EQ(loop.run_once(10ms), 0U);
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer.active());
}

TEST(EventLoop, TimerAtAPastDeadlineFires) {
  EventLoop loop;
  bool fired = false;
  const TimerHandle timer = loop.start_timer(EventLoop::now() - 1s, [&] { fired = true; });
  EXPECT_TRUE(run_until(loop, [&] { return fired; }));
}

TEST(EventLoop, TimersFireInDeadlineOrder) {
  EventLoop loop;
  std::string order;
  const auto base = EventLoop::now();
  const TimerHandle c = loop.start_timer(base + 6ms, [&] { order += 'c'; });
  const TimerHandle a = loop.start_timer(base + 2ms, [&] { order += 'a'; });
  const TimerHandle b = loop.start_timer(base + 4ms, [&] { order += 'b'; });
  EXPECT_TRUE(run_until(loop, [&] { return order.size() == 3; }));
  EXPECT_EQ(order, "abc");
}

TEST(EventLoop, PeriodicTimerRepeatsUntilCancelled) {
  EventLoop loop;
  int fired = 0;
  std::vector<Clock::time_point> times;
  const auto start = EventLoop::now();
  TimerHandle timer;
  timer = loop.start_periodic(3ms, [&] {
    times.push_back(EventLoop::now());
    if (++fired == 4) {
      EXPECT_TRUE(timer.active());
      timer.reset();
    }
  });
  ASSERT_TRUE(run_until(loop, [&] { return fired == 4; }));
  EXPECT_EQ(loop.run_once(20ms), 0U);
  EXPECT_EQ(fired, 4);
  // Never early: the k-th run happens at least k periods after the start.
  for (std::size_t k = 0; k < times.size(); ++k) {
    EXPECT_GE(times[k] - start, 3ms * static_cast<int>(k + 1));
  }
}

TEST(EventLoop, PeriodMustBePositive) {
  EventLoop loop;
  EXPECT_THROW(static_cast<void>(loop.start_periodic(0ms, [] {})), std::invalid_argument);
  EXPECT_THROW(static_cast<void>(loop.start_periodic(-1ms, [] {})), std::invalid_argument);
}

TEST(EventLoop, CancelledTimerNeverFires) {
  EventLoop loop;
  bool fired = false;
  bool done = false;
  TimerHandle timer = loop.start_timer(2ms, [&] { fired = true; });
  const TimerHandle later = loop.start_timer(10ms, [&] { done = true; });
  EXPECT_TRUE(timer.active());
  timer.reset();
  EXPECT_FALSE(timer.active());
  timer.reset();
  ASSERT_TRUE(run_until(loop, [&] { return done; }));
  EXPECT_FALSE(fired);
}

TEST(EventLoop, TimerCancelledByAnIoCallbackOfTheSameIterationNeverFires) {
  EventLoop loop;
  SocketPair pair;
  bool fired = false;
  bool io = false;
  TimerHandle timer = loop.start_timer(EventLoop::now() - 1s, [&] { fired = true; });
  WatchHandle watch;
  watch = loop.start_watch(pair.a.get(), kReadable, [&](std::uint32_t) {
    io = true;
    EXPECT_TRUE(timer.active());
    timer.reset();
    watch.reset();
  });
  send_text(pair.b.get(), "c");
  ASSERT_TRUE(run_until(loop, [&] { return io; }));
  EXPECT_EQ(loop.run_once(10ms), 0U);
  EXPECT_FALSE(fired);
}

// --- run and stop --------------------------------------------------------------------------------

TEST(EventLoop, StopFromACallbackEndsRun) {
  EventLoop loop;
  int ticks = 0;
  const TimerHandle ticker = loop.start_periodic(1ms, [&] {
    if (++ticks == 3) {
      loop.stop();
    }
  });
  // Turns a hang into a failure.
  const TimerHandle guard =
      loop.start_timer(kGenerous, [] { throw std::runtime_error("run() did not stop"); });
  EXPECT_FALSE(loop.stopped());
  loop.run();
  EXPECT_TRUE(loop.stopped());
  EXPECT_EQ(ticks, 3);
}

TEST(EventLoop, RunCanBeCalledAgainAfterStop) {
  EventLoop loop;
  int runs = 0;
  const TimerHandle guard =
      loop.start_timer(kGenerous, [] { throw std::runtime_error("run() did not stop"); });
  for (int i = 0; i < 2; ++i) {
    const TimerHandle once = loop.start_timer(1ms, [&] {
      ++runs;
      loop.stop();
    });
    loop.run();
  }
  EXPECT_EQ(runs, 2);
}

// --- signals -------------------------------------------------------------------------------------

bool blocked(int signo) {
  sigset_t current;
  sigemptyset(&current);
  EXPECT_EQ(::pthread_sigmask(SIG_BLOCK, nullptr, &current), 0);
  return sigismember(&current, signo) == 1;
}

TEST(EventLoop, SignalIsDeliveredThroughTheLoop) {
  EventLoop loop;
  std::vector<std::uint32_t> received;
  loop.on_signal(SIGUSR1,
                 [&](const signalfd_siginfo& info) { received.push_back(info.ssi_signo); });
  EXPECT_TRUE(blocked(SIGUSR1));
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(loop, [&] { return !received.empty(); }));
  ASSERT_EQ(received.size(), 1U);
  EXPECT_EQ(received[0], static_cast<std::uint32_t>(SIGUSR1));
  EXPECT_EQ(loop.run_once(5ms), 0U);
}

TEST(EventLoop, SecondOnSignalReplacesTheCallback) {
  EventLoop loop;
  std::string calls;
  loop.on_signal(SIGUSR1, [&](const signalfd_siginfo&) { calls += 'a'; });
  loop.on_signal(SIGUSR2, [&](const signalfd_siginfo&) { calls += '2'; });
  loop.on_signal(SIGUSR1, [&](const signalfd_siginfo&) { calls += 'b'; });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(run_until(loop, [&] { return !calls.empty(); }));
  EXPECT_EQ(calls, "b");
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(run_until(loop, [&] { return calls.size() == 2; }));
  EXPECT_EQ(calls, "b2");
}

TEST(EventLoop, StopFromASignalEndsRun) {
  EventLoop loop;
  bool got = false;
  loop.on_signal(SIGUSR1, [&](const signalfd_siginfo&) {
    got = true;
    loop.stop();
  });
  const TimerHandle guard =
      loop.start_timer(kGenerous, [] { throw std::runtime_error("run() did not stop"); });
  const TimerHandle raise = loop.start_timer(1ms, [] { ASSERT_EQ(::raise(SIGUSR1), 0); });
  loop.run();
  EXPECT_TRUE(got);
}

// --- defer ---------------------------------------------------------------------------------------

TEST(EventLoop, DeferredCallbacksRunInOrderAfterTheIterationsIo) {
  EventLoop loop;
  SocketPair pair;
  std::string order;
  const WatchHandle watch = loop.start_watch(pair.a.get(), kReadable, [&](std::uint32_t) {
    static_cast<void>(receive_text(pair.a.get()));
    order += 'i';
    loop.defer([&] { order += '1'; });
    loop.defer([&] {
      order += '2';
      loop.defer([&] { order += '3'; });  // next iteration
    });
  });
  send_text(pair.b.get(), "d");
  EXPECT_EQ(loop.run_once(1s), 3U);
  EXPECT_EQ(order, "i12");
  EXPECT_EQ(loop.run_once(1s), 1U);
  EXPECT_EQ(order, "i123");
}

TEST(EventLoop, DeferredCallbacksRunAfterTheIterationsTimers) {
  EventLoop loop;
  std::string order;
  bool fired = false;
  const auto due = EventLoop::now() + 1ms;  // one deadline: both are due in the same iteration
  const TimerHandle t = loop.start_timer(due, [&] {
    fired = true;
    loop.defer([&] { order += 'd'; });
    order += 't';
  });
  const TimerHandle u = loop.start_timer(due, [&] { order += 'u'; });
  ASSERT_TRUE(run_until(loop, [&] { return fired; }));
  EXPECT_EQ(order, "tud");
}

TEST(EventLoop, PendingDeferredCallbackMakesRunOnceNotWait) {
  EventLoop loop;
  bool ran = false;
  loop.defer([&] { ran = true; });
  const auto start = Clock::now();
  EXPECT_EQ(loop.run_once(std::chrono::milliseconds(kGenerous)), 1U);
  EXPECT_TRUE(ran);
  EXPECT_LT(Clock::now() - start, kGenerous);
  EXPECT_THROW(loop.defer({}), std::invalid_argument);
}

// --- exceptions ----------------------------------------------------------------------------------

TEST(EventLoop, ExceptionFromAnIoCallbackPropagates) {
  EventLoop loop;
  SocketPair pair;
  int calls = 0;
  const WatchHandle watch = loop.start_watch(pair.a.get(), kReadable, [&](std::uint32_t) {
    ++calls;
    throw Boom();
  });
  send_text(pair.b.get(), "e");
  EXPECT_THROW(loop.run_once(1s), Boom);
  // Level-triggered: still readable, reported again.
  EXPECT_THROW(loop.run_once(1s), Boom);
  EXPECT_EQ(calls, 2);
}

TEST(EventLoop, ExceptionFromATimerStopsRunAndPropagates) {
  EventLoop loop;
  const TimerHandle boom = loop.start_timer(1ms, [] { throw Boom(); });
  const TimerHandle guard = loop.start_timer(kGenerous, [&] { loop.stop(); });
  EXPECT_THROW(loop.run(), Boom);
  EXPECT_TRUE(loop.stopped());
}

TEST(EventLoop, ExceptionFromADeferredCallbackKeepsTheRest) {
  EventLoop loop;
  std::string order;
  loop.defer([&] { order += 'a'; });
  loop.defer([] { throw Boom(); });
  loop.defer([&] { order += 'c'; });
  EXPECT_THROW(loop.run_once(0ms), Boom);
  EXPECT_EQ(order, "a");
  EXPECT_EQ(loop.run_once(0ms), 1U);
  EXPECT_EQ(order, "ac");
}

TEST(EventLoop, ExceptionFromASignalCallbackPropagates) {
  EventLoop loop;
  loop.on_signal(SIGUSR2, [](const signalfd_siginfo&) { throw Boom(); });
  ASSERT_EQ(::raise(SIGUSR2), 0);
  bool thrown = false;
  const auto give_up = Clock::now() + kGenerous;
  for (int i = 0; i < kMaxIterations && !thrown && Clock::now() < give_up; ++i) {
    try {
      static_cast<void>(loop.run_once(50ms));
    } catch (const Boom&) {
      thrown = true;
    }
  }
  EXPECT_TRUE(thrown);
}

// --- handles -------------------------------------------------------------------------------------

TEST(EventLoopHandles, DestroyingATimerHandleCancelsTheTimer) {
  EventLoop loop;
  bool fired = false;
  bool done = false;
  {
    const TimerHandle timer = loop.start_timer(1ms, [&] { fired = true; });
    EXPECT_TRUE(timer.active());
  }
  const TimerHandle end = loop.start_timer(10ms, [&] { done = true; });
  ASSERT_TRUE(run_until(loop, [&] { return done; }));
  EXPECT_FALSE(fired);
}

TEST(EventLoopHandles, OneShotTimerIsInactiveFromItsCallbackOn) {
  EventLoop loop;
  TimerHandle timer;
  EXPECT_FALSE(timer.active());
  bool active_inside = true;
  timer = loop.start_timer(1ms, [&] { active_inside = timer.active(); });
  EXPECT_TRUE(static_cast<bool>(timer));
  ASSERT_TRUE(run_until(loop, [&] { return !active_inside; }));
  EXPECT_FALSE(timer.active());
}

TEST(EventLoopHandles, MovingATimerHandleTransfersOwnership) {
  EventLoop loop;
  int fired = 0;
  TimerHandle first = loop.start_timer(1ms, [&] { ++fired; });
  TimerHandle second = std::move(first);
  EXPECT_FALSE(first.active());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(second.active());
  first.reset();  // an empty handle's reset cancels nothing
  ASSERT_TRUE(run_until(loop, [&] { return fired == 1; }));
}

TEST(EventLoopHandles, ReassigningATimerHandleCancelsTheOldTimer) {
  EventLoop loop;
  std::string order;
  TimerHandle timer = loop.start_timer(1ms, [&] { order += 'a'; });
  timer = loop.start_timer(3ms, [&] { order += 'b'; });
  ASSERT_TRUE(run_until(loop, [&] { return !order.empty(); }));
  EXPECT_EQ(loop.run_once(10ms), 0U);
  EXPECT_EQ(order, "b");
}

TEST(EventLoopHandles, PeriodicTimerHandleDestroyedInsideItsOwnCallback) {
  EventLoop loop;
  int fired = 0;
  auto timer = std::make_unique<TimerHandle>();
  *timer = loop.start_periodic(1ms, [&] {
    ++fired;
    EXPECT_TRUE(timer->active());
    timer.reset();  // destroys the handle, and so cancels the timer, from inside its callback
  });
  ASSERT_TRUE(run_until(loop, [&] { return fired == 1; }));
  const TimerHandle end = loop.start_timer(10ms, [] {});
  ASSERT_TRUE(run_until(loop, [&] { return !end.active(); }));
  EXPECT_EQ(fired, 1);
}

TEST(EventLoopHandles, OneShotTimerReassignedInsideItsOwnCallback) {
  EventLoop loop;
  int fired = 0;
  TimerHandle timer;
  std::function<void()> again = [&] {
    if (++fired < 3) timer = loop.start_timer(1ms, again);
  };
  timer = loop.start_timer(1ms, again);
  ASSERT_TRUE(run_until(loop, [&] { return fired == 3; }));
  EXPECT_FALSE(timer.active());
}

TEST(EventLoopHandles, DestroyingAWatchHandleUnwatches) {
  EventLoop loop;
  SocketPair pair;
  int called = 0;
  {
    const WatchHandle watch =
        loop.start_watch(pair.a.get(), kReadable, [&](std::uint32_t) { ++called; });
    EXPECT_TRUE(watch.active());
    EXPECT_EQ(watch.fd(), pair.a.get());
    EXPECT_TRUE(watched(loop, pair.a.get()));
  }
  EXPECT_FALSE(watched(loop, pair.a.get()));
  send_text(pair.b.get(), "x");
  EXPECT_EQ(loop.run_once(10ms), 0U);
  EXPECT_EQ(called, 0);
}

TEST(EventLoopHandles, MovingAndReassigningWatchHandles) {
  EventLoop loop;
  SocketPair first;
  SocketPair second;
  std::string seen;
  WatchHandle watch =
      loop.start_watch(first.a.get(), kReadable, [&](std::uint32_t) { seen += 'a'; });
  WatchHandle moved = std::move(watch);
  EXPECT_FALSE(watch.active());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(watch.fd(), -1);
  EXPECT_TRUE(moved.active());
  moved = loop.start_watch(second.a.get(), kReadable, [&](std::uint32_t) {
    seen += 'b';
    receive_text(second.a.get());
  });
  EXPECT_FALSE(watched(loop, first.a.get()));
  send_text(first.b.get(), "x");
  send_text(second.b.get(), "y");
  ASSERT_TRUE(run_until(loop, [&] { return !seen.empty(); }));
  EXPECT_EQ(loop.run_once(10ms), 0U);
  EXPECT_EQ(seen, "b");
}

TEST(EventLoopHandles, SetInterestChangesWhatIsDelivered) {
  EventLoop loop;
  SocketPair pair;
  std::uint32_t delivered = 0;
  WatchHandle watch =
      loop.start_watch(pair.a.get(), kReadable, [&](std::uint32_t events) { delivered = events; });
  EXPECT_EQ(watch.interest(), kReadable);
  EXPECT_EQ(loop.run_once(10ms), 0U);  // nothing to read, and writability was not asked for
  watch.set_interest(kReadable | kWritable);
  EXPECT_EQ(watch.interest(), kReadable | kWritable);
  ASSERT_TRUE(run_until(loop, [&] { return delivered != 0; }));
  EXPECT_EQ(delivered, kWritable);
  watch.reset();
  EXPECT_EQ(watch.interest(), 0U);
  EXPECT_THROW(watch.set_interest(kReadable), std::logic_error);
}

TEST(EventLoopHandles, AStaleWatchHandleLeavesALaterWatchOfTheSameFdAlone) {
  EventLoop loop;
  SocketPair pair;
  WatchHandle stale = loop.start_watch(pair.a.get(), kReadable, [](std::uint32_t) {});
  stale.reset();
  EXPECT_FALSE(stale.active());
  WatchHandle current = loop.start_watch(pair.a.get(), kReadable, [](std::uint32_t) {});
  stale.reset();
  EXPECT_FALSE(stale.active());
  EXPECT_TRUE(current.active());
  EXPECT_TRUE(watched(loop, pair.a.get()));
}

TEST(EventLoopHandles, AWatchHandleMayBeDestroyedInsideItsOwnCallback) {
  EventLoop loop;
  SocketPair pair;
  int called = 0;
  auto watch = std::make_unique<WatchHandle>();
  *watch = loop.start_watch(pair.a.get(), kReadable, [&](std::uint32_t) {
    ++called;
    watch.reset();
  });
  send_text(pair.b.get(), "x");
  ASSERT_TRUE(run_until(loop, [&] { return called == 1; }));
  EXPECT_FALSE(watched(loop, pair.a.get()));
  EXPECT_EQ(loop.run_once(10ms), 0U);
  EXPECT_EQ(called, 1);
}

}  // namespace
}  // namespace pimqttd::core
