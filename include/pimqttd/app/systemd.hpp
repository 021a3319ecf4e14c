#pragma once
// The daemon's side of systemd's service protocol (Type=notify): READY=1 once the loop runs,
// STATUS= lines saying what it is doing, WATCHDOG=1 from a loop timer at half of WatchdogSec=
// (so a hung loop gets the service restarted), STOPPING=1 on the way out. Outside systemd
// (no $NOTIFY_SOCKET) every call does nothing.

#include <string>
#include <string_view>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::app {

class SystemdNotifier {
 public:
  explicit SystemdNotifier(core::EventLoop& loop);
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  /// READY=1 and, when the unit has a watchdog, starts petting it from the loop.
  void ready();
  /// STATUS=<text>; repeated identical texts are sent once.
  void status(std::string_view text);
  void stopping();
  /// RELOADING=1: systemd holds the reload job (and `systemctl reload`) until reloaded().
  void reloading();
  /// READY=1 after a reload, whether it succeeded or kept the previous configuration.
  void reloaded();

 private:
  core::EventLoop& loop_;
  core::TimerHandle watchdog_timer_;
  std::string last_status_;
};

}  // namespace pimqttd::app
