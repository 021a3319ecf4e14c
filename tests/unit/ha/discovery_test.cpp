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

json parse(const Message& m) { return json::parse(m.payload); }

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
  for (const Platform p : {Platform::sensor, Platform::binary_sensor, Platform::switch_}) {
    EXPECT_EQ(parse_platform(platform_name(p)), p);
  }
  EXPECT_EQ(parse_platform("light"), std::nullopt);
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
              ElementsAre("cpu_temperature: only a switch accepts commands"));
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
