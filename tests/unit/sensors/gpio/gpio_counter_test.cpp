#include "sensors/gpio/gpio_counter.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/fake_gpio.hpp"
#include "support/log_capture.hpp"
#include "support/recording_context.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using test::availability;
using test::persisted;
using test::published;
using test::SensorEvent;
using Clock = std::chrono::steady_clock;
using Events = std::vector<SensorEvent>;
using Values = std::vector<Value>;

const hw::GpioLineSpec kSpec{"gpiochip0", std::uint32_t{27}};

class GpioCounterTest : public ::testing::Test {
 protected:
  // The meter's contact is open: the pull-up holds the line high between pulses.
  GpioCounterTest() : line_(lines_->add_line(kSpec, "GPIO27 (gpiochip0 line 27)", true)) {}

  GpioCounterOptions options() {
    GpioCounterOptions o;
    o.id = "water";
    o.name = "Water";
    o.line = kSpec;
    o.bias = hw::GpioBias::pull_up;
    o.interval = 100ms;
    o.save_interval = 1h;
    o.retry_min = 20ms;
    o.retry_max = 40ms;
    return o;
  }

  std::unique_ptr<GpioCounter> make(GpioCounterOptions o) {
    return std::make_unique<GpioCounter>(std::move(o), lines_);
  }

  /// `n` pulses: the line pulled low, then released.
  void pulses(int n) {
    for (int i = 0; i < n; ++i) {
      lines_->set_level(line_, false);
      lines_->set_level(line_, true);
    }
  }

  /// An edge at `ms` milliseconds of the kernel's clock.
  void edge(bool level, double ms) {
    lines_->set_level(line_, level,
                      std::chrono::nanoseconds{static_cast<std::int64_t>(ms * 1'000'000)});
  }

  bool run_until_count(const GpioCounter& counter, std::uint64_t count) {
    return context_.run_until([&] { return counter.count() == count; });
  }

  std::shared_ptr<test::FakeGpioLines> lines_ = std::make_shared<test::FakeGpioLines>();
  test::FakeGpioLines::Line& line_;
  test::RecordingContext context_;
};

TEST_F(GpioCounterTest, Entities) {
  GpioCounterOptions o = options();
  o.device_class = "water";
  o.unit = "L";
  o.rate = GpioCounterOptions::Rate{"water_rate", "Water rate", 60s, "L/min", "volume_flow_rate"};
  const auto counter = make(o);
  ASSERT_EQ(counter->entities().size(), 2u);
  const EntityInfo& total = counter->entities()[0];
  EXPECT_EQ(total.id, "water");
  EXPECT_EQ(total.name, "Water");
  EXPECT_EQ(total.platform, Platform::sensor);
  EXPECT_EQ(total.device_class, "water");
  EXPECT_EQ(total.state_class, "total_increasing");
  EXPECT_EQ(total.unit, "L");
  EXPECT_EQ(total.interval, 0ms);  // a meter that stands still must not expire
  const EntityInfo& rate = counter->entities()[1];
  EXPECT_EQ(rate.id, "water_rate");
  EXPECT_EQ(rate.name, "Water rate");
  EXPECT_EQ(rate.device_class, "volume_flow_rate");
  EXPECT_EQ(rate.state_class, "measurement");
  EXPECT_EQ(rate.unit, "L/min");
  EXPECT_EQ(rate.interval, 100ms);
  // Whole pulses; a pulse in 100 ms is 600 a minute.
  EXPECT_EQ(total.display_precision, 0);
  EXPECT_EQ(rate.display_precision, 0);

  EXPECT_EQ(make(options())->entities().size(), 1u);
}

