#include "pimqttd/core/timer_queue.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/timerfd.h>

#include <gtest/gtest.h>

namespace pimqttd::core {
namespace {

using namespace std::chrono_literals;
using Clock = TimerQueue::Clock;

constexpr auto kGenerous = 5s;  // a deadline for conditions, never a sleep

bool readable_within(int fd, std::chrono::milliseconds limit) {
  pollfd p{fd, POLLIN, 0};
  const int n = ::poll(&p, 1, static_cast<int>(limit.count()));
  return n == 1 && (p.revents & POLLIN) != 0;
}

std::chrono::nanoseconds remaining(int fd) {
  itimerspec spec{};
  EXPECT_EQ(::timerfd_gettime(fd, &spec), 0);
  return std::chrono::seconds(spec.it_value.tv_sec) +
         std::chrono::nanoseconds(spec.it_value.tv_nsec);
}

TEST(TimerQueue, EmptyQueue) {
  TimerQueue queue;
  EXPECT_GE(queue.fd(), 0);
  EXPECT_EQ(queue.size(), 0U);
  EXPECT_EQ(queue.next_deadline(), Clock::time_point::max());
  EXPECT_EQ(queue.expire(Clock::now()), 0U);
  EXPECT_EQ(remaining(queue.fd()), 0ns);
}

TEST(TimerQueue, IdsAreNonZeroAndDistinct) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  const TimerId a = queue.add(t0, 0s, [] {});
  const TimerId b = queue.add(t0, 0s, [] {});
  EXPECT_NE(a, 0U);
  EXPECT_NE(b, 0U);
  EXPECT_NE(a, b);
  EXPECT_EQ(queue.size(), 2U);
}

TEST(TimerQueue, EmptyCallbackIsRejected) {
  TimerQueue queue;
  EXPECT_THROW(queue.add(Clock::now(), 0s, TimerQueue::Callback{}), std::invalid_argument);
  EXPECT_EQ(queue.size(), 0U);
}

TEST(TimerQueue, RunsDueTimersInDeadlineOrder) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  std::string order;
  queue.add(t0 + 3ms, 0s, [&] { order += 'c'; });
  queue.add(t0 + 1ms, 0s, [&] { order += 'a'; });
  queue.add(t0 + 4ms, 0s, [&] { order += 'd'; });
  queue.add(t0 + 2ms, 0s, [&] { order += 'b'; });
  EXPECT_EQ(queue.next_deadline(), t0 + 1ms);

  EXPECT_EQ(queue.expire(t0), 0U);
  EXPECT_EQ(order, "");
  EXPECT_EQ(queue.expire(t0 + 3ms), 3U);
  EXPECT_EQ(order, "abc");
  EXPECT_EQ(queue.size(), 1U);
  EXPECT_EQ(queue.next_deadline(), t0 + 4ms);
  EXPECT_EQ(queue.expire(t0 + 10ms), 1U);
  EXPECT_EQ(order, "abcd");
  EXPECT_EQ(queue.size(), 0U);
}

TEST(TimerQueue, TiesRunInOrderOfAddition) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  std::string order;
  for (char c = 'a'; c <= 'h'; ++c) {
    queue.add(t0, 0s, [&order, c] { order += c; });
  }
  EXPECT_EQ(queue.expire(t0), 8U);
  EXPECT_EQ(order, "abcdefgh");
}

TEST(TimerQueue, CancelRemovesATimer) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  int ran = 0;
  const TimerId id = queue.add(t0, 0s, [&] { ++ran; });
  queue.add(t0 + 1ms, 0s, [&] { ran += 10; });
  EXPECT_TRUE(queue.cancel(id));
  EXPECT_FALSE(queue.cancel(id));
  EXPECT_FALSE(queue.cancel(0));
  EXPECT_EQ(queue.size(), 1U);
  EXPECT_EQ(queue.next_deadline(), t0 + 1ms);
  EXPECT_EQ(queue.expire(t0 + 1s), 1U);
  EXPECT_EQ(ran, 10);
}

TEST(TimerQueue, CancelAfterFiringReturnsFalse) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  const TimerId id = queue.add(t0, 0s, [] {});
  EXPECT_EQ(queue.expire(t0), 1U);
  EXPECT_FALSE(queue.cancel(id));
}

TEST(TimerQueue, OneShotCancellingItselfInItsCallbackGetsFalse) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  TimerId id = 0;
  int ran = 0;
  bool cancelled = true;
  id = queue.add(t0, 0s, [&] {
    ++ran;
    cancelled = queue.cancel(id);
  });
  EXPECT_EQ(queue.expire(t0), 1U);
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(cancelled);
  EXPECT_EQ(queue.size(), 0U);
}

