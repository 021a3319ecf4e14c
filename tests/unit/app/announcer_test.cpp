// Announcer against a real mqtt::Client at its transport seam: what it publishes on an announce,
// in which order and on which topics, the removal of entities no longer configured, the announced
// set kept in the state directory, and the birth-message rule.

#include "pimqttd/app/announcer.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/log_capture.hpp"
#include "support/loop.hpp"
#include "support/temp_dir.hpp"
#include "support/uplink_harness.hpp"

namespace pimqttd::app {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;
using nlohmann::json;

sensors::EntityInfo entity(std::string id, sensors::Platform platform = sensors::Platform::sensor) {
  sensors::EntityInfo info;
  info.id = id;
  info.name = std::move(id);
  info.platform = platform;
  return info;
}

class AnnouncerTest : public testing::Test {
 protected:
  AnnouncerTest() {
    device_.id = "testpi";
    device_.name = "Test Pi";
    device_.manufacturer = "Raspberry Pi Ltd";
    device_.model = "Raspberry Pi 4 Model B";
    device_.sw_version = "1.0";
  }

  Announcer& make_announcer(std::chrono::milliseconds reannounce_delay_max = 0ms) {
    announcer_ = std::make_unique<Announcer>(
        net_.loop, net_.worker, StateStore(dir_.path()), net_.uplink, cache_,
        [this] { return entities_; }, 7u);
    announcer_->configure(device_, reannounce_delay_max);
    return *announcer_;
  }

  /// The PUBLISH packets the client wrote since the last call.
  std::vector<mqtt::Publish> published() {
    std::vector<mqtt::Publish> out;
    for (const auto& packet : net_.broker.take_packets()) {
      if (const auto* publish = std::get_if<mqtt::Publish>(&packet)) out.push_back(*publish);
    }
    return out;
  }

  /// Waits until the client wrote something; returns its PUBLISH packets.
  std::vector<mqtt::Publish> wait_for_publishes() {
    std::vector<mqtt::Publish> out;
    test::run_until(net_.loop, [&] {
      out = published();
      return !out.empty();
    });
    return out;
  }

  /// The lines logged by the announcer (the client's own left out).
  static Lines announcer_lines(const test::LogCapture& log) {
    Lines out;
    for (const std::string& line : log.lines()) {
      if (!line.starts_with("info mqtt:")) out.push_back(line);
    }
    return out;
  }

  static Lines topics_of(const std::vector<mqtt::Publish>& messages) {
    Lines out;
    for (const auto& m : messages) {
      out.push_back(m.topic + (m.retain ? " r" : "") + " q" +
                    std::to_string(static_cast<int>(m.qos)));
    }
    return out;
  }

  test::TempDir dir_;
  test::UplinkHarness net_;
  StateCache cache_{net_.loop, net_.uplink, 10ms};
  ha::DeviceInfo device_;
  std::vector<sensors::EntityInfo> entities_{entity("cpu_temperature"),
                                             entity("door", sensors::Platform::binary_sensor)};
  std::unique_ptr<Announcer> announcer_;
};

TEST_F(AnnouncerTest, AnnouncesDiscoveryOnlineAndEveryAvailabilityRetained) {
  Announcer& announcer = make_announcer();
  net_.connect();
  cache_.set_available("door", false);
  (void)published();
  announcer.announce();
  const std::vector<mqtt::Publish> out = published();
  EXPECT_EQ(topics_of(out), (Lines{"homeassistant/device/testpi/config r q1",
                                   "pimqttd/testpi/status r q1",
                                   "pimqttd/testpi/cpu_temperature/availability r q1",
                                   "pimqttd/testpi/door/availability r q1"}));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].payload, ha::discovery_message(device_, net_.topics, entities_).payload);
  EXPECT_EQ(out[0].payload, announcer.discovery().payload);
  const json discovery = json::parse(out[0].payload);
  EXPECT_EQ(discovery["dev"]["name"], "Test Pi");
  EXPECT_EQ(discovery["cmps"]["door"]["p"], "binary_sensor");
  EXPECT_EQ(out[1].payload, "online");
  EXPECT_EQ(out[2].payload, "online");
  EXPECT_EQ(out[3].payload, "offline");
}

TEST_F(AnnouncerTest, StatesAreReplayedAMomentAfterDiscovery) {
  Announcer& announcer = make_announcer();
  net_.connect();
  cache_.replay_later();  // as if announced already: hold the state back
  cache_.update("cpu_temperature", "47.2");
  test::run_until(net_.loop, [&] { return !published().empty(); });
  announcer.announce();
  EXPECT_EQ(published().size(), 4u) << "discovery, online and availability, no state yet";
  const std::vector<mqtt::Publish> later = wait_for_publishes();
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].topic, "pimqttd/testpi/cpu_temperature/state");
  EXPECT_EQ(later[0].payload, "47.2");
  EXPECT_FALSE(later[0].retain);
}