// The total's display precision is the multiplier's decimals; the rate's keeps its steps (one
// pulse in an interval) apart.
TEST_F(GpioCounterTest, DisplayPrecisionOfTheTotalAndTheRate) {
  GpioCounterOptions o = options();
  o.multiplier = 0.001;
  o.interval = 60s;
  o.rate = GpioCounterOptions::Rate{"power", "Power", 3600s, "kW", "power"};
  auto counter = make(o);
  EXPECT_EQ(counter->entities()[0].display_precision, 3);
  EXPECT_EQ(counter->entities()[1].display_precision, 2);  // 0.06 kW a pulse
  o.multiplier = 0.25;
  o.interval = 45s;
  o.rate = GpioCounterOptions::Rate{"flow", "Flow", 60s, "L/min", "volume_flow_rate"};
  counter = make(o);
  EXPECT_EQ(counter->entities()[0].display_precision, 2);
  EXPECT_EQ(counter->entities()[1].display_precision, 1);  // 0.333 L/min a pulse
}

TEST_F(GpioCounterTest, CountsTheFallingEdgesByDefault) {
  const auto counter = make(options());
  counter->start(context_);
  EXPECT_EQ(context_.events, (Events{published("water", 0.0), availability("water", true)}));
  // Without min_pulse, the kernel reports only the edges that count.
  EXPECT_EQ(line_.input.edges, hw::GpioEdges::falling);
  EXPECT_EQ(line_.input.bias, hw::GpioBias::pull_up);
  pulses(5);
  ASSERT_TRUE(run_until_count(*counter, 5));
  ASSERT_TRUE(context_.run_until([&] { return context_.values("water").size() == 2; }));
  EXPECT_EQ(context_.values("water"), (Values{0.0, 5.0}));
  // Unchanged: not published again.
  context_.run_for(250ms);
  EXPECT_EQ(context_.values("water"), (Values{0.0, 5.0}));
}

TEST_F(GpioCounterTest, RisingEdgesOfTheLogicalValue) {
  GpioCounterOptions o = options();
  o.edge = hw::GpioEdge::rising;
  o.active_low = true;  // a pulse pulls the line low: the logical value rises
  const auto counter = make(o);
  counter->start(context_);
  EXPECT_EQ(line_.input.edges, hw::GpioEdges::rising);
  EXPECT_TRUE(line_.input.active_low);
  pulses(3);
  ASSERT_TRUE(run_until_count(*counter, 3));
}

TEST_F(GpioCounterTest, MinPulseUsesTheKernelTimestamps) {
  GpioCounterOptions o = options();
  o.min_pulse = 20ms;
  const auto counter = make(o);
  counter->start(context_);
  EXPECT_EQ(line_.input.edges, hw::GpioEdges::both);
  // All of these happen "at once" for the loop; only the timestamps tell them apart.
  edge(false, 1000);  // 5 ms: a glitch
  edge(true, 1005);
  edge(false, 1100);  // 30 ms: counts
  edge(true, 1130);
  edge(false, 1200);  // exactly 20 ms: counts
  edge(true, 1220);
  edge(false, 1300);  // 0.5 ms: a glitch
  edge(true, 1300.5);
  edge(false, 1400);  // a bouncing contact: 1 ms, then 48 ms
  edge(true, 1401);
  edge(false, 1402);
  edge(true, 1450);
  edge(false, 1500);  // a pulse still under way counts when it ends
  ASSERT_TRUE(run_until_count(*counter, 3));
  context_.run_for(30ms);
  EXPECT_EQ(counter->count(), 3u);
  edge(true, 1600);
  ASSERT_TRUE(run_until_count(*counter, 4));
}

TEST_F(GpioCounterTest, AReleaseWithoutItsStartDoesNotCount) {
  GpioCounterOptions o = options();
  o.min_pulse = 10ms;
  line_.level = false;  // a pulse is under way when the line is requested
  const auto counter = make(o);
  counter->start(context_);
  edge(true, 2000);
  edge(false, 2100);
  edge(true, 2150);
  ASSERT_TRUE(run_until_count(*counter, 1));
  context_.run_for(30ms);
  EXPECT_EQ(counter->count(), 1u);
}

