#include "sensors/gpio/gpio_output.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/fake_gpio.hpp"
#include "support/log_capture.hpp"
#include "support/recording_context.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using test::availability;
using test::persisted;
using test::published;
using test::SensorEvent;
using Events = std::vector<SensorEvent>;
using Values = std::vector<Value>;
using Writes = std::vector<bool>;

const hw::GpioLineSpec kSpec{"pinctrl-bcm2711", std::uint32_t{22}};

class GpioOutputTest : public ::testing::Test {
 protected:
  GpioOutputTest() : line_(lines_->add_line(kSpec, "GPIO22 (gpiochip0 line 22)")) {
    // Whatever is published must already be on the line.
    context_.on_publish = [this](const SensorEvent& event) {
      ASSERT_TRUE(line_.held);
      const bool on = std::get<bool>(event.value);
      EXPECT_EQ(line_.level, on != line_.output_config.active_low) << "published before set";
    };
  }

  GpioOutputOptions options() {
    GpioOutputOptions o;
    o.id = "relay";
    o.name = "Relay";
    o.line = kSpec;
    o.device_class = "outlet";
    o.retry_min = 20ms;
    o.retry_max = 40ms;
    return o;
  }

  std::unique_ptr<GpioOutput> make(GpioOutputOptions o) {
    return std::make_unique<GpioOutput>(std::move(o), lines_);
  }

  std::shared_ptr<test::FakeGpioLines> lines_ = std::make_shared<test::FakeGpioLines>();
  test::FakeGpioLines::Line& line_;
  test::RecordingContext context_;
};

TEST_F(GpioOutputTest, OneCommandableSwitch) {
  const auto output = make(options());
  ASSERT_EQ(output->entities().size(), 1u);
  const EntityInfo& entity = output->entities().front();
  EXPECT_EQ(entity.id, "relay");
  EXPECT_EQ(entity.name, "Relay");
  EXPECT_EQ(entity.platform, Platform::switch_);
  EXPECT_EQ(entity.device_class, "outlet");
  EXPECT_TRUE(entity.commandable);
  EXPECT_EQ(entity.interval, 0ms);
}

TEST_F(GpioOutputTest, StartsOffByDefault) {
  line_.level = true;
  const auto output = make(options());
  output->start(context_);
  EXPECT_TRUE(line_.held);
  EXPECT_TRUE(line_.output);
  EXPECT_FALSE(line_.output_config.value);  // requested off: no glitch to on
  EXPECT_FALSE(line_.level);
  EXPECT_EQ(context_.events, (Events{availability("relay", true), published("relay", false),
                                     persisted("relay", "OFF")}));
}

TEST_F(GpioOutputTest, StartsOnWhenAsked) {
  GpioOutputOptions o = options();
  o.initial = GpioInitial::on;
  const auto output = make(o);
  output->start(context_);
  EXPECT_TRUE(line_.output_config.value);
  EXPECT_TRUE(line_.level);
  EXPECT_EQ(context_.values("relay"), (Values{true}));
}

TEST_F(GpioOutputTest, CommandsDriveTheLineThenPublishAndPersist) {
  const auto output = make(options());
  output->start(context_);
  context_.clear();
  output->command("relay", "ON");
  EXPECT_TRUE(line_.level);
  EXPECT_TRUE(output->state());
  output->command("relay", "ON");  // again: set and confirmed, not saved again
  output->command("relay", "OFF");
  EXPECT_FALSE(line_.level);
  EXPECT_EQ(line_.writes, (Writes{true, true, false}));
  EXPECT_EQ(context_.events,
            (Events{published("relay", true), persisted("relay", "ON"), published("relay", true),
                    published("relay", false), persisted("relay", "OFF")}));
}

TEST_F(GpioOutputTest, ActiveLowDrivesTheLineLowForOn) {
  GpioOutputOptions o = options();
  o.active_low = true;
  const auto output = make(o);
  output->start(context_);
  EXPECT_TRUE(line_.output_config.active_low);
  EXPECT_TRUE(line_.level);  // off = high
  output->command("relay", "ON");
  EXPECT_FALSE(line_.level);
  EXPECT_EQ(context_.values("relay"), (Values{false, true}));
}

TEST_F(GpioOutputTest, AnInvalidCommandIsLoggedAndIgnored) {
  test::LogCapture log;
  const auto output = make(options());
  output->start(context_);
  context_.clear();
  output->command("relay", "on");
  output->command("relay", "TOGGLE\n\x01");
  output->command("relay", std::string(40, 'x'));
  EXPECT_TRUE(line_.writes.empty());
  EXPECT_TRUE(context_.events.empty());
  EXPECT_EQ(log.lines(),
            (std::vector<std::string>{
                "warning relay: ignored the command \"on\": expected ON or OFF",
                "warning relay: ignored the command \"TOGGLE??\": expected ON or OFF",
                "warning relay: ignored the command \"" + std::string(32, 'x') +
                    "...\": expected ON or OFF"}));
}

TEST_F(GpioOutputTest, AFailedSetPublishesNothingAndTheLineIsRequestedAgain) {
  test::LogCapture log;
  const auto output = make(options());
  output->start(context_);
  context_.clear();
  line_.write_error = std::make_error_code(std::errc::no_such_device);
  output->command("relay", "ON");
  EXPECT_FALSE(line_.held);
  EXPECT_EQ(context_.events, (Events{availability("relay", false)}));
  EXPECT_EQ(log.lines(), (std::vector<std::string>{
                             "warning relay: unavailable until it answers again: cannot set "
                             "GPIO22 (gpiochip0 line 22) ON: No such device"}));
  // While it is unavailable, commands are refused, not remembered.
  output->command("relay", "ON");
  EXPECT_EQ(log.lines().back(), "warning relay: ignored the command ON: the line is unavailable");

  line_.write_error.clear();
  ASSERT_TRUE(context_.run_until([&] { return line_.held; }));
  EXPECT_FALSE(line_.output_config.value);  // the state it was last set to
  EXPECT_EQ(context_.events, (Events{availability("relay", false), availability("relay", true),
                                     published("relay", false)}));
}

