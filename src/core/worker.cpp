#include "pimqttd/core/worker.hpp"

#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <deque>
#include <exception>
#include <stdexcept>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <variant>

#include <pthread.h>
#include <sys/eventfd.h>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "syscall.hpp"

namespace pimqttd::core {

struct Worker::Impl {
  using Outcome = std::variant<Completion, std::exception_ptr>;

  EventLoop& loop;
  UniqueFd event_fd;
  WatchHandle watch;  // of event_fd
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> jobs;         // guarded by mutex
  std::deque<Outcome> done;     // guarded by mutex
  std::size_t outstanding = 0;  // guarded by mutex: submitted, completion not yet taken
  bool stopping = false;        // guarded by mutex
  std::thread thread;

  explicit Impl(EventLoop& owner)
      : loop(owner),
        event_fd(sys::checked("eventfd",
                              [] { return ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); })) {}

  void signal_loop() {
    const std::uint64_t one = 1;
    // EAGAIN only if the counter is about to overflow, which means it is readable already.
    static_cast<void>(sys::write_record(event_fd.get(), &one, sizeof one, "write(eventfd)"));
  }

  void thread_main() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [this] { return stopping || !jobs.empty(); });
      if (stopping) {
        return;
      }
      Job job = std::move(jobs.front());
      jobs.pop_front();
      lock.unlock();
      Outcome outcome;
      try {
        outcome = job();
      } catch (...) {
        outcome = std::current_exception();
      }
      job = nullptr;
      lock.lock();
      if (stopping) {
        return;
      }
      done.push_back(std::move(outcome));
      try {
        signal_loop();
      } catch (...) {
        // The eventfd is ours and valid: a write cannot fail short of a kernel bug. The loop
        // still picks the outcome up with the next one.
      }
    }
  }

  void on_readable() {
    std::uint64_t count = 0;
    static_cast<void>(sys::read_record(event_fd.get(), &count, sizeof count, "read(eventfd)"));
    for (;;) {
      Outcome outcome;
      {
        std::lock_guard lock(mutex);
        if (done.empty()) {
          return;
        }
        outcome = std::move(done.front());
        done.pop_front();
        --outstanding;
      }
      try {
        if (auto* error = std::get_if<std::exception_ptr>(&outcome)) {
          std::rethrow_exception(*error);
        }
        if (auto& completion = std::get<Completion>(outcome)) {
          completion();
        }
      } catch (...) {
        // What is left must not wait for the next job: wake the loop again for it.
        std::lock_guard lock(mutex);
        if (!done.empty()) {
          signal_loop();
        }
        throw;
      }
    }
  }
};

Worker::Worker(EventLoop& loop) : impl_(std::make_unique<Impl>(loop)) {
  impl_->watch = impl_->loop.start_watch(impl_->event_fd.get(), kReadable,
                                         [impl = impl_.get()](std::uint32_t) { impl->on_readable(); });
  try {
    // The thread starts with every signal blocked, so that process signals go to the loop's
    // signalfd and never to the worker.
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    const int rc = ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    if (rc != 0) {
      throw std::system_error(rc, std::system_category(), "pthread_sigmask");
    }
    try {
      impl_->thread = std::thread([impl = impl_.get()] { impl->thread_main(); });
    } catch (...) {
      ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      throw;
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  } catch (...) {
    impl_->watch.reset();
    throw;
  }
}

Worker::~Worker() {
  std::deque<Job> dropped;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    dropped.swap(impl_->jobs);
  }
  dropped.clear();  // before the join: what the dropped jobs hold goes now
  impl_->wake.notify_all();
  impl_->thread.join();
  impl_->watch.reset();
}

void Worker::submit(Job job) {
  if (!job) {
    throw std::invalid_argument("Worker::submit: empty job");
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->jobs.push_back(std::move(job));
    ++impl_->outstanding;
  }
  impl_->wake.notify_one();
}

std::size_t Worker::pending() const noexcept {
  std::lock_guard lock(impl_->mutex);
  return impl_->outstanding;
}

}  // namespace pimqttd::core
