#pragma once
// SerialJob: how a sensor runs a read that blocks (a 1-Wire conversion, a sysfs read that makes a
// driver talk to its chip, a scan of tens of MB of apt lists) off the loop: one job at a time on
// the context's Worker, its result handed back on the loop thread, and only to the run of the
// sensor that asked for it.
//
// A job runs on the worker thread, so it may use only what it captured by value. Its result
// goes to the `done` callback on the loop thread, unless stop() came in between (the sensor
// stopped: the job is stale, its result dropped) or the SerialJob is gone (the completion finds
// it destroyed and does nothing). Never two jobs at once: a sensor asks for its next job with
// when_idle(), which begins it at once, or, while a stale job is still on the worker (a stop()
// and a start() came while it ran), as soon as that one has completed.
//
// Loop thread only, like the sensor that owns it.

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "pimqttd/core/worker.hpp"

namespace pimqttd::sensors {

template <class Result>
class SerialJob {
 public:
  using Job = std::function<Result()>;
  using Done = std::function<void(Result)>;

  explicit SerialJob(Done done) : done_(std::move(done)), token_(std::make_shared<Token>()) {
    token_->owner = this;
  }
  SerialJob(const SerialJob&) = delete;
  SerialJob& operator=(const SerialJob&) = delete;
  ~SerialJob() = default;

  /// A job is on the worker, or its result not yet handed back (possibly a stale one).
  [[nodiscard]] bool busy() const noexcept { return token_->in_flight; }
  /// Counts the calls of stop(): a sensor that compares it before and after calling out (into
  /// its context, which may stop it) learns whether it was stopped meanwhile.
  [[nodiscard]] std::uint64_t run() const noexcept { return token_->run; }

  /// Calls `begin` (which calls submit()) at once when not busy(); otherwise once the job in
  /// flight has completed, unless stop() comes first. A later call replaces a waiting `begin`.
  void when_idle(std::function<void()> begin) {
    if (busy()) {
      waiting_ = std::move(begin);
      return;
    }
    begin();
  }

  /// Puts `job` on `worker`; not while busy().
  void submit(core::Worker& worker, Job job) {
    token_->in_flight = true;
    std::weak_ptr<Token> weak = token_;
    worker.submit([job = std::move(job), weak, run = token_->run]() -> core::Worker::Completion {
      Result result = job();
      return [weak, run, result = std::move(result)]() mutable {
        const std::shared_ptr<Token> token = weak.lock();
        if (!token) return;  // the SerialJob (and its sensor) is gone
        token->in_flight = false;
        token->owner->completed(run, std::move(result));
      };
    });
  }

  /// Makes the job in flight stale and forgets a waiting `begin`.
  void stop() noexcept {
    ++token_->run;
    waiting_ = nullptr;
  }

 private:
  struct Token {
    SerialJob* owner = nullptr;
    std::uint64_t run = 0;
    bool in_flight = false;
  };

  void completed(std::uint64_t run, Result result) {
    if (run == token_->run) {
      done_(std::move(result));
    } else if (waiting_) {
      // Stale: dropped. The job asked for meanwhile begins now.
      std::function<void()> begin = std::move(waiting_);
      waiting_ = nullptr;
      begin();
    }
  }

  Done done_;
  std::function<void()> waiting_;
  std::shared_ptr<Token> token_;
};

}  // namespace pimqttd::sensors
