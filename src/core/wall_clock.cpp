#include "pimqttd/core/wall_clock.hpp"

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <utility>

#include <sys/timerfd.h>

#include "syscall.hpp"

namespace pimqttd::core {
namespace {

class KernelWallClock final : public WallClockApi {
 public:
  [[nodiscard]] UniqueFd open() const override {
    UniqueFd fd(sys::checked("timerfd_create(CLOCK_REALTIME)", [] {
      return ::timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    }));
    rearm(fd.get());
    return fd;
  }

  void rearm(int fd) const override {
    // A year ahead: the timer is there to be cancelled; should it expire, it is armed again.
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    itimerspec spec{};
    spec.it_value.tv_sec = now.tv_sec + std::time_t{366} * 24 * 3600;
    sys::checked("timerfd_settime(CANCEL_ON_SET)", [&] {
      return ::timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, nullptr);
    });
  }

  [[nodiscard]] bool consume_set(int fd) const override {
    std::uint64_t expirations = 0;
    for (;;) {
      if (::read(fd, &expirations, sizeof expirations) >= 0) return false;
      if (errno == EINTR) continue;
      if (errno == ECANCELED) return true;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      sys::throw_errno("read(timerfd CLOCK_REALTIME)");
    }
  }

  [[nodiscard]] std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

}  // namespace

const WallClockApi& kernel_wall_clock() {
  static const KernelWallClock api;
  return api;
}

WallClockWatch::WallClockWatch(EventLoop& loop, Callback callback, const WallClockApi& api)
    : api_(api), callback_(std::move(callback)), offset_(offset()), fd_(api_.open()) {
  watch_ = loop.start_watch(fd_.get(), kReadable, [this](std::uint32_t) { on_readable(); });
}

std::chrono::system_clock::time_point WallClockWatch::wall_time_of(
    EventLoop::Clock::time_point at) const {
  return std::chrono::system_clock::time_point{
      std::chrono::duration_cast<std::chrono::system_clock::duration>(at.time_since_epoch()) +
      offset_};
}

std::chrono::system_clock::duration WallClockWatch::offset() const {
  return api_.now().time_since_epoch() -
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             EventLoop::now().time_since_epoch());
}

void WallClockWatch::on_readable() {
  const bool set = api_.consume_set(fd_.get());
  // Cancelled or expired, the timer is disarmed: arm it again before anything else.
  api_.rearm(fd_.get());
  if (!set) return;
  const std::chrono::system_clock::duration now = offset();
  const std::chrono::system_clock::duration step = now - offset_;
  offset_ = now;
  callback_(step);
}

}  // namespace pimqttd::core
