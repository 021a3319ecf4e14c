#include "sensors/gpio/gpio_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "sensors/gpio/gpio_counter.hpp"
#include "sensors/gpio/gpio_input.hpp"
#include "sensors/gpio/gpio_output.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using app::Config;
using app::to_json_text;

using namespace std::chrono_literals;
using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;
using test::settings_json;

/// Home Assistant's verdict on every entity of the driver built for `sensor`.
std::vector<std::string> ha_problems(const Sensor& driver) {
  std::vector<std::string> problems;
  for (const auto& entity : driver.entities()) {
    for (auto& problem : ha::validate_entity(entity)) problems.push_back(std::move(problem));
  }
  return problems;
}

// ---- gpio_input --------------------------------------------------------------------------------

TEST(GpioInputConfig, Defaults) {
  const SensorConfig sensor =
      parse_sensor_entry(R"({"type": "gpio_input", "name": "Front door", "line": "GPIO17"})");
  EXPECT_EQ(sensor.id, "front_door");
  EXPECT_FALSE(sensor.interval.has_value());  // event-driven
  const auto* s = sensor.settings_as<GpioInputSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->options.line, (hw::GpioLineSpec{"", std::string("GPIO17")}));
  EXPECT_FALSE(s->options.active_low);
  EXPECT_EQ(s->options.bias, hw::GpioBias::as_is);
  EXPECT_EQ(s->options.debounce, 50ms);
  EXPECT_EQ(s->options.device_class, "");
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"front_door", "Front door"}}));
  EXPECT_EQ(settings_json(sensor),
            R"({"chip":null,"line":"GPIO17","active_low":false,"bias":null,)"
            R"("debounce":"50ms","device_class":null})");
}

TEST(GpioInputConfig, EveryKey) {
  const SensorConfig sensor = parse_sensor_entry(R"({
      "type": "gpio_input", "name": "Leak", "id": "leak",
      "chip": "gpiochip0", "line": 17, "active_low": true, "bias": "pull_up",
      "debounce": "200ms", "device_class": "moisture"})");
  const auto* s = sensor.settings_as<GpioInputSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->options.line, (hw::GpioLineSpec{"gpiochip0", std::uint32_t{17}}));
  EXPECT_TRUE(s->options.active_low);
  EXPECT_EQ(s->options.bias, hw::GpioBias::pull_up);
  EXPECT_EQ(s->options.debounce, 200ms);
  EXPECT_EQ(s->options.device_class, "moisture");
  EXPECT_EQ(settings_json(sensor),
            R"({"chip":"gpiochip0","line":17,"active_low":true,"bias":"pull_up",)"
            R"("debounce":"200ms","device_class":"moisture"})");
}

TEST(GpioInputConfig, ChipByNumberLabelOrPath) {
  struct Case {
    std::string chip;
    std::string spec;
    std::string json;
  };
  for (const Case& c : {Case{"4", "4", "4"}, Case{"\"4\"", "4", "4"},
                        Case{"\"pinctrl-rp1\"", "pinctrl-rp1", "\"pinctrl-rp1\""},
                        Case{"\"/dev/gpiochip0\"", "/dev/gpiochip0", "\"/dev/gpiochip0\""}}) {
    SCOPED_TRACE(c.chip);
    const SensorConfig sensor = parse_sensor_entry(R"({"type": "gpio_input", "name": "Button",
        "chip": )" + c.chip + R"(, "line": "GPIO17", "bias": "disabled", "debounce": 0})");
    const auto* s = sensor.settings_as<GpioInputSettings>();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->options.line.chip, c.spec);
    EXPECT_EQ(s->options.bias, hw::GpioBias::disabled);
    EXPECT_EQ(s->options.debounce, 0ms);
    EXPECT_EQ(Json::parse(settings_json(sensor))["chip"].dump(), c.json);
  }
}