TEST_F(GpioOutputTest, AnUnavailableLineIsRetried) {
  lines_->fail_requests("GPIO22 (gpiochip0 line 22) is busy: used by \"gpioset\"");
  GpioOutputOptions o = options();
  o.initial = GpioInitial::on;
  const auto output = make(o);
  output->start(context_);
  EXPECT_EQ(context_.events, (Events{availability("relay", false)}));
  ASSERT_TRUE(context_.run_until([&] { return lines_->refused() >= 2; }));
  lines_->fail_requests("");
  ASSERT_TRUE(context_.run_until([&] { return line_.held; }));
  EXPECT_TRUE(line_.level);
  EXPECT_EQ(context_.values("relay"), (Values{true}));
}

TEST_F(GpioOutputTest, RestoresTheSavedState) {
  GpioOutputOptions o = options();
  o.initial = GpioInitial::restore;
  context_.saved["relay"] = "ON";
  auto output = make(o);
  output->start(context_);
  EXPECT_TRUE(line_.output_config.value);
  EXPECT_EQ(context_.events, (Events{availability("relay", true), published("relay", true)}));
  output->stop();

  // Nothing saved: off.
  context_.saved.clear();
  context_.clear();
  output = make(o);
  output->start(context_);
  EXPECT_FALSE(line_.output_config.value);
  EXPECT_EQ(context_.values("relay"), (Values{false}));
  output->stop();
}

TEST_F(GpioOutputTest, ABadSavedStateIsIgnored) {
  test::LogCapture log;
  GpioOutputOptions o = options();
  o.initial = GpioInitial::restore;
  context_.saved["relay"] = "1";
  const auto output = make(o);
  output->start(context_);
  EXPECT_FALSE(line_.output_config.value);
  EXPECT_EQ(log.lines(), (std::vector<std::string>{
                             "warning relay: ignored the saved state \"1\" (expected ON or OFF)"}));
}

TEST_F(GpioOutputTest, MomentaryPulses) {
  GpioOutputOptions o = options();
  o.momentary = 60ms;
  const auto output = make(o);
  output->start(context_);
  context_.clear();
  output->command("relay", "ON");
  EXPECT_TRUE(line_.level);
  ASSERT_TRUE(context_.run_until([&] { return context_.values("relay").size() == 2; }));
  EXPECT_FALSE(line_.level);
  EXPECT_EQ(line_.writes, (Writes{true, false}));
  EXPECT_EQ(context_.events, (Events{published("relay", true), published("relay", false)}));
  const auto times = context_.times_of(SensorEvent::publish);
  EXPECT_GE(times.at(1) - times.at(0), 60ms);
  EXPECT_TRUE(context_.saved.empty());  // a momentary output saves nothing
}

TEST_F(GpioOutputTest, OffEndsAPulseEarly) {
  GpioOutputOptions o = options();
  o.momentary = 100ms;
  const auto output = make(o);
  output->start(context_);
  output->command("relay", "ON");
  output->command("relay", "OFF");
  context_.run_for(200ms);
  EXPECT_EQ(line_.writes, (Writes{true, false}));
  EXPECT_EQ(context_.values("relay"), (Values{false, true, false}));
}

TEST_F(GpioOutputTest, OnDuringAPulseRestartsIt) {
  GpioOutputOptions o = options();
  o.momentary = 100ms;
  const auto output = make(o);
  output->start(context_);
  output->command("relay", "ON");
  context_.run_for(60ms);
  output->command("relay", "ON");
  ASSERT_TRUE(context_.run_until([&] { return context_.values("relay").size() == 4; }));
  EXPECT_EQ(context_.values("relay"), (Values{false, true, true, false}));
  const auto times = context_.times_of(SensorEvent::publish);
  EXPECT_GE(times.at(3) - times.at(2), 100ms);
}

TEST_F(GpioOutputTest, MomentaryIgnoresInitialOnAndRestore) {
  GpioOutputOptions o = options();
  o.momentary = 50ms;
  o.initial = GpioInitial::restore;
  context_.saved["relay"] = "ON";
  const auto output = make(o);
  output->start(context_);
  EXPECT_FALSE(line_.output_config.value);
}

TEST_F(GpioOutputTest, StopEndsAPulseUnderWay) {
  GpioOutputOptions o = options();
  o.momentary = 1s;
  const auto output = make(o);
  output->start(context_);
  output->command("relay", "ON");
  output->stop();
  EXPECT_FALSE(line_.held);
  EXPECT_FALSE(line_.level);
  EXPECT_EQ(line_.writes, (Writes{true, false}));
  output->command("relay", "ON");  // after stop: nothing
  EXPECT_EQ(line_.writes, (Writes{true, false}));
}

TEST_F(GpioOutputTest, StopLeavesASwitchAsItIs) {
  const auto output = make(options());
  output->start(context_);
  output->command("relay", "ON");
  output->stop();
  EXPECT_FALSE(line_.held);
  EXPECT_TRUE(line_.level);
}

}  // namespace
}  // namespace pimqttd::sensors
