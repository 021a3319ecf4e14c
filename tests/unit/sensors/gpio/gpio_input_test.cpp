#include "sensors/gpio/gpio_input.hpp"

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
using test::published;
using test::SensorEvent;
using Clock = std::chrono::steady_clock;
using Events = std::vector<SensorEvent>;

const hw::GpioLineSpec kSpec{"", std::string("GPIO17")};
constexpr const char* kLineName = "GPIO17 (gpiochip0 line 17)";

class GpioInputTest : public ::testing::Test {
 protected:
  GpioInputTest() : line_(lines_->add_line(kSpec, kLineName)) {}

  GpioInputOptions options(std::chrono::milliseconds debounce = 50ms) {
    GpioInputOptions o;
    o.id = "front_door";
    o.name = "Front door";
    o.line = kSpec;
    o.bias = hw::GpioBias::pull_up;
    o.debounce = debounce;
    o.device_class = "door";
    o.retry_min = 20ms;
    o.retry_max = 40ms;
    return o;
  }

  std::unique_ptr<GpioInput> make(GpioInputOptions o) {
    return std::make_unique<GpioInput>(std::move(o), lines_);
  }

  std::shared_ptr<test::FakeGpioLines> lines_ = std::make_shared<test::FakeGpioLines>();
  test::FakeGpioLines::Line& line_;
  test::RecordingContext context_;
};

TEST_F(GpioInputTest, OneBinarySensorEntity) {
  const auto input = make(options());
  ASSERT_EQ(input->entities().size(), 1u);
  const EntityInfo& entity = input->entities().front();
  EXPECT_EQ(entity.id, "front_door");
  EXPECT_EQ(entity.name, "Front door");
  EXPECT_EQ(entity.platform, Platform::binary_sensor);
  EXPECT_EQ(entity.device_class, "door");
  EXPECT_EQ(entity.state_class, "");
  EXPECT_EQ(entity.unit, "");
  EXPECT_EQ(entity.interval, 0ms);  // event-driven: no expire_after
  EXPECT_FALSE(entity.commandable);
  EXPECT_EQ(line_.requests, 0);  // nothing is requested before start()
}

TEST_F(GpioInputTest, PublishesTheStateAtStart) {
  line_.level = true;
  const auto input = make(options());
  input->start(context_);
  EXPECT_EQ(context_.events, (Events{availability("front_door", true),
                                     published("front_door", true)}));
  EXPECT_TRUE(line_.held);
  EXPECT_EQ(line_.input.edges, hw::GpioEdges::both);
  EXPECT_EQ(line_.input.bias, hw::GpioBias::pull_up);
  EXPECT_FALSE(line_.input.active_low);
  input->stop();
  EXPECT_FALSE(line_.held);
}

TEST_F(GpioInputTest, ABurstOfBouncesGivesOneChangeAfterTheLineIsQuiet) {
  const auto input = make(options(100ms));
  input->start(context_);
  ASSERT_EQ(context_.values("front_door"), (std::vector<Value>{false}));
  Clock::time_point published_at{};
  context_.on_publish = [&](const SensorEvent&) { published_at = Clock::now(); };

  // Edges 20 ms apart, read by the loop one by one: each restarts the debounce.
  Clock::time_point last_edge{};
  for (const bool level : {true, false, true, false, true}) {
    lines_->set_level(line_, level);
    last_edge = Clock::now();
    context_.run_for(20ms);
  }
  ASSERT_TRUE(context_.run_until([&] { return context_.values("front_door").size() == 2; }));
  EXPECT_EQ(context_.values("front_door"), (std::vector<Value>{false, true}));
  EXPECT_GE(published_at - last_edge, 100ms);  // timed from the last edge, not the first
  context_.run_for(150ms);
  EXPECT_EQ(context_.values("front_door").size(), 2u);
}

TEST_F(GpioInputTest, BouncesThatEndWhereTheyStartedPublishNothing) {
  const auto input = make(options(30ms));
  input->start(context_);
  for (const bool level : {true, false, true, false}) lines_->set_level(line_, level);
  context_.run_for(150ms);
  EXPECT_EQ(context_.values("front_door"), (std::vector<Value>{false}));
  // ... while a real change still comes through.
  lines_->set_level(line_, true);
  ASSERT_TRUE(context_.run_until([&] { return context_.values("front_door").size() == 2; }));
  EXPECT_EQ(context_.values("front_door"), (std::vector<Value>{false, true}));
}

