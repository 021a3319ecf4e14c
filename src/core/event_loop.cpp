#include "pimqttd/core/event_loop.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <csignal>
#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "syscall.hpp"

namespace pimqttd::core {
namespace {

// epoll_event.data carries the watch's fd in the low 32 bits and its serial in the high 32 bits,
// so an event collected for a watch that has since been removed (or replaced by a new watch on
// the same fd number) is recognised as stale. Serial 0 marks the loop's own fds.
constexpr std::uint32_t kInternalSerial = 0;
constexpr std::size_t kMaxEvents = 64;

std::uint64_t pack(int fd, std::uint32_t serial) noexcept {
  return (std::uint64_t{serial} << 32) | static_cast<std::uint32_t>(fd);
}
int unpack_fd(std::uint64_t data) noexcept {
  return static_cast<int>(static_cast<std::uint32_t>(data & 0xffff'ffffu));
}
std::uint32_t unpack_serial(std::uint64_t data) noexcept {
  return static_cast<std::uint32_t>(data >> 32);
}

std::uint32_t to_epoll(std::uint32_t interest) noexcept {
  std::uint32_t events = 0;
  if ((interest & kReadable) != 0) {
    events |= EPOLLIN | EPOLLRDHUP;
  }
  if ((interest & kWritable) != 0) {
    events |= EPOLLOUT;
  }
  return events;
}

std::uint32_t from_epoll(std::uint32_t events) noexcept {
  std::uint32_t result = 0;
  if ((events & (EPOLLIN | EPOLLPRI)) != 0) {
    result |= kReadable;
  }
  if ((events & EPOLLOUT) != 0) {
    result |= kWritable;
  }
  if ((events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) != 0) {
    result |= kError;
  }
  return result;
}

void epoll_control(int epoll_fd, int op, int fd, std::uint32_t events, std::uint64_t data,
                   const char* call) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = data;
  sys::checked(call, [&] { return ::epoll_ctl(epoll_fd, op, fd, &event); });
}

}  // namespace

struct EventLoop::Impl {
  struct Watch {
    int fd;
    std::uint32_t serial;
    std::uint32_t interest;
    IoCallback callback;
  };

  UniqueFd epoll_fd;
  TimerQueue timers;
  UniqueFd signal_fd;
  sigset_t signal_mask{};
  std::map<int, SignalCallback> signal_callbacks;
  std::unordered_map<int, std::shared_ptr<Watch>> watches;
  std::uint32_t next_serial = 1;
  std::vector<std::function<void()>> deferred;
  bool stop_requested = false;

  Impl()
      : epoll_fd(sys::checked("epoll_create1", [] { return ::epoll_create1(EPOLL_CLOEXEC); })) {
    sigemptyset(&signal_mask);
    signal_fd = UniqueFd(sys::checked(
        "signalfd", [this] { return ::signalfd(-1, &signal_mask, SFD_NONBLOCK | SFD_CLOEXEC); }));
    epoll_control(epoll_fd.get(), EPOLL_CTL_ADD, timers.fd(), EPOLLIN,
                  pack(timers.fd(), kInternalSerial), "epoll_ctl(ADD timerfd)");
    epoll_control(epoll_fd.get(), EPOLL_CTL_ADD, signal_fd.get(), EPOLLIN,
                  pack(signal_fd.get(), kInternalSerial), "epoll_ctl(ADD signalfd)");
  }

  std::uint32_t take_serial() noexcept {
    const std::uint32_t serial = next_serial++;
    if (next_serial == kInternalSerial) {
      next_serial = 1;
    }
    return serial;
  }

  std::size_t dispatch_signals() {
    std::size_t ran = 0;
    signalfd_siginfo info{};
    while (sys::read_record(signal_fd.get(), &info, sizeof info, "read(signalfd)")) {
      const auto found = signal_callbacks.find(static_cast<int>(info.ssi_signo));
      if (found == signal_callbacks.end()) {
        continue;
      }
      // A copy: the callback may replace itself through on_signal().
      const SignalCallback callback = found->second;
      ++ran;
      callback(info);
    }
    return ran;
  }

  std::size_t dispatch_io(std::uint64_t data, std::uint32_t events) {
    const auto found = watches.find(unpack_fd(data));
    if (found == watches.end() || found->second->serial != unpack_serial(data)) {
      return 0;  // removed (or replaced) by an earlier callback of this batch
    }
    // Keep the watch alive while its callback runs: the callback may unwatch its own fd.
    const std::shared_ptr<Watch> watch = found->second;
    const std::uint32_t delivered = from_epoll(events) & (watch->interest | kError);
    if (delivered == 0) {
      return 0;  // interest changed by an earlier callback of this batch
    }
    watch->callback(delivered);
    return 1;
  }

