// The host_controls buttons through the whole daemon: a PRESS published on the broker reaches
// the daemon's command topic, and the daemon calls systemd-logind on the system bus, here a
// private dbus-daemon (DBUS_SYSTEM_BUS_ADDRESS, which sd-bus reads) with fake login1 and
// systemd1 services that record the calls and answer as the test says. The daemon writes its
// log as it does under systemd (JOURNAL_STREAM names its stderr): each line with its journald
// priority, so the press's notice shows as <5>. The fake systemd tells the daemon it runs in
// pimqttd.service.

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "support/daemon_harness.hpp"
#include "support/fake_dbus.hpp"

namespace pimqttd::test {
namespace {

using Calls = std::vector<std::string>;

const std::string& kReboot = kRebootCall;
const std::string& kPowerOff = kPowerOffCall;
const std::string& kGetUnit = kGetUnitByPidCall;
const std::string kRestart = restart_unit_call("pimqttd.service");

class HostControlsDaemonTest : public DaemonTest {
 protected:
  [[nodiscard]] Json host_controls(bool restart, bool reboot, bool power_off) const {
    return Json{{"type", "host_controls"},
                {"restart", restart},
                {"reboot", reboot},
                {"power_off", power_off}};
  }

  /// The daemon on the private bus, logging with journald priorities into log_path().
  [[nodiscard]] Process start() const {
    write_text(log_path(), "");
    struct stat info {};
    EXPECT_EQ(::stat(log_path().c_str(), &info), 0);
    return start_daemon({"DBUS_SYSTEM_BUS_ADDRESS=" + bus_.address(),
                         "JOURNAL_STREAM=" + std::to_string(info.st_dev) + ":" +
                             std::to_string(info.st_ino)});
  }

  void press(const std::string& entity, const std::string& payload = "PRESS") const {
    send_command(entity, payload);
  }

  [[nodiscard]] bool logged(const std::string& line) const {
    return wait_until([&] { return daemon_log().find(line + "\n") != std::string::npos; },
                      kDeadline, std::chrono::milliseconds{10});
  }

  /// Waits until a discovery payload announces exactly the host buttons `ids` (and the
  /// daemon's diagnostics), each a button with its command topic; returns the last payload.
  [[nodiscard]] bool announced(const Subscriber& subscriber, const std::set<std::string>& ids) {
    return wait_until(
        [&] {
          const auto all = discoveries(subscriber);
          if (all.empty()) return false;
          std::set<std::string> live;
          for (const auto& id : component_ids(all.back())) {
            if (!removed_ids(all.back()).contains(id)) live.insert(id);
          }
          if (live != with_diagnostics(ids)) return false;
          for (const std::string& id : ids) {
            const Json& c = all.back().at("cmps").at(id);
            if (c.at("p") != "button" || c.at("command_topic") != "pimqttd/testpi/" + id + "/set" ||
                c.at("payload_press") != "PRESS") {
              return false;
            }
          }
          return true;
        },
        kDeadline, std::chrono::milliseconds{10});
  }

