#include "sensors/host_controls/host_controls.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pimqttd/ha/discovery.hpp"
#include "support/log_capture.hpp"
#include "support/recording_context.hpp"

namespace pimqttd::sensors {
namespace {

using hw::HostAction;
using hw::HostActionResult;
using Lines = std::vector<std::string>;

/// The seam's far end, answered by the test.
struct FakeControl final : hw::HostControl {
  struct Request {
    HostAction action;
    Done done;
  };
  std::vector<Request>* requests = nullptr;
  bool* destroyed = nullptr;
  ~FakeControl() override {
    if (destroyed != nullptr) *destroyed = true;
  }
  void request(HostAction action, Done done) override {
    requests->push_back({action, std::move(done)});
  }
};

HostActionResult accepted(std::string summary) { return {true, "", std::move(summary)}; }
HostActionResult refused(std::string error_name, std::string summary) {
  return {false, std::move(error_name), std::move(summary)};
}

const std::string kHint =
    " (check that polkitd is installed and that /usr/share/polkit-1/rules.d/60-pimqttd.rules, "
    "which lets the user pimqttd reboot, power off and restart pimqttd.service, is in place; "
    "see host_controls in pimqttd.json(5))";

class HostControlsTest : public ::testing::Test {
 protected:
  [[nodiscard]] std::unique_ptr<HostControls> make(bool restart, bool reboot, bool power_off) {
    return std::make_unique<HostControls>(
        HostControlsOptions{"host", restart, reboot, power_off},
        [this](core::EventLoop& loop) {
          EXPECT_EQ(&loop, &context_.loop());
          auto control = std::make_unique<FakeControl>();
          control->requests = &requests_;
          control->destroyed = &destroyed_;
          ++connections_;
          return control;
        });
  }

  /// Answers the oldest request not answered yet.
  void answer(const HostActionResult& result) {
    ASSERT_LT(answered_, requests_.size());
    requests_[answered_++].done(result);
  }

  test::LogCapture log_;
  test::RecordingContext context_;
  std::vector<FakeControl::Request> requests_;
  std::size_t answered_ = 0;
  int connections_ = 0;
  bool destroyed_ = false;
};

TEST_F(HostControlsTest, OneButtonPerEnabledAction) {
  const auto all = make(true, true, true);
  ASSERT_EQ(all->entities().size(), 3u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"host_restart", "Restart pimqttd"}, {"host_reboot", "Reboot"}, {"host_power_off", "Power off"}};
  const std::vector<std::string> classes = {"restart", "restart", ""};
  for (std::size_t i = 0; i < 3; ++i) {
    const EntityInfo& e = all->entities()[i];
    EXPECT_EQ(e.id, expected[i].first);
    EXPECT_EQ(e.name, expected[i].second);
    EXPECT_EQ(e.platform, Platform::button);
    EXPECT_EQ(e.device_class, classes[i]);
    EXPECT_TRUE(e.commandable);
    EXPECT_EQ(ha::validate_entity(e), Lines{});
  }
  const auto reboot_only = make(false, true, false);
  ASSERT_EQ(reboot_only->entities().size(), 1u);
  EXPECT_EQ(reboot_only->entities()[0].id, "host_reboot");
  EXPECT_EQ(reboot_only->entity_id(HostAction::power_off), "host_power_off");
}

TEST_F(HostControlsTest, APressIsANoticeAndTheAcceptedAnswerIsLogged) {
  const auto sensor = make(true, true, true);
  sensor->start(context_);
  EXPECT_EQ(connections_, 1);
  sensor->command("host_reboot", "PRESS");
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].action, HostAction::reboot);
  answer(accepted("systemd-logind accepted the reboot"));
  sensor->command("host_restart", "PRESS");
  sensor->command("host_power_off", "PRESS");
  ASSERT_EQ(requests_.size(), 3u);
  EXPECT_EQ(requests_[1].action, HostAction::restart_service);
  EXPECT_EQ(requests_[2].action, HostAction::power_off);
  answer(accepted("systemd accepted the restart of pimqttd.service (job /j/1)"));
  answer(accepted("systemd-logind accepted the power-off"));
  EXPECT_EQ(log_.lines(),
            (Lines{"info host_reboot: Reboot pressed: asking systemd-logind to reboot the host",
                   "info host_reboot: systemd-logind accepted the reboot",
                   "info host_restart: Restart pimqttd pressed: asking systemd to restart "
                   "pimqttd's service",
                   "info host_power_off: Power off pressed: asking systemd-logind to power the "
                   "host off",
                   "info host_restart: systemd accepted the restart of pimqttd.service (job /j/1)",
                   "info host_power_off: systemd-logind accepted the power-off"}));
  EXPECT_TRUE(context_.events.empty());  // a button publishes nothing
}

