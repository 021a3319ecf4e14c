#include "pimqttd/sensors/polled.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <deque>
#include <string>
#include <vector>

#include "support/log_capture.hpp"
#include "support/loop.hpp"
#include "support/recording_context.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::SensorEvent;
using test::availability;
using Event = test::SensorEvent;
using test::LogCapture;
using test::published;
using test::RecordingContext;
using ::testing::ElementsAre;

constexpr std::array<Quantity, 2> kQuantities{{
    {"temperature", "temperature", "temperature", "measurement", "°C", 1},
    {"humidity", "humidity", "humidity", "measurement", "%", 0},
}};

/// A device whose every step follows a script: each call takes the next outcome (an empty
/// string succeeds, anything else throws DeviceError with it); an exhausted script succeeds.
class ScriptedDevice final : public Device {
 public:
  std::deque<std::string> setups;
  std::deque<std::string> begins;
  std::deque<std::string> collects;
  std::chrono::milliseconds wait{0};
  double temperature = 21.5;
  std::vector<std::string> calls;

  void setup() override { step("setup", setups); }
  std::chrono::milliseconds begin() override {
    step("begin", begins);
    return wait;
  }
  std::vector<Reading> collect() override {
    step("collect", collects);
    return {{"temperature", temperature}, {"humidity", 40.0}, {"unknown", 1.0}};
  }

 private:
  void step(const char* name, std::deque<std::string>& script) {
    calls.emplace_back(name);
    if (script.empty()) return;
    std::string outcome = std::move(script.front());
    script.pop_front();
    if (!outcome.empty()) throw DeviceError(outcome);
  }
};

struct Fixture {
  explicit Fixture(std::chrono::milliseconds interval = 1h,
                   std::chrono::milliseconds retry_min = 10ms,
                   std::chrono::milliseconds retry_max = 40ms) {
    auto owned = std::make_unique<ScriptedDevice>();
    device = owned.get();
    PolledOptions options;
    options.id = "greenhouse";
    options.interval = interval;
    options.retry_min = retry_min;
    options.retry_max = retry_max;
    sensor = make_polled_sensor(options, "Greenhouse", kQuantities, std::move(owned));
  }
  RecordingContext context;
  ScriptedDevice* device = nullptr;
  std::unique_ptr<Sensor> sensor;
};

TEST(QuantityEntity, IdNameAndMetadataFromTheQuantity) {
  const EntityInfo info = quantity_entity("greenhouse", "Greenhouse", kQuantities[0], 30s);
  EXPECT_EQ(info.id, "greenhouse_temperature");
  EXPECT_EQ(info.name, "Greenhouse temperature");
  EXPECT_EQ(info.platform, Platform::sensor);
  EXPECT_EQ(info.device_class, "temperature");
  EXPECT_EQ(info.state_class, "measurement");
  EXPECT_EQ(info.unit, "°C");
  EXPECT_EQ(info.display_precision, 1);
  EXPECT_EQ(info.interval, 30s);
}

TEST(Check, ThrowsWithWhatAndTheErrorsMessage) {
  EXPECT_NO_THROW(check({}, "reading"));
  try {
    check(std::make_error_code(std::errc::no_such_device_or_address), "chip id at 0x76");
    FAIL() << "no throw";
  } catch (const DeviceError& error) {
    EXPECT_STREQ(error.what(), "chip id at 0x76: No such device or address");
  }
}

TEST(PolledSensor, StartRunsSetupBeginCollectAndPublishesEachKnownQuantity) {
  Fixture f;
  f.sensor->start(f.context);
  EXPECT_THAT(f.device->calls, ElementsAre("setup", "begin", "collect"));
  EXPECT_THAT(f.context.events,
              ElementsAre(availability("greenhouse_temperature", true), availability("greenhouse_humidity", true),
                          published("greenhouse_temperature", 21.5), published("greenhouse_humidity", 40.0)));
  f.sensor->stop();
}

TEST(PolledSensor, CollectsAfterTheConversionWaitOnATimer) {
  Fixture f;
  f.device->wait = 30ms;
  f.sensor->start(f.context);
  EXPECT_THAT(f.device->calls, ElementsAre("setup", "begin"));
  EXPECT_TRUE(f.context.events.empty());
  ASSERT_TRUE(f.context.run_until([&] { return f.context.count("greenhouse_humidity") == 1; }));
  EXPECT_THAT(f.device->calls, ElementsAre("setup", "begin", "collect"));
  f.sensor->stop();
}