  PrivateBus bus_;
  FakeHostServices services_{bus_.address()};
};

TEST_F(HostControlsDaemonTest, APressAsksLogindAndEveryStepIsLoggedWithItsPriority) {
  write_config(config(broker_.port(), Json::array({host_controls(true, true, true)})));
  const auto subscriber = subscribe();
  auto daemon = start();
  ASSERT_TRUE(announced(*subscriber, {"host_restart", "host_reboot", "host_power_off"})) << logs();
  const Json discovery = discoveries(*subscriber).back();
  EXPECT_EQ(discovery.at("cmps").at("host_restart").at("name"), "Restart pimqttd");
  EXPECT_EQ(discovery.at("cmps").at("host_restart").at("device_class"), "restart");
  EXPECT_EQ(discovery.at("cmps").at("host_reboot").at("name"), "Reboot");
  EXPECT_EQ(discovery.at("cmps").at("host_reboot").at("device_class"), "restart");
  EXPECT_EQ(discovery.at("cmps").at("host_power_off").at("name"), "Power off");
  EXPECT_FALSE(discovery.at("cmps").at("host_power_off").contains("device_class"));

  press("host_reboot");
  ASSERT_TRUE(logged("<6>host_reboot: systemd-logind accepted the reboot")) << logs();
  EXPECT_EQ(services_.calls(), Calls{kReboot});
  EXPECT_NE(daemon_log().find(
                "<5>host_reboot: Reboot pressed: asking systemd-logind to reboot the host\n"),
            std::string::npos)
      << logs();

  press("host_restart");
  ASSERT_TRUE(logged("<6>host_restart: systemd accepted the restart of pimqttd.service (job "
                     "/org/freedesktop/systemd1/job/42)"))
      << logs();
  EXPECT_NE(daemon_log().find("<5>host_restart: Restart pimqttd pressed: asking systemd to "
                              "restart pimqttd's service\n"),
            std::string::npos)
      << logs();
  EXPECT_EQ(services_.calls(), (Calls{kReboot, kGetUnit, kRestart}));

  services_.refuse("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                   "Interactive authentication required.");
  press("host_power_off");
  ASSERT_TRUE(logged(
      "<3>host_power_off: systemd-logind refused the power-off: "
      "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired: Interactive authentication "
      "required. (check that polkitd is installed and that "
      "/usr/share/polkit-1/rules.d/60-pimqttd.rules, which lets the user pimqttd reboot, power "
      "off and restart pimqttd.service, is in place; see host_controls in pimqttd.json(5))"))
      << logs();
  EXPECT_EQ(services_.calls(), (Calls{kReboot, kGetUnit, kRestart, kPowerOff}));

  press("host_reboot", "reboot now");
  ASSERT_TRUE(logged("<4>host_reboot: ignored the command \"reboot now\": expected PRESS"))
      << logs();
  EXPECT_EQ(services_.calls().size(), 4u);
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

TEST_F(HostControlsDaemonTest, AnActionTurnedOffByAReloadIsGoneAndItsTopicDoesNothing) {
  write_config(config(broker_.port(), Json::array({host_controls(false, true, true)})));
  const auto subscriber = subscribe();
  auto daemon = start();
  ASSERT_TRUE(announced(*subscriber, {"host_reboot", "host_power_off"})) << logs();

  write_config(config(broker_.port(), Json::array({host_controls(false, false, true)})));
  daemon.signal(SIGHUP);
  ASSERT_TRUE(announced(*subscriber, {"host_power_off"})) << logs();
  // Home Assistant was told to remove it (a message reducing it to its platform came first).
  const auto messages = discoveries(*subscriber);
  EXPECT_TRUE(std::any_of(messages.begin(), messages.end(), [](const Json& message) {
    return removed_ids(message) == std::set<std::string>{"host_reboot"};
  }));

  press("host_reboot");
  // A message on another topic after it: once its warning is logged, the broker has delivered
  // whatever the daemon was still subscribed to before it.
  press("host_power_off", "not now");
  ASSERT_TRUE(logged("<4>host_power_off: ignored the command \"not now\": expected PRESS"))
      << logs();
  EXPECT_EQ(services_.calls(), Calls{});
  EXPECT_EQ(daemon_log().find("host_reboot:"), std::string::npos) << logs();
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

using HostControlsCommandLineTest = DaemonTestBase;

TEST_F(HostControlsCommandLineTest, AnEntryThatEnablesNothingExits78) {
  write_config(config(1883, Json::array({Json{{"type", "host_controls"}, {"reboot", false}}})));
  const auto result = run({"--config", config_path().string(), "--check-config"});
  ASSERT_TRUE(result.status);
  EXPECT_EQ(*result.status, ExitStatus::exited(78));
  EXPECT_EQ(result.err,
            "sensors[0]: expected at least one of \"restart\", \"reboot\" and \"power_off\" set "
            "to true (a host_controls entry that enables none has no button)\n"
            "pimqttd: " +
                config_path().string() + ": configuration invalid (1 error)\n");
}

}  // namespace
}  // namespace pimqttd::test
