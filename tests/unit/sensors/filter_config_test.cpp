#include "pimqttd/sensors/filter_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using app::Config;
using app::ConfigError;
using app::to_json_text;

using namespace std::chrono_literals;
using Errors = std::vector<std::string>;
using Specs = std::vector<FilterSpec>;

// A system sensor entry with the load metric alone (entities system_load_1m, system_load_5m,
// system_load_15m) and `filters` as given.
std::string with_filters(const std::string& filters) {
  return R"({"type": "system", "metrics": {
             "cpu_temperature": false, "cpu_usage": false, "memory": false, "swap": false,
             "disk": false, "uptime": false, "throttled": false},
           "filters": )" +
         filters + "}";
}

SensorFilters filters_of(const std::string& filters) {
  return test::parse_sensor_entry(with_filters(filters)).filters;
}

Errors errors_of(const std::string& filters) {
  return test::sensor_entry_errors(with_filters(filters));
}

const std::string kFilterList =
    R"("offset", "multiply", "round", "moving_average", "median", "delta", "throttle", )"
    R"("heartbeat")";

// ---- the two forms ------------------------------------------------------------------------------

TEST(FilterConfig, ArrayFormAppliesToEveryEntity) {
  const SensorFilters filters = filters_of(R"([
      {"offset": -0.5}, {"multiply": 1.8}, {"round": 1}, {"moving_average": 5}, {"median": 3},
      {"delta": 0.5}, {"delta": "5%"}, {"delta": "2.5%"}, {"delta": 2}, {"throttle": "30s"},
      {"heartbeat": "5m"}, {"throttle": 1.5}, {"offset": 0}])");
  const Specs expected{FilterSpec::offset(-0.5),
                       FilterSpec::multiply(1.8),
                       FilterSpec::round(1),
                       FilterSpec::moving_average(5),
                       FilterSpec::median(3),
                       FilterSpec::delta(0.5),
                       FilterSpec::delta_percent(5),
                       FilterSpec::delta_percent(2.5),
                       FilterSpec::delta(2),
                       FilterSpec::throttle(30s),
                       FilterSpec::heartbeat(5min),
                       FilterSpec::throttle(1500ms),
                       FilterSpec::offset(0)};
  EXPECT_EQ(filters.every_entity, expected);
  EXPECT_TRUE(filters.by_entity.empty());
  for (const char* id : {"system_load_1m", "system_load_15m", "anything"}) {
    const auto specs = filters.for_entity(id);
    EXPECT_EQ(Specs(specs.begin(), specs.end()), expected) << id;
  }
}

TEST(FilterConfig, ObjectFormByEntityIdWithOrWithoutTheSensorId) {
  const SensorFilters filters =
      filters_of(R"({"load_5m": [{"median": 3}], "system_load_1m": [{"round": 2}, {"delta": 1}],
                     "load_15m": []})");
  EXPECT_TRUE(filters.every_entity.empty());
  using Entry = std::pair<std::string, Specs>;
  EXPECT_EQ(filters.by_entity,
            (std::vector<Entry>{{"system_load_5m", {FilterSpec::median(3)}},
                                {"system_load_1m", {FilterSpec::round(2), FilterSpec::delta(1)}},
                                {"system_load_15m", {}}}));
  const auto one = filters.for_entity("system_load_1m");
  EXPECT_EQ(Specs(one.begin(), one.end()), (Specs{FilterSpec::round(2), FilterSpec::delta(1)}));
  EXPECT_TRUE(filters.for_entity("system_load_15m").empty());
  EXPECT_TRUE(filters.for_entity("load_5m").empty());  // only full ids after parsing
}

TEST(FilterConfig, AbsentOrNullOrEmptyMeansNone) {
  EXPECT_TRUE(filters_of("null").empty());
  EXPECT_TRUE(filters_of("[]").empty());
  EXPECT_TRUE(filters_of("{}").empty());
  EXPECT_TRUE(test::parse_sensor_entry(R"({"type": "system"})").filters.empty());
}

// ---- printing -----------------------------------------------------------------------------------