TEST_F(GpioCounterTest, TheMultiplierKeepsItsDecimals) {
  GpioCounterOptions o = options();
  o.multiplier = 0.1;
  const auto counter = make(o);
  counter->start(context_);
  pulses(3);
  ASSERT_TRUE(context_.run_until([&] { return context_.values("water").size() == 2; }));
  EXPECT_EQ(context_.values("water"), (Values{0.0, 0.3}));  // not 0.30000000000000004
  EXPECT_EQ(format_value(context_.values("water").back()), "0.3");
  EXPECT_EQ(test::payload(context_.values("water").back(), counter->entities()[0]), "0.3");
}

TEST_F(GpioCounterTest, RatePerMinuteEveryInterval) {
  GpioCounterOptions o = options();
  o.multiplier = 0.5;
  o.rate = GpioCounterOptions::Rate{"water_rate", "Water rate", 60s, "L/min", "volume_flow_rate"};
  const auto counter = make(o);
  counter->start(context_);
  pulses(4);
  ASSERT_TRUE(context_.run_until([&] { return context_.values("water_rate").size() == 2; }));
  // 4 pulses x 0.5 L in 100 ms: 1200 L/min; then nothing.
  EXPECT_EQ(context_.values("water_rate"), (Values{1200.0, 0.0}));
  EXPECT_EQ(context_.values("water"), (Values{0.0, 2.0}));
}

TEST_F(GpioCounterTest, RatePerHour) {
  GpioCounterOptions o = options();
  o.multiplier = 0.001;  // 1000 pulses per kWh
  o.interval = 200ms;
  o.rate = GpioCounterOptions::Rate{"water_rate", "Water rate", 3600s, "kW", "power"};
  const auto counter = make(o);
  counter->start(context_);
  pulses(2);
  ASSERT_TRUE(context_.run_until([&] { return context_.values("water_rate").size() == 1; }));
  // 2 Wh in 0.2 s: 36 kW.
  EXPECT_EQ(context_.values("water_rate"), (Values{36.0}));
  EXPECT_EQ(context_.values("water"), (Values{0.0, 0.002}));
  EXPECT_EQ(test::payload(context_.values("water_rate").back(), counter->entities()[1]), "36");
  EXPECT_EQ(test::payload(context_.values("water").back(), counter->entities()[0]), "0.002");
}

TEST_F(GpioCounterTest, RestoresTheCountAndPersistsAtMostOncePerSaveInterval) {
  context_.saved["water"] = "1234";
  GpioCounterOptions o = options();
  o.save_interval = 300ms;
  const auto counter = make(o);
  const Clock::time_point started = Clock::now();
  counter->start(context_);
  EXPECT_EQ(counter->count(), 1234u);
  EXPECT_EQ(context_.values("water"), (Values{1234.0}));

  pulses(1);
  ASSERT_TRUE(context_.run_until([&] { return context_.count(SensorEvent::persist) == 1; }));
  pulses(2);
  ASSERT_TRUE(run_until_count(*counter, 1237));
  pulses(1);
  ASSERT_TRUE(context_.run_until([&] { return context_.count(SensorEvent::persist) == 2; }));
  const auto saves = context_.times_of(SensorEvent::persist);
  EXPECT_GE(saves.at(0) - started, 300ms);  // the start counts as a save
  EXPECT_GE(saves.at(1) - saves.at(0), 300ms);
  EXPECT_EQ(context_.of(SensorEvent::persist),
            (Events{persisted("water", "1235"), persisted("water", "1238")}));
  // Nothing changed: nothing saved.
  context_.run_for(400ms);
  EXPECT_EQ(context_.count(SensorEvent::persist), 2u);

  // After a quiet save_interval, a change is saved at once.
  pulses(1);
  ASSERT_TRUE(context_.run_until([&] { return context_.count(SensorEvent::persist) == 3; }));
  pulses(1);
  ASSERT_TRUE(run_until_count(*counter, 1240));
  // stop() saves whatever the count is.
  counter->stop();
  EXPECT_EQ(context_.of(SensorEvent::persist),
            (Events{persisted("water", "1235"), persisted("water", "1238"),
                    persisted("water", "1239"), persisted("water", "1240")}));
  EXPECT_EQ(context_.saved.at("water"), "1240");
  EXPECT_FALSE(line_.held);
}

