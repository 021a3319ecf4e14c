#include "pimqttd/sensors/polled.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/loop.hpp"
#include "support/recording_context.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::availability;
using test::published;
using test::RecordingContext;
using test::SensorEvent;

// A device whose cycle is a script of steps: begin() starts step 0, begin_next() the others;
// each step waits its time and yields one reading. It records every call, when it happened, and
// how many events the context had seen when each collect() ran.
class ScriptedDevice final : public Device {
 public:
  struct Step {
    std::chrono::milliseconds wait;
    std::string_view key;
    double value;
  };

  ScriptedDevice(std::vector<Step> steps, const RecordingContext& context)
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
  explicit Fixture(std::vector<ScriptedDevice::Step> steps) {
    auto owned = std::make_unique<ScriptedDevice>(std::move(steps), context);
    device = owned.get();
    sensor = make_polled_sensor(options(), "Probe", kQuantities, std::move(owned));
  }
  bool run_until_published(const std::string& id, std::size_t count) {
    return test::run_until(context.loop(), [&] { return context.count(id) >= count; });
  }

  RecordingContext context;  // outlives the sensor
  ScriptedDevice* device = nullptr;
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

}  // namespace
}  // namespace pimqttd::sensors