TEST(PolledSensor, CyclesEveryIntervalWithoutSetupAgain) {
  Fixture f(20ms);
  f.sensor->start(f.context);
  ASSERT_TRUE(f.context.run_until([&] { return f.context.count("greenhouse_temperature") >= 3; }));
  f.sensor->stop();
  EXPECT_EQ(std::count(f.device->calls.begin(), f.device->calls.end(), "setup"), 1);
  // Availability is announced once, not per cycle.
  EXPECT_EQ(f.context.of("greenhouse_temperature").front(), availability("greenhouse_temperature", true));
  std::size_t availability = 0;
  for (const Event& e : f.context.events) availability += e.type == Event::available ? 1 : 0;
  EXPECT_EQ(availability, 2U);
}

TEST(PolledSensor, AFailureMarksEveryEntityUnavailableRetriesWithSetupAndRecovers) {
  LogCapture log;
  Fixture f;
  f.device->setups = {"no answer at 0x76 on /dev/i2c-1", "no answer at 0x76 on /dev/i2c-1", ""};
  f.sensor->start(f.context);
  EXPECT_THAT(f.context.events, ElementsAre(availability("greenhouse_temperature", false),
                                            availability("greenhouse_humidity", false)));
  ASSERT_TRUE(f.context.run_until([&] { return f.context.count("greenhouse_temperature") == 1; }));
  EXPECT_THAT(f.device->calls, ElementsAre("setup", "setup", "setup", "begin", "collect"));
  EXPECT_THAT(f.context.events,
              ElementsAre(availability("greenhouse_temperature", false), availability("greenhouse_humidity", false),
                          availability("greenhouse_temperature", true), availability("greenhouse_humidity", true),
                          published("greenhouse_temperature", 21.5), published("greenhouse_humidity", 40.0)));
  // Logged once while the reason stays the same, and once on recovery.
  EXPECT_THAT(log.lines(),
              ElementsAre("warning greenhouse: unavailable until it answers again: no answer at "
                          "0x76 on /dev/i2c-1",
                          "info greenhouse: answering again after 2 failed attempts"));
  f.sensor->stop();
}

TEST(PolledSensor, AFailedCollectRunsSetupAgainBeforeTheNextCycle) {
  Fixture f;
  f.device->collects = {"CRC mismatch: got 0x12, expected 0x92"};
  f.sensor->start(f.context);
  ASSERT_TRUE(f.context.run_until([&] { return f.context.count("greenhouse_temperature") == 1; }));
  EXPECT_THAT(f.device->calls,
              ElementsAre("setup", "begin", "collect", "setup", "begin", "collect"));
}

TEST(PolledSensor, ANewReasonIsLoggedAgain) {
  LogCapture log;
  Fixture f;
  f.device->setups = {"first", "second", "second"};
  f.sensor->start(f.context);
  ASSERT_TRUE(f.context.run_until([&] { return f.context.count("greenhouse_temperature") == 1; }));
  EXPECT_THAT(log.lines(), ElementsAre("warning greenhouse: unavailable until it answers again: first",
                                       "warning greenhouse: unavailable until it answers again: second",
                                       "info greenhouse: answering again after 3 failed attempts"));
}

TEST(FaultTracker, BackOffDoublesFromTheMinimumUpToTheMaximum) {
  RecordingContext context;
  FaultTracker tracker({"s", 1s, 5s, 1h});
  const std::vector<EntityInfo> none;
  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 6; ++i) delays.push_back(tracker.failed(context, none, "down"));
  EXPECT_THAT(delays, ElementsAre(1s, 2s, 4s, 5s, 5s, 5s));
  EXPECT_EQ(tracker.failures(), 6U);
  tracker.succeeded(context, none);
  EXPECT_FALSE(tracker.failing());
  EXPECT_EQ(tracker.failed(context, none, "down"), 1s);
}

TEST(FaultTracker, ManyFailuresDoNotOverflowTheBackOff) {
  RecordingContext context;
  FaultTracker tracker({"s", 1s, 5min, 1h});
  const std::vector<EntityInfo> none;
  std::chrono::milliseconds last{0};
  for (int i = 0; i < 100; ++i) last = tracker.failed(context, none, "down");
  EXPECT_EQ(last, 5min);
}

