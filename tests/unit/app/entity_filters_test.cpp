#include "pimqttd/app/entity_filters.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "pimqttd/app/config.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::app {
namespace {

using namespace std::chrono_literals;
using sensors::FilterTime;
using sensors::Value;

const FilterTime t0{};

// Two system sensors: "system" with the load metric and per-entity filters, and "flags" with
// the throttled flags (binary sensors) and uptime (text) under one array of filters.
Config config() {
  return test::parse_sensor_entries(R"(
      {"type": "system", "metrics": {"cpu_temperature": false, "cpu_usage": false,
         "memory": false, "swap": false, "disk": false, "uptime": false, "throttled": false},
       "filters": {"load_1m": [{"delta": 0.5}, {"heartbeat": "1m"}],
                   "load_5m": [{"round": 1}]}},
      {"type": "system", "id": "flags", "interval": "30s", "metrics": {"cpu_temperature": false,
         "cpu_usage": false, "load": false, "memory": false, "swap": false, "disk": false},
       "filters": [{"throttle": "5m"}]})");
}

sensors::EntityInfo entity(std::string id, sensors::Platform platform,
                           std::chrono::milliseconds interval) {
  sensors::EntityInfo info;
  info.id = std::move(id);
  info.name = "x";
  info.platform = platform;
  info.interval = interval;
  return info;
}

TEST(EntityFilters, NumbersGoThroughTheirEntitysChain) {
  EntityFilters filters(config().sensors);
  EXPECT_EQ(filters.apply("system_load_1m", 1.0, t0), Value{1.0});
  EXPECT_EQ(filters.apply("system_load_1m", 1.2, t0 + 10s), std::nullopt);
  EXPECT_EQ(filters.apply("system_load_1m", 1.3, t0 + 60s), Value{1.3});  // heartbeat
  EXPECT_EQ(filters.apply("system_load_1m", 1.5, t0 + 70s), Value{1.5});  // 0.5 from 1.0
  EXPECT_EQ(filters.apply("system_load_5m", 0.58, t0), Value{0.6});
  EXPECT_EQ(filters.apply("system_load_5m", 0.54, t0), Value{0.5});
  // Entities without filters, and ids no sensor has, pass unchanged.
  EXPECT_EQ(filters.apply("system_load_15m", 0.59, t0), Value{0.59});
  EXPECT_EQ(filters.apply("pimqttd_queued", 3.0, t0), Value{3.0});
  EXPECT_TRUE(filters.filtered("system_load_1m"));
  EXPECT_TRUE(filters.filtered("system_load_5m"));
  EXPECT_FALSE(filters.filtered("system_load_15m"));
}

TEST(EntityFilters, EachEntityHasItsOwnChain) {
  EntityFilters filters(config().sensors);
  // The array form gives every entity of "flags" its own throttle.
  EXPECT_EQ(filters.apply("flags_under_voltage", 1.0, t0), Value{1.0});
  EXPECT_EQ(filters.apply("flags_throttled", 2.0, t0 + 1s), Value{2.0});
  EXPECT_EQ(filters.apply("flags_under_voltage", 1.0, t0 + 2s), std::nullopt);
  EXPECT_EQ(filters.apply("flags_throttled", 2.0, t0 + 3s), std::nullopt);
}

TEST(EntityFilters, BooleansAndTextAreNotFiltered) {
  EntityFilters filters(config().sensors);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(filters.apply("flags_under_voltage", true, t0 + i * 1s), Value{true});
    EXPECT_EQ(filters.apply("flags_uptime", std::string("2024-05-01T08:00:00+00:00"), t0),
              Value{std::string("2024-05-01T08:00:00+00:00")});
  }
  // ... and do not count as readings: the first number still passes.
  EXPECT_EQ(filters.apply("flags_under_voltage", 0.0, t0 + 4s), Value{0.0});
}

TEST(EntityFilters, ResetStartsAnEntitysChainAfresh) {
  EntityFilters filters(config().sensors);
  EXPECT_EQ(filters.apply("system_load_1m", 1.0, t0), Value{1.0});
  EXPECT_EQ(filters.apply("flags_throttled", 1.0, t0), Value{1.0});
  filters.reset("system_load_1m");
  filters.reset("system_load_15m");  // no filters: nothing to do
  EXPECT_EQ(filters.apply("system_load_1m", 1.1, t0 + 1s), Value{1.1});
  EXPECT_EQ(filters.apply("flags_throttled", 1.0, t0 + 1s), std::nullopt);  // untouched
}

TEST(EntityFilters, AdjustSetsTheLongestSilenceForSensorEntities) {
  const EntityFilters filters(config().sensors);
  auto load_1m = entity("system_load_1m", sensors::Platform::sensor, 60s);
  filters.adjust(load_1m);
  EXPECT_EQ(load_1m.interval, 2min);  // delta, then a heartbeat of 1m: 1m + 1m
  auto load_5m = entity("system_load_5m", sensors::Platform::sensor, 60s);
  filters.adjust(load_5m);
  EXPECT_EQ(load_5m.interval, 60s);  // round holds nothing back
  auto load_15m = entity("system_load_15m", sensors::Platform::sensor, 60s);
  filters.adjust(load_15m);
  EXPECT_EQ(load_15m.interval, 60s);
  auto uptime = entity("flags_uptime", sensors::Platform::sensor, 30s);
  filters.adjust(uptime);
  EXPECT_EQ(uptime.interval, 5min + 30s);
  // Binary sensors carry booleans, which are never filtered.
  auto flag = entity("flags_under_voltage", sensors::Platform::binary_sensor, 30s);
  filters.adjust(flag);
  EXPECT_EQ(flag.interval, 30s);
}

