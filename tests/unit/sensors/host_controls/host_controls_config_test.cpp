#include "sensors/host_controls/host_controls_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::printed_sensor_entry;
using test::sensor_entry_errors;
using test::settings_json;

TEST(HostControlsConfig, EveryActionEnabled) {
  const SensorConfig sensor = parse_sensor_entry(
      R"({"type": "host_controls", "restart": true, "reboot": true, "power_off": true})");
  EXPECT_EQ(sensor.name, "Host");
  EXPECT_EQ(sensor.id, "host");
  EXPECT_FALSE(sensor.interval.has_value());  // nothing to poll
  const auto* s = sensor.settings_as<HostControlsSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->options.restart);
  EXPECT_TRUE(s->options.reboot);
  EXPECT_TRUE(s->options.power_off);
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"host_restart", "Restart pimqttd"},
                                                        {"host_reboot", "Reboot"},
                                                        {"host_power_off", "Power off"}}));
  EXPECT_EQ(settings_json(sensor), R"({"restart":true,"reboot":true,"power_off":true})");
}

TEST(HostControlsConfig, OnlyTheEnabledActionsAreButtonsAndTheRestDefaultToOff) {
  const SensorConfig sensor =
      parse_sensor_entry(R"({"type": "host_controls", "name": "Pi", "reboot": true})");
  EXPECT_EQ(sensor.id, "pi");
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"pi_reboot", "Reboot"}}));
  EXPECT_EQ(settings_json(sensor), R"({"restart":false,"reboot":true,"power_off":false})");
  EXPECT_EQ(printed_sensor_entry(R"({"type": "host_controls", "name": "Pi", "reboot": true})")
                .dump(),
            R"({"type":"host_controls","name":"Pi","id":"pi",)"
            R"("restart":false,"reboot":true,"power_off":false,"filters":[]})");
}

TEST(HostControlsConfig, AnEntryThatEnablesNothingIsAnErrorOnTheEntry) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "host_controls"})"),
            (Errors{"sensors[0]: expected at least one of \"restart\", \"reboot\" and "
                    "\"power_off\" set to true (a host_controls entry that enables none has no "
                    "button)"}));
  EXPECT_EQ(sensor_entry_errors(
                R"({"type": "system"}, {"type": "host_controls", "restart": false, "reboot": false})"),
            (Errors{"sensors[1]: expected at least one of \"restart\", \"reboot\" and "
                    "\"power_off\" set to true (a host_controls entry that enables none has no "
                    "button)"}));
}

TEST(HostControlsConfig, WrongValuesAndUnknownKeys) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "host_controls", "reboot": "yes"})"),
            (Errors{"sensors[0].reboot: expected true or false, found string \"yes\""}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "host_controls", "reboot": true, "poweroff": true})"),
            (Errors{"sensors[0].poweroff: unknown key, did you mean 'power_off'?"}));
  EXPECT_EQ(
      sensor_entry_errors(R"({"type": "host_controls", "reboot": true, "interval": "10s"})"),
      (Errors{"sensors[0].interval: unknown key"}));
}

TEST(HostControlsConfig, TheDriverAnnouncesWhatTheEntrySaysAndHomeAssistantTakesIt) {
  const SensorConfig sensor = parse_sensor_entry(
      R"({"type": "host_controls", "id": "pi", "restart": true, "power_off": true})");
  const auto driver = make_sensor(sensor);
  ASSERT_EQ(driver->entities().size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(driver->entities()[i].id, sensor.entities[i].id);
    EXPECT_EQ(driver->entities()[i].name, sensor.entities[i].name);
    EXPECT_EQ(ha::validate_entity(driver->entities()[i]), Errors{});
  }
}

}  // namespace
}  // namespace pimqttd::sensors