  std::size_t run_deferred() {
    std::vector<std::function<void()>> batch;
    batch.swap(deferred);
    std::size_t ran = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        batch[i]();
      } catch (...) {
        // Whatever was not run yet keeps its place, ahead of anything deferred since.
        const auto rest = batch.begin() + static_cast<std::ptrdiff_t>(i) + 1;
        deferred.insert(deferred.begin(), std::make_move_iterator(rest),
                        std::make_move_iterator(batch.end()));
        throw;
      }
      ++ran;
    }
    return ran;
  }
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() = default;

WatchHandle EventLoop::start_watch(int fd, std::uint32_t interest, IoCallback callback) {
  const std::uint32_t serial = add_watch(fd, interest, std::move(callback));
  return {*this, fd, serial};
}

std::uint32_t EventLoop::add_watch(int fd, std::uint32_t interest, IoCallback callback) {
  if (fd < 0) {
    throw std::invalid_argument("EventLoop::start_watch: negative fd");
  }
  if (!callback) {
    throw std::invalid_argument("EventLoop::start_watch: empty callback");
  }
  if (impl_->watches.contains(fd)) {
    throw std::logic_error("EventLoop::start_watch: fd " + std::to_string(fd) +
                           " is already watched");
  }
  interest &= kReadable | kWritable;
  auto watch = std::make_shared<Impl::Watch>(
      Impl::Watch{fd, impl_->take_serial(), interest, std::move(callback)});
  epoll_control(impl_->epoll_fd.get(), EPOLL_CTL_ADD, fd, to_epoll(interest),
                pack(fd, watch->serial), "epoll_ctl(ADD)");
  const std::uint32_t serial = watch->serial;
  try {
    impl_->watches.emplace(fd, std::move(watch));
  } catch (...) {
    epoll_event ignored{};
    static_cast<void>(::epoll_ctl(impl_->epoll_fd.get(), EPOLL_CTL_DEL, fd, &ignored));
    throw;
  }
  return serial;
}

void EventLoop::modify(int fd, std::uint32_t interest) {
  const auto found = impl_->watches.find(fd);
  if (found == impl_->watches.end()) {
    throw std::logic_error("EventLoop::modify: fd " + std::to_string(fd) + " is not watched");
  }
  Impl::Watch& watch = *found->second;
  interest &= kReadable | kWritable;
  if (interest == watch.interest) {
    return;
  }
  epoll_control(impl_->epoll_fd.get(), EPOLL_CTL_MOD, fd, to_epoll(interest),
                pack(fd, watch.serial), "epoll_ctl(MOD)");
  watch.interest = interest;
}

void EventLoop::unwatch(int fd) noexcept {
  const auto found = impl_->watches.find(fd);
  if (found == impl_->watches.end()) {
    return;
  }
  // Fails only if the owner already closed the fd, which removed it from the epoll set anyway.
  epoll_event ignored{};
  static_cast<void>(::epoll_ctl(impl_->epoll_fd.get(), EPOLL_CTL_DEL, fd, &ignored));
  impl_->watches.erase(found);
}

TimerId EventLoop::add_timer(Clock::time_point deadline, Clock::duration period,
                             TimerQueue::Callback callback) {
  return impl_->timers.add(deadline, period, std::move(callback));
}

bool EventLoop::cancel(TimerId id) noexcept { return impl_->timers.cancel(id); }

bool EventLoop::scheduled(TimerId id) const noexcept { return impl_->timers.contains(id); }

TimerHandle EventLoop::start_timer(Clock::time_point deadline, TimerQueue::Callback callback) {
  return {*this, add_timer(deadline, Clock::duration::zero(), std::move(callback))};
}

TimerHandle EventLoop::start_timer(Clock::duration delay, TimerQueue::Callback callback) {
  return start_timer(now() + delay, std::move(callback));
}

TimerHandle EventLoop::start_periodic(Clock::duration period, TimerQueue::Callback callback) {
  if (period <= Clock::duration::zero()) {
    throw std::invalid_argument("EventLoop::start_periodic: period must be positive");
  }
  return {*this, add_timer(now() + period, period, std::move(callback))};
}

void EventLoop::on_signal(int signo, SignalCallback callback) {
  if (!callback) {
    throw std::invalid_argument("EventLoop::on_signal: empty callback");
  }
  sigset_t one;
  sigemptyset(&one);
  if (sigaddset(&one, signo) != 0) {
    sys::throw_errno("sigaddset");
  }
  const int rc = ::pthread_sigmask(SIG_BLOCK, &one, nullptr);
  if (rc != 0) {
    throw std::system_error(rc, std::system_category(), "pthread_sigmask");
  }
  sigset_t mask = impl_->signal_mask;
  sigaddset(&mask, signo);
  sys::checked("signalfd", [&] { return ::signalfd(impl_->signal_fd.get(), &mask, 0); });
  impl_->signal_mask = mask;
  impl_->signal_callbacks.insert_or_assign(signo, std::move(callback));
}

void EventLoop::defer(std::function<void()> callback) {
  if (!callback) {
    throw std::invalid_argument("EventLoop::defer: empty callback");
  }
  impl_->deferred.push_back(std::move(callback));
}

void EventLoop::run() {
  impl_->stop_requested = false;
  try {
    while (!impl_->stop_requested) {
      static_cast<void>(run_once(std::chrono::milliseconds(-1)));
    }
  } catch (...) {
    impl_->stop_requested = true;
    throw;
  }
}

std::size_t EventLoop::run_once(std::chrono::milliseconds max_wait) {
  int timeout = -1;
  if (!impl_->deferred.empty()) {
    timeout = 0;
  } else if (max_wait.count() >= 0) {
    timeout = static_cast<int>(std::min<std::chrono::milliseconds::rep>(max_wait.count(), INT_MAX));
  }

  std::array<epoll_event, kMaxEvents> events{};
  int ready = ::epoll_wait(impl_->epoll_fd.get(), events.data(), static_cast<int>(events.size()),
                           timeout);
  if (ready < 0) {
    if (errno != EINTR) {
      sys::throw_errno("epoll_wait");
    }
    ready = 0;  // interrupted: an empty iteration, the caller loops
  }

  std::size_t ran = 0;
  bool timers_ready = false;
  for (const epoll_event& event : std::span(events.data(), static_cast<std::size_t>(ready))) {
    const std::uint64_t data = event.data.u64;
    if (unpack_serial(data) == kInternalSerial) {
      if (unpack_fd(data) == impl_->timers.fd()) {
        timers_ready = true;
      } else {
        ran += impl_->dispatch_signals();
      }
      continue;
    }
    ran += impl_->dispatch_io(data, event.events);
  }
  if (timers_ready) {
    ran += impl_->timers.expire(now());
  }
  ran += impl_->run_deferred();
  return ran;
}

void EventLoop::stop() noexcept { impl_->stop_requested = true; }

bool EventLoop::stopped() const noexcept { return impl_->stop_requested; }

TimerHandle::TimerHandle(TimerHandle&& other) noexcept
    : loop_(std::exchange(other.loop_, nullptr)), id_(std::exchange(other.id_, 0)) {}

TimerHandle& TimerHandle::operator=(TimerHandle&& other) noexcept {
  if (this != &other) {
    reset();
    loop_ = std::exchange(other.loop_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void TimerHandle::reset() noexcept {
  if (loop_ != nullptr) {
    static_cast<void>(std::exchange(loop_, nullptr)->cancel(std::exchange(id_, 0)));
  }
}

bool TimerHandle::active() const noexcept { return loop_ != nullptr && loop_->scheduled(id_); }

WatchHandle::WatchHandle(WatchHandle&& other) noexcept
    : loop_(std::exchange(other.loop_, nullptr)),
      fd_(std::exchange(other.fd_, -1)),
      serial_(std::exchange(other.serial_, 0)) {}

WatchHandle& WatchHandle::operator=(WatchHandle&& other) noexcept {
  if (this != &other) {
    reset();
    loop_ = std::exchange(other.loop_, nullptr);
    fd_ = std::exchange(other.fd_, -1);
    serial_ = std::exchange(other.serial_, 0);
  }
  return *this;
}

void WatchHandle::reset() noexcept {
  if (active()) {
    loop_->unwatch(fd_);
  }
  loop_ = nullptr;
  fd_ = -1;
  serial_ = 0;
}

bool WatchHandle::active() const noexcept {
  if (loop_ == nullptr) {
    return false;
  }
  const auto found = loop_->impl_->watches.find(fd_);
  return found != loop_->impl_->watches.end() && found->second->serial == serial_;
}

void WatchHandle::set_interest(std::uint32_t interest) {
  if (!active()) {
    throw std::logic_error("WatchHandle::set_interest: not watching");
  }
  loop_->modify(fd_, interest);
}

std::uint32_t WatchHandle::interest() const noexcept {
  return active() ? loop_->impl_->watches.find(fd_)->second->interest : 0;
}

}  // namespace pimqttd::core
