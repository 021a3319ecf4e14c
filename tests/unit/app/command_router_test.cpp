// CommandRouter against a real mqtt::Client at its transport seam: which command topics it
// subscribes to, and which sensor a command on one reaches.

#include "pimqttd/app/command_router.hpp"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/uplink_harness.hpp"

namespace pimqttd::app {
namespace {

using Lines = std::vector<std::string>;

/// A sensor that records the commands it gets.
class CommandSink final : public sensors::Sensor {
 public:
  explicit CommandSink(std::vector<sensors::EntityInfo> entities)
      : entities_(std::move(entities)) {}
  const std::vector<sensors::EntityInfo>& entities() const override { return entities_; }
  void start(sensors::SensorContext&) override {}
  void stop() override {}
  void command(std::string_view entity_id, std::string_view payload) override {
    commands.push_back(std::string(entity_id) + "=" + std::string(payload));
  }
  Lines commands;

 private:
  std::vector<sensors::EntityInfo> entities_;
};

sensors::EntityInfo entity(std::string id, bool commandable) {
  sensors::EntityInfo info;
  info.id = std::move(id);
  info.platform = commandable ? sensors::Platform::switch_ : sensors::Platform::sensor;
  info.commandable = commandable;
  return info;
}

mqtt::Publish command(std::string topic, std::string payload) {
  mqtt::Publish message;
  message.topic = std::move(topic);
  message.payload = std::move(payload);
  return message;
}

class CommandRouterTest : public testing::Test {
 protected:
  test::UplinkHarness net_;
  CommandSink relay_{{entity("relay", true), entity("relay_power", false)}};
  CommandSink pump_{{entity("pump", true)}};
  CommandRouter router_;
};

TEST_F(CommandRouterTest, IndexesEveryEntityOfEverySensor) {
  router_.index({&relay_, &pump_});
  EXPECT_EQ(router_.size(), 3u);
  EXPECT_TRUE(router_.contains("relay_power"));
  EXPECT_FALSE(router_.contains("heater"));
}

TEST_F(CommandRouterTest, SubscribesToTheCommandTopicOfCommandableEntitiesOnly) {
  router_.index({&relay_, &pump_});
  router_.subscribe(net_.uplink, {entity("relay", true), entity("relay_power", false),
                                  entity("pump", true)});
  EXPECT_EQ(net_.connect(),
            (Lines{"SUBSCRIBE pimqttd/testpi/relay/set:1", "SUBSCRIBE pimqttd/testpi/pump/set:1"}));
}

TEST_F(CommandRouterTest, ACommandReachesTheSensorThatOwnsTheEntity) {
  router_.index({&relay_, &pump_});
  router_.subscribe(net_.uplink, {entity("relay", true), entity("pump", true)});
  net_.connect();
  net_.broker.reply(command("pimqttd/testpi/relay/set", "ON"));
  net_.broker.reply(command("pimqttd/testpi/pump/set", "OFF"));
  net_.broker.settle();
  EXPECT_EQ(relay_.commands, Lines{"relay=ON"});
  EXPECT_EQ(pump_.commands, Lines{"pump=OFF"});
}

TEST_F(CommandRouterTest, AfterAReindexCommandsReachTheNewOwner) {
  router_.index({&relay_});
  router_.subscribe(net_.uplink, {entity("relay", true)});
  net_.connect();
  CommandSink successor{{entity("relay", true)}};
  router_.index({&successor});
  net_.broker.reply(command("pimqttd/testpi/relay/set", "ON"));
  net_.broker.settle();
  EXPECT_TRUE(relay_.commands.empty());
  EXPECT_EQ(successor.commands, Lines{"relay=ON"});
}

TEST_F(CommandRouterTest, ACommandForAnEntityNoLongerIndexedGoesNowhere) {
  router_.index({&relay_});
  EXPECT_TRUE(router_.route("relay", "OFF"));
  router_.index({&pump_});
  EXPECT_FALSE(router_.route("relay", "ON"));
  EXPECT_EQ(relay_.commands, Lines{"relay=OFF"});
}

}  // namespace
}  // namespace pimqttd::app
