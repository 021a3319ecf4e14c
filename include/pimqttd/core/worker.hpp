#pragma once
// Worker: one thread for the blocking jobs the loop must not run itself (DNS resolution, a 750 ms
// 1-Wire conversion, fsync). A job runs on the worker thread and returns a completion; the
// completion runs later on the loop thread, signalled through an eventfd the loop watches.
//
// The worker never touches loop state: a job must only use what it captured by value. Jobs run
// one at a time in submission order. Destroying the Worker destroys the queued jobs unrun, waits
// for the running one, drops every completion not yet run, and joins the thread. The thread
// starts with every signal blocked, so that signals reach the loop's signalfd.

#include <functional>
#include <memory>

namespace pimqttd::core {

class EventLoop;

class Worker {
 public:
  /// What a job hands back to the loop thread.
  using Completion = std::function<void()>;
  using Job = std::function<Completion()>;

  /// Starts the thread and watches its eventfd on `loop`. The loop must outlive the Worker, and
  /// the Worker must not be destroyed from inside one of its own completions.
  explicit Worker(EventLoop& loop);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Queues `job`. Its completion (if not empty) runs on the loop thread. If the job throws, the
  /// exception is rethrown on the loop thread in place of the completion. Thread-safe.
  void submit(Job job);

  /// Jobs queued or running, or completions not yet run on the loop. Loop thread only.
  [[nodiscard]] std::size_t pending() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pimqttd::core
