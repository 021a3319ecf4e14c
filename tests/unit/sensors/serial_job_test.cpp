#include "pimqttd/sensors/serial_job.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "support/gate.hpp"
#include "support/loop.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;

// A loop, its worker, a SerialJob<int> whose results are collected, and a gate for its jobs.
struct Fixture {
  test::Gate gate;  // first: it outlives the worker, which is joined before it goes
  core::EventLoop loop;
  core::Worker worker{loop};
  std::vector<int> results;
  std::unique_ptr<SerialJob<int>> jobs =
      std::make_unique<SerialJob<int>>([this](int result) { results.push_back(result); });
  int held_ = 0;

  ~Fixture() { gate.open(); }

  // A job held by the gate, then `value`.
  SerialJob<int>::Job held(int value) {
    return [this, value] {
      gate.pass();
      return value;
    };
  }
  // Submits a held job and waits until it is on the worker.
  bool submit_held(int value) {
    jobs->submit(worker, held(value));
    return gate.wait_entered(++held_);
  }
  bool run_until_idle() {
    return test::run_until(loop, [&] { return worker.pending() == 0; });
  }
};

TEST(SerialJob, TheResultComesBackOnTheLoop) {
  Fixture f;
  std::thread::id ran_on;
  f.jobs->submit(f.worker, [&ran_on] {
    ran_on = std::this_thread::get_id();
    return 7;
  });
  EXPECT_TRUE(f.jobs->busy());
  EXPECT_TRUE(f.results.empty());  // never from inside submit()
  ASSERT_TRUE(test::run_until(f.loop, [&] { return !f.results.empty(); }));
  EXPECT_EQ(f.results, std::vector<int>{7});
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_FALSE(f.jobs->busy());
}

TEST(SerialJob, AfterStopTheResultIsDropped) {
  Fixture f;
  ASSERT_TRUE(f.submit_held(1));
  const std::uint64_t run = f.jobs->run();
  f.jobs->stop();
  EXPECT_NE(f.jobs->run(), run);
  EXPECT_TRUE(f.jobs->busy());  // the stale job is still on the worker
  f.gate.open();
  ASSERT_TRUE(f.run_until_idle());
  EXPECT_TRUE(f.results.empty());
  EXPECT_FALSE(f.jobs->busy());
}

TEST(SerialJob, WhenIdleWaitsForTheStaleJob) {
  Fixture f;
  int began = 0;
  const auto begin = [&](int value) {
    return [&f, &began, value] {
      ++began;
      f.jobs->submit(f.worker, f.held(value));
    };
  };
  f.jobs->when_idle(begin(1));
  EXPECT_EQ(began, 1);
  ASSERT_TRUE(f.gate.wait_entered(1));
  f.jobs->stop();               // a sensor stopped and started again
  f.jobs->when_idle(begin(2));  // while its job is still on the worker
  f.jobs->when_idle(begin(3));  // the latest request replaces the waiting one
  EXPECT_EQ(began, 1);
  f.gate.open();
  ASSERT_TRUE(test::run_until(f.loop, [&] { return !f.results.empty(); }));
  EXPECT_EQ(f.results, std::vector<int>{3});
  EXPECT_EQ(began, 2);
  EXPECT_EQ(f.gate.passed(), 2);
  EXPECT_EQ(f.gate.max_inside(), 1);
}

TEST(SerialJob, StopForgetsAWaitingBegin) {
  Fixture f;
  ASSERT_TRUE(f.submit_held(1));
  f.jobs->stop();
  bool began = false;
  f.jobs->when_idle([&] { began = true; });
  f.jobs->stop();  // stopped again before the stale job came back
  f.gate.open();
  ASSERT_TRUE(f.run_until_idle());
  EXPECT_FALSE(began);
  EXPECT_TRUE(f.results.empty());
}

TEST(SerialJob, DestroyedWithAJobInFlight) {
  Fixture f;
  ASSERT_TRUE(f.submit_held(1));
  f.jobs.reset();
  f.gate.open();
  ASSERT_TRUE(f.run_until_idle());
  EXPECT_TRUE(f.results.empty());
  EXPECT_EQ(f.gate.passed(), 1);
}

}  // namespace
}  // namespace pimqttd::sensors
