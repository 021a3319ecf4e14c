#include "pimqttd/ha/discovery.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pimqttd::ha {
namespace {

using nlohmann::json;
using sensors::EntityInfo;
using sensors::Platform;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

DeviceInfo pi_device() {
  DeviceInfo d;
  d.id = "pi";
  d.name = "Kitchen Pi";
  d.manufacturer = "Raspberry Pi Ltd";
  d.model = "Raspberry Pi 4 Model B Rev 1.4";
  d.sw_version = "0.3.0";
  d.suggested_area = "Kitchen";
  d.support_url = "https://example.org/pimqttd";
  return d;
}

EntityInfo cpu_temperature() {
  EntityInfo e;
  e.id = "cpu_temperature";
  e.name = "CPU temperature";
  e.platform = Platform::sensor;
  e.device_class = "temperature";
  e.state_class = "measurement";
  e.unit = "°C";
  e.display_precision = 1;
  e.diagnostic = true;
  e.icon = "mdi:thermometer";
  e.interval = seconds(30);
  return e;
}

EntityInfo door() {
  EntityInfo e;
  e.id = "door";
  e.name = "Door";
  e.platform = Platform::binary_sensor;
  e.device_class = "door";
  return e;
}

EntityInfo fan() {
  EntityInfo e;
  e.id = "fan";
  e.name = "Fan";
  e.platform = Platform::switch_;
  e.device_class = "switch";
  e.commandable = true;
  e.interval = seconds(10);
  return e;
}

EntityInfo led_strip() {
  EntityInfo e;
  e.id = "led_strip";
  e.name = "LED strip";
  e.platform = Platform::light;
  e.commandable = true;
  e.control = sensors::ControlRange{0, 255, 0, ""};
  return e;
}

EntityInfo case_fan() {
  EntityInfo e;
  e.id = "case_fan";
  e.name = "Case fan";
  e.platform = Platform::fan;
  e.commandable = true;
  e.control = sensors::ControlRange{1, 100, 0, ""};
  return e;
}

EntityInfo heater_power() {
  EntityInfo e;
  e.id = "heater_power";
  e.name = "Heater power";
  e.platform = Platform::number;
  e.unit = "%";
  e.commandable = true;
  e.control = sensors::ControlRange{0, 100, 1, "slider"};
  return e;
}

EntityInfo restart_button() {
  EntityInfo e;
  e.id = "host_reboot";
  e.name = "Reboot";
  e.platform = Platform::button;
  e.device_class = "restart";
  e.commandable = true;
  return e;
}

EntityInfo doorbell() {
  EntityInfo e;
  e.id = "doorbell";
  e.name = "Doorbell";
  e.platform = Platform::event;
  e.device_class = "doorbell";
  e.event_types = {"press", "double_press", "long_press", "release"};
  e.device_triggers = true;
  return e;
}

json parse(const Message& m) { return json::parse(m.payload); }

// One component of a discovery message, as its bytes appear in the payload.
std::string component_text(const Message& m, const std::string& id) {
  return nlohmann::ordered_json::parse(m.payload)["cmps"][id].dump();
}

// ---- Topics

TEST(Topics, DefaultLayout) {
  const Topics t(TopicConfig{}, "pi");
  EXPECT_EQ(t.node(), "pi");
  EXPECT_EQ(t.status(), "pimqttd/pi/status");
  EXPECT_EQ(t.state("cpu_temperature"), "pimqttd/pi/cpu_temperature/state");
  EXPECT_EQ(t.availability("cpu_temperature"), "pimqttd/pi/cpu_temperature/availability");
  EXPECT_EQ(t.command("fan"), "pimqttd/pi/fan/set");
  EXPECT_EQ(t.discovery(), "homeassistant/device/pi/config");
}

TEST(Topics, CustomBaseAndPrefix) {
  const Topics t(TopicConfig{"home/pis", "ha"}, "Pi-4_b");
  EXPECT_EQ(t.status(), "home/pis/Pi-4_b/status");
  EXPECT_EQ(t.state("x"), "home/pis/Pi-4_b/x/state");
  EXPECT_EQ(t.discovery(), "ha/device/Pi-4_b/config");
}

TEST(Topics, RejectsBadNode) {
  for (const char* node : {"", "pi.local", "a/b", "a+b", "a#", "pi 4", "pï"}) {
    EXPECT_THROW(Topics(TopicConfig{}, node), std::invalid_argument) << node;
  }
}

TEST(Topics, RejectsBadBaseOrPrefix) {
  EXPECT_THROW(Topics(TopicConfig{"", "homeassistant"}, "pi"), std::invalid_argument);
  EXPECT_THROW(Topics(TopicConfig{"pimqttd", ""}, "pi"), std::invalid_argument);
  EXPECT_THROW(Topics(TopicConfig{"a/+/b", "homeassistant"}, "pi"), std::invalid_argument);
  EXPECT_THROW(Topics(TopicConfig{"pimqttd", "ha/#"}, "pi"), std::invalid_argument);
  EXPECT_THROW(Topics(TopicConfig{std::string("a\0b", 3), "ha"}, "pi"), std::invalid_argument);
  try {
    Topics(TopicConfig{}, "pi.local");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "node id 'pi.local' must be non-empty and only [a-zA-Z0-9_-]");
  }
}

