#include "sensors/pwm_output/pwm_output_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;
using test::settings_json;

TEST(PwmOutputConfig, LightDefaults) {
  const auto sensor =
      parse_sensor_entry(R"({"type": "pwm_output", "name": "LED strip", "chip": "fe20c000.pwm"})");
  EXPECT_EQ(sensor.id, "led_strip");
  EXPECT_FALSE(sensor.interval.has_value());
  const auto* s = sensor.settings_as<PwmOutputSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->options.chip, "fe20c000.pwm");
  EXPECT_EQ(s->options.channel, 0u);
  EXPECT_EQ(s->options.as, PwmAs::light);
  EXPECT_EQ(s->options.frequency, 1000);
  EXPECT_EQ(s->options.initial, PwmInitial::off);
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"led_strip", "LED strip"}}));
  EXPECT_EQ(settings_json(sensor),
            R"({"chip":"fe20c000.pwm","channel":0,"as":"light","frequency":1000.0,)"
            R"("polarity":"normal","min_duty":0.0,"max_duty":100.0,"initial":"off",)"
            R"("transition":"0s","root":"/"})");
}

TEST(PwmOutputConfig, TheIssuesExamples) {
  const auto light = parse_sensor_entry(
      R"({"type": "pwm_output", "name": "LED strip", "chip": "fe20c000.pwm", "channel": 0,
          "as": "light", "frequency": 1000, "transition": "1s", "initial": "restore"})");
  const auto& l = light.settings_of<PwmOutputSettings>().options;
  EXPECT_EQ(l.transition, 1s);
  EXPECT_EQ(l.initial, PwmInitial::restore);

  const auto fan = parse_sensor_entry(
      R"({"type": "pwm_output", "name": "Case fan", "chip": "1f00098000.pwm", "channel": 3,
          "as": "fan", "min_duty": 20, "initial": "on"})");
  const auto& f = fan.settings_of<PwmOutputSettings>().options;
  EXPECT_EQ(f.as, PwmAs::fan);
  EXPECT_EQ(f.frequency, 25000);  // the fan default
  EXPECT_EQ(f.min_duty, 20);
  EXPECT_EQ(f.channel, 3u);
  EXPECT_EQ(settings_json(fan),
            R"({"chip":"1f00098000.pwm","channel":3,"as":"fan","frequency":25000.0,)"
            R"("polarity":"normal","min_duty":20.0,"max_duty":100.0,"initial":"on",)"
            R"("transition":null,"root":"/"})");

  const auto heater = parse_sensor_entry(
      R"({"type": "pwm_output", "name": "Heater power", "chip": "fe20c000.pwm", "channel": 1,
          "as": "number", "frequency": 10, "polarity": "inversed", "max_duty": 90})");
  const auto& h = heater.settings_of<PwmOutputSettings>().options;
  EXPECT_EQ(h.as, PwmAs::number);
  EXPECT_EQ(h.frequency, 10);
  EXPECT_EQ(h.polarity, hw::PwmPolarity::inversed);
  EXPECT_EQ(h.max_duty, 90);
}

TEST(PwmOutputConfig, RootIsResolvedAndReachesTheDriver) {
  const auto sensor = parse_sensor_entry(
      R"({"type": "pwm_output", "name": "LED strip", "chip": "fe20c000.pwm", "root": "fake"})");
  const auto& o = sensor.settings_of<PwmOutputSettings>().options;
  EXPECT_EQ(o.root, std::filesystem::path("/etc/pimqttd/fake"));
  const auto driver = make_sensor(sensor);
  const auto* output = dynamic_cast<const PwmOutput*>(driver.get());
  ASSERT_NE(output, nullptr);
  EXPECT_EQ(output->options().root, std::filesystem::path("/etc/pimqttd/fake"));
  EXPECT_EQ(test::printed_sensor_entry(
                R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm",
                    "root": "/tmp/tree"})")
                .at("root"),
            "/tmp/tree");
}

