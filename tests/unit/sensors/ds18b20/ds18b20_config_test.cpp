#include "sensors/ds18b20/ds18b20_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "sensors/ds18b20/ds18b20.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using app::Config;
using app::to_json_text;

using namespace std::chrono_literals;
using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;

const std::string kExpectedAddress =
    "expected a DS18B20 or DS1822 1-Wire id: \"28-\" or \"22-\" and 12 hexadecimal digits, such "
    "as \"28-0316a2794aff\", found ";

TEST(Ds18b20Config, TheType) {
  const SensorType* type = builtin_sensor_types().find("ds18b20");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->default_name, "");  // a name is required
  EXPECT_TRUE(type->polls);
  EXPECT_EQ(type->default_interval, 60s);
  EXPECT_EQ(type->min_interval, 2s);
  EXPECT_EQ(type->max_interval, 24h);
  EXPECT_TRUE(type->make);
}

TEST(Ds18b20Config, Defaults) {
  const SensorConfig sensor =
      parse_sensor_entry(R"({"type": "ds18b20", "name": "Outdoor", "address": "28-0316A2794AFF"})");
  EXPECT_EQ(sensor.type, "ds18b20");
  EXPECT_EQ(sensor.name, "Outdoor");
  EXPECT_EQ(sensor.id, "outdoor");
  EXPECT_EQ(sensor.interval, 60s);
  const auto* settings = sensor.settings_as<Ds18b20Settings>();
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->options.address, "28-0316a2794aff");  // as the kernel names it
  EXPECT_EQ(settings->options.root, std::filesystem::path("/"));
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"outdoor", "Outdoor"}}));
  EXPECT_TRUE(sensor.filters.empty());
}

TEST(Ds18b20Config, EveryKey) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "ds18b20", "name": "Water tank",
      "id": "tank", "address": "22-000802b4c1a2", "interval": "2s", "root": "fake",
      "filters": {"tank": [{"median": 3}]}})");
  EXPECT_EQ(sensor.id, "tank");
  EXPECT_EQ(sensor.interval, 2s);
  const auto* settings = sensor.settings_as<Ds18b20Settings>();
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->options.address, "22-000802b4c1a2");
  EXPECT_EQ(settings->options.root, std::filesystem::path("/etc/pimqttd/fake"));
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"tank", "Water tank"}}));
  const auto specs = sensor.filters.for_entity("tank");
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0], FilterSpec::median(3));
}

TEST(Ds18b20Config, PrintedWithEveryDefault) {
  const Config config = test::parse_sensor_entries(
      R"({"type": "ds18b20", "name": "Outdoor", "address": "28-0316a2794aff",
          "filters": [{"round": 1}]})");
  const Json printed = Json::parse(to_json_text(config));
  EXPECT_EQ(printed["sensors"][0].dump(),
            R"({"type":"ds18b20","name":"Outdoor","id":"outdoor","interval":"1m",)"
            R"("address":"28-0316a2794aff","root":"/","filters":[{"round":1}]})");
  const Config again = test::parse_test_config(to_json_text(config));
  EXPECT_EQ(to_json_text(again), to_json_text(config));
}

TEST(Ds18b20Config, MakesTheDriver) {
  const SensorConfig sensor = parse_sensor_entry(
      R"({"type": "ds18b20", "name": "Outdoor", "address": "28-0316a2794aff", "interval": 30})");
  const auto driver = make_sensor(sensor);
  ASSERT_NE(dynamic_cast<Ds18b20Sensor*>(driver.get()), nullptr);
  Ds18b20Options expected;
  expected.id = "outdoor";
  expected.name = "Outdoor";
  expected.interval = 30s;
  EXPECT_EQ(driver->entities(),
            (std::vector<EntityInfo>{ds18b20_entity(expected)}));
  // An entity Home Assistant accepts.
  EXPECT_EQ(ha::validate_entity(driver->entities().at(0)), std::vector<std::string>{});
}

TEST(Ds18b20ConfigErrors, AddressIsRequiredAndChecked) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ds18b20", "name": "a"})"),
            (Errors{"sensors[0].address: required key missing"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ds18b20", "name": "a", "address": "10-000802b4c1a2"},
                        {"type": "ds18b20", "name": "b", "address": "28-0316a2794af"},
                        {"type": "ds18b20", "name": "c", "address": "28-0316a2794afg"},
                        {"type": "ds18b20", "name": "d", "address": "280316a2794aff"},
                        {"type": "ds18b20", "name": "e", "address": "28-0316a2794aff0"},
                        {"type": "ds18b20", "name": "f", "address": 28})"),
            (Errors{"sensors[0].address: " + kExpectedAddress + "\"10-000802b4c1a2\"",
                    "sensors[1].address: " + kExpectedAddress + "\"28-0316a2794af\"",
                    "sensors[2].address: " + kExpectedAddress + "\"28-0316a2794afg\"",
                    "sensors[3].address: " + kExpectedAddress + "\"280316a2794aff\"",
                    "sensors[4].address: " + kExpectedAddress + "\"28-0316a2794aff0\"",
                    "sensors[5].address: expected a string, found number 28"}));
}

TEST(Ds18b20ConfigErrors, TheOneWireIdInTheIdKeyIsPointedToAddress) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ds18b20", "name": "a", "id": "28-0316a2794aff"})"),
            (Errors{"sensors[0].id: expected 1 to 64 characters from [a-z0-9_] (a 1-Wire id "
                    "such as 28-... goes in \"address\"), found \"28-0316a2794aff\"",
                    "sensors[0].address: required key missing"}));
}

TEST(Ds18b20ConfigErrors, CommonKeysAndUnknownOnes) {
  EXPECT_EQ(sensor_entry_errors(
                R"({"type": "ds18b20", "address": "28-0316a2794aff", "interval": "1s",
                    "adress": 1, "root": ""})"),
            (Errors{"sensors[0].interval: expected a duration from 2s to 1d, found \"1s\"",
                    "sensors[0].adress: unknown key, did you mean 'address'?",
                    "sensors[0].root: expected a non-empty string of at most 4096 bytes, found "
                    "\"\"",
                    "sensors[0].name: required key missing"}));
  EXPECT_EQ(sensor_entry_errors(
                R"({"type": "ds18b20", "name": "Outdoor", "address": "28-0316a2794aff"},
                   {"type": "ds18b20", "name": "Outdoor", "address": "28-0316a2794ab0"})"),
            (Errors{"sensors[1].name: sensor id \"outdoor\" is already used by sensors[0]"}));
}

TEST(Ds18b20ConfigErrors, FiltersKeyedByTheSensorsOwnId) {
  EXPECT_EQ(sensor_entry_errors(
                R"({"type": "ds18b20", "name": "Outdoor", "address": "28-0316a2794aff",
                    "filters": {"temperature": [{"round": 1}]}})"),
            (Errors{"sensors[0].filters.temperature: expected an entity of this sensor, one of "
                    "\"outdoor\" (or its full entity id), found \"temperature\""}));
}

}  // namespace
}  // namespace pimqttd::sensors
