// GpioButton on the fake GPIO seam: the debounced edges, with the kernel's timestamps, become the
// presses a person means, published as event types in order, and nothing else.
#include "sensors/gpio/gpio_button.hpp"

#include <gtest/gtest.h>

#include <chrono>
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
using test::published;
using Clock = std::chrono::steady_clock;
using Values = std::vector<Value>;

const hw::GpioLineSpec kSpec{"", std::string("GPIO23")};
constexpr const char* kLineName = "GPIO23 (gpiochip0 line 23)";

class GpioButtonTest : public ::testing::Test {
 protected:
  GpioButtonTest() : line_(lines_->add_line(kSpec, kLineName)) {}

  static GpioButtonOptions options(std::chrono::milliseconds debounce) {
    GpioButtonOptions o;
    o.id = "doorbell";
    o.name = "Doorbell";
    o.line = kSpec;
    o.bias = hw::GpioBias::pull_up;
    o.debounce = debounce;
    o.device_class = "doorbell";
    o.retry_min = 20ms;
    o.retry_max = 40ms;
    return o;
  }

  std::unique_ptr<GpioButton> start(GpioButtonOptions o) {
    auto button = std::make_unique<GpioButton>(std::move(o), lines_);
    button->start(context_);
    return button;
  }

  /// A kernel timestamp `ago` before now on the steady clock (CLOCK_MONOTONIC).
  static std::chrono::nanoseconds kernel_time(Clock::duration ago) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
        (Clock::now() - ago).time_since_epoch());
  }

  /// Queues edges at `base` + each offset, alternating pressed / released from `pressed`.
  void edges(std::chrono::nanoseconds base, std::initializer_list<std::chrono::milliseconds> at,
             bool pressed = true) {
    for (const auto offset : at) {
      lines_->set_level(line_, pressed, base + offset);
      pressed = !pressed;
    }
  }

  Values events() const { return context_.values("doorbell"); }
  bool wait_events(std::size_t n) {
    return context_.run_until([&] { return events().size() >= n; });
  }

  std::shared_ptr<test::FakeGpioLines> lines_ = std::make_shared<test::FakeGpioLines>();
  test::FakeGpioLines::Line& line_;
  test::RecordingContext context_;
};

TEST_F(GpioButtonTest, AnEventEntityWithTheEnabledTypesAndAnOptionalHeldSensor) {
  GpioButtonOptions o = options(30ms);
  o.presses.enabled.triple_press = false;
  GpioButton button(o, lines_);
  ASSERT_EQ(button.entities().size(), 1u);
  const EntityInfo& event = button.entities().front();
  EXPECT_EQ(event.id, "doorbell");
  EXPECT_EQ(event.name, "Doorbell");
  EXPECT_EQ(event.platform, Platform::event);
  EXPECT_EQ(event.device_class, "doorbell");
  EXPECT_EQ(event.event_types,
            (std::vector<std::string>{"press", "double_press", "long_press", "release"}));
  EXPECT_TRUE(event.device_triggers);
  EXPECT_FALSE(event.commandable);
  EXPECT_EQ(line_.requests, 0);

  o.held_sensor = true;
  GpioButton with_held(o, lines_);
  ASSERT_EQ(with_held.entities().size(), 2u);
  EXPECT_EQ(with_held.entities()[1].id, "doorbell_held");
  EXPECT_EQ(with_held.entities()[1].name, "Doorbell held");
  EXPECT_EQ(with_held.entities()[1].platform, Platform::binary_sensor);
}

TEST_F(GpioButtonTest, StartPublishesNoEventAndTheHeldState) {
  GpioButtonOptions o = options(30ms);
  o.held_sensor = true;
  line_.level = true;
  const auto button = start(o);
  EXPECT_EQ(context_.events,
            (std::vector<test::SensorEvent>{availability("doorbell", true),
                                            availability("doorbell_held", true),
                                            published("doorbell_held", true)}));
  EXPECT_EQ(line_.input.edges, hw::GpioEdges::both);
  EXPECT_EQ(line_.input.bias, hw::GpioBias::pull_up);
}

