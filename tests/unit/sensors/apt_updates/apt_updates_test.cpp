#include "sensors/apt_updates/apt_updates.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pimqttd/ha/discovery.hpp"
#include "support/fake_apt.hpp"
#include "support/gate.hpp"
#include "support/log_capture.hpp"
#include "support/recording_context.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Event = test::SensorEvent;
using Lines = std::vector<std::string>;
using test::availability;
using test::published;

constexpr std::int64_t kPublished = 1714560000;  // 2024-05-01T10:40:00Z

AptUpdatesOptions options(const std::filesystem::path& root,
                          std::chrono::milliseconds interval = std::chrono::hours{1}) {
  AptUpdatesOptions o;
  o.id = "pi_updates";
  o.name = "Pi updates";
  o.root = root;
  o.interval = interval;
  return o;
}

// A machine with two packages to upgrade, one of them from the security repository.
void write_machine(const test::FakeApt& apt) {
  apt.status(test::status_stanza("dpkg", "arm64", "1.21.22") +
             test::status_stanza("libc6", "arm64", "2.36-9+deb12u3") +
             test::status_stanza("bash", "arm64", "5.2.15-2+b2"));
  apt.list("deb.debian.org_debian_dists_bookworm_InRelease",
           test::in_release("Label: Debian\nSuite: stable\n"), kPublished - 3600);
  apt.list("deb.debian.org_debian_dists_bookworm_main_binary-arm64_Packages",
           test::packages_stanza("dpkg", "arm64", "1.21.23") +
               test::packages_stanza("bash", "arm64", "5.2.15-2+b2"));
  apt.list("deb.debian.org_debian-security_dists_bookworm-security_InRelease",
           test::in_release("Label: Debian-Security\nSuite: stable-security\n"), kPublished);
  apt.list("deb.debian.org_debian-security_dists_bookworm-security_main_binary-arm64_Packages",
           test::packages_stanza("libc6", "arm64", "2.36-9+deb12u4"));
}

// A scan held by the gate, then `result`.
AptUpdatesSensor::Scan gated_scan(test::Gate& gate, AptUpdates result = {}) {
  return [&gate, result] {
    gate.pass();
    return hw::ReadResult<AptUpdates>(result);
  };
}

// ---- entities -----------------------------------------------------------------------------------

TEST(AptUpdates, EntitiesHomeAssistantAccepts) {
  const AptUpdatesSensor sensor(options("/"));
  const auto& entities = sensor.entities();
  ASSERT_EQ(entities.size(), 3U);

  EntityInfo count;
  count.id = "pi_updates";
  count.name = "Pi updates";
  count.state_class = "measurement";
  count.display_precision = 0;
  count.icon = "mdi:package-up";
  count.interval = std::chrono::hours{1};
  EXPECT_EQ(entities[0], count);

  EntityInfo security = count;
  security.id = "pi_updates_security";
  security.name = "Pi updates security";
  security.icon = "mdi:security";
  EXPECT_EQ(entities[1], security);

  EntityInfo updated;
  updated.id = "pi_updates_lists_updated";
  updated.name = "Pi updates lists updated";
  updated.device_class = "timestamp";
  updated.diagnostic = true;
  updated.interval = std::chrono::hours{1};
  EXPECT_EQ(entities[2], updated);

  for (const EntityInfo& entity : entities) {
    EXPECT_EQ(ha::validate_entity(entity), Lines{}) << entity.id;
  }
}

TEST(AptUpdates, WithoutTheSecurityCount) {
  AptUpdatesOptions o = options("/");
  o.security = false;
  const AptUpdatesSensor sensor(o);
  ASSERT_EQ(sensor.entities().size(), 2U);
  EXPECT_EQ(sensor.entities()[0].id, "pi_updates");
  EXPECT_EQ(sensor.entities()[1].id, "pi_updates_lists_updated");
}

// ---- scanning on the worker ---------------------------------------------------------------------

