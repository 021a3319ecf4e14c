#include "sensors/pwm_output/pwm_output.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/fake_pwm.hpp"
#include "support/log_capture.hpp"
#include "support/recording_context.hpp"

namespace pimqttd::sensors {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::availability;
using test::FakePwmTree;
using test::persisted;
using test::published;
using test::SensorEvent;
using Events = std::vector<SensorEvent>;
using Values = std::vector<Value>;

constexpr const char* kDevice = "platform/soc/fe20c000.pwm";

class PwmOutputTest : public ::testing::Test {
 protected:
  PwmOutputTest() {
    chip_ = tree_.add_chip(0, kDevice, 2, "brcm,bcm2835-pwm");
    channel_ = tree_.add_channel(chip_, 0);
    // Whatever is published must already be on the output.
    context_.on_publish = [this](const SensorEvent& event) {
      ASSERT_NE(output_, nullptr);
      EXPECT_EQ(duty(), std::to_string(output_->duty_ns(value_of(event.value))))
          << "published before set";
    };
  }

  PwmOutputOptions options(PwmAs as, const std::string& id) {
    PwmOutputOptions o;
    o.id = id;
    o.name = id;
    o.chip = "fe20c000.pwm";
    o.channel = 0;
    o.as = as;
    o.frequency = as == PwmAs::fan ? 25000 : 1000;
    o.root = tree_.root();
    o.retry_min = 20ms;
    o.retry_max = 40ms;
    return o;
  }

  PwmOutput& make(PwmOutputOptions o) {
    output_ = std::make_unique<PwmOutput>(std::move(o));
    return *output_;
  }

  // The value a published state drives the output at (0 when off).
  static double value_of(const Value& state) {
    if (const auto* number = std::get_if<double>(&state)) return *number;
    const auto json = nlohmann::json::parse(std::get<std::string>(state));
    if (json["state"] != "ON") return 0;
    return json.contains("brightness") ? json["brightness"].get<double>()
                                       : json["percentage"].get<double>();
  }

  // The duty cycle file without the newline the kernel's initial contents end in.
  [[nodiscard]] std::string duty() const {
    std::string text = FakePwmTree::read(channel_ / "duty_cycle");
    if (!text.empty() && text.back() == '\n') text.pop_back();
    return text;
  }
  [[nodiscard]] std::string period() const { return FakePwmTree::read(channel_ / "period"); }
  [[nodiscard]] std::string enable() const { return FakePwmTree::read(channel_ / "enable"); }

