#pragma once
// A private D-Bus for the tests of the host controls: a real dbus-daemon (from the dbus-daemon
// package) listening on a socket in a temporary directory, and on it FakeHostServices, which
// owns the names org.freedesktop.login1 and org.freedesktop.systemd1 and answers their Manager
// objects' calls as the test says. The client under test makes a real D-Bus round trip; only the
// far end is faked. Nothing listens outside the temporary directory.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pimqttd/core/unique_fd.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

struct sd_bus;
struct sd_bus_message;

namespace pimqttd::test {

/// A dbus-daemon of its own. Throws std::runtime_error when it cannot be started (dbus-daemon
/// not installed: scripts/setup installs it) or does not listen within the deadline.
class PrivateBus {
 public:
  PrivateBus();
  ~PrivateBus();
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  /// The bus's D-Bus address as the daemon printed it ("unix:path=/tmp/.../bus,guid=...").
  [[nodiscard]] const std::string& address() const noexcept { return address_; }

 private:
  TempDir dir_{"pimqttd-dbus"};
  Process daemon_;
  std::string address_;
};

/// The host controls' calls as FakeHostServices::calls() records them.
inline const std::string kRebootCall =
    "org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager.Reboot(false)";
inline const std::string kPowerOffCall =
    "org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager.PowerOff(false)";
inline const std::string kGetUnitByPidCall =
    "org.freedesktop.systemd1 /org/freedesktop/systemd1 "
    "org.freedesktop.systemd1.Manager.GetUnitByPID(0)";
inline std::string restart_unit_call(const std::string& unit) {
  return "org.freedesktop.systemd1 /org/freedesktop/systemd1 "
         "org.freedesktop.systemd1.Manager.RestartUnit(\"" +
         unit + "\", \"replace\")";
}

/// systemd-logind and systemd, as far as the host controls call them: every method call to
/// /org/freedesktop/login1 or /org/freedesktop/systemd1 is recorded and answered. A thread of
/// its own serves the connection (so that a test's loop can run the client meanwhile).
/// GetUnitByPID is answered with the unit set_caller_unit() names; the others (Reboot,
/// PowerOff, RestartUnit) as accept(), refuse() or stay_silent() last said.
class FakeHostServices {
 public:
  /// Connects to `address` and owns both names before returning.
  explicit FakeHostServices(const std::string& address);
  ~FakeHostServices();
  FakeHostServices(const FakeHostServices&) = delete;
  FakeHostServices& operator=(const FakeHostServices&) = delete;

  /// GetUnitByPID from now on answers that the caller runs in `unit` (default
  /// "pimqttd.service"); "": org.freedesktop.systemd1.NoUnitForPID.
  void set_caller_unit(std::string unit);
  /// Every call from now on is answered with this D-Bus error.
  void refuse(std::string error_name, std::string message);
  /// Every call from now on gets its normal answer: nothing for Reboot and PowerOff, the job
  /// path "/org/freedesktop/systemd1/job/42" for RestartUnit (the default).
  void accept();
  /// Calls from now on get no answer at all.
  void stay_silent();

  /// The calls received, in order, each as
  /// "<destination> <path> <interface>.<member>(<arguments>)", the arguments as a C-like list:
  /// `org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager.Reboot(false)`,
  /// `... org.freedesktop.systemd1.Manager.GetUnitByPID(0)`,
  /// `... org.freedesktop.systemd1.Manager.RestartUnit("pimqttd.service", "replace")`.
  [[nodiscard]] std::vector<std::string> calls() const;

 private:
  enum class Answer { accept, refuse, silent };
  struct Handler;  ///< sd-bus's callback
  void serve();

  struct BusDeleter {
    void operator()(sd_bus* bus) const noexcept;
  };
  std::unique_ptr<sd_bus, BusDeleter> bus_;
  core::UniqueFd stop_;  ///< an eventfd that ends serve()
  mutable std::mutex mutex_;
  Answer answer_ = Answer::accept;
  std::string error_name_;
  std::string error_message_;
  std::string caller_unit_ = "pimqttd.service";
  std::vector<std::string> calls_;
  std::vector<sd_bus_message*> unanswered_;  ///< kept referenced while silent
  std::thread thread_;
};

}  // namespace pimqttd::test