TEST(GpioInputConfig, MakesTheDriver) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "gpio_input", "name": "Motion",
      "line": "GPIO4", "bias": "pull_down", "active_low": true, "debounce": "10ms",
      "device_class": "motion"})");
  const auto driver = make_sensor(sensor);
  const auto* input = dynamic_cast<const GpioInput*>(driver.get());
  ASSERT_NE(input, nullptr);
  const GpioInputOptions& o = input->options();
  EXPECT_EQ(o.id, "motion");
  EXPECT_EQ(o.name, "Motion");
  EXPECT_EQ(o.line, (hw::GpioLineSpec{"", std::string("GPIO4")}));
  EXPECT_EQ(o.bias, hw::GpioBias::pull_down);
  EXPECT_TRUE(o.active_low);
  EXPECT_EQ(o.debounce, 10ms);
  EXPECT_EQ(o.device_class, "motion");
  EXPECT_EQ(ha_problems(*driver), Errors{});
}

// ---- gpio_counter ------------------------------------------------------------------------------

TEST(GpioCounterConfig, Defaults) {
  const SensorConfig sensor =
      parse_sensor_entry(R"({"type": "gpio_counter", "name": "Pulses", "line": "GPIO27"})");
  EXPECT_EQ(sensor.interval, 60s);
  const auto* s = sensor.settings_as<GpioCounterSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->options.line, (hw::GpioLineSpec{"", std::string("GPIO27")}));
  EXPECT_EQ(s->options.bias, hw::GpioBias::as_is);
  EXPECT_EQ(s->options.edge, hw::GpioEdge::falling);
  EXPECT_EQ(s->options.min_pulse, 0ms);
  EXPECT_EQ(s->options.multiplier, 1.0);
  EXPECT_EQ(s->options.unit, "");
  EXPECT_EQ(s->options.device_class, "");
  EXPECT_FALSE(s->rate.has_value());
  EXPECT_EQ(s->options.save_interval, 30min);
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"pulses", "Pulses"}}));
  EXPECT_EQ(settings_json(sensor),
            R"({"chip":null,"line":"GPIO27","active_low":false,"bias":null,"edge":"falling",)"
            R"("min_pulse":"0s","multiplier":1.0,"unit":null,"device_class":null,"rate":null,)"
            R"("save_interval":"30m"})");
}

TEST(GpioCounterConfig, AWaterMeter) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "gpio_counter", "name": "Water",
      "chip": 0, "line": 27, "interval": "10s", "bias": "pull_up", "edge": "rising",
      "active_low": true, "min_pulse": "30ms", "multiplier": 0.5, "unit": "L",
      "device_class": "water", "rate": "minute", "save_interval": "5m"})");
  EXPECT_EQ(sensor.interval, 10s);
  const auto* s = sensor.settings_as<GpioCounterSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->options.line, (hw::GpioLineSpec{"0", std::uint32_t{27}}));
  EXPECT_TRUE(s->options.active_low);
  EXPECT_EQ(s->options.edge, hw::GpioEdge::rising);
  EXPECT_EQ(s->options.min_pulse, 30ms);
  EXPECT_EQ(s->options.multiplier, 0.5);
  EXPECT_EQ(s->options.unit, "L");
  EXPECT_EQ(s->options.device_class, "water");
  EXPECT_EQ(s->rate, GpioRate::minute);
  EXPECT_EQ(s->options.save_interval, 5min);
  EXPECT_EQ(sensor.entities,
            (std::vector<EntityConfig>{{"water", "Water"}, {"water_rate", "Water rate"}}));
  EXPECT_EQ(settings_json(sensor),
            R"({"chip":0,"line":27,"active_low":true,"bias":"pull_up","edge":"rising",)"
            R"("min_pulse":"30ms","multiplier":0.5,"unit":"L","device_class":"water",)"
            R"("rate":"minute","save_interval":"5m"})");

  const auto driver = make_sensor(sensor);
  const auto* counter = dynamic_cast<const GpioCounter*>(driver.get());
  ASSERT_NE(counter, nullptr);
  const GpioCounterOptions& o = counter->options();
  EXPECT_EQ(o.id, "water");
  EXPECT_EQ(o.line, s->options.line);
  EXPECT_EQ(o.bias, hw::GpioBias::pull_up);
  EXPECT_TRUE(o.active_low);
  EXPECT_EQ(o.edge, hw::GpioEdge::rising);
  EXPECT_EQ(o.min_pulse, 30ms);
  EXPECT_EQ(o.multiplier, 0.5);
  EXPECT_EQ(o.unit, "L");
  EXPECT_EQ(o.device_class, "water");
  EXPECT_EQ(o.interval, 10s);
  EXPECT_EQ(o.save_interval, 5min);
  ASSERT_TRUE(o.rate.has_value());
  EXPECT_EQ(o.rate->id, "water_rate");
  EXPECT_EQ(o.rate->name, "Water rate");
  EXPECT_EQ(o.rate->per, 60s);
  EXPECT_EQ(o.rate->unit, "L/min");
  EXPECT_EQ(o.rate->device_class, "volume_flow_rate");
  EXPECT_EQ(ha_problems(*driver), Errors{});
}