TEST_F(GpioCounterTest, StopPersistsEvenWithoutPulses) {
  const auto counter = make(options());
  counter->start(context_);
  counter->stop();
  EXPECT_EQ(context_.of(SensorEvent::persist), (Events{persisted("water", "0")}));
  counter->stop();  // a second stop does nothing
  EXPECT_EQ(context_.count(SensorEvent::persist), 1u);
}

TEST_F(GpioCounterTest, ABadSavedCountIsIgnoredWithAWarning) {
  test::LogCapture log;
  context_.saved["water"] = "12x";
  const auto counter = make(options());
  counter->start(context_);
  EXPECT_EQ(counter->count(), 0u);
  EXPECT_EQ(log.lines(), (std::vector<std::string>{
                             "warning water: ignored the saved count \"12x\", which is not a "
                             "whole number; counting on from 0"}));
}

TEST_F(GpioCounterTest, ARestartWithoutSavedStateKeepsTheCountInMemory) {
  const auto counter = make(options());
  counter->start(context_);
  pulses(2);
  ASSERT_TRUE(run_until_count(*counter, 2));
  counter->stop();
  context_.saved.clear();  // a context that keeps nothing
  counter->start(context_);
  EXPECT_EQ(counter->count(), 2u);
  EXPECT_EQ(context_.values("water").back(), Value{2.0});
}

TEST_F(GpioCounterTest, AFaultyLineIsRetriedWhileTheTotalStaysPublished) {
  test::LogCapture log;
  GpioCounterOptions o = options();
  o.rate = GpioCounterOptions::Rate{"water_rate", "Water rate", 60s, "pulses/min", ""};
  lines_->fail_requests("GPIO line \"GPIO27\" not found on any chip; there is no GPIO chip in "
                        "/dev");
  context_.saved["water"] = "7";
  const auto counter = make(o);
  counter->start(context_);
  EXPECT_EQ(context_.events, (Events{published("water", 7.0), availability("water", false),
                                     availability("water_rate", false)}));
  ASSERT_TRUE(context_.run_until([&] { return lines_->refused() >= 2; }));
  lines_->fail_requests("");
  ASSERT_TRUE(context_.run_until([&] { return line_.held; }));
  EXPECT_EQ(context_.of(SensorEvent::available),
            (Events{availability("water", false), availability("water_rate", false),
                    availability("water", true), availability("water_rate", true)}));
  pulses(1);
  ASSERT_TRUE(run_until_count(*counter, 8));
  EXPECT_EQ(log.lines().front(),
            "warning water: unavailable until it answers again: GPIO line \"GPIO27\" not found "
            "on any chip; there is no GPIO chip in /dev");
}

TEST_F(GpioCounterTest, PulsesReadBeforeAReadFailureStillCount) {
  const auto counter = make(options());
  counter->start(context_);
  pulses(2);
  ASSERT_TRUE(run_until_count(*counter, 2));
  line_.read_error = std::make_error_code(std::errc::io_error);
  pulses(1);
  ASSERT_TRUE(context_.run_until([&] { return !line_.held; }));
  EXPECT_EQ(counter->count(), 2u);
  EXPECT_EQ(context_.of(SensorEvent::available).back(), availability("water", false));
  line_.read_error.clear();
  ASSERT_TRUE(context_.run_until([&] { return line_.held; }));
  pulses(1);
  ASSERT_TRUE(run_until_count(*counter, 3));
}

TEST(DecimalsOf, ShortestForm) {
  EXPECT_EQ(decimals_of(1.0), 0);
  EXPECT_EQ(decimals_of(1500.0), 0);
  EXPECT_EQ(decimals_of(0.5), 1);
  EXPECT_EQ(decimals_of(0.25), 2);
  EXPECT_EQ(decimals_of(0.001), 3);
  EXPECT_EQ(decimals_of(2.125), 3);
  EXPECT_EQ(decimals_of(1e-12), 12);
  EXPECT_EQ(decimals_of(1e-15), 12);
}

}  // namespace
}  // namespace pimqttd::sensors