// ---- platforms

TEST(Platform, NamesRoundTrip) {
  EXPECT_EQ(platform_name(Platform::sensor), "sensor");
  EXPECT_EQ(platform_name(Platform::binary_sensor), "binary_sensor");
  EXPECT_EQ(platform_name(Platform::switch_), "switch");
  EXPECT_EQ(platform_name(Platform::light), "light");
  EXPECT_EQ(platform_name(Platform::fan), "fan");
  EXPECT_EQ(platform_name(Platform::number), "number");
  EXPECT_EQ(platform_name(Platform::button), "button");
  EXPECT_EQ(platform_name(Platform::event), "event");
  EXPECT_EQ(platform_name(Platform::device_trigger), "device_automation");
  for (const Platform p : {Platform::sensor, Platform::binary_sensor, Platform::switch_,
                           Platform::light, Platform::fan, Platform::number, Platform::button,
                           Platform::event, Platform::device_trigger}) {
    EXPECT_EQ(parse_platform(platform_name(p)), p);
  }
  EXPECT_EQ(parse_platform("lights"), std::nullopt);
  EXPECT_EQ(parse_platform("switch_"), std::nullopt);
  EXPECT_EQ(parse_platform(""), std::nullopt);
}

// ---- discovery_message

TEST(DiscoveryMessage, TopicRetainQos) {
  const Topics t(TopicConfig{}, "pi");
  const Message m = discovery_message(pi_device(), t, {cpu_temperature()});
  EXPECT_EQ(m.topic, "homeassistant/device/pi/config");
  EXPECT_TRUE(m.retain);
  EXPECT_EQ(m.qos, 1);
}

TEST(DiscoveryMessage, DeviceAndOrigin) {
  const Topics t(TopicConfig{}, "pi");
  const json p = parse(discovery_message(pi_device(), t, {cpu_temperature()}));
  EXPECT_EQ(p["dev"], json::parse(R"({
    "ids": ["pimqttd_pi"],
    "name": "Kitchen Pi",
    "mf": "Raspberry Pi Ltd",
    "mdl": "Raspberry Pi 4 Model B Rev 1.4",
    "sw": "0.3.0",
    "sa": "Kitchen"
  })"));
  EXPECT_EQ(p["o"], json::parse(R"({
    "name": "pimqttd",
    "sw": "0.3.0",
    "url": "https://example.org/pimqttd"
  })"));
  EXPECT_EQ(p.size(), 3u) << p.dump();  // dev, o, cmps and nothing else
  EXPECT_TRUE(p.contains("cmps"));
}

TEST(DiscoveryMessage, EmptyDeviceFieldsOmitted) {
  DeviceInfo d;
  d.id = "bare";
  const Topics t(TopicConfig{}, "bare");
  const json p = parse(discovery_message(d, t, {}));
  EXPECT_EQ(p["dev"], json::parse(R"({"ids": ["pimqttd_bare"], "name": "bare"})"));
  EXPECT_EQ(p["o"], json::parse(R"({"name": "pimqttd"})"));
  EXPECT_EQ(p["cmps"], json::object());
}

TEST(DiscoveryMessage, SensorComponentFieldByField) {
  const Topics t(TopicConfig{}, "pi");
  const json p = parse(discovery_message(pi_device(), t, {cpu_temperature()}));
  ASSERT_EQ(p["cmps"].size(), 1u);
  EXPECT_EQ(p["cmps"]["cpu_temperature"], json::parse(R"({
    "p": "sensor",
    "unique_id": "pi_cpu_temperature",
    "default_entity_id": "sensor.pi_cpu_temperature",
    "name": "CPU temperature",
    "state_topic": "pimqttd/pi/cpu_temperature/state",
    "availability": [
      {"topic": "pimqttd/pi/status"},
      {"topic": "pimqttd/pi/cpu_temperature/availability"}
    ],
    "availability_mode": "all",
    "device_class": "temperature",
    "state_class": "measurement",
    "unit_of_measurement": "°C",
    "suggested_display_precision": 1,
    "entity_category": "diagnostic",
    "icon": "mdi:thermometer",
    "expire_after": 90,
    "qos": 1
  })"));
}

TEST(DiscoveryMessage, BinarySensorEventDrivenHasNoExpiry) {
  const Topics t(TopicConfig{}, "pi");
  const json p = parse(discovery_message(pi_device(), t, {door()}));
  EXPECT_EQ(p["cmps"]["door"], json::parse(R"({
    "p": "binary_sensor",
    "unique_id": "pi_door",
    "default_entity_id": "binary_sensor.pi_door",
    "name": "Door",
    "state_topic": "pimqttd/pi/door/state",
    "availability": [
      {"topic": "pimqttd/pi/status"},
      {"topic": "pimqttd/pi/door/availability"}
    ],
    "availability_mode": "all",
    "device_class": "door",
    "payload_on": "ON",
    "payload_off": "OFF",
    "qos": 1
  })"));
}