TEST_F(AnnouncerTest, EntitiesNoLongerConfiguredAreRemovedFirstAndTheSetIsSaved) {
  StateStore(dir_.path())
      .save_announced({{"cpu_temperature", sensors::Platform::sensor},
                       {"relay", sensors::Platform::switch_},
                       {"door", sensors::Platform::sensor}});
  test::LogCapture log;
  Announcer& announcer = make_announcer();
  net_.connect();
  announcer.announce();
  const std::vector<mqtt::Publish> out = published();
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].topic, "homeassistant/device/testpi/config");
  EXPECT_TRUE(out[0].retain);
  const json removal = json::parse(out[0].payload);
  EXPECT_EQ(removal["cmps"]["relay"], (json{{"p", "switch"}}));
  EXPECT_EQ(removal["cmps"]["door"], (json{{"p", "sensor"}}))
      << "a platform change removes the old component";
  EXPECT_EQ(out[0].payload,
            ha::removal_message(device_, net_.topics, entities_,
                                {{"relay", sensors::Platform::switch_},
                                 {"door", sensors::Platform::sensor}})
                .payload);
  EXPECT_EQ(out[1].payload, ha::discovery_message(device_, net_.topics, entities_).payload);
  EXPECT_EQ(announcer_lines(log), Lines{"info announce: removing 2 entities no longer configured"});

  const AnnouncedSet now{{"cpu_temperature", sensors::Platform::sensor},
                         {"door", sensors::Platform::binary_sensor}};
  EXPECT_EQ(announcer.announced(), now);
  EXPECT_TRUE(test::run_until(net_.loop,
                              [&] { return StateStore(dir_.path()).load_announced() == now; }));

  announcer.announce();
  EXPECT_EQ(published().size(), 4u) << "nothing left to remove";
}

TEST_F(AnnouncerTest, DeviceTriggersAreAnnouncedKeptAndRemovedLikeEntities) {
  sensors::EntityInfo bell = entity("bell", sensors::Platform::event);
  bell.event_types = {"press", "long_press"};
  bell.device_triggers = true;
  entities_ = {bell};
  StateStore(dir_.path())
      .save_announced({{"bell", sensors::Platform::event},
                       {"bell_press", sensors::Platform::device_trigger},
                       {"bell_triple_press", sensors::Platform::device_trigger}});
  Announcer& announcer = make_announcer();
  net_.connect();
  announcer.announce();
  const std::vector<mqtt::Publish> out = published();
  ASSERT_GE(out.size(), 2u);
  const json removal = json::parse(out[0].payload);
  EXPECT_EQ(removal["cmps"]["bell_triple_press"], (json{{"p", "device_automation"}}));
  EXPECT_EQ(removal["cmps"]["bell_press"]["type"], "button_short_press");
  EXPECT_EQ(json::parse(out[1].payload)["cmps"]["bell_long_press"]["type"], "button_long_press");
  const AnnouncedSet now{{"bell", sensors::Platform::event},
                         {"bell_press", sensors::Platform::device_trigger},
                         {"bell_long_press", sensors::Platform::device_trigger}};
  EXPECT_EQ(announcer.announced(), now);
  EXPECT_TRUE(test::run_until(net_.loop,
                              [&] { return StateStore(dir_.path()).load_announced() == now; }));
}

TEST_F(AnnouncerTest, HomeAssistantsBirthAnnouncesAgainOnce) {
  test::LogCapture log;
  Announcer& announcer = make_announcer(0ms);
  net_.connect();
  announcer.on_home_assistant_status("offline");
  test::run_for(net_.loop, 20ms);
  EXPECT_TRUE(published().empty()) << "only `online` is a birth";
  announcer.on_home_assistant_status("online");
  announcer.on_home_assistant_status("online");  // one pending re-announce at a time
  const std::vector<mqtt::Publish> out = wait_for_publishes();
  EXPECT_EQ(out.size(), 4u);
  EXPECT_EQ(announcer_lines(log), Lines{"info Home Assistant came online: announcing again in 0 ms"});
}

TEST_F(AnnouncerTest, TheBirthDelayIsRandomWithinTheMaximum) {
  test::LogCapture log;
  Announcer& announcer = make_announcer(40ms);
  net_.connect();
  const auto before = std::chrono::steady_clock::now();
  announcer.on_home_assistant_status("online");
  ASSERT_EQ(announcer_lines(log).size(), 1u);
  const std::string line = announcer_lines(log)[0];
  const std::string prefix = "info Home Assistant came online: announcing again in ";
  ASSERT_TRUE(line.starts_with(prefix)) << line;
  const int delay = std::stoi(line.substr(prefix.size()));
  EXPECT_GE(delay, 0);
  EXPECT_LE(delay, 40);
  EXPECT_EQ(wait_for_publishes().size(), 4u);
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(delay));
}

TEST_F(AnnouncerTest, AReannounceDueWhileDisconnectedSendsNothing) {
  Announcer& announcer = make_announcer(0ms);
  announcer.on_home_assistant_status("online");
  test::run_for(net_.loop, 20ms);
  EXPECT_EQ(net_.connect(), Lines{});
}

TEST_F(AnnouncerTest, ACancelledReannounceSendsNothing) {
  Announcer& announcer = make_announcer(0ms);
  net_.connect();
  announcer.on_home_assistant_status("online");
  announcer.cancel();
  test::run_for(net_.loop, 20ms);
  EXPECT_TRUE(published().empty());
}

TEST_F(AnnouncerTest, OfflineIsPublishedRetainedWhileConnected) {
  Announcer& announcer = make_announcer();
  announcer.announce_offline();  // not connected: nothing, not even queued
  EXPECT_EQ(net_.client.queued(), 0u);
  net_.connect();
  announcer.announce_offline();
  EXPECT_EQ(net_.broker.sent(), Lines{"PUBLISH pimqttd/testpi/status=offline q1 r"});
}

}  // namespace
}  // namespace pimqttd::app