TEST(PolledSensor, StopCancelsThePendingCollect) {
  Fixture f;
  f.device->wait = 20ms;
  f.sensor->start(f.context);
  f.sensor->stop();
  f.context.run_for(60ms);
  EXPECT_THAT(f.device->calls, ElementsAre("setup", "begin"));
  EXPECT_TRUE(f.context.events.empty());
}

// ---- measurements of several steps (begin_next) ------------------------------------------------

namespace steps {

// A device whose cycle is a script of steps: begin() starts step 0, begin_next() the others;
// each step waits its time and yields one reading. It records every call, when it happened, and
// how many events the context had seen when each collect() ran.
class SteppedDevice final : public Device {
 public:
  struct Step {
    std::chrono::milliseconds wait;
    std::string_view key;
    double value;
  };

  SteppedDevice(std::vector<Step> steps, const RecordingContext& context)
      : steps_(std::move(steps)), context_(context) {}

  void setup() override { calls.emplace_back("setup"); }
  std::chrono::milliseconds begin() override {
    calls.emplace_back("begin");
    step_ = 0;
    started.push_back(Clock::now());
    return steps_.at(0).wait;
  }
  std::vector<Reading> collect() override {
    calls.push_back("collect " + std::to_string(step_));
    collected.push_back(Clock::now());
    events_seen.push_back(context_.events.size());
    if (fail_step && *fail_step == step_) {
      fail_step.reset();
      throw DeviceError("step " + std::to_string(step_) + " failed");
    }
    return {Reading{steps_.at(step_).key, steps_.at(step_).value}};
  }
  std::optional<std::chrono::milliseconds> begin_next() override {
    calls.emplace_back("begin_next");
    if (++step_ == steps_.size()) return std::nullopt;
    started.push_back(Clock::now());
    return steps_.at(step_).wait;
  }

  std::vector<std::string> calls;
  std::vector<Clock::time_point> started;    ///< when each step was started
  std::vector<Clock::time_point> collected;  ///< when each step was collected
  std::vector<std::size_t> events_seen;      ///< the context's events at each collect()
  std::optional<std::size_t> fail_step;      ///< the step whose next collect() throws

 private:
  std::vector<Step> steps_;
  const RecordingContext& context_;
  std::size_t step_ = 0;
};

// A device of one step that does not override begin_next().
class OneStepDevice final : public Device {
 public:
  void setup() override {}
  std::chrono::milliseconds begin() override { return 5ms; }
  std::vector<Reading> collect() override { return {Reading{"a", 21.5}}; }
};

constexpr std::array<Quantity, 3> kQuantities{{
    {"a", "A", "temperature", "measurement", "°C", 1},
    {"b", "B", "humidity", "measurement", "%", 1},
    {"c", "C", "voltage", "measurement", "V", 3},
}};

PolledOptions options() {
  PolledOptions o;
  o.id = "probe";
  o.interval = 1h;  // one cycle per test, apart from retries
  o.retry_min = 20ms;
  o.retry_max = 20ms;
  return o;
}

struct Fixture {
  explicit Fixture(std::vector<SteppedDevice::Step> steps) {
    auto owned = std::make_unique<SteppedDevice>(std::move(steps), context);
    device = owned.get();
    sensor = make_polled_sensor(options(), "Probe", kQuantities, std::move(owned));
  }
  bool run_until_published(const std::string& id, std::size_t count) {
    return test::run_until(context.loop(), [&] { return context.count(id) >= count; });
  }

