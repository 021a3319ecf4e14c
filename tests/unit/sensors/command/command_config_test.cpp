#include "sensors/command/command_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Errors = std::vector<std::string>;
using Argv = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;
using test::settings_json;

TEST(CommandConfig, Button) {
  const auto sensor = parse_sensor_entry(
      R"({"type": "command", "name": "Restart Kodi", "platform": "button",
          "command": ["/usr/bin/systemctl", "restart", "kodi"], "device_class": "restart"})");
  EXPECT_EQ(sensor.id, "restart_kodi");
  EXPECT_FALSE(sensor.interval.has_value());
  const auto& o = sensor.settings_of<CommandSettings>().options;
  EXPECT_EQ(o.platform, CommandPlatform::button);
  EXPECT_EQ(o.command, (Argv{"/usr/bin/systemctl", "restart", "kodi"}));
  EXPECT_EQ(o.timeout, 10s);
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"restart_kodi", "Restart Kodi"}}));
  EXPECT_EQ(settings_json(sensor),
            R"({"platform":"button","command":["/usr/bin/systemctl","restart","kodi"],)"
            R"("timeout":"10s","environment":{},"device_class":"restart","icon":null})");
}

TEST(CommandConfig, OptimisticSwitch) {
  const auto sensor = parse_sensor_entry(
      R"({"type": "command", "name": "Fan", "platform": "switch",
          "on": ["/usr/local/bin/fan", "on"], "off": ["/usr/local/bin/fan", "off"]})");
  const auto& o = sensor.settings_of<CommandSettings>().options;
  EXPECT_EQ(o.platform, CommandPlatform::switch_);
  EXPECT_EQ(o.on, (Argv{"/usr/local/bin/fan", "on"}));
  EXPECT_EQ(o.off, (Argv{"/usr/local/bin/fan", "off"}));
  EXPECT_TRUE(o.state.empty());
  EXPECT_EQ(settings_json(sensor),
            R"({"platform":"switch","on":["/usr/local/bin/fan","on"],)"
            R"("off":["/usr/local/bin/fan","off"],"state":null,"timeout":"10s",)"
            R"("environment":{},"device_class":null,"icon":null})");
}

TEST(CommandConfig, SwitchWithStateCommand) {
  const auto sensor = parse_sensor_entry(
      R"({"type": "command", "name": "VPN", "platform": "switch",
          "on": ["/usr/local/bin/vpn", "up"], "off": ["/usr/local/bin/vpn", "down"],
          "state": ["/usr/local/bin/vpn", "status"], "state_from": "output", "interval": "30s",
          "timeout": "20s", "environment": {"VPN_NAME": "home", "DEBUG": ""},
          "device_class": "switch", "icon": "mdi:vpn"})");
  const auto& o = sensor.settings_of<CommandSettings>().options;
  EXPECT_EQ(o.state, (Argv{"/usr/local/bin/vpn", "status"}));
  EXPECT_EQ(o.state_from, StateFrom::output);
  EXPECT_EQ(o.interval, 30s);
  EXPECT_EQ(o.timeout, 20s);
  EXPECT_EQ(o.environment, (std::vector<std::pair<std::string, std::string>>{
                               {"VPN_NAME", "home"}, {"DEBUG", ""}}));
  EXPECT_EQ(settings_json(sensor),
            R"({"platform":"switch","on":["/usr/local/bin/vpn","up"],)"
            R"("off":["/usr/local/bin/vpn","down"],"state":["/usr/local/bin/vpn","status"],)"
            R"("state_from":"output","interval":"30s","timeout":"20s",)"
            R"("environment":{"VPN_NAME":"home","DEBUG":""},"device_class":"switch",)"
            R"("icon":"mdi:vpn"})");
  const auto exit = parse_sensor_entry(
      R"({"type": "command", "name": "VPN", "platform": "switch", "on": ["/bin/true"],
          "off": ["/bin/true"], "state": ["/bin/true"]})");
  EXPECT_EQ(exit.settings_of<CommandSettings>().options.state_from, StateFrom::exit_status);
  EXPECT_EQ(exit.settings_of<CommandSettings>().options.interval, 60s);
}