TEST(DiscoveryMessage, SwitchHasCommandTopicAndNoExpiry) {
  const Topics t(TopicConfig{}, "pi");
  const json p = parse(discovery_message(pi_device(), t, {fan()}));
  EXPECT_EQ(p["cmps"]["fan"], json::parse(R"({
    "p": "switch",
    "unique_id": "pi_fan",
    "default_entity_id": "switch.pi_fan",
    "name": "Fan",
    "state_topic": "pimqttd/pi/fan/state",
    "availability": [
      {"topic": "pimqttd/pi/status"},
      {"topic": "pimqttd/pi/fan/availability"}
    ],
    "availability_mode": "all",
    "device_class": "switch",
    "payload_on": "ON",
    "payload_off": "OFF",
    "command_topic": "pimqttd/pi/fan/set",
    "qos": 1
  })"));
}

TEST(DiscoveryMessage, LightWithTheJsonSchemaAndBrightness) {
  const Topics t(TopicConfig{}, "pi");
  EXPECT_EQ(component_text(discovery_message(pi_device(), t, {led_strip()}), "led_strip"),
            R"({"p":"light","unique_id":"pi_led_strip","default_entity_id":"light.pi_led_strip",)"
            R"("name":"LED strip","schema":"json","state_topic":"pimqttd/pi/led_strip/state",)"
            R"("availability":[{"topic":"pimqttd/pi/status"},)"
            R"({"topic":"pimqttd/pi/led_strip/availability"}],"availability_mode":"all",)"
            R"("command_topic":"pimqttd/pi/led_strip/set","brightness":true,)"
            R"("brightness_scale":255,"supported_color_modes":["brightness"],"qos":1})");
  EntityInfo on_off = led_strip();
  on_off.control.reset();
  EXPECT_EQ(parse(discovery_message(pi_device(), t, {on_off}))["cmps"]["led_strip"]
                ["supported_color_modes"],
            json::parse(R"(["onoff"])"));
}

TEST(DiscoveryMessage, FanWithPercentageOnTheSameTopics) {
  const Topics t(TopicConfig{}, "pi");
  EXPECT_EQ(component_text(discovery_message(pi_device(), t, {case_fan()}), "case_fan"),
            R"({"p":"fan","unique_id":"pi_case_fan","default_entity_id":"fan.pi_case_fan",)"
            R"("name":"Case fan","state_topic":"pimqttd/pi/case_fan/state",)"
            R"("availability":[{"topic":"pimqttd/pi/status"},)"
            R"({"topic":"pimqttd/pi/case_fan/availability"}],"availability_mode":"all",)"
            R"("payload_on":"ON","payload_off":"OFF","command_topic":"pimqttd/pi/case_fan/set",)"
            R"("state_value_template":"{{ value_json.state }}",)"
            R"("percentage_state_topic":"pimqttd/pi/case_fan/state",)"
            R"("percentage_value_template":"{{ value_json.percentage }}",)"
            R"("percentage_command_topic":"pimqttd/pi/case_fan/set","speed_range_min":1,)"
            R"("speed_range_max":100,"qos":1})");
}

TEST(DiscoveryMessage, NumberWithRangeStepModeAndUnit) {
  const Topics t(TopicConfig{}, "pi");
  EntityInfo e = heater_power();
  e.interval = seconds(10);  // no expire_after for a number
  EXPECT_EQ(component_text(discovery_message(pi_device(), t, {e}), "heater_power"),
            R"({"p":"number","unique_id":"pi_heater_power",)"
            R"("default_entity_id":"number.pi_heater_power","name":"Heater power",)"
            R"("state_topic":"pimqttd/pi/heater_power/state",)"
            R"("availability":[{"topic":"pimqttd/pi/status"},)"
            R"({"topic":"pimqttd/pi/heater_power/availability"}],"availability_mode":"all",)"
            R"("unit_of_measurement":"%","command_topic":"pimqttd/pi/heater_power/set",)"
            R"("min":0,"max":100,"step":1,"mode":"slider","qos":1})");
  e.control = sensors::ControlRange{-0.5, 2.5, 0.25, ""};
  EXPECT_EQ(parse(discovery_message(pi_device(), t, {e}))["cmps"]["heater_power"]["step"], 0.25);
  EXPECT_FALSE(parse(discovery_message(pi_device(), t, {e}))["cmps"]["heater_power"].contains(
      "mode"));
}

TEST(DiscoveryMessage, MinimalSensorOmitsUnsetFields) {
  EntityInfo e;
  e.id = "load";
  e.name = "Load";
  const Topics t(TopicConfig{}, "pi");
  const json c = parse(discovery_message(pi_device(), t, {e}))["cmps"]["load"];
  for (const char* key : {"device_class", "state_class", "unit_of_measurement",
                          "suggested_display_precision", "entity_category", "icon",
                          "expire_after", "payload_on", "payload_off", "command_topic"}) {
    EXPECT_FALSE(c.contains(key)) << key;
  }
  EXPECT_EQ(c.size(), 8u) << c.dump();
}

