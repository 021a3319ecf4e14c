#include "pimqttd/app/systemd.hpp"

#include <systemd/sd-daemon.h>

#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/log.hpp"

namespace pimqttd::app {

namespace {
constexpr core::Log kSystemdLog("systemd");
}  // namespace

SystemdNotifier::SystemdNotifier(core::EventLoop& loop) : loop_(loop) {}

SystemdNotifier::~SystemdNotifier() = default;

void SystemdNotifier::ready() {
  sd_notify(0, "READY=1");
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0 && !watchdog_timer_) {
    const auto period = std::chrono::microseconds(usec / 2);
    kSystemdLog.debug("petting the watchdog every {} ms",
                      std::chrono::duration_cast<std::chrono::milliseconds>(period).count());
    watchdog_timer_ = loop_.start_periodic(period, [] { sd_notify(0, "WATCHDOG=1"); });
  }
}

void SystemdNotifier::status(std::string_view text) {
  if (text == last_status_) return;
  last_status_ = text;
  sd_notify(0, ("STATUS=" + last_status_).c_str());
}

void SystemdNotifier::stopping() { sd_notify(0, "STOPPING=1"); }

void SystemdNotifier::reloading() { sd_notify(0, "RELOADING=1"); }

void SystemdNotifier::reloaded() { sd_notify(0, "READY=1"); }

}  // namespace pimqttd::app