TEST(CommandConfig, Sensor) {
  const auto sensor = parse_sensor_entry(
      R"({"type": "command", "name": "Pond temperature", "platform": "sensor",
          "command": ["/usr/local/bin/pond", "--json"], "value": "/water/temperature",
          "unit": "°C", "device_class": "temperature", "state_class": "measurement",
          "interval": "5m", "precision": 1})");
  const auto& o = sensor.settings_of<CommandSettings>().options;
  EXPECT_EQ(o.platform, CommandPlatform::sensor);
  EXPECT_EQ(o.value, "/water/temperature");
  EXPECT_EQ(o.interval, 5min);
  EXPECT_EQ(o.unit, "°C");
  EXPECT_EQ(o.precision, 1);
  EXPECT_EQ(make_sensor(sensor)->entities().front().display_precision, 1);
  EXPECT_EQ(settings_json(sensor),
            R"({"platform":"sensor","command":["/usr/local/bin/pond","--json"],)"
            R"("value":"/water/temperature","interval":"5m","unit":"°C",)"
            R"("state_class":"measurement","precision":1,"timeout":"10s","environment":{},)"
            R"("device_class":"temperature","icon":null})");
  // What --print-config shows reads back the same.
  const auto printed = test::printed_sensor_entry(
      R"({"type": "command", "name": "Load", "platform": "sensor",
          "command": ["/bin/cat", "/proc/loadavg"]})");
  EXPECT_EQ(parse_sensor_entry(printed.dump()).settings_of<CommandSettings>().options.command,
            (Argv{"/bin/cat", "/proc/loadavg"}));
}

TEST(CommandConfig, MakesTheDriverWithHomeAssistantValidEntities) {
  for (const char* entry :
       {R"({"type": "command", "name": "Go", "platform": "button", "command": ["/bin/true"]})",
        R"({"type": "command", "name": "Go", "platform": "switch", "on": ["/bin/true"],
            "off": ["/bin/false"], "state": ["/bin/true"]})",
        R"({"type": "command", "name": "Go", "platform": "sensor", "command": ["/bin/true"],
            "unit": "W", "device_class": "power", "state_class": "measurement"})"}) {
    SCOPED_TRACE(entry);
    const auto sensor = parse_sensor_entry(entry);
    const auto driver = make_sensor(sensor);
    const auto* command = dynamic_cast<const CommandSensor*>(driver.get());
    ASSERT_NE(command, nullptr);
    EXPECT_EQ(command->options().id, "go");
    EXPECT_EQ(command->options().name, "Go");
    ASSERT_EQ(driver->entities().size(), 1u);
    EXPECT_TRUE(ha::validate_entity(driver->entities().front()).empty());
  }
}