TEST(PwmOutputConfig, MakesTheDriverWithHomeAssistantValidEntities) {
  const auto sensor = parse_sensor_entry(
      R"({"type": "pwm_output", "name": "Case fan", "chip": "1f00098000.pwm", "as": "fan"})");
  const auto driver = make_sensor(sensor);
  ASSERT_NE(driver, nullptr);
  const auto* output = dynamic_cast<const PwmOutput*>(driver.get());
  ASSERT_NE(output, nullptr);
  EXPECT_EQ(output->options().id, "case_fan");
  EXPECT_EQ(output->options().name, "Case fan");
  EXPECT_EQ(output->options().root, "/");
  EXPECT_EQ(output->period_ns(), 40000u);
  for (const char* as : {"light", "fan", "number"}) {
    const auto entry = parse_sensor_entry(
        std::string(R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "as": ")") +
        as + "\"}");
    const auto made = make_sensor(entry);
    for (const EntityInfo& e : made->entities()) {
      EXPECT_TRUE(ha::validate_entity(e).empty()) << as;
    }
  }
}

TEST(PwmOutputConfig, ErrorsNameTheKey) {
  struct Case {
    std::string sensors;
    Errors errors;
  };
  const std::vector<Case> cases = {
      {R"({"type": "pwm_output", "name": "Out"})", {"sensors[0].chip: required key missing"}},
      {R"({"type": "pwm_output", "name": "Out", "chip": 0})",
       {"sensors[0].chip: expected a string, found number 0"}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "channel": 1024})",
       {"sensors[0].channel: expected an integer from 0 to 1023, found 1024"}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "as": "lamp"})",
       {"sensors[0].as: expected one of \"light\", \"fan\", \"number\", found \"lamp\""}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "frequency": 0})",
       {"sensors[0].frequency: expected a frequency in Hz from 1 to 1000000, found number 0"}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "polarity": "inverted"})",
       {"sensors[0].polarity: expected one of \"normal\", \"inversed\", found \"inverted\"; "
        "did you mean \"inversed\"?"}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "min_duty": 120})",
       {"sensors[0].min_duty: expected a percentage from 0 to 100, found number 120"}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "min_duty": 100})",
       {"sensors[0].min_duty: expected less than max_duty (100), found number 100"}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "min_duty": 30,
           "max_duty": 20})",
       {"sensors[0].max_duty: expected more than min_duty (30), found number 20"}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "as": "fan",
           "transition": "1s"})",
       {"sensors[0].transition: only a light fades (\"as\": \"light\")"}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "transition": "2h"})",
       {"sensors[0].transition: expected a duration from 0s to 1h, found \"2h\""}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "initial": "last"})",
       {"sensors[0].initial: expected one of \"off\", \"on\", \"restore\", found \"last\""}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "interval": "1m"})",
       {"sensors[0].interval: unknown key"}},
      {R"({"type": "pwm_output", "name": "Out", "chip": "fe20c000.pwm", "root": ""})",
       {"sensors[0].root: expected a non-empty string of at most 4096 bytes, found \"\""}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sensors);
    EXPECT_EQ(sensor_entry_errors(c.sensors), c.errors);
  }
}

TEST(PwmOutputConfig, OneChannelForOneEntry) {
  EXPECT_EQ(sensor_entry_errors(
                R"({"type": "pwm_output", "name": "A", "chip": "fe20c000.pwm", "channel": 1},
                   {"type": "pwm_output", "name": "B", "chip": "fe20c000.pwm", "channel": 1})"),
            (Errors{"sensors[1].channel: PWM channel 1 of fe20c000.pwm is already used by "
                    "sensors[0]"}));
  EXPECT_TRUE(sensor_entry_errors(
                  R"({"type": "pwm_output", "name": "A", "chip": "fe20c000.pwm", "channel": 0},
                     {"type": "pwm_output", "name": "B", "chip": "fe20c000.pwm", "channel": 1})")
                  .empty());
}

}  // namespace
}  // namespace pimqttd::sensors
