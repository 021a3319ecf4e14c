#include "pimqttd/sensors/polled.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <string>
#include <vector>

#include "support/log_capture.hpp"
#include "support/recording_context.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
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

}  // namespace
}  // namespace pimqttd::sensors