TEST(GpioCounterConfig, TheRateEntityFollowsTheUnit) {
  struct Case {
    std::string keys;
    std::string unit;
    std::string device_class;
  };
  const std::vector<Case> cases{
      {R"("unit": "kWh", "device_class": "energy", "rate": "hour")", "kW", "power"},
      {R"("unit": "Wh", "device_class": "energy", "rate": "hour")", "W", "power"},
      {R"("unit": "kWh", "device_class": "energy", "rate": "minute")", "kWh/min", ""},
      {R"("unit": "m³", "device_class": "gas", "rate": "hour")", "m³/h", "volume_flow_rate"},
      {R"("unit": "gal", "device_class": "water", "rate": "minute")", "gal/min",
       "volume_flow_rate"},
      {R"("unit": "L", "rate": "hour")", "L/h", "volume_flow_rate"},
      {R"("unit": "revolutions", "rate": "minute")", "revolutions/min", ""},
      {R"("rate": "minute")", "pulses/min", ""},
      {R"("rate": "hour")", "pulses/h", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.keys);
    const SensorConfig sensor = parse_sensor_entry(
        R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", )" + c.keys + "}");
    const auto* s = sensor.settings_as<GpioCounterSettings>();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->rate_entity.unit, c.unit);
    EXPECT_EQ(s->rate_entity.device_class, c.device_class);
    const auto driver = make_sensor(sensor);
    ASSERT_EQ(driver->entities().size(), 2u);
    EXPECT_EQ(driver->entities()[1].unit, c.unit);
    EXPECT_EQ(ha_problems(*driver), Errors{});
  }
}

// ---- gpio_output -------------------------------------------------------------------------------

TEST(GpioOutputConfig, Defaults) {
  const SensorConfig sensor =
      parse_sensor_entry(R"({"type": "gpio_output", "name": "Relay", "line": "GPIO22"})");
  EXPECT_FALSE(sensor.interval.has_value());
  const auto* s = sensor.settings_as<GpioOutputSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->options.line, (hw::GpioLineSpec{"", std::string("GPIO22")}));
  EXPECT_FALSE(s->options.active_low);
  EXPECT_EQ(s->options.initial, GpioInitial::off);
  EXPECT_FALSE(s->options.momentary.has_value());
  EXPECT_EQ(s->options.device_class, "");
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"relay", "Relay"}}));
  EXPECT_EQ(settings_json(sensor),
            R"({"chip":null,"line":"GPIO22","active_low":false,"initial":"off",)"
            R"("momentary":null,"device_class":null})");
}