TEST(TimerQueue, PeriodicCancellingItselfInItsCallbackStops) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  TimerId id = 0;
  int ran = 0;
  bool cancelled = false;
  id = queue.add(t0, 10ms, [&] {
    ++ran;
    if (ran == 2) {
      cancelled = queue.cancel(id);
    }
  });
  EXPECT_EQ(queue.expire(t0), 1U);
  EXPECT_EQ(queue.size(), 1U);
  EXPECT_EQ(queue.expire(t0 + 10ms), 1U);
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(queue.size(), 0U);
  EXPECT_EQ(queue.next_deadline(), Clock::time_point::max());
  EXPECT_EQ(queue.expire(t0 + 1h), 0U);
  EXPECT_EQ(ran, 2);
}

TEST(TimerQueue, CancellingAnotherTimerDueInTheSameExpire) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  std::string order;
  TimerId victim = 0;
  bool cancelled = false;
  queue.add(t0, 0s, [&] {
    order += 'a';
    cancelled = queue.cancel(victim);
  });
  victim = queue.add(t0 + 1ms, 0s, [&] { order += 'v'; });
  queue.add(t0 + 2ms, 0s, [&] { order += 'c'; });
  EXPECT_EQ(queue.expire(t0 + 5ms), 2U);
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(order, "ac");
  EXPECT_EQ(queue.size(), 0U);
}

TEST(TimerQueue, CancellingAPeriodicTimerDueInTheSameExpire) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  int periodic_runs = 0;
  TimerId periodic = 0;
  queue.add(t0, 0s, [&] { EXPECT_TRUE(queue.cancel(periodic)); });
  periodic = queue.add(t0, 1ms, [&] { ++periodic_runs; });
  EXPECT_EQ(queue.expire(t0), 1U);
  EXPECT_EQ(queue.expire(t0 + 1h), 0U);
  EXPECT_EQ(periodic_runs, 0);
  EXPECT_EQ(queue.size(), 0U);
}

TEST(TimerQueue, TimerAddedDuringExpireRunsOnTheNextRound) {
  TimerQueue queue;
  const auto t0 = Clock::now() - 1s;  // in the past: the fd fires at once
  std::string order;
  queue.add(t0, 0s, [&] {
    order += 'a';
    queue.add(t0 - 1s, 0s, [&] { order += 'b'; });
  });
  ASSERT_TRUE(readable_within(queue.fd(), kGenerous));
  EXPECT_EQ(queue.expire(Clock::now()), 1U);
  EXPECT_EQ(order, "a");
  EXPECT_EQ(queue.size(), 1U);
  // Re-armed at the end of expire() for the timer that was added in the past.
  ASSERT_TRUE(readable_within(queue.fd(), kGenerous));
  EXPECT_EQ(queue.expire(Clock::now()), 1U);
  EXPECT_EQ(order, "ab");
  EXPECT_FALSE(readable_within(queue.fd(), 0ms));
}

TEST(TimerQueue, ArmsTheFdForTheEarliestDeadlineOnly) {
  TimerQueue queue;
  const int fd = queue.fd();
  const auto now = Clock::now();

  const TimerId ten = queue.add(now + 10s, 0s, [] {});
  EXPECT_LE(remaining(fd), 10s);
  EXPECT_GT(remaining(fd), 9s);

  // A later deadline leaves the arming alone.
  const TimerId twenty = queue.add(now + 20s, 0s, [] {});
  EXPECT_LE(remaining(fd), 10s);
  EXPECT_GT(remaining(fd), 9s);

  // An earlier one moves it.
  const TimerId five = queue.add(now + 5s, 0s, [] {});
  EXPECT_LE(remaining(fd), 5s);
  EXPECT_GT(remaining(fd), 4s);

  // Cancelling something other than the earliest changes nothing.
  EXPECT_TRUE(queue.cancel(twenty));
  EXPECT_LE(remaining(fd), 5s);
  EXPECT_GT(remaining(fd), 4s);

  // Cancelling the earliest moves it back.
  EXPECT_TRUE(queue.cancel(five));
  EXPECT_LE(remaining(fd), 10s);
  EXPECT_GT(remaining(fd), 9s);

  // Empty: disarmed.
  EXPECT_TRUE(queue.cancel(ten));
  EXPECT_EQ(remaining(fd), 0ns);
}

TEST(TimerQueue, AddingALaterTimerDoesNotDisturbOneThatFired) {
  TimerQueue queue;
  int ran = 0;
  queue.add(Clock::now() + 2ms, 0s, [&] { ++ran; });
  ASSERT_TRUE(readable_within(queue.fd(), kGenerous));
  queue.add(Clock::now() + 1h, 0s, [] {});
  // Re-arming would have cleared the expiration count: the fd must still be readable.
  EXPECT_TRUE(readable_within(queue.fd(), 0ms));
  EXPECT_EQ(queue.expire(Clock::now()), 1U);
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(readable_within(queue.fd(), 0ms));
  EXPECT_GT(remaining(queue.fd()), 59min);
}

