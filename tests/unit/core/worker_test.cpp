#include "pimqttd/core/worker.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

#include <gtest/gtest.h>

#include "support/loop.hpp"

#include "pimqttd/core/event_loop.hpp"

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

class Boom : public std::runtime_error {
 public:
  explicit Boom(const std::string& what) : std::runtime_error(what) {}
};

// Submits a job that starts only once every job before it has queued its outcome and woken the
// loop, and then holds the worker (so that no later wake-up can hide a lost one) until the
// returned promise is fulfilled or destroyed. Returns once that job runs.
[[nodiscard]] std::shared_ptr<std::promise<void>> hold_worker_after_outcomes(Worker& worker) {
  auto started = std::make_shared<std::promise<void>>();
  auto release = std::make_shared<std::promise<void>>();
  auto started_future = started->get_future();
  worker.submit([started, released = release->get_future().share()] {
    started->set_value();
    released.wait();  // ends at the latest when the test drops the promise (broken promise)
    return Worker::Completion{};
  });
  EXPECT_EQ(started_future.wait_for(kGenerous), std::future_status::ready);
  return release;
}

TEST(Worker, CompletionRunsOnTheLoopThreadAndTheJobOffIt) {
  EventLoop loop;
  Worker worker(loop);
  const auto loop_thread = std::this_thread::get_id();
  std::optional<std::thread::id> completion_thread;
  std::thread::id job_thread;
  worker.submit([&job_thread, &completion_thread] {
    job_thread = std::this_thread::get_id();  // read only after the completion ran
    return [&completion_thread] { completion_thread = std::this_thread::get_id(); };
  });
  ASSERT_TRUE(run_until(loop, [&] { return completion_thread.has_value(); }));
  EXPECT_EQ(*completion_thread, loop_thread);
  EXPECT_NE(job_thread, loop_thread);
}

TEST(Worker, OrderIsPreservedOverManyJobs) {
  constexpr int kJobs = 1000;
  EventLoop loop;
  Worker worker(loop);
  std::vector<int> completed;
  auto job_order = std::make_shared<std::vector<int>>();  // touched by the worker thread only
  for (int i = 0; i < kJobs; ++i) {
    worker.submit([i, job_order, &completed] {
      job_order->push_back(i);
      return [i, &completed] { completed.push_back(i); };
    });
  }
  ASSERT_TRUE(run_until(loop, [&] { return completed.size() == kJobs; }));
  EXPECT_EQ(worker.pending(), 0U);
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_EQ(completed[static_cast<std::size_t>(i)], i);
    ASSERT_EQ((*job_order)[static_cast<std::size_t>(i)], i);
  }
}

TEST(Worker, ExceptionFromAJobIsRethrownOnTheLoopThreadInPlaceOfItsCompletion) {
  EventLoop loop;
  Worker worker(loop);
  const auto loop_thread = std::this_thread::get_id();
  std::string order;
  std::optional<std::thread::id> caught_on;
  std::string message;
  worker.submit([&order] { return [&order] { order += 'a'; }; });
  worker.submit([]() -> Worker::Completion { throw Boom("job failed"); });
  worker.submit([&order] { return [&order] { order += 'c'; }; });
  const auto hold = hold_worker_after_outcomes(worker);  // released when it goes, before worker

  const auto give_up = Clock::now() + kGenerous;
  for (int i = 0; i < kMaxIterations && order.size() < 3 && Clock::now() < give_up; ++i) {
    try {
      static_cast<void>(loop.run_once(50ms));
    } catch (const Boom& error) {
      caught_on = std::this_thread::get_id();
      message = error.what();
      order += 'x';
    }
  }
  // The completion after the failed job still runs, without any further job to wake the loop.
  EXPECT_EQ(order, "axc");
  ASSERT_TRUE(caught_on.has_value());
  EXPECT_EQ(*caught_on, loop_thread);
  EXPECT_EQ(message, "job failed");
  EXPECT_EQ(worker.pending(), 1U);  // the holding job
}

TEST(Worker, ExceptionFromACompletionPropagatesAndTheRestStillRun) {
  EventLoop loop;
  Worker worker(loop);
  std::string order;
  worker.submit([&order] {
    return [&order] {
      order += 'a';
      throw Boom("completion failed");
    };
  });
  worker.submit([&order] { return [&order] { order += 'b'; }; });
  const auto hold = hold_worker_after_outcomes(worker);  // released when it goes, before worker
  const auto give_up = Clock::now() + kGenerous;
  bool thrown = false;
  for (int i = 0; i < kMaxIterations && order.size() < 2 && Clock::now() < give_up; ++i) {
    try {
      static_cast<void>(loop.run_once(50ms));
    } catch (const Boom&) {
      thrown = true;
    }
  }
  EXPECT_TRUE(thrown);
  EXPECT_EQ(order, "ab");
  EXPECT_EQ(worker.pending(), 1U);  // the holding job
}

