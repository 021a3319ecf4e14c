#include "pimqttd/hw/host_control.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "support/fake_dbus.hpp"
#include "support/loop.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace pimqttd::hw {

// GoogleTest prints results with this.
void PrintTo(const HostActionResult& r, std::ostream* out) {
  *out << (r.accepted ? "accepted" : "not accepted") << " [" << r.error_name << "] "
       << r.summary;
}

namespace {

using namespace std::chrono_literals;
using Calls = std::vector<std::string>;

HostActionResult accepted(std::string summary) { return {true, "", std::move(summary)}; }
HostActionResult refused(std::string error_name, std::string summary) {
  return {false, std::move(error_name), std::move(summary)};
}
HostActionResult failed(std::string summary) { return {false, "", std::move(summary)}; }

const std::string& kReboot = test::kRebootCall;
const std::string& kPowerOff = test::kPowerOffCall;
const std::string& kGetUnit = test::kGetUnitByPidCall;
const std::string kRestart = test::restart_unit_call("pimqttd.service");

class DbusHostControlTest : public ::testing::Test {
 protected:
  [[nodiscard]] DbusHostControlOptions options() const {
    DbusHostControlOptions o;
    o.bus_address = bus_.address();
    return o;
  }

  /// Asks for `action` and runs the loop until the answer comes (bounded).
  std::optional<HostActionResult> ask(HostControl& control, HostAction action) {
    std::optional<HostActionResult> result;
    control.request(action, [&result](HostActionResult r) { result = std::move(r); });
    EXPECT_FALSE(result.has_value()) << "answered from inside request()";
    EXPECT_TRUE(test::run_until(loop_, [&result] { return result.has_value(); }))
        << "no answer within 10 s";
    return result;
  }