TEST(DiscoveryMessage, PrecisionOnlyForSensors) {
  EntityInfo b = door();
  b.display_precision = 2;
  const Topics t(TopicConfig{}, "pi");
  const json c = parse(discovery_message(pi_device(), t, {b}))["cmps"]["door"];
  EXPECT_FALSE(c.contains("suggested_display_precision"));
}

TEST(DiscoveryMessage, ExpireAfterIsThreeIntervalsRoundedUp) {
  const Topics t(TopicConfig{}, "pi");
  const auto expire = [&](milliseconds interval, Platform platform) {
    EntityInfo e = cpu_temperature();
    e.platform = platform;
    e.interval = interval;
    const json c = parse(discovery_message(pi_device(), t, {e}))["cmps"]["cpu_temperature"];
    return c.contains("expire_after") ? c["expire_after"].get<int>() : -1;
  };
  EXPECT_EQ(expire(seconds(30), Platform::sensor), 90);
  EXPECT_EQ(expire(milliseconds(1500), Platform::sensor), 5);  // 4.5 s
  EXPECT_EQ(expire(milliseconds(1000), Platform::sensor), 3);
  EXPECT_EQ(expire(milliseconds(1), Platform::sensor), 1);
  EXPECT_EQ(expire(milliseconds(333), Platform::sensor), 1);  // 0.999 s
  EXPECT_EQ(expire(milliseconds(334), Platform::sensor), 2);  // 1.002 s
  EXPECT_EQ(expire(seconds(5), Platform::binary_sensor), 15);
  EXPECT_EQ(expire(milliseconds(0), Platform::sensor), -1);
  EXPECT_EQ(expire(seconds(5), Platform::switch_), -1);
}

TEST(DiscoveryMessage, DefaultEntityIdIsAValidHomeAssistantEntityId) {
  const Topics t(TopicConfig{}, "Pi-Kitchen--2");
  EntityInfo e = cpu_temperature();
  e.id = "_cpu__temp_";
  const json c = parse(discovery_message(pi_device(), t, {e}))["cmps"]["_cpu__temp_"];
  EXPECT_EQ(c["unique_id"], "Pi-Kitchen--2__cpu__temp_");
  EXPECT_EQ(c["default_entity_id"], "sensor.pi_kitchen_2_cpu_temp");
}

TEST(DiscoveryMessage, SeveralEntitiesKeyedById) {
  const Topics t(TopicConfig{}, "pi");
  const json p = parse(discovery_message(pi_device(), t, {cpu_temperature(), door(), fan()}));
  std::vector<std::string> keys;
  for (const auto& item : p["cmps"].items()) {
    keys.push_back(item.key());
  }
  EXPECT_THAT(keys, ElementsAre("cpu_temperature", "door", "fan"));
  EXPECT_EQ(p["cmps"]["door"]["p"], "binary_sensor");
}

TEST(DiscoveryMessage, CompactUtf8InDocumentedOrder) {
  const Topics t(TopicConfig{}, "pi");
  const Message m = discovery_message(pi_device(), t, {cpu_temperature()});
  EXPECT_THAT(m.payload, StartsWith(R"({"dev":{"ids":["pimqttd_pi"],"name":"Kitchen Pi",)"));
  EXPECT_THAT(m.payload, HasSubstr(R"("unit_of_measurement":"°C")"));
  EXPECT_THAT(m.payload, HasSubstr(R"("cmps":{"cpu_temperature":{"p":"sensor","unique_id")"));
  EXPECT_EQ(m.payload.find('\n'), std::string::npos);
  EXPECT_EQ(m.payload.find("\\u"), std::string::npos);
}

TEST(DiscoveryMessage, InvalidUtf8IsReplacedNotThrown) {
  EntityInfo e = cpu_temperature();
  e.name = "bad \xff name";
  const Topics t(TopicConfig{}, "pi");
  Message m;
  ASSERT_NO_THROW(m = discovery_message(pi_device(), t, {e}));
  EXPECT_EQ(parse(m)["cmps"]["cpu_temperature"]["name"], "bad \xEF\xBF\xBD name");
}

TEST(DiscoveryMessage, ButtonHasNoStateTopicAndPressesWithPress) {
  const Topics t(TopicConfig{}, "pi");
  EXPECT_EQ(component_text(discovery_message(pi_device(), t, {restart_button()}), "host_reboot"),
            R"({"p":"button","unique_id":"pi_host_reboot",)"
            R"("default_entity_id":"button.pi_host_reboot","name":"Reboot",)"
            R"("availability":[{"topic":"pimqttd/pi/status"},)"
            R"({"topic":"pimqttd/pi/host_reboot/availability"}],"availability_mode":"all",)"
            R"("device_class":"restart","command_topic":"pimqttd/pi/host_reboot/set",)"
            R"("payload_press":"PRESS","qos":1})");
}

