// DiagnosticsSensor: its entities, and what it publishes from the client's counters (a real
// mqtt::Client at its transport seam, reconnected by the test).

#include "pimqttd/app/diagnostics_sensor.hpp"

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/recording_context.hpp"
#include "support/uplink_harness.hpp"

namespace pimqttd::app {
namespace {

using test::published;
using test::SensorEvent;

class DiagnosticsSensorTest : public testing::Test {
 protected:
  test::UplinkHarness net_;
  test::RecordingContext context_;
  const mqtt::Client* client_ = &net_.client;
  DiagnosticsSensor sensor_{[this] { return client_; }};
};

TEST_F(DiagnosticsSensorTest, AnnouncesFiveDiagnosticEntities) {
  std::vector<std::string> ids;
  for (const sensors::EntityInfo& entity : sensor_.entities()) {
    ids.push_back(entity.id);
    EXPECT_TRUE(entity.diagnostic) << entity.id;
    EXPECT_EQ(entity.interval, kDiagnosticsInterval) << entity.id;
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"pimqttd_started", "pimqttd_reconnects",
                                           "pimqttd_queued", "pimqttd_dropped",
                                           "pimqttd_last_error"}));
  EXPECT_EQ(sensor_.entities()[0].device_class, "timestamp");
  EXPECT_EQ(sensor_.entities()[1].state_class, "total_increasing");
}

TEST_F(DiagnosticsSensorTest, PublishesEveryValueWhenStarted) {
  sensor_.start(context_);
  ASSERT_EQ(context_.events.size(), 5u);
  EXPECT_EQ(context_.events[0].id, "pimqttd_started");
  const std::string started = std::get<std::string>(context_.events[0].value);
  EXPECT_EQ(started.size(), 25u) << started;  // 2026-01-02T03:04:05+00:00
  EXPECT_TRUE(started.ends_with("+00:00")) << started;
  EXPECT_EQ(std::vector<SensorEvent>(context_.events.begin() + 1, context_.events.end()),
            (std::vector<SensorEvent>{published("pimqttd_reconnects", 0.0),
                                      published("pimqttd_queued", 0.0),
                                      published("pimqttd_dropped", 0.0),
                                      published("pimqttd_last_error", "none")}));
  sensor_.stop();
}

TEST_F(DiagnosticsSensorTest, CountsReconnectsAndCarriesThemOverAClientRebuild) {
  net_.connect();
  ASSERT_TRUE(net_.lose());
  net_.connect();
  EXPECT_EQ(net_.client.counters().reconnects, 1u);
  sensor_.start(context_);
  EXPECT_EQ(context_.values("pimqttd_reconnects"), (std::vector<sensors::Value>{1.0}));
  mqtt::ClientCounters retired;
  retired.dropped = 2;
  retired.reconnects = 3;
  sensor_.carry_over(retired);
  sensor_.publish_all();
  EXPECT_EQ(context_.values("pimqttd_reconnects"), (std::vector<sensors::Value>{1.0, 4.0}));
  EXPECT_EQ(context_.values("pimqttd_dropped"), (std::vector<sensors::Value>{0.0, 2.0}));
  sensor_.stop();
}

// Started before NTP synced on a Pi without a battery-backed clock: the wall clock is a year
// behind. When it is set, the start time is computed again (wall clock now minus the monotonic
// time elapsed since the start) and published at once.
TEST_F(DiagnosticsSensorTest, TheStartTimeIsCorrectedWhenTheWallClockIsSet) {
  using SystemClock = std::chrono::system_clock;
  const auto year = std::chrono::duration_cast<SystemClock::duration>(std::chrono::hours{24 * 365});
  SystemClock::duration offset = -year;
  DiagnosticsSensor sensor([this] { return client_; },
                           [&offset] { return SystemClock::now() + offset; });
  sensor.start(context_);
  const auto started = [&] {
    const std::vector<sensors::Value> values = context_.values("pimqttd_started");
    return values.empty() ? std::string() : std::get<std::string>(values.back());
  };
  const std::string year_ago = started();
  ASSERT_EQ(year_ago.size(), 25u) << year_ago;

  offset = SystemClock::duration::zero();  // NTP sets the clock
  context_.events.clear();
  const auto iso = [](SystemClock::time_point at) {
    return sensors::iso8601_utc(SystemClock::to_time_t(at));
  };
  const auto before = SystemClock::now();
  sensor.wall_clock_stepped();
  const auto after = SystemClock::now();
  ASSERT_EQ(context_.values("pimqttd_started").size(), 1u);
  const std::string corrected = started();
  // The start (a moment ago) to the second; either side of a second's boundary.
  const std::set<std::string> expected = {iso(before - std::chrono::seconds{1}), iso(before),
                                          iso(after)};
  EXPECT_TRUE(expected.contains(corrected)) << corrected << " after " << year_ago;
  // Published again every minute with the corrected value.
  sensor.publish_all();
  EXPECT_EQ(started(), corrected);
  sensor.stop();
  sensor.wall_clock_stepped();  // stopped: nothing
  EXPECT_EQ(context_.values("pimqttd_started").size(), 2u);
}

TEST_F(DiagnosticsSensorTest, TheLastErrorIsPublishedWhenSet) {
  sensor_.set_last_error("Connection refused");  // not started: kept only
  EXPECT_TRUE(context_.events.empty());
  sensor_.start(context_);
  EXPECT_EQ(context_.values("pimqttd_last_error"),
            (std::vector<sensors::Value>{"Connection refused"}));
  sensor_.set_last_error("Connection reset by peer");
  EXPECT_EQ(context_.events.back(), published("pimqttd_last_error", "Connection reset by peer"));
  sensor_.stop();
}

TEST_F(DiagnosticsSensorTest, WithoutAClientTheCountersAreLeftOut) {
  client_ = nullptr;
  sensor_.start(context_);
  EXPECT_EQ(context_.count("pimqttd_started"), 1u);
  EXPECT_EQ(context_.count("pimqttd_reconnects"), 0u);
  EXPECT_EQ(context_.count("pimqttd_last_error"), 1u);
  sensor_.stop();
}

TEST_F(DiagnosticsSensorTest, StoppedItPublishesNothing) {
  sensor_.start(context_);
  sensor_.stop();
  context_.clear();
  sensor_.publish_all();
  sensor_.set_last_error("x");
  EXPECT_TRUE(context_.events.empty());
}

}  // namespace
}  // namespace pimqttd::app
