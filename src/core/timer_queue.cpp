#include "pimqttd/core/timer_queue.hpp"

#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include <sys/timerfd.h>

#include "syscall.hpp"

namespace pimqttd::core {
namespace {

// steady_clock is CLOCK_MONOTONIC with libstdc++ on Linux, so its time points are the timerfd's
// absolute times. it_value {0, 0} disarms, so a deadline at or before the clock's zero is armed
// at 1 ns: already past, it fires at once.
itimerspec absolute_spec(TimerQueue::Clock::time_point deadline) noexcept {
  constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
  std::int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  if (ns <= 0) {
    ns = 1;
  }
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / kNanosPerSecond);
  spec.it_value.tv_nsec = static_cast<long>(ns % kNanosPerSecond);
  return spec;
}

}  // namespace

TimerQueue::TimerQueue()
    : fd_(sys::checked("timerfd_create", [] {
        return ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
      })) {}

TimerId TimerQueue::add(Clock::time_point deadline, Clock::duration period, Callback callback) {
  if (!callback) {
    throw std::invalid_argument("TimerQueue::add: empty callback");
  }
  if (period < Clock::duration::zero()) {
    period = Clock::duration::zero();
  }
  const TimerId id = next_id_++;
  by_id_.emplace(id, deadline);
  try {
    by_deadline_.emplace(Key{deadline, id}, Entry{id, period, std::move(callback)});
  } catch (...) {
    by_id_.erase(id);
    throw;
  }
  if (!expiring_) {
    rearm();
  }
  return id;
}

bool TimerQueue::cancel(TimerId id) noexcept {
  const auto found = by_id_.find(id);
  if (found == by_id_.end()) {
    return false;
  }
  // A periodic timer whose callback is running has been taken out of by_deadline_; dropping its
  // id is enough to stop expire() from putting it back.
  const auto entry = by_deadline_.find(Key{found->second, id});
  if (entry != by_deadline_.end()) {
    by_deadline_.erase(entry);
  }
  by_id_.erase(found);
  if (!expiring_) {
    // On failure the fd keeps an earlier arming: one spurious wake-up, which expire() absorbs.
    static_cast<void>(try_rearm());
  }
  return true;
}

std::size_t TimerQueue::expire(Clock::time_point now) {
  std::uint64_t expirations = 0;
  if (sys::read_record(fd_.get(), &expirations, sizeof expirations, "read(timerfd)")) {
    // A one-shot timerfd that fired is disarmed.
    armed_ = Clock::time_point::max();
  }

  std::vector<Key> due;
  for (const auto& [key, entry] : by_deadline_) {
    if (key.first > now) {
      break;
    }
    due.push_back(key);
  }

  struct Finish {
    TimerQueue& queue;
    bool previous;
    ~Finish() {
      queue.expiring_ = previous;
      if (!previous) {
        static_cast<void>(queue.try_rearm());
      }
    }
  } finish{*this, expiring_};
  expiring_ = true;

  std::size_t ran = 0;
  for (const Key& key : due) {
    auto node = by_deadline_.extract(key);
    if (node.empty()) {
      continue;  // cancelled by an earlier callback of this round
    }
    Entry& entry = node.mapped();
    const TimerId id = entry.id;
    const Clock::duration period = entry.period;
    if (period == Clock::duration::zero()) {
      by_id_.erase(id);
      const Callback callback = std::move(entry.callback);
      node = {};
      ++ran;
      callback();
      continue;
    }

    // Periodic: reschedule from the previous deadline, skipping whole periods already missed,
    // and put it back after its callback unless the callback cancelled it.
    Clock::time_point next = key.first + period;
    if (next <= now) {
      next += period * ((now - next) / period + 1);
    }
    const auto put_back = [this, &node, id, next]() noexcept {
      const auto found = by_id_.find(id);
      if (found == by_id_.end()) {
        return;  // the callback cancelled its own timer
      }
      found->second = next;
      node.key() = Key{next, id};
      by_deadline_.insert(std::move(node));
    };
    ++ran;
    try {
      entry.callback();
    } catch (...) {
      put_back();
      throw;
    }
    put_back();
  }
  return ran;
}

TimerQueue::Clock::time_point TimerQueue::next_deadline() const noexcept {
  return by_deadline_.empty() ? Clock::time_point::max() : by_deadline_.begin()->first.first;
}

void TimerQueue::rearm() {
  if (!try_rearm()) {
    sys::throw_errno("timerfd_settime");
  }
}

bool TimerQueue::try_rearm() noexcept {
  const Clock::time_point next = next_deadline();
  if (next == armed_) {
    return true;
  }
  const itimerspec spec = next == Clock::time_point::max() ? itimerspec{} : absolute_spec(next);
  if (::timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    return false;
  }
  armed_ = next;
  return true;
}

}  // namespace pimqttd::core