TEST(DiscoveryMessage, EventWithItsTypesAndOneDeviceTriggerPerType) {
  const Topics t(TopicConfig{}, "pi");
  const Message m = discovery_message(pi_device(), t, {doorbell()});
  EXPECT_EQ(component_text(m, "doorbell"),
            R"({"p":"event","unique_id":"pi_doorbell","default_entity_id":"event.pi_doorbell",)"
            R"("name":"Doorbell","state_topic":"pimqttd/pi/doorbell/state",)"
            R"("event_types":["press","double_press","long_press","release"],)"
            R"("availability":[{"topic":"pimqttd/pi/status"},)"
            R"({"topic":"pimqttd/pi/doorbell/availability"}],"availability_mode":"all",)"
            R"("device_class":"doorbell","qos":1})");
  EXPECT_EQ(component_text(m, "doorbell_double_press"),
            R"({"p":"device_automation","automation_type":"trigger",)"
            R"("topic":"pimqttd/pi/doorbell/state","type":"button_double_press",)"
            R"("subtype":"Doorbell","payload":"double_press",)"
            R"("value_template":"{{ value_json.event_type }}","qos":1})");
  const json p = parse(m);
  EXPECT_EQ(p["cmps"].size(), 5u);
  EXPECT_EQ(p["cmps"]["doorbell_press"]["type"], "button_short_press");
  EXPECT_EQ(p["cmps"]["doorbell_long_press"]["type"], "button_long_press");
  EXPECT_EQ(p["cmps"]["doorbell_release"]["type"], "button_long_release");
  EXPECT_EQ(p["cmps"]["doorbell_release"]["payload"], "release");

  EntityInfo no_triggers = doorbell();
  no_triggers.device_triggers = false;
  EXPECT_EQ(parse(discovery_message(pi_device(), t, {no_triggers}))["cmps"].size(), 1u);
}

TEST(DeviceTriggers, TypesAndPayload) {
  EXPECT_EQ(trigger_type("press"), "button_short_press");
  EXPECT_EQ(trigger_type("double_press"), "button_double_press");
  EXPECT_EQ(trigger_type("triple_press"), "button_triple_press");
  EXPECT_EQ(trigger_type("long_press"), "button_long_press");
  EXPECT_EQ(trigger_type("release"), "button_long_release");
  EXPECT_EQ(trigger_type("spammed"), "spammed");
  EXPECT_EQ(event_payload("double_press"), R"({"event_type":"double_press"})");
}

TEST(Components, EntitiesThenTheTriggersOfEachEvent) {
  using Pair = std::pair<std::string, Platform>;
  EntityInfo bell = doorbell();
  bell.event_types = {"press", "long_press"};
  EXPECT_THAT(components({cpu_temperature(), bell, restart_button()}),
              ElementsAre(Pair{"cpu_temperature", Platform::sensor},
                          Pair{"doorbell", Platform::event},
                          Pair{"doorbell_press", Platform::device_trigger},
                          Pair{"doorbell_long_press", Platform::device_trigger},
                          Pair{"host_reboot", Platform::button}));
}

// ---- removal_message

TEST(RemovalMessage, RemovedComponentsReducedToPlatform) {
  const Topics t(TopicConfig{}, "pi");
  const Message m = removal_message(pi_device(), t, {cpu_temperature()},
                                    {{"fan", Platform::switch_}, {"door", Platform::binary_sensor}});
  EXPECT_EQ(m.topic, "homeassistant/device/pi/config");
  EXPECT_TRUE(m.retain);
  EXPECT_EQ(m.qos, 1);
  const json p = parse(m);
  const json full = parse(discovery_message(pi_device(), t, {cpu_temperature()}));
  EXPECT_EQ(p["dev"], full["dev"]);
  EXPECT_EQ(p["o"], full["o"]);
  EXPECT_EQ(p["cmps"], json::parse(R"({
    "cpu_temperature": )" + full["cmps"]["cpu_temperature"].dump() + R"(,
    "fan": {"p": "switch"},
    "door": {"p": "binary_sensor"}
  })"));
}

TEST(RemovalMessage, NotRemovedWhenStillCurrentOnSamePlatform) {
  const Topics t(TopicConfig{}, "pi");
  const Message m = removal_message(pi_device(), t, {cpu_temperature(), fan()},
                                    {{"fan", Platform::switch_}});
  EXPECT_EQ(m, discovery_message(pi_device(), t, {cpu_temperature(), fan()}));
}

TEST(RemovalMessage, PlatformChangeRemovesOldAndLeavesNewToDiscovery) {
  const Topics t(TopicConfig{}, "pi");
  EntityInfo now_binary = door();
  now_binary.id = "cpu_temperature";
  const json p = parse(removal_message(pi_device(), t, {now_binary, fan()},
                                       {{"cpu_temperature", Platform::sensor}}));
  EXPECT_EQ(p["cmps"]["cpu_temperature"], json::parse(R"({"p": "sensor"})"));
  EXPECT_EQ(p["cmps"]["fan"]["p"], "switch");
  EXPECT_EQ(p["cmps"].size(), 2u);
}