// Without debounce every edge counts at its own timestamp: a whole sequence read at once gives
// exactly what the timestamps say.
TEST_F(GpioButtonTest, SequencesFromTheKernelTimestamps) {
  struct Case {
    const char* what;
    std::initializer_list<std::chrono::milliseconds> edges;  // from a press, alternating
    Values expected;
  };
  const Case cases[] = {
      {"single", {0ms, 100ms}, {std::string("press")}},
      {"double", {0ms, 100ms, 250ms, 350ms}, {std::string("double_press")}},
      {"triple", {0ms, 80ms, 200ms, 280ms, 400ms, 480ms}, {std::string("triple_press")}},
      {"two singles at exactly the gap", {0ms, 100ms, 400ms, 500ms},
       {std::string("press"), std::string("press")}},
      {"a fourth quick press starts anew",
       {0ms, 50ms, 100ms, 150ms, 200ms, 250ms, 300ms, 350ms},
       {std::string("triple_press"), std::string("press")}},
      {"long, released late", {0ms, 5000ms}, {std::string("long_press"), std::string("release")}},
      {"press then long press", {0ms, 100ms, 200ms, 1200ms},
       {std::string("long_press"), std::string("release")}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    context_.events.clear();
    const auto button = start(options(0ms));
    edges(kernel_time(8s), c.edges);
    ASSERT_TRUE(wait_events(c.expected.size()));
    context_.run_for(50ms);  // nothing more comes
    EXPECT_EQ(events(), c.expected);
    button->stop();
  }
}

TEST_F(GpioButtonTest, BouncesInsideTheDebounceAreOneChangeTimedFromTheFirstEdge) {
  GpioButtonOptions o = options(20ms);
  o.held_sensor = true;
  o.presses.multi_press_gap = 5s;  // the gap cannot end while the test runs
  o.presses.enabled.triple_press = false;  // so a double press is reported at its release
  const auto button = start(o);
  const auto base = kernel_time(1s);
  const auto held = [&] { return context_.values("doorbell_held"); };
  // First press: five bouncing edges ending pressed, read as one burst.
  edges(base, {0ms, 1ms, 2ms, 3ms, 4ms});
  ASSERT_TRUE(context_.run_until([&] { return held().size() == 2; }));
  edges(base, {100ms, 101ms, 102ms}, false);  // release with bounces
  ASSERT_TRUE(context_.run_until([&] { return held().size() == 3; }));
  edges(base, {200ms, 203ms, 205ms});  // second press
  ASSERT_TRUE(context_.run_until([&] { return held().size() == 4; }));
  EXPECT_TRUE(events().empty()) << "a press that could still become a double press waits";
  edges(base, {300ms}, false);
  ASSERT_TRUE(wait_events(1));
  EXPECT_EQ(events(), Values{std::string("double_press")});
  EXPECT_EQ(held(), (Values{false, true, false, true, false}));
}

TEST_F(GpioButtonTest, ALongPressIsReportedWhileHeldAndItsReleaseAfter) {
  GpioButtonOptions o = options(20ms);
  o.presses.long_press = 300ms;
  const auto button = start(o);
  lines_->set_level(line_, true, kernel_time(0s));
  ASSERT_TRUE(wait_events(1));
  EXPECT_EQ(events(), Values{std::string("long_press")});
  EXPECT_TRUE(line_.level) << "still held";
  lines_->set_level(line_, false, kernel_time(0s));
  ASSERT_TRUE(wait_events(2));
  context_.run_for(50ms);
  EXPECT_EQ(events(), (Values{std::string("long_press"), std::string("release")}));
}

// The long-press time falls due while the release's bounces settle: the release, older than the
// deadline, wins, and the press is a short one.
TEST_F(GpioButtonTest, AReleaseSettlingAcrossTheLongPressTimeIsAShortPress) {
  GpioButtonOptions o = options(500ms);
  o.presses.long_press = 1000ms;
  o.presses.enabled.double_press = false;
  o.presses.enabled.triple_press = false;
  o.held_sensor = true;
  const auto button = start(o);
  const Clock::time_point pressed = Clock::now();
  lines_->set_level(line_, true, kernel_time(0s));
  ASSERT_TRUE(context_.run_until([&] { return context_.values("doorbell_held").size() == 2; }));
  // Release at pressed + 600 ms; it settles at + 1100 ms, after the long-press time.
  ASSERT_TRUE(context_.run_until([&] { return Clock::now() >= pressed + 600ms; }));
  ASSERT_LT(Clock::now(), pressed + 900ms) << "the machine is too slow for this test's timing";
  lines_->set_level(line_, false, kernel_time(0s));
  ASSERT_TRUE(wait_events(1));
  context_.run_for(50ms);
  EXPECT_EQ(events(), Values{std::string("press")});
}

TEST_F(GpioButtonTest, AnImplausibleTimestampIsTakenAsTheTimeTheEdgeWasRead) {
  const auto button = start(options(0ms));
  // Timestamps near zero (a real-time clock stamp would be as far off): taken as "now", so the
  // long-press time counts from when the edge was read, not from long ago.
  lines_->set_level(line_, true, 1ms);
  context_.run_for(100ms);
  EXPECT_TRUE(events().empty()) << "no long press before 800 ms have passed";
  lines_->set_level(line_, false, 2ms);
  ASSERT_TRUE(wait_events(1));
  EXPECT_EQ(events(), Values{std::string("press")});
}

TEST_F(GpioButtonTest, ALostLineForgetsThePressUnderWayAndComesBack) {
  test::LogCapture log;
  const auto button = start(options(0ms));
  edges(kernel_time(8s), {0ms});  // pressed, long ago: ...
  line_.read_error = std::make_error_code(std::errc::no_such_device);
  ASSERT_TRUE(context_.run_until(
      [&] { return !context_.of(test::SensorEvent::available, "doorbell").empty() &&
                   context_.of(test::SensorEvent::available, "doorbell").back() ==
                       availability("doorbell", false); }));
  EXPECT_TRUE(events().empty()) << "the press under way is forgotten, not reported";
  line_.read_error = {};
  ASSERT_TRUE(context_.run_until(
      [&] { return context_.of(test::SensorEvent::available, "doorbell").back() ==
                   availability("doorbell", true); }));
  lines_->set_level(line_, false, kernel_time(0s));  // the release of the forgotten press
  context_.run_for(50ms);
  EXPECT_TRUE(events().empty()) << "a release without its press is not a press";
  edges(kernel_time(1s), {0ms, 100ms});
  ASSERT_TRUE(wait_events(1));
  EXPECT_EQ(events(), Values{std::string("press")});
}

TEST(ButtonEventTypes, InTheirOrderAndOnlyTheEnabled) {
  EXPECT_EQ(event_types(PressEventsEnabled{}),
            (std::vector<std::string>{"press", "double_press", "triple_press", "long_press",
                                      "release"}));
  EXPECT_EQ(event_types(PressEventsEnabled{true, false, false, true, false}),
            (std::vector<std::string>{"press", "long_press"}));
}

}  // namespace
}  // namespace pimqttd::sensors