TEST(AptUpdates, ScansAFakeMachineOnTheWorkerAndPublishes) {
  const test::FakeApt apt;
  write_machine(apt);
  test::RecordingContext context;
  AptUpdatesSensor sensor(options(apt.root()));
  sensor.start(context);
  // start() only submits the scan: nothing has happened on the loop yet.
  EXPECT_TRUE(context.events.empty());
  EXPECT_TRUE(sensor.scanning());
  ASSERT_TRUE(context.run_publishes("pi_updates_lists_updated", 1));
  EXPECT_EQ(context.events,
            (std::vector<Event>{availability("pi_updates", true),
                                availability("pi_updates_security", true),
                                availability("pi_updates_lists_updated", true),
                                published("pi_updates", 2.0),
                                published("pi_updates_security", 1.0),
                                published("pi_updates_lists_updated",
                                          "2024-05-01T10:40:00+00:00")}));
  EXPECT_FALSE(sensor.scanning());  // the next one an hour later
}

TEST(AptUpdates, ScansAgainEveryInterval) {
  const test::FakeApt apt;
  write_machine(apt);
  test::RecordingContext context;
  AptUpdatesSensor sensor(options(apt.root(), 20ms));
  sensor.start(context);
  ASSERT_TRUE(context.run_publishes("pi_updates", 1));
  // apt upgraded bash's list: one more to upgrade.
  apt.list("deb.debian.org_debian_dists_bookworm_main_binary-arm64_Packages",
           test::packages_stanza("dpkg", "arm64", "1.21.23") +
               test::packages_stanza("bash", "arm64", "5.2.15-2+b7"));
  ASSERT_TRUE(context.run_until([&] { return context.values("pi_updates").back() == Value{3.0}; }));
  sensor.stop();
  EXPECT_EQ(context.count(Event::available, "pi_updates"), 1U);
}

TEST(AptUpdates, TheScanRunsOffTheLoopWhichGoesOn) {
  test::Gate gate;
  test::RecordingContext context;
  const test::OpenOnExit opener{gate};
  AptUpdates result;
  result.upgradable = {"a:arm64"};
  result.lists_updated = kPublished;
  AptUpdatesSensor sensor(options("/"), gated_scan(gate, result));
  sensor.start(context);
  ASSERT_TRUE(gate.wait_entered(1));
  EXPECT_NE(gate.thread(), std::this_thread::get_id());
  // The loop serves its timers while the scan is blocked.
  bool fired = false;
  const core::TimerHandle timer =
      context.loop().start_timer(std::chrono::steady_clock::now() + 5ms, [&] { fired = true; });
  ASSERT_TRUE(context.run_until([&] { return fired; }));
  EXPECT_TRUE(context.events.empty());
  gate.open();
  ASSERT_TRUE(context.run_publishes("pi_updates", 1));
  EXPECT_EQ(context.values("pi_updates"), std::vector<Value>{1.0});
  EXPECT_EQ(context.values("pi_updates_security"), std::vector<Value>{0.0});
  EXPECT_EQ(test::payload(context.values("pi_updates").at(0), sensor.entities()[0]), "1");
}

// ---- faults -------------------------------------------------------------------------------------

TEST(AptUpdates, WithoutStatusOrListsUnavailableLoggedOnceAndRetried) {
  const test::FakeApt apt;
  test::LogCapture log;
  test::RecordingContext context;
  AptUpdatesSensor sensor(options(apt.root(), 20ms));
  sensor.start(context);
  ASSERT_TRUE(context.run_until([&] { return context.events.size() == 3; }));
  EXPECT_EQ(context.events, (std::vector<Event>{availability("pi_updates", false),
                                                availability("pi_updates_security", false),
                                                availability("pi_updates_lists_updated", false)}));
  const std::string status = (apt.root() / "var/lib/dpkg/status").string();
  EXPECT_EQ(log.lines(), Lines{"warning pi_updates: unavailable until it answers again: " +
                               status + ": No such file or directory"});
  // Retried every interval, without another line or event while the reason stays.
  context.run_for(100ms);
  EXPECT_EQ(context.events.size(), 3U);
  EXPECT_EQ(log.lines().size(), 1U);

  // dpkg's file, not yet apt's lists: another reason, logged once.
  apt.status(test::status_stanza("dpkg", "arm64", "1.21.22"));
  ASSERT_TRUE(context.run_until([&] { return log.lines().size() == 2; }));
  EXPECT_EQ(log.lines()[1], "warning pi_updates: unavailable until it answers again: " +
                                apt.lists().string() + ": No such file or directory");
  write_machine(apt);
  ASSERT_TRUE(context.run_publishes("pi_updates", 1));
  EXPECT_EQ(context.values("pi_updates"), std::vector<Value>{2.0});
  EXPECT_EQ(context.of(Event::available),
            (std::vector<Event>{availability("pi_updates", false),
                                availability("pi_updates_security", false),
                                availability("pi_updates_lists_updated", false),
                                availability("pi_updates", true),
                                availability("pi_updates_security", true),
                                availability("pi_updates_lists_updated", true)}));
  ASSERT_EQ(log.lines().size(), 3U);
  EXPECT_EQ(log.lines()[2].rfind("info pi_updates: answering again after ", 0), 0U)
      << log.lines()[2];
}