TEST(RemovalMessage, ATriggerNoLongerAnnouncedIsRemovedAndCurrentOnesKept) {
  const Topics t(TopicConfig{}, "pi");
  EntityInfo bell = doorbell();
  bell.event_types = {"press"};
  const json p = parse(removal_message(pi_device(), t, {bell},
                                       {{"doorbell_press", Platform::device_trigger},
                                        {"doorbell_double_press", Platform::device_trigger}}));
  EXPECT_EQ(p["cmps"]["doorbell_double_press"], json::parse(R"({"p": "device_automation"})"));
  EXPECT_EQ(p["cmps"]["doorbell_press"]["type"], "button_short_press");
  EXPECT_EQ(p["cmps"].size(), 3u);
}

TEST(RemovalMessage, DuplicatesCollapse) {
  const Topics t(TopicConfig{}, "pi");
  const json p = parse(removal_message(pi_device(), t, {},
                                       {{"fan", Platform::switch_}, {"fan", Platform::switch_}}));
  EXPECT_EQ(p["cmps"], json::parse(R"({"fan": {"p": "switch"}})"));
}

// ---- validate_entity

TEST(ValidateEntity, DriverStyleEntitiesAreValid) {
  EXPECT_THAT(validate_entity(cpu_temperature()), IsEmpty());
  EXPECT_THAT(validate_entity(door()), IsEmpty());
  EXPECT_THAT(validate_entity(fan()), IsEmpty());

  EntityInfo bytes;
  bytes.id = "net_rx";
  bytes.name = "Received";
  bytes.device_class = "data_size";
  bytes.state_class = "total_increasing";
  bytes.unit = "B";
  EXPECT_THAT(validate_entity(bytes), IsEmpty());

  EntityInfo rate = bytes;
  rate.device_class = "data_rate";
  rate.state_class = "measurement";
  rate.unit = "B/s";
  EXPECT_THAT(validate_entity(rate), IsEmpty());

  EntityInfo boot;
  boot.id = "last_boot";
  boot.name = "Last boot";
  boot.device_class = "timestamp";
  EXPECT_THAT(validate_entity(boot), IsEmpty());

  EntityInfo load;
  load.id = "load_1m";
  load.name = "Load (1 min)";
  load.state_class = "measurement";
  EXPECT_THAT(validate_entity(load), IsEmpty());

  EntityInfo pf;
  pf.id = "pf";
  pf.name = "Power factor";
  pf.device_class = "power_factor";
  pf.state_class = "measurement";
  EXPECT_THAT(validate_entity(pf), IsEmpty());

  EntityInfo money;
  money.id = "cost";
  money.name = "Cost";
  money.device_class = "monetary";
  money.state_class = "total";
  money.unit = "EUR";
  EXPECT_THAT(validate_entity(money), IsEmpty());

  EntityInfo wind;
  wind.id = "wind_dir";
  wind.name = "Wind direction";
  wind.device_class = "wind_direction";
  wind.state_class = "measurement_angle";
  wind.unit = "°";
  EXPECT_THAT(validate_entity(wind), IsEmpty());
}

TEST(ValidateEntity, MicroSignAndGreekMuBothAccepted) {
  EntityInfo e;
  e.id = "latency";
  e.name = "Latency";
  e.device_class = "duration";
  e.unit = "\xC2\xB5s";  // U+00B5 MICRO SIGN
  EXPECT_THAT(validate_entity(e), IsEmpty());
  e.unit = "\xCE\xBCs";  // U+03BC GREEK SMALL LETTER MU
  EXPECT_THAT(validate_entity(e), IsEmpty());
}

TEST(ValidateEntity, TemperatureNeedsTemperatureUnit) {
  EntityInfo e = cpu_temperature();
  e.unit = "%";
  EXPECT_THAT(validate_entity(e),
              ElementsAre("cpu_temperature: device class temperature needs a unit among °C, °F, "
                          "K, got '%'"));
  e.unit.clear();
  EXPECT_THAT(validate_entity(e),
              ElementsAre("cpu_temperature: device class temperature needs a unit among °C, °F, "
                          "K, got ''"));
}

TEST(ValidateEntity, StateClassMustSuitDeviceClass) {
  EntityInfo e = cpu_temperature();
  e.state_class = "total_increasing";
  EXPECT_THAT(validate_entity(e),
              ElementsAre("cpu_temperature: device class temperature allows state classes "
                          "measurement, got 'total_increasing'"));
  e.state_class = "bogus";
  EXPECT_THAT(validate_entity(e),
              ElementsAre("cpu_temperature: unknown state class 'bogus' (expected one of "
                          "measurement, measurement_angle, total, total_increasing)"));

  EntityInfo energy;
  energy.id = "energy";
  energy.name = "Energy";
  energy.device_class = "energy";
  energy.state_class = "measurement";
  energy.unit = "kWh";
  EXPECT_THAT(validate_entity(energy),
              ElementsAre("energy: device class energy allows state classes total, "
                          "total_increasing, got 'measurement'"));
}