  FakePwmTree tree_;
  fs::path chip_;
  fs::path channel_;
  test::RecordingContext context_;
  std::unique_ptr<PwmOutput> output_;
};

TEST_F(PwmOutputTest, OneCommandableEntityPerPlatform) {
  const EntityInfo light = make(options(PwmAs::light, "led")).entities().at(0);
  EXPECT_EQ(light.platform, Platform::light);
  EXPECT_TRUE(light.commandable);
  EXPECT_EQ(light.control, (ControlRange{0, 255, 0, ""}));
  const EntityInfo fan = make(options(PwmAs::fan, "fan")).entities().at(0);
  EXPECT_EQ(fan.platform, Platform::fan);
  EXPECT_EQ(fan.control, (ControlRange{1, 100, 0, ""}));
  const EntityInfo number = make(options(PwmAs::number, "heater")).entities().at(0);
  EXPECT_EQ(number.platform, Platform::number);
  EXPECT_EQ(number.unit, "%");
  EXPECT_EQ(number.control, (ControlRange{0, 100, 1, "slider"}));
}

TEST_F(PwmOutputTest, ALightStartsOffEnabledAtItsFrequency) {
  make(options(PwmAs::light, "led")).start(context_);
  EXPECT_EQ(period(), "1000000");
  EXPECT_EQ(FakePwmTree::read(channel_ / "duty_cycle"), "0\n");  // unchanged: already 0
  EXPECT_EQ(enable(), "1");
  const std::string off = R"({"brightness":255,"state":"OFF"})";
  EXPECT_EQ(context_.events,
            (Events{availability("led", true), published("led", off), persisted("led", off)}));
}

TEST_F(PwmOutputTest, LightCommandsSetTheDutyThenPublishAndPersist) {
  PwmOutput& led = make(options(PwmAs::light, "led"));
  led.start(context_);
  context_.clear();
  led.command("led", R"({"brightness":128,"state":"ON"})");
  EXPECT_EQ(duty(), "501961");  // 128/255 of 1 ms
  led.command("led", R"({"state":"OFF"})");
  EXPECT_EQ(duty(), "0");
  led.command("led", R"({"state":"ON"})");  // back to its brightness
  EXPECT_EQ(duty(), "501961");
  led.command("led", R"({"brightness":0,"state":"ON"})");
  EXPECT_EQ(duty(), "0");
  led.command("led", R"({"brightness":255,"color_mode":"brightness"})");
  EXPECT_EQ(duty(), "1000000");
  const std::string on128 = R"({"brightness":128,"state":"ON"})";
  const std::string off128 = R"({"brightness":128,"state":"OFF"})";
  const std::string on255 = R"({"brightness":255,"state":"ON"})";
  EXPECT_EQ(context_.events,
            (Events{published("led", on128), persisted("led", on128), published("led", off128),
                    persisted("led", off128), published("led", on128), persisted("led", on128),
                    published("led", off128), persisted("led", off128), published("led", on255),
                    persisted("led", on255)}));
}

TEST_F(PwmOutputTest, FanMinDutyMapsOneToHundredOntoMinToMax) {
  PwmOutputOptions o = options(PwmAs::fan, "fan");
  o.min_duty = 20;
  PwmOutput& fan = make(o);
  fan.start(context_);
  EXPECT_EQ(period(), "40000");  // 25 kHz
  context_.clear();
  fan.command("fan", "1");
  EXPECT_EQ(duty(), "8000");  // 20 %
  fan.command("fan", "50");
  EXPECT_EQ(duty(), "23838");  // 20 + 49/99 of 80 %
  fan.command("fan", "100");
  EXPECT_EQ(duty(), "40000");
  fan.command("fan", "OFF");
  EXPECT_EQ(duty(), "0");  // off is off, not 20 %
  fan.command("fan", "ON");
  EXPECT_EQ(duty(), "40000");
  fan.command("fan", "0");
  EXPECT_EQ(duty(), "0");
  EXPECT_EQ(context_.values("fan"),
            (Values{R"({"percentage":1,"state":"ON"})", R"({"percentage":50,"state":"ON"})",
                    R"({"percentage":100,"state":"ON"})", R"({"percentage":100,"state":"OFF"})",
                    R"({"percentage":100,"state":"ON"})", R"({"percentage":100,"state":"OFF"})"}));
}

TEST_F(PwmOutputTest, MaxDutyAndInversedPolarity) {
  PwmOutputOptions o = options(PwmAs::light, "led");
  o.max_duty = 50;
  o.polarity = hw::PwmPolarity::inversed;
  o.initial = PwmInitial::on;
  make(o).start(context_);
  EXPECT_EQ(FakePwmTree::read(channel_ / "polarity"), "inversed");
  EXPECT_EQ(duty(), "500000");
  EXPECT_EQ(context_.values("led"), (Values{R"({"brightness":255,"state":"ON"})"}));
}

TEST_F(PwmOutputTest, NumberCommandsArePercentages) {
  PwmOutputOptions o = options(PwmAs::number, "heater");
  o.frequency = 10;
  PwmOutput& heater = make(o);
  heater.start(context_);
  EXPECT_EQ(period(), "100000000");
  context_.clear();
  heater.command("heater", "42");
  EXPECT_EQ(duty(), "42000000");
  heater.command("heater", "42.4");
  heater.command("heater", "0");
  EXPECT_EQ(duty(), "0");
  EXPECT_EQ(context_.events,
            (Events{published("heater", 42.0), persisted("heater", "42"), published("heater", 42.0),
                    published("heater", 0.0), persisted("heater", "0")}));
}

TEST_F(PwmOutputTest, InvalidCommandsAreLoggedAndIgnored) {
  test::LogCapture log;
  context_.on_publish = nullptr;  // three outputs on one channel
  PwmOutput& led = make(options(PwmAs::light, "led"));
  led.start(context_);
  PwmOutput fan(options(PwmAs::fan, "fan"));
  PwmOutput heater(options(PwmAs::number, "heater"));
  fan.start(context_);
  heater.start(context_);
  context_.clear();
  led.command("led", "ON");
  led.command("led", R"({"state":"on"})");
  led.command("led", R"({"brightness":256,"state":"ON"})");
  led.command("led", R"({"state":"ON","transition":-1})");
  fan.command("fan", "101");
  heater.command("heater", "abc");
  EXPECT_TRUE(context_.events.empty());
  const std::string light =
      "a JSON object with \"state\" ON or OFF, \"brightness\" 0 to 255, "
      "\"transition\" in seconds";
  EXPECT_EQ(log.lines(),
            (std::vector<std::string>{
                "warning led: ignored the command \"ON\": expected " + light,
                "warning led: ignored the command \"{\"state\":\"on\"}\": expected " + light,
                "warning led: ignored the command \"{\"brightness\":256,\"state\":\"ON\"}\": "
                "expected " +
                    light,
                "warning led: ignored the command \"{\"state\":\"ON\",\"transition\":-1}\": "
                "expected " +
                    light,
                "warning fan: ignored the command \"101\": expected ON, OFF or a percentage from "
                "0 to 100",
                "warning heater: ignored the command \"abc\": expected a number from 0 to 100"}));
  fan.stop();
  heater.stop();
}

TEST_F(PwmOutputTest, RestoresTheSavedState) {
  PwmOutputOptions o = options(PwmAs::light, "led");
  o.initial = PwmInitial::restore;
  context_.saved["led"] = R"({"brightness":51,"state":"ON"})";
  make(o).start(context_);
  EXPECT_EQ(duty(), "200000");
  EXPECT_EQ(context_.events, (Events{availability("led", true),
                                     published("led", R"({"brightness":51,"state":"ON"})")}));
  output_->stop();

  test::LogCapture log;
  context_.saved["led"] = "ON";
  context_.clear();
  make(o).start(context_);
  EXPECT_EQ(duty(), "0");
  EXPECT_EQ(context_.values("led"), (Values{R"({"brightness":255,"state":"OFF"})"}));
  EXPECT_EQ(log.lines(), (std::vector<std::string>{"warning led: ignored the saved state \"ON\""}));
}

TEST_F(PwmOutputTest, ALightFadesOnTheLoopAndPublishesAtTheEnd) {
  PwmOutputOptions o = options(PwmAs::light, "led");
  o.transition = 200ms;
  PwmOutput& led = make(o);
  led.start(context_);
  context_.clear();
  const auto start = std::chrono::steady_clock::now();
  led.command("led", R"({"brightness":255,"state":"ON"})");
  EXPECT_TRUE(context_.events.empty());
  EXPECT_EQ(duty(), "0");  // the first step comes after 1/10 of the fade
  ASSERT_TRUE(context_.run_until([&] {
    const std::string now = duty();
    return now != "0" && now != "1000000";
  }));
  EXPECT_TRUE(context_.events.empty());
  ASSERT_TRUE(context_.run_publishes("led", 1));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_EQ(duty(), "1000000");
  const std::string on = R"({"brightness":255,"state":"ON"})";
  EXPECT_EQ(context_.events, (Events{published("led", on), persisted("led", on)}));

  // The command's transition wins: 0 is at once.
  context_.clear();
  led.command("led", R"({"state":"OFF","transition":0})");
  EXPECT_EQ(duty(), "0");
  EXPECT_EQ(context_.values("led"), (Values{R"({"brightness":255,"state":"OFF"})"}));
}

TEST_F(PwmOutputTest, ACommandDuringAFadeFadesOnFromWhereItIs) {
  PwmOutput& led = make(options(PwmAs::light, "led"));
  led.start(context_);
  context_.clear();
  led.command("led", R"({"state":"ON","brightness":255,"transition":10})");
  ASSERT_TRUE(context_.run_until([&] { return duty() != "0"; }));
  led.command("led", R"({"state":"ON","brightness":51,"transition":0.1})");
  ASSERT_TRUE(context_.run_publishes("led", 1));
  EXPECT_EQ(duty(), "200000");
  EXPECT_EQ(context_.values("led"), (Values{R"({"brightness":51,"state":"ON"})"}));
}

TEST_F(PwmOutputTest, StopCompletesAFade) {
  PwmOutput& led = make(options(PwmAs::light, "led"));
  led.start(context_);
  context_.clear();
  led.command("led", R"({"state":"ON","brightness":255,"transition":10})");
  led.stop();
  EXPECT_EQ(duty(), "1000000");
  EXPECT_EQ(context_.events, (Events{persisted("led", R"({"brightness":255,"state":"ON"})")}));
}

TEST_F(PwmOutputTest, AnAbsentChipIsRetriedAndTheStateAppliedWhenItComes) {
  test::LogCapture log;
  fs::remove_all(tree_.root() / "sys");
  PwmOutputOptions o = options(PwmAs::fan, "fan");
  o.initial = PwmInitial::on;
  PwmOutput& fan = make(o);
  fan.start(context_);
  EXPECT_EQ(context_.events, (Events{availability("fan", false)}));
  EXPECT_EQ(log.lines().at(0),
            "warning fan: unavailable until it answers again: no PWM chip \"fe20c000.pwm\" in "
            "/sys/class/pwm (found: none)");
  fan.command("fan", "50");
  EXPECT_EQ(log.lines().back(),
            "warning fan: ignored the command \"50\": PWM channel 0 of fe20c000.pwm is "
            "unavailable");

  chip_ = tree_.add_chip(1, kDevice, 2, "brcm,bcm2835-pwm");
  channel_ = tree_.add_channel(chip_, 0);
  ASSERT_TRUE(context_.run_publishes("fan", 1));
  EXPECT_EQ(duty(), "40000");
  EXPECT_EQ(context_.events, (Events{availability("fan", false), availability("fan", true),
                                     published("fan", R"({"percentage":100,"state":"ON"})"),
                                     persisted("fan", R"({"percentage":100,"state":"ON"})")}));
}

TEST_F(PwmOutputTest, AFailedWriteMarksItUnavailableAndTheCommandIsAppliedOnRecovery) {
  PwmOutput& led = make(options(PwmAs::light, "led"));
  led.start(context_);
  context_.clear();
  fs::remove(channel_ / "duty_cycle");
  fs::create_directory(channel_ / "duty_cycle");
  led.command("led", R"({"brightness":51,"state":"ON"})");
  EXPECT_EQ(context_.events, (Events{availability("led", false)}));
  fs::remove(channel_ / "duty_cycle");
  FakePwmTree::write(channel_ / "duty_cycle", "0\n");
  ASSERT_TRUE(context_.run_publishes("led", 1));
  EXPECT_EQ(duty(), "200000");
  const std::string on = R"({"brightness":51,"state":"ON"})";
  EXPECT_EQ(context_.events, (Events{availability("led", false), availability("led", true),
                                     published("led", on), persisted("led", on)}));
}

}  // namespace
}  // namespace pimqttd::sensors