TEST(AptUpdates, SkippedListsAreWarnedOnceAndCompressedOnesTold) {
  AptUpdates skipping;
  skipping.upgradable = {"a:arm64"};
  skipping.lists_updated = kPublished;
  skipping.compressed = {"x_Packages.lz4", "y_Packages.lz4"};
  skipping.skipped = {{"z_Packages", "/var/lib/apt/lists/z_Packages: Input/output error"}};
  AptUpdates clean = skipping;
  clean.skipped.clear();
  std::mutex mutex;
  std::vector<AptUpdates> script{skipping, skipping, clean, skipping};
  std::size_t next = 0;
  test::LogCapture log;
  test::RecordingContext context;
  AptUpdatesOptions o = options("/", 10ms);
  AptUpdatesSensor sensor(o, [&] {
    const std::lock_guard lock(mutex);
    const AptUpdates& result = script[std::min(next, script.size() - 1)];
    ++next;
    return hw::ReadResult<AptUpdates>(result);
  });
  sensor.start(context);
  ASSERT_TRUE(context.run_until([&] { return context.count("pi_updates") >= 5; }));
  sensor.stop();
  const std::string warning =
      "warning pi_updates: skipped: /var/lib/apt/lists/z_Packages: Input/output error";
  EXPECT_EQ(log.lines(),
            (Lines{"info pi_updates: 2 compressed apt lists are not read (only uncompressed "
                   "*_Packages files)",
                   warning, warning}));  // again once it had read well in between
}

TEST(AptUpdates, ListsWithoutReleaseFilesLeaveTheTimeUnavailable) {
  AptUpdates undated;
  undated.upgradable = {"a:arm64", "b:arm64"};
  test::LogCapture log;
  test::RecordingContext context;
  AptUpdatesSensor sensor(options("/"), [undated] { return hw::ReadResult<AptUpdates>(undated); });
  sensor.start(context);
  ASSERT_TRUE(context.run_publishes("pi_updates_security", 1));
  EXPECT_EQ(context.events, (std::vector<Event>{availability("pi_updates", true),
                                                availability("pi_updates_security", true),
                                                availability("pi_updates_lists_updated", false),
                                                published("pi_updates", 2.0),
                                                published("pi_updates_security", 0.0)}));
  EXPECT_EQ(log.lines(), Lines{"warning pi_updates: no Release file among the apt lists"});
}

// ---- a restart while a scan is in flight (SerialJob's own tests cover the rest) -----------------

TEST(AptUpdates, ARestartWaitsForTheScanStillInFlight) {
  test::Gate gate;
  test::RecordingContext context;
  const test::OpenOnExit opener{gate};
  AptUpdates result;
  result.lists_updated = kPublished;
  AptUpdatesSensor sensor(options("/"), gated_scan(gate, result));
  sensor.start(context);
  ASSERT_TRUE(gate.wait_entered(1));
  sensor.stop();
  sensor.start(context);  // the first scan is still blocked on the worker
  EXPECT_TRUE(sensor.scanning());
  gate.open();
  // The stale scan's result is dropped; the scan the restart asked for follows it.
  ASSERT_TRUE(context.run_publishes("pi_updates", 1));
  EXPECT_EQ(gate.passed(), 2);
  EXPECT_EQ(gate.max_inside(), 1);
  EXPECT_EQ(context.count("pi_updates"), 1U);
}

}  // namespace
}  // namespace pimqttd::sensors