TEST(GpioOutputConfig, EveryKey) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "gpio_output", "name": "Heater",
      "chip": "pinctrl-bcm2711", "line": 22, "active_low": true, "initial": "restore",
      "device_class": "outlet"})");
  const auto* s = sensor.settings_as<GpioOutputSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->options.initial, GpioInitial::restore);
  EXPECT_EQ(settings_json(sensor),
            R"({"chip":"pinctrl-bcm2711","line":22,"active_low":true,"initial":"restore",)"
            R"("momentary":null,"device_class":"outlet"})");
  const auto driver = make_sensor(sensor);
  const auto* output = dynamic_cast<const GpioOutput*>(driver.get());
  ASSERT_NE(output, nullptr);
  const GpioOutputOptions& o = output->options();
  EXPECT_EQ(o.id, "heater");
  EXPECT_EQ(o.name, "Heater");
  EXPECT_EQ(o.line, (hw::GpioLineSpec{"pinctrl-bcm2711", std::uint32_t{22}}));
  EXPECT_TRUE(o.active_low);
  EXPECT_EQ(o.initial, GpioInitial::restore);
  EXPECT_FALSE(o.momentary.has_value());
  EXPECT_EQ(o.device_class, "outlet");
  EXPECT_EQ(ha_problems(*driver), Errors{});
}

TEST(GpioOutputConfig, Momentary) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "gpio_output", "name": "Garage door",
      "line": "GPIO23", "momentary": "500ms", "initial": "off"})");
  const auto* s = sensor.settings_as<GpioOutputSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->options.momentary, 500ms);
  EXPECT_EQ(Json::parse(settings_json(sensor))["momentary"], "500ms");
  const auto driver = make_sensor(sensor);
  const auto* output = dynamic_cast<const GpioOutput*>(driver.get());
  ASSERT_NE(output, nullptr);
  EXPECT_EQ(output->options().momentary, 500ms);
}

// ---- every GPIO type ---------------------------------------------------------------------------

// ---- gpio_button -------------------------------------------------------------------------------

TEST(GpioButtonConfig, Defaults) {
  const SensorConfig sensor =
      parse_sensor_entry(R"({"type": "gpio_button", "name": "Doorbell", "line": "GPIO23"})");
  EXPECT_EQ(sensor.id, "doorbell");
  EXPECT_FALSE(sensor.interval.has_value());
  const auto* s = sensor.settings_as<GpioButtonSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->options.debounce, 30ms);
  EXPECT_EQ(s->options.presses.multi_press_gap, 300ms);
  EXPECT_EQ(s->options.presses.long_press, 800ms);
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"doorbell", "Doorbell"}}));
  EXPECT_EQ(settings_json(sensor),
            R"({"chip":null,"line":"GPIO23","active_low":false,"bias":null,"debounce":"30ms",)"
            R"("multi_press_gap":"300ms","long_press":"800ms","events":["press","double_press",)"
            R"("triple_press","long_press","release"],"device_class":"button",)"
            R"("device_triggers":true,"held_sensor":false})");
  const auto driver = make_sensor(sensor);
  EXPECT_EQ(ha_problems(*driver), std::vector<std::string>{});
  EXPECT_EQ(driver->entities().at(0).platform, Platform::event);
}

TEST(GpioButtonConfig, EveryKey) {
  const SensorConfig sensor = parse_sensor_entry(R"({
      "type": "gpio_button", "name": "Garage", "chip": 0, "line": 5, "active_low": true,
      "bias": "pull_up", "debounce": 0, "multi_press_gap": "500ms", "long_press": "2s",
      "events": ["long_press", "press"], "device_class": "doorbell", "device_triggers": false,
      "held_sensor": true})");
  const auto& o = sensor.settings_of<GpioButtonSettings>().options;
  EXPECT_TRUE(o.active_low);
  EXPECT_EQ(o.debounce, 0ms);
  EXPECT_EQ(o.presses.multi_press_gap, 500ms);
  EXPECT_EQ(o.presses.long_press, 2s);
  EXPECT_EQ(event_types(o.presses.enabled), (std::vector<std::string>{"press", "long_press"}));
  EXPECT_EQ(o.device_class, "doorbell");
  EXPECT_FALSE(o.device_triggers);
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"garage", "Garage"},
                                                        {"garage_held", "Garage held"}}));
  const auto driver = make_sensor(sensor);
  EXPECT_EQ(ha_problems(*driver), std::vector<std::string>{});
  EXPECT_EQ(driver->entities().size(), 2u);
}