TEST_F(HostControlsTest, APermissionRefusalSaysWhatToCheck) {
  const auto sensor = make(false, true, false);
  sensor->start(context_);
  sensor->command("host_reboot", "PRESS");
  answer(refused("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                 "systemd-logind refused the reboot: "
                 "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired: Interactive "
                 "authentication required."));
  sensor->command("host_reboot", "PRESS");
  answer(refused("org.freedesktop.DBus.Error.AccessDenied",
                 "systemd-logind refused the reboot: org.freedesktop.DBus.Error.AccessDenied: "
                 "Access denied"));
  sensor->command("host_reboot", "PRESS");
  answer(refused("", "cannot ask systemd-logind for the reboot: cannot connect to the system "
                     "bus: No such file or directory"));
  const Lines lines = log_.lines();
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[1],
            "error host_reboot: systemd-logind refused the reboot: "
            "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired: Interactive "
            "authentication required." + kHint);
  EXPECT_EQ(lines[3],
            "error host_reboot: systemd-logind refused the reboot: "
            "org.freedesktop.DBus.Error.AccessDenied: Access denied" + kHint);
  // No permission was asked for: no hint about it.
  EXPECT_EQ(lines[5],
            "error host_reboot: cannot ask systemd-logind for the reboot: cannot connect to the "
            "system bus: No such file or directory");
}

TEST_F(HostControlsTest, OnlyPressActs) {
  const auto sensor = make(true, true, true);
  sensor->start(context_);
  sensor->command("host_power_off", "press");
  sensor->command("host_power_off", std::string("ON\x01\n", 4));
  sensor->command("host_power_off", "");
  EXPECT_TRUE(requests_.empty());
  EXPECT_EQ(log_.lines(),
            (Lines{"warning host_power_off: ignored the command \"press\": expected PRESS",
                   "warning host_power_off: ignored the command \"ON??\": expected PRESS",
                   "warning host_power_off: ignored the command \"\": expected PRESS"}));
}

TEST_F(HostControlsTest, APressWhileTheSameActionWaitsIsIgnored) {
  const auto sensor = make(true, true, false);
  sensor->start(context_);
  sensor->command("host_reboot", "PRESS");
  sensor->command("host_reboot", "PRESS");
  sensor->command("host_restart", "PRESS");  // another action: asked at once
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_EQ(requests_[1].action, HostAction::restart_service);
  EXPECT_EQ(log_.lines().at(1),
            "warning host_reboot: ignored PRESS: the reboot asked for before still waits for "
            "systemd-logind's answer");
  answer(refused("org.freedesktop.DBus.Error.NoReply", "systemd-logind refused the reboot: x"));
  sensor->command("host_reboot", "PRESS");
  ASSERT_EQ(requests_.size(), 3u);
  EXPECT_EQ(requests_[2].action, HostAction::reboot);
}

TEST_F(HostControlsTest, DisabledOrUnknownEntitiesAndCommandsOutsideStartAreIgnored) {
  const auto sensor = make(false, true, false);
  sensor->command("host_reboot", "PRESS");  // not started
  sensor->start(context_);
  sensor->command("host_restart", "PRESS");  // not enabled
  sensor->command("host_power_off", "PRESS");
  sensor->command("other", "PRESS");
  EXPECT_TRUE(requests_.empty());
  sensor->stop();
  EXPECT_TRUE(destroyed_);
  sensor->command("host_reboot", "PRESS");
  EXPECT_TRUE(requests_.empty());
  EXPECT_EQ(log_.lines(), Lines{});
}

TEST_F(HostControlsTest, StopDropsWhatIsWaitingAndARestartStartsAfresh) {
  const auto sensor = make(false, true, false);
  sensor->start(context_);
  sensor->command("host_reboot", "PRESS");
  sensor->stop();
  EXPECT_TRUE(destroyed_);
  sensor->start(context_);
  EXPECT_EQ(connections_, 2);
  sensor->command("host_reboot", "PRESS");  // not "still waits": the old request is gone
  EXPECT_EQ(requests_.size(), 2u);
}

}  // namespace
}  // namespace pimqttd::sensors
