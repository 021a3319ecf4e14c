#pragma once
// Gate: holds the fake reads a sensor test runs on the worker thread until the test opens it, so
// that a test can stop, restart or destroy a sensor while its read is in flight. It counts the
// reads, notes the thread the last one ran on and how many were inside at once. OpenOnExit opens
// it when the test ends (before the context's worker is joined), whatever happened.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace pimqttd::test {

class Gate {
 public:
  /// Called by a fake read on the worker: waits until open() (at most 10 s).
  void pass() {
    const int inside = ++inside_;
    int seen = max_inside_.load();
    while (inside > seen && !max_inside_.compare_exchange_weak(seen, inside)) {
    }
    {
      std::unique_lock lock(mutex_);
      thread_ = std::this_thread::get_id();
      ++entered_;
      changed_.notify_all();
      changed_.wait_for(lock, std::chrono::seconds{10}, [this] { return open_; });
    }
    --inside_;
    ++passed_;
  }
  void open() {
    const std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  /// Waits (at most 10 s) until `count` reads have entered.
  bool wait_entered(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds{10}, [&] { return entered_ >= count; });
  }
  /// The thread of the last read that entered.
  [[nodiscard]] std::thread::id thread() {
    const std::lock_guard lock(mutex_);
    return thread_;
  }
  /// Reads that have passed.
  [[nodiscard]] int passed() const { return passed_; }
  /// The most reads inside at once.
  [[nodiscard]] int max_inside() const { return max_inside_; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int entered_ = 0;
  std::thread::id thread_;
  std::atomic<int> inside_{0};
  std::atomic<int> max_inside_{0};
  std::atomic<int> passed_{0};
};

struct OpenOnExit {
  Gate& gate;
  ~OpenOnExit() { gate.open(); }
};

}  // namespace pimqttd::test