TEST(FilterConfig, PrintedAsWritten) {
  EXPECT_EQ(filters_to_json(filters_of(R"([{"offset": -0.5}, {"multiply": 2}, {"round": 1},
             {"moving_average": 5}, {"median": 3}, {"delta": 0.5}, {"delta": "5%"},
             {"delta": "2.5%"}, {"throttle": 90}, {"heartbeat": "1h"}])"))
                .dump(),
            R"([{"offset":-0.5},{"multiply":2.0},{"round":1},{"moving_average":5},)"
            R"({"median":3},{"delta":0.5},{"delta":"5%"},{"delta":"2.5%"},{"throttle":"90s"},)"
            R"({"heartbeat":"1h"}])");
  EXPECT_EQ(filters_to_json(filters_of(R"({"load_1m": [{"median": 3}]})")).dump(),
            R"({"system_load_1m":[{"median":3}]})");
  EXPECT_EQ(filters_to_json(SensorFilters{}).dump(), "[]");
  EXPECT_EQ(filter_to_json(FilterSpec::heartbeat(1500ms)).dump(), R"({"heartbeat":"1500ms"})");
}

TEST(FilterConfig, PrintConfigReadsBackTheSame) {
  for (const char* filters :
       {R"([{"delta": "7.5%"}, {"heartbeat": "5m"}, {"offset": 0.1}])",
        R"({"load_1m": [{"throttle": "1m30s"}], "system_load_15m": [{"multiply": -1}]})"}) {
    const Config first = test::parse_sensor_entries(with_filters(filters));
    const std::string printed = to_json_text(first);
    const Config second = test::parse_test_config(printed);
    EXPECT_EQ(second.sensors.at(0).filters, first.sensors.at(0).filters) << filters;
    EXPECT_EQ(to_json_text(second), printed);
  }
}

// ---- errors -------------------------------------------------------------------------------------

TEST(FilterConfigErrors, NotAnArrayOrObject) {
  EXPECT_EQ(errors_of("5"),
            (Errors{"sensors[0].filters: expected an array of filters, or an object of arrays of "
                    "filters keyed by entity, found number 5"}));
  EXPECT_EQ(errors_of(R"("round")"),
            (Errors{"sensors[0].filters: expected an array of filters, or an object of arrays of "
                    "filters keyed by entity, found string \"round\""}));
}

TEST(FilterConfigErrors, FilterObjectsHaveExactlyOneKnownKey) {
  EXPECT_EQ(errors_of(R"([3, {}, {"offset": 1, "round": 2}, {"rond": 1}, {"Delta": 1},
                          {"xyz": 1}])"),
            (Errors{
                "sensors[0].filters[0]: expected a filter: an object with one key, one of " +
                    kFilterList + ", found number 3",
                "sensors[0].filters[1]: expected a filter: an object with one key, one of " +
                    kFilterList + ", found {}",
                "sensors[0].filters[2]: expected one filter per object, found 2 keys: \"offset\", "
                "\"round\"",
                "sensors[0].filters[3].rond: expected a filter, one of " + kFilterList +
                    ", found \"rond\"; did you mean \"round\"?",
                "sensors[0].filters[4].Delta: expected a filter, one of " + kFilterList +
                    ", found \"Delta\"; did you mean \"delta\"?",
                "sensors[0].filters[5].xyz: expected a filter, one of " + kFilterList +
                    ", found \"xyz\""}));
}

TEST(FilterConfigErrors, EveryValueChecked) {
  EXPECT_EQ(
      errors_of(R"([{"offset": "1"}, {"offset": null}, {"multiply": 0}, {"multiply": true},
                    {"round": 7}, {"round": -1}, {"round": 1.5}, {"moving_average": 0},
                    {"median": 1001}, {"median": "3"}, {"throttle": "0s"}, {"heartbeat": "2d"},
                    {"throttle": "soon"}, {"heartbeat": -5}])"),
      (Errors{"sensors[0].filters[0].offset: expected a number, found string \"1\"",
              "sensors[0].filters[1].offset: expected a number, found null",
              "sensors[0].filters[2].multiply: expected a number other than 0, found number 0",
              "sensors[0].filters[3].multiply: expected a number other than 0, found true",
              "sensors[0].filters[4].round: expected an integer from 0 to 6, found 7",
              "sensors[0].filters[5].round: expected an integer from 0 to 6, found -1",
              "sensors[0].filters[6].round: expected an integer, found number 1.5",
              "sensors[0].filters[7].moving_average: expected an integer from 1 to 1000, found 0",
              "sensors[0].filters[8].median: expected an integer from 1 to 1000, found 1001",
              "sensors[0].filters[9].median: expected an integer, found string \"3\"",
              "sensors[0].filters[10].throttle: expected a duration from 1s to 1d, found \"0s\"",
              "sensors[0].filters[11].heartbeat: expected a duration from 1s to 1d, found \"2d\"",
              "sensors[0].filters[12].throttle: expected a duration (seconds, or a string such as "
              "\"500ms\", \"30s\", \"5m\", \"1h\"), found string \"soon\"",
              "sensors[0].filters[13].heartbeat: expected a duration from 1s to 1d, found -5"}));
}