  core::EventLoop loop_;
  test::PrivateBus bus_;
  test::FakeHostServices services_{bus_.address()};
};

TEST_F(DbusHostControlTest, RebootCallsLogindsRebootNotInteractive) {
  DbusHostControl control(loop_, options());
  EXPECT_EQ(ask(control, HostAction::reboot), accepted("systemd-logind accepted the reboot"));
  EXPECT_EQ(services_.calls(), Calls{kReboot});
  EXPECT_EQ(control.pending(), 0u);
}

TEST_F(DbusHostControlTest, PowerOffCallsLogindsPowerOffNotInteractive) {
  DbusHostControl control(loop_, options());
  EXPECT_EQ(ask(control, HostAction::power_off),
            accepted("systemd-logind accepted the power-off"));
  EXPECT_EQ(services_.calls(), Calls{kPowerOff});
}

TEST_F(DbusHostControlTest, RestartAsksSystemdForTheOwnUnitThenRestartsItReplacing) {
  DbusHostControl control(loop_, options());
  EXPECT_EQ(ask(control, HostAction::restart_service),
            accepted("systemd accepted the restart of pimqttd.service "
                     "(job /org/freedesktop/systemd1/job/42)"));
  EXPECT_EQ(services_.calls(), (Calls{kGetUnit, kRestart}));

  // The unit's name as systemd escapes it in the object path.
  services_.set_caller_unit("pimqttd@dev-i2c_1.service");
  EXPECT_EQ(ask(control, HostAction::restart_service),
            accepted("systemd accepted the restart of pimqttd@dev-i2c_1.service "
                     "(job /org/freedesktop/systemd1/job/42)"));
  EXPECT_EQ(services_.calls().back(), test::restart_unit_call("pimqttd@dev-i2c_1.service"));
}

TEST_F(DbusHostControlTest, ARefusalCarriesTheDbusErrorNameAndMessage) {
  services_.refuse("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                   "Interactive authentication required.");
  DbusHostControl control(loop_, options());
  EXPECT_EQ(ask(control, HostAction::reboot),
            refused("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                    "systemd-logind refused the reboot: "
                    "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired: Interactive "
                    "authentication required."));

  services_.refuse("org.freedesktop.DBus.Error.AccessDenied", "Access denied");
  EXPECT_EQ(ask(control, HostAction::restart_service),
            refused("org.freedesktop.DBus.Error.AccessDenied",
                    "systemd refused the restart of pimqttd.service: "
                    "org.freedesktop.DBus.Error.AccessDenied: Access denied"));
  EXPECT_EQ(services_.calls(), (Calls{kReboot, kGetUnit, kRestart}));
}

TEST_F(DbusHostControlTest, OutsideASystemServiceARestartIsNotAskedFor) {
  DbusHostControl control(loop_, options());
  services_.set_caller_unit("session-2.scope");
  EXPECT_EQ(ask(control, HostAction::restart_service),
            failed("cannot ask systemd for the restart: the daemon does not run as a systemd "
                   "service (it runs in session-2.scope)"));
  services_.set_caller_unit("user@1000.service");
  EXPECT_EQ(ask(control, HostAction::restart_service),
            failed("cannot ask systemd for the restart: the daemon runs under a user's service "
                   "manager (user@1000.service), not as a system service"));
  services_.set_caller_unit("");
  EXPECT_EQ(ask(control, HostAction::restart_service),
            refused("org.freedesktop.systemd1.NoUnitForPID",
                    "cannot ask systemd for the restart: systemd does not know the daemon's "
                    "unit: org.freedesktop.systemd1.NoUnitForPID: The caller does not belong to "
                    "any loaded unit."));
  EXPECT_EQ(services_.calls(), (Calls{kGetUnit, kGetUnit, kGetUnit}));
  // The reboot still works: only the restart needs the unit.
  EXPECT_EQ(ask(control, HostAction::reboot), accepted("systemd-logind accepted the reboot"));
  EXPECT_EQ(services_.calls().back(), kReboot);
}

TEST_F(DbusHostControlTest, ABusThatIsNotThereFailsSayingWhere) {
  const test::TempDir dir;
  DbusHostControlOptions o = options();
  o.bus_address = "unix:path=" + (dir / "no-bus").string();
  DbusHostControl control(loop_, o);
  EXPECT_EQ(ask(control, HostAction::power_off),
            failed("cannot ask systemd-logind for the power-off: cannot connect to the bus at " +
                   o.bus_address + ": " + std::strerror(ENOENT)));
  EXPECT_EQ(control.pending(), 0u);
}

TEST_F(DbusHostControlTest, ASilentServiceTimesOutWithoutBlockingTheLoop) {
  services_.stay_silent();
  DbusHostControlOptions o = options();
  o.timeout = 300ms;
  DbusHostControl control(loop_, o);
  // A timer on the same loop keeps firing while the call waits.
  int ticks = 0;
  const core::TimerHandle tick = loop_.start_periodic(20ms, [&ticks] { ++ticks; });
  const auto started = std::chrono::steady_clock::now();
  const auto result = ask(control, HostAction::reboot);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(result, refused("org.freedesktop.DBus.Error.NoReply",
                            "systemd-logind refused the reboot: "
                            "org.freedesktop.DBus.Error.NoReply: Method call timed out"));
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 1300ms);
  EXPECT_GE(ticks, 5);
  EXPECT_EQ(services_.calls(), Calls{kReboot});
}

TEST_F(DbusHostControlTest, RequestsAreIndependentOfEachOther) {
  DbusHostControl control(loop_, options());
  std::vector<std::string> summaries;
  control.request(HostAction::reboot,
                  [&summaries](const HostActionResult& r) { summaries.push_back(r.summary); });
  control.request(HostAction::power_off,
                  [&summaries](const HostActionResult& r) { summaries.push_back(r.summary); });
  EXPECT_EQ(control.pending(), 2u);
  ASSERT_TRUE(test::run_until(loop_, [&summaries] { return summaries.size() == 2; }));
  std::sort(summaries.begin(), summaries.end());
  EXPECT_EQ(summaries, (std::vector<std::string>{"systemd-logind accepted the power-off",
                                                 "systemd-logind accepted the reboot"}));
  auto calls = services_.calls();
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(calls, (Calls{kPowerOff, kReboot}));
}

TEST_F(DbusHostControlTest, DestroyedWhileWaitingItNeverCallsBack) {
  services_.stay_silent();
  bool called = false;
  {
    DbusHostControl control(loop_, options());
    control.request(HostAction::reboot, [&called](const HostActionResult&) { called = true; });
    ASSERT_TRUE(test::run_until(loop_, [this] { return services_.calls().size() == 1; }));
  }
  test::run_for(loop_, 100ms);
  EXPECT_FALSE(called);
}

// ---- restart_problem ------------------------------------------------------------------------

TEST(RestartProblem, OnlyAServiceOfTheSystemManager) {
  EXPECT_EQ(restart_problem("pimqttd.service"), "");
  EXPECT_EQ(restart_problem("pimqttd@dev-i2c_1.service"), "");
  EXPECT_EQ(restart_problem("session-2.scope"),
            "the daemon does not run as a systemd service (it runs in session-2.scope)");
  EXPECT_EQ(restart_problem("user@1000.service"),
            "the daemon runs under a user's service manager (user@1000.service), not as a "
            "system service");
  EXPECT_EQ(restart_problem("-.slice"),
            "the daemon does not run as a systemd service (it runs in -.slice)");
}

TEST(HostAction, NamesAndServices) {
  EXPECT_EQ(action_name(HostAction::restart_service), "restart");
  EXPECT_EQ(action_name(HostAction::reboot), "reboot");
  EXPECT_EQ(action_name(HostAction::power_off), "power-off");
  EXPECT_EQ(action_service(HostAction::restart_service), "systemd");
  EXPECT_EQ(action_service(HostAction::reboot), "systemd-logind");
  EXPECT_EQ(action_service(HostAction::power_off), "systemd-logind");
}

}  // namespace
}  // namespace pimqttd::hw