TEST(GpioButtonConfig, Errors) {
  const auto errors = [](const std::string& keys) {
    return sensor_entry_errors(R"({"type": "gpio_button", "name": "Bell", "line": "GPIO23", )" +
                               keys + "}");
  };
  EXPECT_EQ(errors(R"("events": [])"),
            Errors{"sensors[0].events: expected a non-empty array of event types among "
                   "\"press\", \"double_press\", \"triple_press\", \"long_press\", "
                   "\"release\", found an empty array"});
  EXPECT_EQ(errors(R"("events": ["press", "hold", "press"])"),
            (Errors{"sensors[0].events[1]: expected one of \"press\", \"double_press\", "
                    "\"triple_press\", \"long_press\", \"release\", found \"hold\"",
                    "sensors[0].events[2]: listed twice: \"press\""}));
  EXPECT_EQ(errors(R"("events": ["press", "release"])"),
            Errors{"sensors[0].events: \"release\" ends a long press: it needs "
                   "\"long_press\" too"});
  EXPECT_EQ(errors(R"("device_class": "door")"),
            Errors{"sensors[0].device_class: expected a Home Assistant event device class "
                   "(\"button\", \"doorbell\" or \"motion\"), found \"door\""});
  EXPECT_EQ(errors(R"("multi_press_gap": "10ms")"),
            Errors{"sensors[0].multi_press_gap: expected a duration from 50ms to 5s, found "
                   "\"10ms\""});
  EXPECT_EQ(errors(R"("long_press": 0)"),
            Errors{"sensors[0].long_press: expected a duration from 100ms to 1m, found 0"});
}

TEST(GpioConfig, PrintedConfigReadsBackTheSame) {
  const std::string sensors = R"(
      {"type": "gpio_input", "name": "Door", "line": "GPIO17", "device_class": "door"},
      {"type": "gpio_input", "name": "Button", "chip": 0, "line": 5, "bias": "pull_up",
       "active_low": true, "debounce": "20ms"},
      {"type": "gpio_counter", "name": "Energy", "chip": "pinctrl-rp1", "line": "GPIO6",
       "multiplier": 0.001, "unit": "kWh", "device_class": "energy", "rate": "hour",
       "min_pulse": "15ms", "interval": 30, "save_interval": "2m"},
      {"type": "gpio_output", "name": "Relay", "line": "GPIO22", "initial": "on"},
      {"type": "gpio_output", "name": "Opener", "line": "GPIO23", "momentary": 0.5})";
  const Config config = test::parse_sensor_entries(sensors);
  const std::string printed = to_json_text(config);
  const Config again = test::parse_test_config(printed);
  EXPECT_EQ(to_json_text(again), printed);
  ASSERT_EQ(again.sensors.size(), 5u);
  EXPECT_EQ(again.sensors[2].interval, 30s);
  EXPECT_EQ(again.sensors[2].settings_as<GpioCounterSettings>()->options.multiplier, 0.001);
}