TEST(FilterConfigErrors, DeltaIsAPositiveNumberOrPercentage) {
  const std::string expected = "expected a number above 0 or a percentage such as \"5%\", found ";
  EXPECT_EQ(errors_of(R"([{"delta": 0}, {"delta": -1}, {"delta": "0%"}, {"delta": "-5%"},
                          {"delta": "5 %"}, {"delta": "5"}, {"delta": "%"}, {"delta": ".5%"},
                          {"delta": "5.%"}, {"delta": "1e3%"}, {"delta": [5]}])"),
            (Errors{"sensors[0].filters[0].delta: " + expected + "number 0",
                    "sensors[0].filters[1].delta: " + expected + "number -1",
                    "sensors[0].filters[2].delta: " + expected + "string \"0%\"",
                    "sensors[0].filters[3].delta: " + expected + "string \"-5%\"",
                    "sensors[0].filters[4].delta: " + expected + "string \"5 %\"",
                    "sensors[0].filters[5].delta: " + expected + "string \"5\"",
                    "sensors[0].filters[6].delta: " + expected + "string \"%\"",
                    "sensors[0].filters[7].delta: " + expected + "string \".5%\"",
                    "sensors[0].filters[8].delta: " + expected + "string \"5.%\"",
                    "sensors[0].filters[9].delta: " + expected + "string \"1e3%\"",
                    "sensors[0].filters[10].delta: " + expected + "an array"}));
}

TEST(FilterConfigErrors, ObjectFormKeysNameEntitiesOfTheSensor) {
  EXPECT_EQ(errors_of(R"({"load_1": [], "cpu_temperature": [{"round": 9}], "a b": [],
                          "load_5m": 3, "load_15m": [], "system_load_15m": [{"round": 1}]})"),
            (Errors{"sensors[0].filters.load_1: expected an entity of this sensor, one of "
                    "\"load_1m\", \"load_5m\", \"load_15m\" (or its full entity id), found "
                    "\"load_1\"; did you mean \"load_1m\"?",
                    "sensors[0].filters.cpu_temperature: expected an entity of this sensor, one "
                    "of \"load_1m\", \"load_5m\", \"load_15m\" (or its full entity id), found "
                    "\"cpu_temperature\"",
                    // The filters of a wrong key are still checked.
                    "sensors[0].filters.cpu_temperature[0].round: expected an integer from 0 to "
                    "6, found 9",
                    "sensors[0].filters[\"a b\"]: expected an entity of this sensor, one of "
                    "\"load_1m\", \"load_5m\", \"load_15m\" (or its full entity id), found "
                    "\"a b\"",
                    "sensors[0].filters.load_5m: expected an array of filters, found number 3",
                    "sensors[0].filters.system_load_15m: entity \"system_load_15m\" already has "
                    "its filters from an earlier key"}));
}

TEST(FilterConfigErrors, ReportedWithTheEntrysOtherErrors) {
  const std::string text = R"({"mqtt": {"host": "b"}, "sensors": [
      {"type": "system", "intervall": 5, "filters": [{"round": 8}]},
      {"type": "system", "id": "other", "filters": {"nope": []}}]})";
  try {
    (void)test::parse_test_config(text);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.errors().size(), 3u);
    EXPECT_EQ(error.errors()[0], "sensors[0].intervall: unknown key, did you mean 'interval'?");
    EXPECT_EQ(error.errors()[1],
              "sensors[0].filters[0].round: expected an integer from 0 to 6, found 8");
    EXPECT_EQ(error.errors()[2].rfind("sensors[1].filters.nope: expected an entity of this "
                                      "sensor, one of \"cpu_temperature\", \"cpu_usage\", ",
                                      0),
              0u)
        << error.errors()[2];
  }
}

}  // namespace
}  // namespace pimqttd::sensors