TEST(CommandConfig, ErrorsNameTheKey) {
  struct Case {
    std::string sensors;
    Errors errors;
  };
  const std::string button = R"({"type": "command", "name": "Go", "platform": "button", )";
  const std::string sw = R"({"type": "command", "name": "Go", "platform": "switch", )";
  const std::string sensor = R"({"type": "command", "name": "Go", "platform": "sensor", )";
  const std::vector<Case> cases = {
      {R"({"type": "command", "name": "Go", "command": ["/bin/true"]})",
       {"sensors[0].platform: required key missing"}},
      {R"({"type": "command", "name": "Go", "platform": "light", "command": ["/bin/true"]})",
       {"sensors[0].platform: expected one of \"button\", \"switch\", \"sensor\", found "
        "\"light\""}},
      {R"({"type": "command", "name": "Go", "platform": "button"})",
       {"sensors[0].command: required key missing"}},
      {button + R"("command": "/sbin/reboot now"})",
       {"sensors[0].command: expected an array: the program's absolute path, then each "
        "argument as a string (no shell), found string \"/sbin/reboot now\""}},
      {button + R"("command": ["reboot"]})",
       {"sensors[0].command[0]: expected the program's absolute path (it is run as it is: no "
        "PATH search, no shell), found \"reboot\""}},
      {button + R"("command": []})", {"sensors[0].command: expected a non-empty array, found []"}},
      {button + R"("command": ["/bin/echo", ""]})",
       {"sensors[0].command[1]: expected a non-empty string of at most 4096 bytes, found \"\""}},
      {button + R"("command": ["/bin/true"], "on": ["/bin/true"], "interval": "1m"})",
       {"sensors[0].on: not a key of platform \"button\" (only of \"switch\")",
        "sensors[0].interval: not a key of platform \"button\" (only of \"switch\" and "
        "\"sensor\")"}},
      {sw + R"("on": ["/bin/true"]})", {"sensors[0].off: required key missing"}},
      {sw + R"("on": ["/bin/true"], "off": ["/bin/true"], "command": ["/bin/true"]})",
       {"sensors[0].command: not a key of platform \"switch\" (only of \"button\" and "
        "\"sensor\")"}},
      {sw + R"("on": ["/bin/true"], "off": ["/bin/true"], "state_from": "output",
               "interval": "1m"})",
       {"sensors[0].state_from: only with \"state\" (a switch without it does not poll)",
        "sensors[0].interval: only with \"state\" (a switch without it does not poll)"}},
      {sw + R"("on": ["/bin/true"], "off": ["/bin/true"], "state": ["/bin/true"],
               "state_from": "stdout"})",
       {"sensors[0].state_from: expected one of \"exit\", \"output\", found \"stdout\""}},
      {sw + R"("on": ["/bin/true"], "off": ["/bin/true"], "device_class": "light"})",
       {"sensors[0].device_class: unknown switch device class 'light' (expected outlet or "
        "switch)"}},
      {sensor + R"("command": ["/bin/true"], "value": "data.temperature"})",
       {"sensors[0].value: expected a JSON pointer such as \"/data/temperature\", found "
        "\"data.temperature\""}},
      {sensor + R"("command": ["/bin/true"], "value": "/a~2"})",
       {"sensors[0].value: expected a JSON pointer such as \"/data/temperature\", found "
        "\"/a~2\""}},
      {sensor + R"("command": ["/bin/true"], "interval": "500ms"})",
       {"sensors[0].interval: expected a duration from 1s to 1d, found \"500ms\""}},
      {sensor + R"("command": ["/bin/true"], "timeout": "2h"})",
       {"sensors[0].timeout: expected a duration from 100ms to 1h, found \"2h\""}},
      {sensor + R"("command": ["/bin/true"], "device_class": "temperature", "unit": "K°"})",
       {"sensors[0].device_class: device class temperature needs a unit among °C, °F, K, got "
        "'K°'"}},
      {sensor + R"("command": ["/bin/true"], "state_class": "sometimes"})",
       {"sensors[0].state_class: unknown state class 'sometimes' (expected one of measurement, "
        "measurement_angle, total, total_increasing)"}},
      {sensor + R"("command": ["/bin/true"], "device_class": "timestamp"})",
       {"sensors[0].device_class: expected a numeric device class (a command sensor's value is "
        "a number), found \"timestamp\""}},
      {sensor + R"("command": ["/bin/true"], "icon": "thermometer"})",
       {"sensors[0].icon: the icon must read 'prefix:name' (e.g. mdi:thermometer), got "
        "'thermometer'"}},
      {sensor + R"("command": ["/bin/true"], "environment": {"1X": "a", "OK": 1}})",
       {"sensors[0].environment[\"1X\"]: expected a variable name of letters, digits and '_' "
        "that does not start with a digit, found \"1X\"",
        "sensors[0].environment.OK: expected a string, found number 1"}},
      {sensor + R"("command": ["/bin/true"], "environment": ["A=1"]})",
       {"sensors[0].environment: expected an object of variables ({\"NAME\": \"value\"}), found "
        "an array"}},
      {sensor + R"("command": ["/bin/true"], "precision": 7})",
       {"sensors[0].precision: expected an integer from 0 to 6, found 7"}},
      {button + R"("command": ["/bin/true"], "precision": 1})",
       {"sensors[0].precision: not a key of platform \"button\" (only of \"sensor\")"}},
      {sensor + R"("command": ["/bin/true"], "comand": 1})",
       {"sensors[0].comand: unknown key, did you mean 'command'?"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sensors);
    EXPECT_EQ(sensor_entry_errors(c.sensors), c.errors);
  }
}

}  // namespace
}  // namespace pimqttd::sensors
