#include "sensors/apt_updates/apt_updates_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"
#include "pimqttd/app/once.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "sensors/apt_updates/apt_updates.hpp"
#include "support/fake_apt.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;

TEST(AptUpdatesConfig, TheType) {
  const SensorType* type = builtin_sensor_types().find("apt_updates");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->default_name, "Updates");
  EXPECT_TRUE(type->polls);
  EXPECT_EQ(type->default_interval, 1h);
  EXPECT_EQ(type->min_interval, 1h);
  EXPECT_EQ(type->max_interval, 24h);
  EXPECT_TRUE(type->make);
}

TEST(AptUpdatesConfig, Defaults) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "apt_updates"})");
  EXPECT_EQ(sensor.type, "apt_updates");
  EXPECT_EQ(sensor.name, "Updates");
  EXPECT_EQ(sensor.id, "updates");
  EXPECT_EQ(sensor.interval, 1h);
  const auto* settings = sensor.settings_as<AptUpdatesSettings>();
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->options.root, std::filesystem::path("/"));
  EXPECT_TRUE(settings->options.security);
  EXPECT_EQ(sensor.entities,
            (std::vector<EntityConfig>{{"updates", "Updates"},
                                       {"updates_security", "Updates security"},
                                       {"updates_lists_updated", "Updates lists updated"}}));
  EXPECT_TRUE(sensor.filters.empty());
}

TEST(AptUpdatesConfig, EveryKey) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "apt_updates", "name": "Pi OS",
      "id": "os", "interval": "6h", "security": false, "root": "fake",
      "filters": {"os": [{"heartbeat": "12h"}]}})");
  EXPECT_EQ(sensor.id, "os");
  EXPECT_EQ(sensor.interval, 6h);
  const auto* settings = sensor.settings_as<AptUpdatesSettings>();
  ASSERT_NE(settings, nullptr);
  EXPECT_FALSE(settings->options.security);
  EXPECT_EQ(settings->options.root, std::filesystem::path("/etc/pimqttd/fake"));
  EXPECT_EQ(sensor.entities,
            (std::vector<EntityConfig>{{"os", "Pi OS"},
                                       {"os_lists_updated", "Pi OS lists updated"}}));
  EXPECT_EQ(sensor.filters.for_entity("os").size(), 1U);
}

TEST(AptUpdatesConfig, PrintedWithEveryDefault) {
  const app::Config config = test::parse_sensor_entries(R"({"type": "apt_updates"})");
  const Json printed = Json::parse(app::to_json_text(config));
  EXPECT_EQ(printed["sensors"][0].dump(),
            R"({"type":"apt_updates","name":"Updates","id":"updates","interval":"1h",)"
            R"("security":true,"root":"/","filters":[]})");
  const app::Config again = test::parse_test_config(app::to_json_text(config));
  EXPECT_EQ(app::to_json_text(again), app::to_json_text(config));
}

TEST(AptUpdatesConfig, MakesTheDriver) {
  const SensorConfig sensor =
      parse_sensor_entry(R"({"type": "apt_updates", "name": "Pi OS", "interval": "2h"})");
  const auto driver = make_sensor(sensor);
  ASSERT_NE(dynamic_cast<AptUpdatesSensor*>(driver.get()), nullptr);
  AptUpdatesOptions expected;
  expected.id = "pi_os";
  expected.name = "Pi OS";
  expected.interval = 2h;
  EXPECT_EQ(driver->entities(), apt_updates_entities(expected));
  for (const EntityInfo& entity : driver->entities()) {
    EXPECT_EQ(ha::validate_entity(entity), Errors{}) << entity.id;
  }
}

TEST(AptUpdatesConfigErrors, AtMostHourly) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "apt_updates", "interval": "59m"},
                                   {"type": "apt_updates", "name": "b", "interval": 60})"),
            (Errors{"sensors[0].interval: expected a duration from 1h to 1d, found \"59m\"",
                    "sensors[1].interval: expected a duration from 1h to 1d, found 60"}));
}

TEST(AptUpdatesConfigErrors, OwnKeysAndUnknownOnes) {
  EXPECT_EQ(sensor_entry_errors(
                R"({"type": "apt_updates", "security": "yes", "root": "", "securty": true})"),
            (Errors{"sensors[0].security: expected true or false, found string \"yes\"",
                    "sensors[0].root: expected a non-empty string of at most 4096 bytes, found "
                    "\"\"",
                    "sensors[0].securty: unknown key, did you mean 'security'?"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "apt_updates"}, {"type": "apt_updates"})"),
            (Errors{"sensors[1].name: sensor id \"updates\" is already used by sensors[0]"}));
}

// --once starts the sensor and takes its first reading of every entity.
TEST(AptUpdatesConfig, ReadOnce) {
  const test::FakeApt apt;
  apt.status(test::status_stanza("dpkg", "arm64", "1.21.22"));
  apt.list("r_dists_stable_InRelease", test::in_release("Suite: stable\n"), 1714560000);
  apt.list("r_dists_stable_main_binary-arm64_Packages",
           test::packages_stanza("dpkg", "arm64", "1.21.23"));
  const app::Config config = test::parse_sensor_entries(
      R"({"type": "apt_updates", "root": ")" + apt.root().string() + R"("})");
  const app::OnceResult once = app::read_once(config);
  EXPECT_EQ(once.missing, 0);
  EXPECT_EQ(once.readings.dump(),
            R"({"updates":1.0,"updates_lists_updated":"2024-05-01T10:40:00+00:00",)"
            R"("updates_security":0.0})");
}

}  // namespace
}  // namespace pimqttd::sensors