sensors::EntityInfo with_precision(std::string id, std::optional<int> precision) {
  sensors::EntityInfo info = entity(std::move(id), sensors::Platform::sensor, 60s);
  info.display_precision = precision;
  return info;
}

// The entities config() gives, with the display precisions SystemSensor chooses (load: 2), and
// one entity of another sensor without a display precision.
std::vector<sensors::EntityInfo> entities() {
  return {with_precision("system_load_1m", 2), with_precision("system_load_5m", 2),
          with_precision("system_load_15m", 2), with_precision("flags_uptime", std::nullopt),
          with_precision("pimqttd_queued", 0), with_precision("command_value", std::nullopt)};
}

TEST(EntityFilters, NumbersArePublishedRoundedToTheirDisplayPrecision) {
  EntityFilters filters(config().sensors, entities());
  EXPECT_EQ(filters.apply("system_load_15m", 0.587, t0), Value{0.59});
  EXPECT_EQ(filters.apply("system_load_15m", 1.2345678, t0), Value{1.23});
  EXPECT_EQ(filters.apply("system_load_15m", 0.125, t0), Value{0.13});  // half away from zero
  EXPECT_EQ(filters.apply("system_load_15m", -0.125, t0), Value{-0.13});
  EXPECT_EQ(filters.apply("pimqttd_queued", 2.5, t0), Value{3.0});
  // -0 is 0: the payload never says "-0".
  const auto zero = filters.apply("system_load_15m", -0.004, t0);
  ASSERT_TRUE(zero && std::holds_alternative<double>(*zero));
  EXPECT_FALSE(std::signbit(std::get<double>(*zero)));
  EXPECT_EQ(sensors::format_value(*zero), "0");
  // Not finite: untouched (Home Assistant's unknown).
  const auto nan = filters.apply("system_load_15m", std::nan(""), t0);
  ASSERT_TRUE(nan && std::holds_alternative<double>(*nan));
  EXPECT_TRUE(std::isnan(std::get<double>(*nan)));
  EXPECT_EQ(filters.apply("system_load_15m", HUGE_VAL, t0), Value{HUGE_VAL});
  // Without a display precision or a round: as they come.
  EXPECT_EQ(filters.apply("command_value", 0.1 + 0.2, t0), Value{0.1 + 0.2});
  EXPECT_EQ(filters.apply("unknown_entity", 1.23456, t0), Value{1.23456});
  // Booleans and text are never rounded.
  EXPECT_EQ(filters.apply("system_load_15m", true, t0), Value{true});
  EXPECT_EQ(filters.decimals("system_load_15m"), 2);
  EXPECT_EQ(filters.decimals("command_value"), std::nullopt);
  EXPECT_FALSE(filters.filtered("system_load_15m"));
}

TEST(EntityFilters, RoundedAfterTheFilters) {
  EntityFilters filters(config().sensors, entities());
  // delta 0.5 sees the reading as it came (1.0 -> 1.496 is no change of 0.5), and what passes
  // is rounded to 2 decimals.
  EXPECT_EQ(filters.apply("system_load_1m", 1.0004, t0), Value{1.0});
  EXPECT_EQ(filters.apply("system_load_1m", 1.496, t0 + 10s), std::nullopt);
  EXPECT_EQ(filters.apply("system_load_1m", 1.5004, t0 + 20s), Value{1.5});
}

TEST(EntityFilters, ARoundFilterDecidesAlone) {
  EntityFilters filters(config().sensors, entities());
  // load_5m has {"round": 1}: one decimal, not the display precision's two.
  EXPECT_EQ(filters.apply("system_load_5m", 0.587, t0), Value{0.6});
  EXPECT_EQ(filters.apply("system_load_5m", -0.04, t0), Value{0.0});
  EXPECT_EQ(filters.decimals("system_load_5m"), 1);
  // ... and it is what Home Assistant is told to show.
  auto load_5m = with_precision("system_load_5m", 2);
  filters.adjust(load_5m);
  EXPECT_EQ(load_5m.display_precision, 1);
  auto load_1m = with_precision("system_load_1m", 2);
  filters.adjust(load_1m);
  EXPECT_EQ(load_1m.display_precision, 2);
}

TEST(EntityFilters, RoundedIsTheRuleForOneValue) {
  EXPECT_EQ(rounded(21.5625, 2), Value{21.56});
  EXPECT_EQ(rounded(21.5625, std::nullopt), Value{21.5625});
  EXPECT_EQ(rounded(std::string("2024"), 0), Value{std::string("2024")});
  EXPECT_EQ(rounded(false, 1), Value{false});
}

TEST(EntityFilters, NoConfigNoFilters) {
  EntityFilters filters;
  EXPECT_EQ(filters.apply("system_load_1m", 1.0, t0), Value{1.0});
  EXPECT_EQ(filters.apply("system_load_1m", 1.0, t0), Value{1.0});
  EXPECT_FALSE(filters.filtered("system_load_1m"));
}

}  // namespace
}  // namespace pimqttd::app