TEST(Worker, PendingCountsQueuedRunningAndUnrunCompletions) {
  EventLoop loop;
  Worker worker(loop);
  EXPECT_EQ(worker.pending(), 0U);

  std::promise<void> release;
  auto released = release.get_future().share();
  int completions = 0;
  for (int i = 0; i < 3; ++i) {
    worker.submit([released, &completions] {
      EXPECT_EQ(released.wait_for(kGenerous), std::future_status::ready);
      return [&completions] { ++completions; };
    });
  }
  EXPECT_EQ(worker.pending(), 3U);  // the first blocks until released: nothing can finish
  release.set_value();
  ASSERT_TRUE(run_until(loop, [&] { return completions == 3; }));
  EXPECT_EQ(worker.pending(), 0U);
}

TEST(Worker, PendingIncludesCompletionsNotYetRunOnTheLoop) {
  EventLoop loop;
  Worker worker(loop);
  auto finished = std::make_shared<std::promise<void>>();
  auto done = finished->get_future();
  bool ran = false;
  worker.submit([finished, &ran] {
    Worker::Completion completion = [&ran] { ran = true; };
    finished->set_value();
    return completion;
  });
  ASSERT_EQ(done.wait_for(kGenerous), std::future_status::ready);
  // The job returned, but its completion waits for the loop.
  EXPECT_EQ(worker.pending(), 1U);
  EXPECT_FALSE(ran);
  ASSERT_TRUE(run_until(loop, [&] { return ran; }));
  EXPECT_EQ(worker.pending(), 0U);
}

TEST(Worker, EmptyCompletionIsAllowed) {
  EventLoop loop;
  Worker worker(loop);
  std::atomic<bool> job_ran{false};
  worker.submit([&job_ran] {
    job_ran = true;
    return Worker::Completion{};
  });
  ASSERT_TRUE(run_until(loop, [&] { return worker.pending() == 0; }));
  EXPECT_TRUE(job_ran);
  EXPECT_THROW(worker.submit(Worker::Job{}), std::invalid_argument);
}

// Fulfils a promise when destroyed: tells the test that a queued job was dropped.
struct SetOnDestruction {
  std::promise<void> promise;
  ~SetOnDestruction() { promise.set_value(); }
};

TEST(Worker, DestructionDropsQueuedJobsAndCompletionsWithoutHanging) {
  EventLoop loop;
  auto worker = std::make_unique<Worker>(loop);

  std::promise<void> started;
  auto started_future = started.get_future();
  auto dropped = std::make_shared<SetOnDestruction>();
  auto released = dropped->promise.get_future().share();
  std::atomic<int> jobs_run{0};
  int completions = 0;

  // The first job runs until the queued ones have been dropped by the destructor.
  worker->submit([&started, released, &jobs_run, &completions] {
    ++jobs_run;
    started.set_value();
    EXPECT_EQ(released.wait_for(kGenerous), std::future_status::ready);
    return [&completions] { ++completions; };
  });
  for (int i = 0; i < 100; ++i) {
    worker->submit([dropped, &jobs_run, &completions] {
      ++jobs_run;
      return [&completions] { ++completions; };
    });
  }
  dropped.reset();  // the queued jobs hold the only references now
  ASSERT_EQ(started_future.wait_for(kGenerous), std::future_status::ready);
  EXPECT_EQ(worker->pending(), 101U);

  const auto start = Clock::now();
  worker.reset();
  EXPECT_LT(Clock::now() - start, kGenerous);
  EXPECT_EQ(jobs_run, 1);

  // Nothing of the worker is left on the loop.
  EXPECT_EQ(loop.run_once(10ms), 0U);
  EXPECT_EQ(completions, 0);
}

TEST(Worker, IdleWorkerIsDestroyedAtOnce) {
  EventLoop loop;
  const auto start = Clock::now();
  { Worker worker(loop); }
  EXPECT_LT(Clock::now() - start, kGenerous);
  EXPECT_EQ(loop.run_once(0ms), 0U);
}

TEST(Worker, JobsRunWithEverySignalBlocked) {
  EventLoop loop;
  Worker worker(loop);
  bool checked = false;
  worker.submit([&checked] {
    sigset_t mask;
    sigemptyset(&mask);
    const bool ok = ::pthread_sigmask(SIG_BLOCK, nullptr, &mask) == 0;
    const bool all = ok && sigismember(&mask, SIGTERM) == 1 && sigismember(&mask, SIGHUP) == 1 &&
                     sigismember(&mask, SIGUSR1) == 1;
    return [all, &checked] {
      EXPECT_TRUE(all);
      checked = true;
    };
  });
  ASSERT_TRUE(run_until(loop, [&] { return checked; }));
  // The creating thread's own mask is left as it was.
  sigset_t mine;
  sigemptyset(&mine);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, nullptr, &mine), 0);
  EXPECT_EQ(sigismember(&mine, SIGHUP), 0);
}

TEST(Worker, SubmitFromAnotherThread) {
  constexpr int kJobs = 200;
  EventLoop loop;
  Worker worker(loop);
  int completed = 0;
  std::thread submitter([&worker, &completed] {
    for (int i = 0; i < kJobs; ++i) {
      worker.submit([&completed] { return [&completed] { ++completed; }; });
    }
  });
  submitter.join();
  ASSERT_TRUE(run_until(loop, [&] { return completed == kJobs; }));
}

}  // namespace
}  // namespace pimqttd::core