  RecordingContext context;  // outlives the sensor
  SteppedDevice* device = nullptr;
  std::unique_ptr<Sensor> sensor;
};

TEST(PolledSensor, StepsRunInSequenceWithTheirOwnWaitsAndPublishTogether) {
  Fixture f({{20ms, "a", 1.0}, {30ms, "b", 2.0}, {10ms, "c", 3.0}});
  f.sensor->start(f.context);
  EXPECT_EQ(f.device->calls, (std::vector<std::string>{"setup", "begin"}));
  ASSERT_TRUE(f.run_until_published("probe_c", 1));

  EXPECT_EQ(f.device->calls,
            (std::vector<std::string>{"setup", "begin", "collect 0", "begin_next", "collect 1",
                                      "begin_next", "collect 2", "begin_next"}));
  // Nothing was published before the last step: every reading comes at the end, together.
  EXPECT_EQ(f.device->events_seen, (std::vector<std::size_t>{0, 0, 0}));
  EXPECT_EQ(f.context.events,
            (std::vector<SensorEvent>{availability("probe_a", true), availability("probe_b", true),
                                      availability("probe_c", true), published("probe_a", 1.0),
                                      published("probe_b", 2.0), published("probe_c", 3.0)}));
  // Each collect() came no earlier than the wait its step asked for.
  ASSERT_EQ(f.device->started.size(), 3u);
  ASSERT_EQ(f.device->collected.size(), 3u);
  EXPECT_GE(f.device->collected[0] - f.device->started[0], 20ms);
  EXPECT_GE(f.device->collected[1] - f.device->started[1], 30ms);
  EXPECT_GE(f.device->collected[2] - f.device->started[2], 10ms);
}

TEST(PolledSensor, AStepThatFailsDropsTheWholeCycle) {
  Fixture f({{5ms, "a", 1.0}, {5ms, "b", 2.0}});
  f.device->fail_step = 1;
  f.sensor->start(f.context);
  ASSERT_TRUE(f.run_until_published("probe_b", 1));

  // The first cycle failed in its second step: its first reading was never published, the
  // entities went unavailable; the retry set the device up again and published both.
  EXPECT_EQ(f.device->calls,
            (std::vector<std::string>{"setup", "begin", "collect 0", "begin_next", "collect 1",
                                      "setup", "begin", "collect 0", "begin_next", "collect 1",
                                      "begin_next"}));
  EXPECT_EQ(f.context.events,
            (std::vector<SensorEvent>{
                availability("probe_a", false), availability("probe_b", false),
                availability("probe_c", false), availability("probe_a", true),
                availability("probe_b", true), availability("probe_c", true),
                published("probe_a", 1.0), published("probe_b", 2.0)}));
}

TEST(PolledSensor, StepsWithoutAWaitStillGoThroughTheLoop) {
  Fixture f({{0ms, "a", 1.0}, {0ms, "b", 2.0}, {0ms, "c", 3.0}});
  f.sensor->start(f.context);
  // begin() asked for no wait, so the first step was collected inside start(); the next one
  // waits for the loop.
  EXPECT_EQ(f.device->calls,
            (std::vector<std::string>{"setup", "begin", "collect 0", "begin_next"}));
  EXPECT_TRUE(f.context.events.empty());
  ASSERT_TRUE(f.run_until_published("probe_c", 1));
  EXPECT_EQ(f.context.count("probe_a"), 1u);
  EXPECT_EQ(f.context.count("probe_b"), 1u);
}

TEST(PolledSensor, StoppingBetweenStepsCancelsTheCycle) {
  Fixture f({{5ms, "a", 1.0}, {5ms, "b", 2.0}});
  f.sensor->start(f.context);
  ASSERT_TRUE(test::run_until(f.context.loop(), [&] { return f.device->collected.size() == 1; }));
  f.sensor->stop();
  test::run_for(f.context.loop(), 30ms);
  EXPECT_EQ(f.device->collected.size(), 1u);
  EXPECT_TRUE(f.context.events.empty());

  // A restart begins a fresh cycle: the step collected before the stop is not published.
  f.sensor->start(f.context);
  ASSERT_TRUE(f.run_until_published("probe_b", 1));
  EXPECT_EQ(f.context.count("probe_a"), 1u);
}

TEST(PolledSensor, ADeviceOfOneStepNeedsNoBeginNext) {
  RecordingContext context;
  auto sensor = make_polled_sensor(options(), "Probe", kQuantities,
                                   std::make_unique<OneStepDevice>());
  sensor->start(context);
  ASSERT_TRUE(test::run_until(context.loop(), [&] { return context.count("probe_a") == 1; }));
  EXPECT_EQ(context.events,
            (std::vector<SensorEvent>{availability("probe_a", true), availability("probe_b", true),
                                      availability("probe_c", true), published("probe_a", 21.5)}));
}

}  // namespace steps

}  // namespace
}  // namespace pimqttd::sensors