TEST(GpioConfig, Errors) {
  struct Case {
    std::string sensors;
    Errors errors;
  };
  const std::string too_long(32, 'G');
  const std::vector<Case> cases{
      // The line.
      {R"({"type": "gpio_input", "name": "Door"})", {"sensors[0].line: required key missing"}},
      {R"({"type": "gpio_input", "name": "Door", "line": true})",
       {"sensors[0].line: expected a line offset (an integer from 0 to 65535) or a line name (a "
        "string such as \"GPIO17\"), found true"}},
      {R"({"type": "gpio_input", "name": "Door", "chip": 0, "line": 70000})",
       {"sensors[0].line: expected an integer from 0 to 65535, found 70000"}},
      {R"({"type": "gpio_output", "name": "Relay", "chip": 0, "line": -1})",
       {"sensors[0].line: expected an integer from 0 to 65535, found -1"}},
      {R"({"type": "gpio_input", "name": "Door", "line": 1.5, "chip": 0})",
       {"sensors[0].line: expected a line offset (an integer from 0 to 65535) or a line name (a "
        "string such as \"GPIO17\"), found number 1.5"}},
      {R"({"type": "gpio_input", "name": "Door", "line": ")" + too_long + R"("})",
       {"sensors[0].line: expected a non-empty string of at most 31 bytes, found \"" + too_long +
        "\""}},
      {R"({"type": "gpio_input", "name": "Door", "line": ""})",
       {"sensors[0].line: expected a non-empty string of at most 31 bytes, found \"\""}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": 17})",
       {"sensors[0].chip: required key missing (a line given by its offset needs its chip)"}},
      {R"({"type": "gpio_input", "name": "Door", "chip": false, "line": "GPIO17"})",
       {"sensors[0].chip: expected a chip name, label or path (a string such as \"gpiochip0\") "
        "or a chip number, found false"}},
      {R"({"type": "gpio_input", "name": "Door", "chip": -1, "line": "GPIO17"})",
       {"sensors[0].chip: expected an integer from 0 to 65535, found -1"}},
      {R"({"type": "gpio_output", "name": "Relay", "chip": "", "line": "GPIO17"})",
       {"sensors[0].chip: expected a non-empty string of at most 4096 bytes, found \"\""}},
      {R"({"type": "gpio_output", "name": "Relay", "line": "GPIO17", "active_low": "yes"})",
       {"sensors[0].active_low: expected true or false, found string \"yes\""}},
      // gpio_input
      {R"({"type": "gpio_input", "line": "GPIO17"})", {"sensors[0].name: required key missing"}},
      {R"({"type": "gpio_input", "name": "Door", "line": "GPIO17", "bias": "pullup"})",
       {"sensors[0].bias: expected one of \"pull_up\", \"pull_down\", \"disabled\", found "
        "\"pullup\"; did you mean \"pull_up\"?"}},
      {R"({"type": "gpio_input", "name": "Door", "line": "GPIO17", "debounce": "2m"})",
       {"sensors[0].debounce: expected a duration from 0s to 1m, found \"2m\""}},
      {R"({"type": "gpio_input", "name": "Door", "line": "GPIO17", "device_class": "dor"})",
       {"sensors[0].device_class: expected a Home Assistant binary_sensor device class (such as "
        "\"door\", \"window\", \"motion\", \"moisture\"), found \"dor\""}},
      {R"({"type": "gpio_input", "name": "Door", "line": "GPIO17",
           "device_class": "temperature"})",
       {"sensors[0].device_class: expected a Home Assistant binary_sensor device class (such as "
        "\"door\", \"window\", \"motion\", \"moisture\"), found \"temperature\""}},
      {R"({"type": "gpio_input", "name": "Door", "line": "GPIO17", "interval": 5})",
       {"sensors[0].interval: unknown key"}},
      {R"({"type": "gpio_input", "name": "Door", "line": "GPIO17", "debounc": 1})",
       {"sensors[0].debounc: unknown key, did you mean 'debounce'?"}},
      // gpio_counter
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "edge": "both"})",
       {"sensors[0].edge: expected one of \"rising\", \"falling\", found \"both\""}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "min_pulse": "20s"})",
       {"sensors[0].min_pulse: expected a duration from 0s to 10s, found \"20s\""}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "multiplier": 0})",
       {"sensors[0].multiplier: expected a number greater than 0 and at most 1e9, found number "
        "0"}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "multiplier": -0.5})",
       {"sensors[0].multiplier: expected a number greater than 0 and at most 1e9, found number "
        "-0.5"}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "multiplier": "1"})",
       {"sensors[0].multiplier: expected a number greater than 0 and at most 1e9, found string "
        "\"1\""}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "unit": ""})",
       {"sensors[0].unit: expected a non-empty string of at most 32 bytes, found \"\""}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "unit": "kWh",
           "device_class": "water"})",
       {"sensors[0].device_class: device class water needs a unit among CCF, ft³, m³, gal, L, "
        "got 'kWh'"}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "device_class": "gas"})",
       {"sensors[0].device_class: device class gas needs a unit among CCF, ft³, m³, L, got ''"}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "unit": "°C",
           "device_class": "temperature"})",
       {"sensors[0].device_class: device class temperature allows state classes measurement, "
        "got 'total_increasing'"}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "device_class": "bogus"})",
       {"sensors[0].device_class: unknown sensor device class 'bogus'"}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "rate": "second"})",
       {"sensors[0].rate: expected one of \"minute\", \"hour\", found \"second\""}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "save_interval": 0})",
       {"sensors[0].save_interval: expected a duration from 1s to 1d, found 0"}},
      {R"({"type": "gpio_counter", "name": "Meter", "line": "GPIO5", "interval": "500ms"})",
       {"sensors[0].interval: expected a duration from 1s to 1d, found \"500ms\""}},
      {R"({"type": "gpio_counter", "name": "Water", "line": "GPIO5", "rate": "minute"},
          {"type": "gpio_input", "name": "Water rate", "line": "GPIO6"})",
       {"sensors[1].name: entity id \"water_rate\" is already used by sensors[0]"}},
      // gpio_output
      {R"({"type": "gpio_output", "name": "Relay", "line": "GPIO22", "initial": "toggle"})",
       {"sensors[0].initial: expected one of \"off\", \"on\", \"restore\", found \"toggle\""}},
      {R"({"type": "gpio_output", "name": "Relay", "line": "GPIO22", "momentary": "5ms"})",
       {"sensors[0].momentary: expected a duration from 10ms to 1h, found \"5ms\""}},
      {R"({"type": "gpio_output", "name": "Relay", "line": "GPIO22", "initial": "on",
           "momentary": 1})",
       {"sensors[0].initial: expected \"off\" for a momentary output, found \"on\""}},
      {R"({"type": "gpio_output", "name": "Relay", "line": "GPIO22", "initial": "restore",
           "momentary": 1})",
       {"sensors[0].initial: expected \"off\" for a momentary output, found \"restore\""}},
      {R"({"type": "gpio_output", "name": "Relay", "line": "GPIO22", "device_class": "light"})",
       {"sensors[0].device_class: expected a Home Assistant switch device class (\"outlet\" or "
        "\"switch\"), found \"light\""}},
      {R"({"type": "gpio_output", "name": "Relay", "line": "GPIO22", "bias": "pull_up"})",
       {"sensors[0].bias: unknown key"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sensors);
    EXPECT_EQ(sensor_entry_errors(c.sensors), c.errors);
  }
}

TEST(GpioConfig, EveryErrorOfAnEntryAtOnceInDocumentOrder) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "gpio_counter", "name": "Meter", "edge": "up",
                          "multiplier": 0, "line": 3})"),
            (Errors{"sensors[0].edge: expected one of \"rising\", \"falling\", found \"up\"",
                    "sensors[0].multiplier: expected a number greater than 0 and at most 1e9, "
                    "found number 0",
                    "sensors[0].chip: required key missing (a line given by its offset needs "
                    "its chip)"}));
}

}  // namespace
}  // namespace pimqttd::sensors