TEST(ValidateEntity, MeasurementAngleNeedsDegrees) {
  EntityInfo e;
  e.id = "heading";
  e.name = "Heading";
  e.state_class = "measurement_angle";
  e.unit = "rad";
  EXPECT_THAT(validate_entity(e),
              ElementsAre("heading: state class measurement_angle needs the unit '°', got 'rad'"));
}

TEST(ValidateEntity, NonNumericDeviceClasses) {
  EntityInfo e;
  e.id = "boot";
  e.name = "Boot";
  e.device_class = "timestamp";
  e.unit = "s";
  e.state_class = "measurement";
  e.display_precision = 0;
  EXPECT_THAT(validate_entity(e),
              ElementsAre("boot: device class timestamp is not numeric and takes no unit, got 's'",
                          "boot: device class timestamp is not numeric and takes no state class, "
                          "got 'measurement'",
                          "boot: device class timestamp is not numeric and takes no display "
                          "precision"));
  EntityInfo mode;
  mode.id = "mode";
  mode.name = "Mode";
  mode.device_class = "enum";
  EXPECT_THAT(validate_entity(mode),
              ElementsAre("mode: device class enum needs a list of options, which pimqttd does "
                          "not announce"));
}

TEST(ValidateEntity, UnitlessAndCurrencyClasses) {
  EntityInfo aqi;
  aqi.id = "aqi";
  aqi.name = "AQI";
  aqi.device_class = "aqi";
  aqi.unit = "ppm";
  EXPECT_THAT(validate_entity(aqi), ElementsAre("aqi: device class aqi takes no unit, got 'ppm'"));

  EntityInfo money;
  money.id = "cost";
  money.name = "Cost";
  money.device_class = "monetary";
  money.unit = "eur";
  EXPECT_THAT(validate_entity(money),
              ElementsAre("cost: device class monetary needs an ISO 4217 currency code, got "
                          "'eur'"));

  EntityInfo pf;
  pf.id = "pf";
  pf.name = "PF";
  pf.device_class = "power_factor";
  pf.unit = "W";
  EXPECT_THAT(validate_entity(pf),
              ElementsAre("pf: device class power_factor needs a unit among % (or none), got "
                          "'W'"));
}

TEST(ValidateEntity, ProblemIsABinarySensorClass) {
  EntityInfo e;
  e.id = "throttled";
  e.name = "Throttled";
  e.device_class = "problem";
  EXPECT_THAT(validate_entity(e),
              ElementsAre("throttled: unknown sensor device class 'problem'"));
  e.platform = Platform::binary_sensor;
  EXPECT_THAT(validate_entity(e), IsEmpty());
}

TEST(ValidateEntity, BinarySensorIsNotNumeric) {
  EntityInfo e = door();
  e.device_class = "temperature";
  e.unit = "°C";
  e.state_class = "measurement";
  e.display_precision = 1;
  EXPECT_THAT(validate_entity(e),
              ElementsAre("door: unknown binary_sensor device class 'temperature'",
                          "door: a binary_sensor takes no unit, got '°C'",
                          "door: a binary_sensor takes no state class, got 'measurement'",
                          "door: a binary_sensor takes no display precision"));
}

TEST(ValidateEntity, SwitchRules) {
  EntityInfo e = fan();
  e.commandable = false;
  e.device_class = "door";
  EXPECT_THAT(validate_entity(e),
              ElementsAre("fan: unknown switch device class 'door' (expected outlet or switch)",
                          "fan: a switch must be commandable"));
  EntityInfo commanded = cpu_temperature();
  commanded.commandable = true;
  EXPECT_THAT(validate_entity(commanded),
              ElementsAre("cpu_temperature: only a switch, light, fan, number or button accepts "
                          "commands"));
}

TEST(ValidateEntity, LightFanNumberAsDriversMakeThem) {
  EXPECT_THAT(validate_entity(led_strip()), IsEmpty());
  EXPECT_THAT(validate_entity(case_fan()), IsEmpty());
  EXPECT_THAT(validate_entity(heater_power()), IsEmpty());
  EntityInfo on_off_light = led_strip();
  on_off_light.control.reset();
  EXPECT_THAT(validate_entity(on_off_light), IsEmpty());
  EntityInfo power = heater_power();
  power.device_class = "power";
  power.unit = "W";
  EXPECT_THAT(validate_entity(power), IsEmpty());
}

TEST(ValidateEntity, LightAndFanRules) {
  EntityInfo light = led_strip();
  light.commandable = false;
  light.device_class = "light";
  light.unit = "%";
  light.state_class = "measurement";
  light.control->max = 0.5;
  EXPECT_THAT(validate_entity(light),
              ElementsAre("led_strip: a light takes no device class, got 'light'",
                          "led_strip: a light takes no unit, got '%'",
                          "led_strip: a light takes no state class, got 'measurement'",
                          "led_strip: a light must be commandable",
                          "led_strip: the brightness scale must be a whole number from 1 to 65535"));
  EntityInfo fan = case_fan();
  fan.control = sensors::ControlRange{0, 100, 0, ""};
  EXPECT_THAT(validate_entity(fan), ElementsAre("case_fan: the speed range must be whole numbers "
                                                "with 1 <= min < max <= 65535"));
  fan.control = sensors::ControlRange{5, 5, 0, ""};
  EXPECT_THAT(validate_entity(fan), ElementsAre("case_fan: the speed range must be whole numbers "
                                                "with 1 <= min < max <= 65535"));
}