TEST_F(GpioInputTest, ActiveLowInvertsTheValue) {
  GpioInputOptions o = options(0ms);
  o.active_low = true;
  line_.level = false;  // a closed contact pulls the line low
  const auto input = make(o);
  input->start(context_);
  EXPECT_TRUE(line_.input.active_low);
  EXPECT_EQ(context_.values("front_door"), (std::vector<Value>{true}));
  lines_->set_level(line_, true);
  ASSERT_TRUE(context_.run_until([&] { return context_.values("front_door").size() == 2; }));
  EXPECT_EQ(context_.values("front_door"), (std::vector<Value>{true, false}));
}

TEST_F(GpioInputTest, ZeroDebouncePublishesAtOnce) {
  const auto input = make(options(0ms));
  input->start(context_);
  lines_->set_level(line_, true);
  ASSERT_TRUE(context_.run_until([&] { return context_.values("front_door").size() == 2; }, 1s));
  lines_->set_level(line_, false);
  ASSERT_TRUE(context_.run_until([&] { return context_.values("front_door").size() == 3; }, 1s));
  EXPECT_EQ(context_.values("front_door"), (std::vector<Value>{false, true, false}));
}

TEST_F(GpioInputTest, ABusyLineIsUnavailableAndRetriedUntilItIsFree) {
  test::LogCapture log;
  lines_->fail_requests("GPIO17 (gpiochip0 line 17) is busy: used by \"gpiomon\"");
  const auto input = make(options());
  input->start(context_);
  EXPECT_EQ(context_.events, (Events{availability("front_door", false)}));
  // Retried with back-off, logged once.
  ASSERT_TRUE(context_.run_until([&] { return lines_->refused() >= 3; }));
  EXPECT_EQ(context_.count(SensorEvent::available), 1u);
  EXPECT_EQ(log.lines(), (std::vector<std::string>{
                             "warning front_door: unavailable until it answers again: GPIO17 "
                             "(gpiochip0 line 17) is busy: used by \"gpiomon\""}));

  line_.level = true;
  lines_->fail_requests("");
  ASSERT_TRUE(context_.run_until([&] { return context_.count(SensorEvent::publish) == 1; }));
  EXPECT_EQ(context_.events, (Events{availability("front_door", false),
                                     availability("front_door", true),
                                     published("front_door", true)}));
  EXPECT_TRUE(line_.held);
  ASSERT_FALSE(log.lines().empty());
  EXPECT_EQ(log.lines().back().rfind("info front_door: answering again after ", 0), 0u);
}

TEST_F(GpioInputTest, AReadFailureReleasesTheLineAndRequestsItAgain) {
  test::LogCapture log;
  const auto input = make(options(0ms));
  input->start(context_);
  line_.read_error = std::make_error_code(std::errc::no_such_device);
  lines_->set_level(line_, true);  // the edge makes the driver read
  ASSERT_TRUE(context_.run_until([&] { return !line_.held; }));
  EXPECT_EQ(context_.events, (Events{availability("front_door", true),
                                     published("front_door", false),
                                     availability("front_door", false)}));
  EXPECT_EQ(log.lines(),
            (std::vector<std::string>{"warning front_door: unavailable until it answers again: "
                                      "cannot read the edges of GPIO17 (gpiochip0 line 17): No "
                                      "such device"}));
  line_.read_error.clear();
  ASSERT_TRUE(context_.run_until([&] { return line_.requests == 2; }));
  EXPECT_EQ(context_.events, (Events{availability("front_door", true),
                                     published("front_door", false),
                                     availability("front_door", false),
                                     availability("front_door", true),
                                     published("front_door", true)}));
}

TEST_F(GpioInputTest, NothingAfterStop) {
  const auto input = make(options(0ms));
  input->start(context_);
  input->stop();
  EXPECT_FALSE(line_.held);
  lines_->set_level(line_, true);
  context_.run_for(50ms);
  EXPECT_EQ(context_.values("front_door"), (std::vector<Value>{false}));
  // And it starts again.
  input->start(context_);
  EXPECT_EQ(context_.values("front_door"), (std::vector<Value>{false, true}));
}

}  // namespace
}  // namespace pimqttd::sensors
