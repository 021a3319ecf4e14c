// ReloadPlan: the diff of the running sensors' entries against the new configuration's.

#include "pimqttd/app/reload_plan.hpp"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pimqttd::app {
namespace {

using Keys = std::vector<std::string>;
using Keep = std::vector<std::optional<std::size_t>>;
using Indices = std::vector<std::size_t>;

LoadOptions test_options() {
  LoadOptions options;
  options.hostname = "testpi";
  return options;
}

Config config_with(const std::string& sensors, const std::string& extra = "") {
  return parse_config(R"({"mqtt": {"host": "homeassistant"})" + extra + R"(, "sensors": [)" +
                          sensors + "]}",
                      test_options());
}

TEST(ReloadPlan, UnchangedEntriesKeepTheirSensors) {
  const ReloadPlan plan = plan_reload({"a", "b"}, {"a", "b"});
  EXPECT_EQ(plan.keep, (Keep{0, 1}));
  EXPECT_EQ(plan.stop, Indices{});
  EXPECT_EQ(plan.built(), 0u);
}

TEST(ReloadPlan, AnAddedEntryIsBuilt) {
  const ReloadPlan plan = plan_reload({"a"}, {"a", "new"});
  EXPECT_EQ(plan.keep, (Keep{0, std::nullopt}));
  EXPECT_EQ(plan.stop, Indices{});
  EXPECT_EQ(plan.built(), 1u);
}

TEST(ReloadPlan, ARemovedEntryIsStopped) {
  const ReloadPlan plan = plan_reload({"a", "gone", "b"}, {"a", "b"});
  EXPECT_EQ(plan.keep, (Keep{0, 2}));
  EXPECT_EQ(plan.stop, Indices{1});
}

TEST(ReloadPlan, AChangedEntryIsStoppedAndBuiltAgain) {
  const ReloadPlan plan = plan_reload({"a", "b"}, {"a", "b changed"});
  EXPECT_EQ(plan.keep, (Keep{0, std::nullopt}));
  EXPECT_EQ(plan.stop, Indices{1});
  EXPECT_EQ(plan.built(), 1u);
}

TEST(ReloadPlan, AReorderedEntryKeepsItsSensor) {
  const ReloadPlan plan = plan_reload({"a", "b", "c"}, {"c", "a", "b"});
  EXPECT_EQ(plan.keep, (Keep{2, 0, 1}));
  EXPECT_EQ(plan.stop, Indices{});
}

TEST(ReloadPlan, IdenticalEntriesEachKeepOneSensorInOrder) {
  const ReloadPlan plan = plan_reload({"x", "x", "x"}, {"x", "x"});
  EXPECT_EQ(plan.keep, (Keep{0, 1}));
  EXPECT_EQ(plan.stop, Indices{2});
}

TEST(ReloadPlan, TheKeyLeavesTheFiltersOut) {
  const Config plain = config_with(R"({"type": "system"})");
  const Config filtered =
      config_with(R"({"type": "system", "filters": {"cpu_temperature": [{"round": 1}]}})");
  const Config other = config_with(R"({"type": "system", "interval": "10s"})");
  EXPECT_EQ(sensor_key(plain.sensors.at(0)), sensor_key(filtered.sensors.at(0)));
  EXPECT_NE(sensor_key(plain.sensors.at(0)), sensor_key(other.sensors.at(0)));
}

TEST(ReloadPlan, OnlyTheMqttDeviceAndHomeAssistantSectionsNeedANewConnection) {
  const Config current = config_with(R"({"type": "system"})");
  EXPECT_FALSE(
      needs_new_connection(current, config_with(R"({"type": "system", "interval": "10s"})")));
  EXPECT_TRUE(needs_new_connection(
      current, config_with(R"({"type": "system"})", R"(, "device": {"name": "Other"})")));
  EXPECT_TRUE(needs_new_connection(
      current,
      config_with(R"({"type": "system"})", R"(, "homeassistant": {"discovery_prefix": "ha"})")));
  Config port = current;
  port.mqtt.port = 1884;
  EXPECT_TRUE(needs_new_connection(current, port));
}

}  // namespace
}  // namespace pimqttd::app