TEST(ValidateEntity, NumberRules) {
  EntityInfo n = heater_power();
  n.state_class = "measurement";
  n.display_precision = 1;
  n.control = sensors::ControlRange{10, 10, 0.0001, "dial"};
  EXPECT_THAT(validate_entity(n),
              ElementsAre("heater_power: a number takes no state class, got 'measurement'",
                          "heater_power: a number takes no display precision",
                          "heater_power: a number's min must be less than its max",
                          "heater_power: a number's step must be at least 0.001",
                          "heater_power: unknown number mode 'dial' (expected auto, box or slider)"));
  EntityInfo no_range = heater_power();
  no_range.control.reset();
  EXPECT_THAT(validate_entity(no_range),
              ElementsAre("heater_power: a number needs its min, max and step"));
  EntityInfo wrong_unit = heater_power();
  wrong_unit.device_class = "temperature";
  EXPECT_THAT(validate_entity(wrong_unit),
              ElementsAre("heater_power: device class temperature needs a unit among °C, °F, K, "
                          "got '%'"));
  EntityInfo timestamp = heater_power();
  timestamp.device_class = "timestamp";
  EXPECT_THAT(validate_entity(timestamp),
              ElementsAre("heater_power: unknown number device class 'timestamp'"));
}

TEST(ValidateEntity, OnlyLightsFansAndNumbersHaveARange) {
  EntityInfo s = fan();  // the switch
  s.control = sensors::ControlRange{0, 1, 1, ""};
  EXPECT_THAT(validate_entity(s), ElementsAre("fan: a switch has no control range"));
  EntityInfo t = cpu_temperature();
  t.control = sensors::ControlRange{0, 1, 1, ""};
  EXPECT_THAT(validate_entity(t),
              ElementsAre("cpu_temperature: only a light, fan or number has a control range"));
}

TEST(ValidateEntity, ButtonRules) {
  EXPECT_THAT(validate_entity(restart_button()), IsEmpty());
  EntityInfo b = restart_button();
  b.device_class = "reboot";
  b.commandable = false;
  b.unit = "s";
  b.interval = seconds(5);
  EXPECT_THAT(validate_entity(b),
              ElementsAre("host_reboot: unknown button device class 'reboot' (expected identify, "
                          "restart or update)",
                          "host_reboot: a button takes no unit, got 's'",
                          "host_reboot: a button must be commandable",
                          "host_reboot: a button publishes no state and has no interval"));
}

TEST(ValidateEntity, EventRules) {
  EXPECT_THAT(validate_entity(doorbell()), IsEmpty());
  EntityInfo e = doorbell();
  e.device_class = "bell";
  e.event_types = {"press", "Bad type", "press"};
  e.commandable = true;
  EXPECT_THAT(validate_entity(e),
              ElementsAre("doorbell: unknown event device class 'bell' (expected button, "
                          "doorbell or motion)",
                          "doorbell: event type 'Bad type' must be non-empty and only [a-z0-9_]",
                          "doorbell: event type 'press' is listed twice",
                          "doorbell: only a switch, light, fan, number or button accepts "
                          "commands"));
  e = doorbell();
  e.event_types.clear();
  EXPECT_THAT(validate_entity(e), ElementsAre("doorbell: an event needs at least one event type"));
  EntityInfo sensor = cpu_temperature();
  sensor.device_triggers = true;
  EXPECT_THAT(validate_entity(sensor),
              ElementsAre("cpu_temperature: only an event has event types and device triggers"));
  EntityInfo trigger = doorbell();
  trigger.platform = Platform::device_trigger;
  trigger.event_types.clear();
  trigger.device_triggers = false;
  trigger.device_class.clear();
  EXPECT_THAT(validate_entity(trigger),
              ElementsAre("doorbell: a device trigger is announced for an event entity, never on "
                          "its own"));
}

TEST(ValidateEntity, IdNameIconPrecisionInterval) {
  EntityInfo e = cpu_temperature();
  e.id = "CPU-temp";
  e.name.clear();
  e.icon = "thermometer";
  e.display_precision = -1;
  e.interval = milliseconds(-5);
  EXPECT_THAT(validate_entity(e),
              ElementsAre("CPU-temp: the id must be non-empty and only [a-z0-9_]",
                          "CPU-temp: the name must not be empty",
                          "CPU-temp: the icon must read 'prefix:name' (e.g. mdi:thermometer), got "
                          "'thermometer'",
                          "CPU-temp: the display precision must be >= 0",
                          "CPU-temp: the interval must be >= 0"));
  EntityInfo anonymous = cpu_temperature();
  anonymous.id.clear();
  EXPECT_THAT(validate_entity(anonymous),
              ElementsAre("(no id): the id must be non-empty and only [a-z0-9_]"));
}

}  // namespace
}  // namespace pimqttd::ha
