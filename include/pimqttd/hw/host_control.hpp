#pragma once
// HostControl: the seam through which pimqttd asks the system to restart its own service, reboot
// the host or power it off (the host_controls sensor type's buttons).
//
// DbusHostControl asks over D-Bus, on the system bus, the way `systemctl` does:
// - reboot:    org.freedesktop.login1 /org/freedesktop/login1
//              org.freedesktop.login1.Manager.Reboot(false)
// - power off: the same object's PowerOff(false)
// - restart:   org.freedesktop.systemd1 /org/freedesktop/systemd1
//              org.freedesktop.systemd1.Manager.RestartUnit(<own unit>, "replace"), the own unit
//              being the one systemd answers to GetUnitByPID(0) on the same connection (0: the
//              caller, whose PID systemd takes from the bus), and only a system service
//              (restart_problem()).
// The own unit comes from systemd rather than from sd_pid_get_unit(0): sd-login reads
// /proc/1/cgroup to find the cgroup root, and the unit's ProtectProc=invisible hides PID 1, so
// under the service's own sandbox it fails with ESRCH.
// The `false` is logind's "interactive": no password prompt is possible, so polkit decides at
// once. Whether the caller may do it is polkit's decision (systemd-logind asks for
// org.freedesktop.login1.reboot, -multiple-sessions when other users are logged in, and
// likewise power-off; systemd for org.freedesktop.systemd1.manage-units with the details
// unit and verb); the Debian package ships a rule that allows exactly these to the user pimqttd.
//
// Nothing blocks the loop: each request opens its own connection (sd-bus, non-blocking), sends
// the call asynchronously and is driven by the loop through the connection's fd (readable or
// writable as sd-bus asks) and a timer at sd-bus's next deadline (the call's timeout). The answer
// comes back through the request's callback, on the loop, and the connection is closed.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pimqttd::core {
class EventLoop;
}  // namespace pimqttd::core

namespace pimqttd::hw {

enum class HostAction : std::uint8_t { restart_service, reboot, power_off };

/// "restart", "reboot", "power-off": the action as log lines name it.
[[nodiscard]] std::string_view action_name(HostAction action) noexcept;
/// Who carries the action out: "systemd" (restart) or "systemd-logind".
[[nodiscard]] std::string_view action_service(HostAction action) noexcept;

/// How a request ended.
struct HostActionResult {
  /// The service accepted the call (the reboot, power-off or restart job is under way).
  bool accepted = false;
  /// The D-Bus error the service answered with ("org.freedesktop.DBus.Error.AccessDenied");
  /// empty when it accepted or when the call never reached it.
  std::string error_name;
  /// One line saying what happened, for the log: "systemd-logind accepted the reboot",
  /// "systemd accepted the restart of pimqttd.service (job /org/freedesktop/systemd1/job/42)",
  /// "systemd-logind refused the reboot: <error name>: <error message>", "cannot ask
  /// systemd-logind for the reboot: cannot connect to the system bus: ...", "cannot ask systemd
  /// for the restart: the daemon does not run as a systemd service (it runs in session-2.scope)".
  std::string summary;
  friend bool operator==(const HostActionResult&, const HostActionResult&) = default;
};

class HostControl {
 public:
  /// Called on the loop with the result, once per request (never from inside request()), unless
  /// the HostControl is destroyed first: then never.
  using Done = std::function<void(HostActionResult)>;

  HostControl() = default;
  HostControl(const HostControl&) = delete;
  HostControl& operator=(const HostControl&) = delete;
  virtual ~HostControl() = default;

  /// Asks for `action`. Requests are independent of each other (each has its own connection).
  virtual void request(HostAction action, Done done) = 0;
};

/// Why `unit`, the unit systemd says the daemon runs in, is not one to restart; "" when it is.
/// Only a ".service" of the system manager is: a process started from a login session sits in
/// a scope ("session-2.scope", which cannot be restarted), and one run by a user's service
/// manager is in that manager's unit ("user@1000.service": restarting it would end every
/// service of that user).
[[nodiscard]] std::string restart_problem(std::string_view unit);

struct DbusHostControlOptions {
  /// The bus to call: empty for the system bus (sd_bus_open_system: $DBUS_SYSTEM_BUS_ADDRESS,
  /// else /run/dbus/system_bus_socket); tests give a private bus ("unix:path=/tmp/.../bus").
  std::string bus_address;
  /// How long each call may take before it fails with org.freedesktop.DBus.Error.NoReply
  /// ("Method call timed out"); a connection that never gets that far fails a second later.
  std::chrono::milliseconds timeout{std::chrono::seconds{25}};
};

class DbusHostControl final : public HostControl {
 public:
  /// `loop` must outlive this object.
  explicit DbusHostControl(core::EventLoop& loop, DbusHostControlOptions options = {});
  /// Closes the connections of requests still waiting; their callbacks are not called (the
  /// services may still carry out what was sent).
  ~DbusHostControl() override;

  void request(HostAction action, Done done) override;

  /// Requests whose answer has not come yet.
  [[nodiscard]] std::size_t pending() const noexcept;

 private:
  class Call;
  void finish(Call& call);

  core::EventLoop& loop_;
  DbusHostControlOptions options_;
  std::vector<std::unique_ptr<Call>> calls_;
};

}  // namespace pimqttd::hw
