// StateCache against a real mqtt::Client at its transport seam: what it publishes at once, what it
// keeps while offline, and what it re-publishes after a reconnect.

#include "pimqttd/app/state_cache.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "support/loop.hpp"
#include "support/uplink_harness.hpp"

namespace pimqttd::app {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

class StateCacheTest : public testing::Test {
 protected:
  /// Runs the loop until the client wrote `count` packets (or the deadline passed).
  Lines wait_for(std::size_t count) {
    Lines out;
    test::run_until(net_.loop, [&] {
      for (const std::string& line : net_.broker.sent()) out.push_back(line);
      return out.size() >= count;
    });
    return out;
  }

  test::UplinkHarness net_;
  StateCache cache_{net_.loop, net_.uplink, 20ms};
};

TEST_F(StateCacheTest, AStateGoesOutAtOnceWhileConnected) {
  net_.connect();
  cache_.update("cpu_temperature", "47.2");
  EXPECT_EQ(net_.broker.sent(), Lines{"PUBLISH pimqttd/testpi/cpu_temperature/state=47.2 q1"});
  EXPECT_EQ(cache_.state("cpu_temperature"), "47.2");
}

TEST_F(StateCacheTest, OfflineOnlyTheNewestStateIsKeptAndNothingIsQueued) {
  cache_.update("load_1m", "0.5");
  cache_.update("load_1m", "0.75");
  EXPECT_EQ(cache_.state("load_1m"), "0.75");
  EXPECT_EQ(net_.client.queued(), 0u) << "states are not queued in the outbox while offline";
  EXPECT_EQ(net_.connect(), Lines{}) << "nothing goes out before the replay";
}

TEST_F(StateCacheTest, TheLastStateOfEachEntityIsRepublishedAfterAReconnect) {
  net_.connect();
  cache_.update("a", "1");
  cache_.update("b", "2");
  EXPECT_EQ(net_.broker.sent_acknowledged().size(), 2u);
  ASSERT_TRUE(net_.lose());
  cache_.update("a", "3");
  EXPECT_EQ(net_.connect(), Lines{});
  cache_.replay_later();
  EXPECT_EQ(wait_for(2), (Lines{"PUBLISH pimqttd/testpi/a/state=3 q1",
                                "PUBLISH pimqttd/testpi/b/state=2 q1"}));
}

TEST_F(StateCacheTest, AStateThatArrivesWhileAReplayIsPendingGoesOutWithTheReplay) {
  net_.connect();
  cache_.replay_later();
  cache_.update("a", "1");
  EXPECT_EQ(net_.broker.sent(), Lines{});
  EXPECT_EQ(wait_for(1), Lines{"PUBLISH pimqttd/testpi/a/state=1 q1"});
  cache_.update("a", "2");
  EXPECT_EQ(net_.broker.sent(), Lines{"PUBLISH pimqttd/testpi/a/state=2 q1"});
}

TEST_F(StateCacheTest, ACancelledReplayPublishesNothing) {
  net_.connect();
  cache_.update("a", "1");
  (void)net_.broker.sent();
  cache_.replay_later();
  cache_.cancel_replay();
  test::run_for(net_.loop, 60ms);
  EXPECT_EQ(net_.broker.sent(), Lines{});
}

TEST_F(StateCacheTest, AnEventGoesOutAtOnceEvenDuringAReplayAndIsNeverReplayed) {
  net_.connect();
  cache_.update("a", "1");
  EXPECT_EQ(net_.broker.sent(), Lines{"PUBLISH pimqttd/testpi/a/state=1 q1"});
  cache_.replay_later();
  cache_.publish_event("doorbell", R"({"event_type":"press"})");
  EXPECT_EQ(cache_.state("doorbell"), std::nullopt);
  EXPECT_EQ(wait_for(2),
            (Lines{R"(PUBLISH pimqttd/testpi/doorbell/state={"event_type":"press"} q1)",
                   "PUBLISH pimqttd/testpi/a/state=1 q1"}))
      << "the event at once, then the replay of the state alone";
  ASSERT_TRUE(net_.lose());
  cache_.publish_event("doorbell", R"({"event_type":"double_press"})");
  EXPECT_EQ(net_.client.queued(), 0u) << "an event while offline is dropped";
  for (const std::string& line : net_.connect()) {
    EXPECT_EQ(line.find("double_press"), std::string::npos) << line;
  }
}

TEST_F(StateCacheTest, AvailabilityChangesArePublishedRetained) {
  net_.connect();
  EXPECT_TRUE(cache_.available("a"));
  EXPECT_TRUE(cache_.set_available("a", false));
  EXPECT_FALSE(cache_.set_available("a", false)) << "unchanged";
  EXPECT_FALSE(cache_.available("a"));
  EXPECT_TRUE(cache_.set_available("a", true));
  EXPECT_TRUE(cache_.available("a"));
  EXPECT_EQ(net_.broker.sent(), (Lines{"PUBLISH pimqttd/testpi/a/availability=offline q1 r",
                                       "PUBLISH pimqttd/testpi/a/availability=online q1 r"}));
}

TEST_F(StateCacheTest, OfflineAvailabilityIsKeptButNotPublished) {
  EXPECT_TRUE(cache_.set_available("a", false));
  EXPECT_EQ(net_.connect(), Lines{});
  EXPECT_FALSE(cache_.available("a"));
}

TEST_F(StateCacheTest, ForgetsWhatBelongsToEntitiesThatNoLongerExist) {
  cache_.update("kept", "1");
  cache_.update("gone", "2");
  cache_.set_available("gone", false);
  cache_.forget_unless([](std::string_view id) { return id == "kept"; });
  EXPECT_EQ(cache_.state("kept"), "1");
  EXPECT_EQ(cache_.state("gone"), std::nullopt);
  EXPECT_TRUE(cache_.available("gone"));
  net_.connect();
  cache_.replay_later();
  EXPECT_EQ(wait_for(1), Lines{"PUBLISH pimqttd/testpi/kept/state=1 q1"});
}

}  // namespace
}  // namespace pimqttd::app