TEST(TimerQueue, ShortRealTimerFiresThroughTheFd) {
  TimerQueue queue;
  const auto deadline = Clock::now() + 5ms;
  int ran = 0;
  queue.add(deadline, 0s, [&] { ++ran; });
  ASSERT_TRUE(readable_within(queue.fd(), kGenerous));
  const auto woke = Clock::now();
  EXPECT_GE(woke, deadline);
  EXPECT_EQ(queue.expire(woke), 1U);
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(remaining(queue.fd()), 0ns);
}

TEST(TimerQueue, PastDeadlinesStillFire) {
  for (const auto deadline : {Clock::now() - 1s, Clock::time_point{}, Clock::time_point::min()}) {
    TimerQueue queue;
    int ran = 0;
    queue.add(deadline, 0s, [&] { ++ran; });
    ASSERT_TRUE(readable_within(queue.fd(), kGenerous));
    EXPECT_EQ(queue.expire(Clock::now()), 1U);
    EXPECT_EQ(ran, 1);
  }
}

TEST(TimerQueue, PeriodicTimerIsRescheduledFromItsPreviousDeadline) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  int ran = 0;
  queue.add(t0 + 10ms, 10ms, [&] { ++ran; });

  EXPECT_EQ(queue.expire(t0 + 10ms), 1U);
  EXPECT_EQ(queue.next_deadline(), t0 + 20ms);
  // Late by 5 ms: the next deadline stays on the 10 ms grid (no drift).
  EXPECT_EQ(queue.expire(t0 + 25ms), 1U);
  EXPECT_EQ(queue.next_deadline(), t0 + 30ms);
  // Four periods missed entirely: one run, and the schedule skips ahead on the grid.
  EXPECT_EQ(queue.expire(t0 + 75ms), 1U);
  EXPECT_EQ(queue.next_deadline(), t0 + 80ms);
  EXPECT_EQ(queue.expire(t0 + 80ms), 1U);
  EXPECT_EQ(queue.next_deadline(), t0 + 90ms);
  EXPECT_EQ(ran, 4);
  EXPECT_EQ(queue.size(), 1U);
}

TEST(TimerQueue, PeriodicRealTimerKeepsItsGrid) {
  TimerQueue queue;
  const auto start = Clock::now();
  constexpr auto kPeriod = 3ms;
  std::vector<Clock::time_point> scheduled;
  queue.add(start + kPeriod, kPeriod, [&] { scheduled.push_back(queue.next_deadline()); });
  const auto give_up = Clock::now() + kGenerous;
  while (scheduled.size() < 5 && Clock::now() < give_up) {
    if (readable_within(queue.fd(), 100ms)) {
      queue.expire(Clock::now());
    }
  }
  ASSERT_EQ(scheduled.size(), 5U);
  // Every deadline is start + k * period, whatever the wake-up latency was.
  const auto last = queue.next_deadline();
  EXPECT_EQ((last - start) % kPeriod, Clock::duration::zero());
  EXPECT_GT(last, Clock::now() - kPeriod);
}

TEST(TimerQueue, ThrowingCallbackLeavesTheQueueUsable) {
  TimerQueue queue;
  const auto t0 = Clock::now() - 1s;
  std::string order;
  queue.add(t0, 0s, [&] {
    order += 'a';
    throw std::runtime_error("boom");
  });
  queue.add(t0 + 1ms, 0s, [&] { order += 'b'; });
  queue.add(t0 + 2ms, 1h, [&] { order += 'p'; });
  ASSERT_TRUE(readable_within(queue.fd(), kGenerous));
  EXPECT_THROW(queue.expire(Clock::now()), std::runtime_error);
  EXPECT_EQ(order, "a");
  EXPECT_EQ(queue.size(), 2U);
  // The timers still due wake the fd again.
  ASSERT_TRUE(readable_within(queue.fd(), kGenerous));
  EXPECT_EQ(queue.expire(Clock::now()), 2U);
  EXPECT_EQ(order, "abp");
}

TEST(TimerQueue, ThrowingPeriodicTimerIsRescheduled) {
  TimerQueue queue;
  const auto t0 = Clock::now() + 1h;
  int ran = 0;
  queue.add(t0, 10ms, [&] {
    ++ran;
    throw std::runtime_error("boom");
  });
  EXPECT_THROW(queue.expire(t0), std::runtime_error);
  EXPECT_EQ(queue.size(), 1U);
  EXPECT_EQ(queue.next_deadline(), t0 + 10ms);
  EXPECT_THROW(queue.expire(t0 + 10ms), std::runtime_error);
  EXPECT_EQ(ran, 2);
}

}  // namespace
}  // namespace pimqttd::core
