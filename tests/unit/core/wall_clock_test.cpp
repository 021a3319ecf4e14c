#include "pimqttd/core/wall_clock.hpp"

#include <chrono>
#include <cstdint>
#include <vector>

#include <sys/eventfd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/loop.hpp"

namespace pimqttd::core {
namespace {

using namespace std::chrono_literals;
using SystemClock = std::chrono::system_clock;

constexpr auto kGenerous = 5s;
constexpr auto kYear = std::chrono::duration_cast<SystemClock::duration>(24h * 365);

// The kernel's part played by an eventfd: "the clock was set" is a write to it, and the wall
// clock is a value the test moves.
class FakeWallClock final : public WallClockApi {
 public:
  [[nodiscard]] UniqueFd open() const override {
    ++opened;
    return UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  }
  void rearm(int /*fd*/) const override { ++rearmed; }
  [[nodiscard]] bool consume_set(int fd) const override {
    std::uint64_t value = 0;
    if (::read(fd, &value, sizeof value) != sizeof value) return false;
    return set_pending;
  }
  [[nodiscard]] SystemClock::time_point now() const override { return wall; }

  /// Steps the wall clock by `step` as settimeofday would, and makes the fd readable.
  void set(int fd, SystemClock::duration step, bool is_set = true) {
    wall += step;
    set_pending = is_set;
    const std::uint64_t one = 1;
    ASSERT_EQ(::write(fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
  }

  SystemClock::time_point wall = SystemClock::now() - kYear;
  bool set_pending = false;
  mutable int opened = 0;
  mutable int rearmed = 0;
};

class WallClockWatchTest : public ::testing::Test {
 protected:
  EventLoop loop_;
  FakeWallClock api_;
  std::vector<SystemClock::duration> steps_;
};

TEST_F(WallClockWatchTest, ReportsASetWithItsStepAndRearms) {
  WallClockWatch watch(loop_, [this](SystemClock::duration step) { steps_.push_back(step); },
                       api_);
  EXPECT_EQ(api_.opened, 1);
  const auto before = watch.wall_time_of(EventLoop::now());
  EXPECT_LT(std::chrono::abs(before - api_.wall), 1s);  // a year behind, as the fake says

  api_.set(watch.fd(), kYear);
  ASSERT_TRUE(test::run_until(loop_, [&] { return !steps_.empty(); }, kGenerous));
  ASSERT_EQ(steps_.size(), 1u);
  // The step is the wall clock's jump, give or take the monotonic time the test took.
  EXPECT_LT(std::chrono::abs(steps_[0] - kYear), 1s);
  EXPECT_EQ(api_.rearmed, 1);
  // Wall-clock times derived from monotonic ones are a year later now.
  EXPECT_LT(std::chrono::abs(watch.wall_time_of(EventLoop::now()) - api_.wall), 1s);
  EXPECT_LT(std::chrono::abs(watch.wall_time_of(EventLoop::now()) - SystemClock::now()), 1s);

  // Backwards too.
  api_.set(watch.fd(), -2h);
  ASSERT_TRUE(test::run_until(loop_, [&] { return steps_.size() == 2; }, kGenerous));
  EXPECT_LT(std::chrono::abs(steps_[1] + std::chrono::duration_cast<SystemClock::duration>(2h)),
            1s);
  EXPECT_EQ(api_.rearmed, 2);
}

TEST_F(WallClockWatchTest, AnExpiryIsNoSet) {
  WallClockWatch watch(loop_, [this](SystemClock::duration step) { steps_.push_back(step); },
                       api_);
  api_.set(watch.fd(), 0s, false);
  ASSERT_TRUE(test::run_until(loop_, [&] { return api_.rearmed == 1; }, kGenerous));
  EXPECT_TRUE(steps_.empty());
}

// The real timerfd: armed, not readable while nobody sets the clock (this test never does).
TEST_F(WallClockWatchTest, TheKernelTimerfdStaysQuietWithoutASet) {
  WallClockWatch watch(loop_, [this](SystemClock::duration step) { steps_.push_back(step); });
  EXPECT_GE(watch.fd(), 0);
  loop_.run_once(0ms);
  EXPECT_TRUE(steps_.empty());
  EXPECT_LT(std::chrono::abs(watch.wall_time_of(EventLoop::now()) - SystemClock::now()), 1s);
}

}  // namespace
}  // namespace pimqttd::core
