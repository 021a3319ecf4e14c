#include "sensors/command/command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/app/daemon.hpp"
#include "pimqttd/app/once.hpp"
#include "pimqttd/core/file.hpp"
#include "support/log_capture.hpp"
#include "support/recording_context.hpp"
#include "support/scripts.hpp"
#include "support/sensor_entry.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using test::availability;
using test::persisted;
using test::published;
using test::SensorEvent;
using Events = std::vector<SensorEvent>;
using Values = std::vector<Value>;

core::SubprocessResult exited(int code, std::string output = {}, std::string errors = {}) {
  core::SubprocessResult result;
  result.started = true;
  result.exit_code = code;
  result.output = std::move(output);
  result.error_output = std::move(errors);
  return result;
}

TEST(CommandReading, SensorNumber) {
  EXPECT_EQ(sensor_reading(exited(0, " 21.5\n"), "").value, Value{21.5});
  EXPECT_EQ(sensor_reading(exited(0, "-3e2"), "").value, Value{-300.0});
  EXPECT_EQ(sensor_reading(exited(0, "21.5 C\n"), "").problem,
            "printed \"21.5 C\", not a number");
  EXPECT_EQ(sensor_reading(exited(0, "nan"), "").problem, "printed \"nan\", not a number");
  EXPECT_EQ(sensor_reading(exited(0, "\n"), "").problem, "printed nothing, not a number");
  EXPECT_EQ(sensor_reading(exited(3, "21.5", "no sensor\n"), "").problem,
            "exited with status 3: no sensor");
  auto cut = exited(0, std::string(65536, '1'));
  cut.output_truncated = true;
  EXPECT_EQ(sensor_reading(cut, "").problem, "printed more than the 65536 bytes kept");
}

TEST(CommandReading, SensorJsonPointer) {
  const std::string document = R"({"data": {"temperature": 21.5, "text": " 7 ", "list": [1, 2],
                                   "word": "warm", "flag": true}})";
  EXPECT_EQ(sensor_reading(exited(0, document), "/data/temperature").value, Value{21.5});
  EXPECT_EQ(sensor_reading(exited(0, document), "/data/text").value, Value{7.0});
  EXPECT_EQ(sensor_reading(exited(0, document), "/data/list/1").value, Value{2.0});
  EXPECT_EQ(sensor_reading(exited(0, document), "/data/humidity").problem,
            "printed JSON with nothing at \"/data/humidity\"");
  EXPECT_EQ(sensor_reading(exited(0, document), "/data/list/x").problem,
            "printed JSON with nothing at \"/data/list/x\"");
  EXPECT_EQ(sensor_reading(exited(0, document), "/data/word").problem,
            "printed \"warm\" at \"/data/word\", not a number");
  EXPECT_EQ(sensor_reading(exited(0, document), "/data/flag").problem,
            "printed true at \"/data/flag\", not a number");
  EXPECT_EQ(sensor_reading(exited(0, "21.5 C"), "/data").problem,
            "printed \"21.5 C\", not a JSON document");
}

TEST(CommandReading, SwitchStateFromExitStatus) {
  EXPECT_EQ(switch_reading(exited(0), StateFrom::exit_status).value, Value{true});
  EXPECT_EQ(switch_reading(exited(1), StateFrom::exit_status).value, Value{false});
  EXPECT_EQ(switch_reading(exited(2, "", "no such unit\n"), StateFrom::exit_status).problem,
            "exited with status 2, neither 0 (ON) nor 1 (OFF): no such unit");
  core::SubprocessResult late;
  late.started = true;
  late.timed_out = true;
  late.timeout = 10s;
  EXPECT_EQ(switch_reading(late, StateFrom::exit_status).problem, "timed out after 10 s");
}

TEST(CommandReading, SwitchStateFromOutput) {
  for (const char* on : {"ON", "on\n", " On ", "1", "true", "TRUE"}) {
    EXPECT_EQ(switch_reading(exited(0, on), StateFrom::output).value, Value{true}) << on;
  }
  for (const char* off : {"OFF", "off\n", "0", "false", "False\r\n"}) {
    EXPECT_EQ(switch_reading(exited(0, off), StateFrom::output).value, Value{false}) << off;
  }
  EXPECT_EQ(switch_reading(exited(0, "maybe"), StateFrom::output).problem,
            "printed \"maybe\", not a state (ON/OFF, on/off, 1/0, true/false)");
  EXPECT_EQ(switch_reading(exited(1, "on"), StateFrom::output).problem, "exited with status 1");
}

class CommandSensorTest : public ::testing::Test {
 protected:
  /// Options for a sensor named "go" whose program is /bin/sh running the script `body`.
  CommandOptions options(CommandPlatform platform) {
    CommandOptions o;
    o.id = "go";
    o.name = "Go";
    o.platform = platform;
    o.interval = 50ms;
    o.timeout = 5s;
    return o;
  }
  std::vector<std::string> script(const std::string& name, const std::string& body) {
    return {"/bin/sh", test::write_script(dir_ / name, body).string()};
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  /// The lines of a file scripts append to.
  std::vector<std::string> lines(const std::string& name) const {
    std::vector<std::string> out;
    std::string text = core::read_file(dir_ / name).text;
    for (std::size_t start = 0; start < text.size();) {
      const auto end = text.find('\n', start);
      out.push_back(text.substr(start, end - start));
      start = end == std::string::npos ? text.size() : end + 1;
    }
    return out;
  }
  /// Replaces the file at once (a script running meanwhile reads the old or the new text).
  void write(const std::string& name, const std::string& text) {
    test::write_file(dir_ / (name + ".tmp"), text);
    std::filesystem::rename(dir_ / (name + ".tmp"), dir_ / name);
  }
  bool log_has(const std::string& line) const {
    const auto all = log_.lines();
    return std::find(all.begin(), all.end(), line) != all.end();
  }

  test::TempDir dir_{"pimqttd-command"};
  test::LogCapture log_;
  test::RecordingContext context_;
};

TEST_F(CommandSensorTest, SensorPublishesTheNumberItPrints) {
  auto o = options(CommandPlatform::sensor);
  o.command = script("value.sh", "echo \"$VALUE\"");
  o.environment = {{"VALUE", "42.5"}};
  o.unit = "W";
  CommandSensor sensor(std::move(o));
  ASSERT_EQ(sensor.entities().size(), 1u);
  EXPECT_EQ(sensor.entities()[0].platform, Platform::sensor);
  EXPECT_FALSE(sensor.entities()[0].commandable);
  EXPECT_EQ(sensor.entities()[0].interval, 50ms);
  sensor.start(context_);
  ASSERT_TRUE(context_.run_publishes("go", 2));
  sensor.stop();
  EXPECT_EQ(context_.events.at(0), availability("go", true));
  EXPECT_EQ(context_.values("go").at(0), Value{42.5});
  EXPECT_EQ(context_.count(SensorEvent::available), 1u);
}

TEST_F(CommandSensorTest, SensorReadsAJsonPointer) {
  auto o = options(CommandPlatform::sensor);
  o.command = script("json.sh", R"(echo '{"data": {"temperature": 19.25}}')");
  o.value = "/data/temperature";
  CommandSensor sensor(std::move(o));
  sensor.start(context_);
  ASSERT_TRUE(context_.run_publishes("go", 1));
  EXPECT_EQ(context_.values("go").at(0), Value{19.25});
  // No precision configured: published as printed.
  EXPECT_EQ(sensor.entities()[0].display_precision, std::nullopt);
  EXPECT_EQ(test::payload(context_.values("go").at(0), sensor.entities()[0]), "19.25");
}

TEST_F(CommandSensorTest, SensorWithAPrecisionIsPublishedRoundedToIt) {
  auto o = options(CommandPlatform::sensor);
  o.command = script("value.sh", "echo 21.56789");
  o.precision = 1;
  CommandSensor sensor(std::move(o));
  EXPECT_EQ(sensor.entities()[0].display_precision, 1);
  sensor.start(context_);
  ASSERT_TRUE(context_.run_publishes("go", 1));
  sensor.stop();
  EXPECT_EQ(context_.values("go").at(0), Value{21.56789});
  EXPECT_EQ(test::payload(context_.values("go").at(0), sensor.entities()[0]), "21.6");
}

TEST_F(CommandSensorTest, FailingSensorIsUnavailableLoggedOnceAndRecovers) {
  write("value", "broken\n");
  auto o = options(CommandPlatform::sensor);
  o.command = script("read.sh", "echo run >> " + path("runs") + "\nread v < " + path("value") +
                                    "\n[ \"$v\" = broken ] && { echo 'sensor not found' >&2; "
                                    "exit 1; }\necho $v");
  CommandSensor sensor(std::move(o));
  sensor.start(context_);
  // Polls go on failing, every 50 ms: one log line.
  ASSERT_TRUE(context_.run_until([&] { return lines("runs").size() >= 4; }));
  const std::string warning =
      "warning go: unavailable until it answers again: /bin/sh exited with status 1: sensor not "
      "found";
  const auto failing = log_.lines();
  EXPECT_EQ(std::count(failing.begin(), failing.end(), warning), 1);
  EXPECT_EQ(context_.events, (Events{availability("go", false)}));

  write("value", "7\n");
  ASSERT_TRUE(context_.run_publishes("go", 1));
  EXPECT_EQ(context_.events, (Events{availability("go", false), availability("go", true),
                                     published("go", 7.0)}));
  const auto all = log_.lines();
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const std::string& line) {
    return line.starts_with("info go: answering again after ");
  }));
}

TEST_F(CommandSensorTest, HangingSensorTimesOut) {
  auto o = options(CommandPlatform::sensor);
  o.command = script("hang.sh", "sleep 1000");
  o.timeout = 200ms;
  o.interval = 1h;
  CommandSensor sensor(std::move(o));
  sensor.start(context_);
  ASSERT_TRUE(context_.run_until([&] { return context_.count(SensorEvent::available) == 1; }));
  EXPECT_EQ(context_.events, (Events{availability("go", false)}));
  EXPECT_TRUE(log_has("warning go: unavailable until it answers again: /bin/sh timed out after "
                      "0.2 s"));
}

TEST_F(CommandSensorTest, SensorThatCannotStart) {
  auto o = options(CommandPlatform::sensor);
  o.command = {path("missing")};
  o.interval = 1h;
  CommandSensor sensor(std::move(o));
  sensor.start(context_);
  ASSERT_TRUE(context_.run_until([&] { return context_.count(SensorEvent::available) == 1; }));
  EXPECT_TRUE(log_has("warning go: unavailable until it answers again: " + path("missing") +
                      " could not be started: No such file or directory"));
}

TEST_F(CommandSensorTest, ButtonRunsOnPressAndRefusesAPressWhileRunning) {
  auto o = options(CommandPlatform::button);
  // Each run notes itself, then waits for the test to let it go.
  o.command = script("press.sh", "echo pressed >> " + path("presses") + "\nwhile [ ! -e " +
                                     path("release") + " ]; do sleep 0.02; done\nrm " +
                                     path("release"));
  CommandSensor button(std::move(o));
  ASSERT_EQ(button.entities().size(), 1u);
  EXPECT_EQ(button.entities()[0].platform, Platform::button);
  EXPECT_TRUE(button.entities()[0].commandable);
  button.start(context_);
  EXPECT_EQ(context_.events, (Events{availability("go", true)}));

  button.command("go", "PRESS");
  EXPECT_TRUE(button.running());
  button.command("go", "PRESS");
  EXPECT_TRUE(log_has("warning go: ignored the press: /bin/sh still runs from the last one"));
  ASSERT_TRUE(test::wait_until([&] { return lines("presses").size() == 1; }, 5000ms));
  write("release", "");
  ASSERT_TRUE(context_.run_until([&] { return !button.running(); }));
  EXPECT_EQ(lines("presses"), (std::vector<std::string>{"pressed"}));

  button.command("go", "PRESS");
  write("release", "");
  ASSERT_TRUE(context_.run_until([&] { return !button.running(); }));
  EXPECT_EQ(lines("presses"), (std::vector<std::string>{"pressed", "pressed"}));
  // Nothing published, never unavailable.
  EXPECT_EQ(context_.events, (Events{availability("go", true)}));

  button.command("go", "press");
  EXPECT_FALSE(button.running());
  EXPECT_TRUE(log_has("warning go: ignored the command \"press\": expected PRESS"));
}

TEST_F(CommandSensorTest, FailingButtonStaysAvailableAndLogsEachFailure) {
  auto o = options(CommandPlatform::button);
  o.command = script("fail.sh", "echo 'door jammed' >&2\nexit 4");
  CommandSensor button(std::move(o));
  button.start(context_);
  for (int i = 0; i < 2; ++i) {
    button.command("go", "PRESS");
    ASSERT_TRUE(context_.run_until([&] { return !button.running(); }));
  }
  const std::string warning =
      "warning go: the press failed: /bin/sh exited with status 4: door jammed";
  const auto all = log_.lines();
  EXPECT_EQ(std::count(all.begin(), all.end(), warning), 2);
  EXPECT_EQ(context_.events, (Events{availability("go", true)}));
}

TEST_F(CommandSensorTest, OptimisticSwitchPublishesAndSavesWhatSucceeded) {
  auto o = options(CommandPlatform::switch_);
  o.on = script("on.sh", "echo on >> " + path("switch"));
  o.off = script("off.sh", "echo off >> " + path("switch"));
  CommandSensor fan(std::move(o));
  ASSERT_EQ(fan.entities().size(), 1u);
  EXPECT_EQ(fan.entities()[0].platform, Platform::switch_);
  EXPECT_EQ(fan.entities()[0].interval, 0ms);
  fan.start(context_);
  EXPECT_EQ(context_.events, (Events{availability("go", true)}));  // nothing saved: no state

  fan.command("go", "ON");
  ASSERT_TRUE(context_.run_publishes("go", 1));
  fan.command("go", "OFF");
  ASSERT_TRUE(context_.run_publishes("go", 1));
  fan.command("go", "OFF");
  ASSERT_TRUE(context_.run_publishes("go", 1));
  EXPECT_EQ(lines("switch"), (std::vector<std::string>{"on", "off", "off"}));
  EXPECT_EQ(context_.events,
            (Events{availability("go", true), published("go", true), persisted("go", "ON"),
                    published("go", false), persisted("go", "OFF"), published("go", false)}));

  fan.command("go", "TOGGLE; rm -rf /");
  EXPECT_FALSE(fan.running());
  EXPECT_TRUE(log_has("warning go: ignored the command \"TOGGLE; rm -rf /\": expected ON or OFF"));
}

TEST_F(CommandSensorTest, OptimisticSwitchRestoresItsStateWithoutRunningAnything) {
  auto o = options(CommandPlatform::switch_);
  o.on = script("on.sh", "echo on >> " + path("switch"));
  o.off = script("off.sh", "echo off >> " + path("switch"));
  context_.saved["go"] = "ON";
  CommandSensor fan(o);
  fan.start(context_);
  EXPECT_EQ(context_.events, (Events{availability("go", true), published("go", true)}));
  EXPECT_FALSE(fan.running());
  fan.command("go", "ON");  // already saved: published, not saved again
  ASSERT_TRUE(context_.run_publishes("go", 1));
  EXPECT_EQ(context_.count(SensorEvent::persist), 0u);
  fan.stop();

  context_.clear();
  context_.saved["go"] = "maybe";
  CommandSensor other(o);
  other.start(context_);
  EXPECT_EQ(context_.events, (Events{availability("go", true)}));
  EXPECT_TRUE(log_has("warning go: ignored the saved state \"maybe\" (expected ON or OFF)"));
}

TEST_F(CommandSensorTest, FailingOnOrOffLeavesAnOptimisticSwitchAsItWas) {
  auto o = options(CommandPlatform::switch_);
  o.on = script("on.sh", "echo 'relay busy' >&2\nexit 1");
  o.off = script("off.sh", "exit 0");
  CommandSensor fan(std::move(o));
  fan.start(context_);
  fan.command("go", "ON");
  ASSERT_TRUE(context_.run_until([&] { return !fan.running(); }));
  EXPECT_EQ(context_.events, (Events{availability("go", true)}));
  EXPECT_TRUE(log_has("warning go: turning ON failed: /bin/sh exited with status 1: relay busy"));
}

TEST_F(CommandSensorTest, SwitchStateFromExitStatus) {
  auto o = options(CommandPlatform::switch_);
  o.on = script("on.sh", "touch " + path("lamp"));
  o.off = script("off.sh", "rm -f " + path("lamp"));
  o.state = script("state.sh", "[ -e " + path("lamp") + " ]");
  o.interval = 1h;
  CommandSensor lamp(std::move(o));
  EXPECT_EQ(lamp.entities()[0].interval, 1h);
  lamp.start(context_);
  ASSERT_TRUE(context_.run_publishes("go", 1));
  lamp.command("go", "ON");
  ASSERT_TRUE(context_.run_publishes("go", 1));
  lamp.command("go", "OFF");
  ASSERT_TRUE(context_.run_publishes("go", 1));
  EXPECT_EQ(context_.values("go"), (Values{false, true, false}));
  EXPECT_EQ(context_.events.front(), availability("go", true));
  EXPECT_EQ(context_.count(SensorEvent::persist), 0u);  // the state command knows
}

TEST_F(CommandSensorTest, SwitchStateFromOutputAndItsFailures) {
  write("state", "on");
  auto o = options(CommandPlatform::switch_);
  o.on = script("on.sh", "exit 0");
  o.off = script("off.sh", "exit 0");
  o.state = script("state.sh", "cat " + path("state"));
  o.state_from = StateFrom::output;
  CommandSensor lamp(std::move(o));
  lamp.start(context_);
  ASSERT_TRUE(context_.run_publishes("go", 1));
  write("state", "dunno");
  ASSERT_TRUE(context_.run_until([&] { return context_.count(SensorEvent::available) == 2; }));
  write("state", "0");
  ASSERT_TRUE(context_.run_until([&] { return context_.count("go") == 2; }));
  EXPECT_EQ(context_.events,
            (Events{availability("go", true), published("go", true), availability("go", false),
                    availability("go", true), published("go", false)}));
  EXPECT_TRUE(log_has("warning go: unavailable until it answers again: /bin/sh printed "
                      "\"dunno\", not a state (ON/OFF, on/off, 1/0, true/false)"));
}

TEST_F(CommandSensorTest, ACommandCancelsAStatePollUnderWay) {
  auto o = options(CommandPlatform::switch_);
  o.on = script("on.sh", "touch " + path("released"));
  o.off = script("off.sh", "exit 0");
  // Hangs until `on` has run.
  o.state = script("state.sh", "echo $$ > " + path("poll.tmp") + "\nmv " + path("poll.tmp") +
                                   " " + path("poll") + "\nwhile [ ! -e " + path("released") +
                                   " ]; do sleep 0.02; done");
  o.interval = 1h;
  CommandSensor lamp(std::move(o));
  lamp.start(context_);
  ASSERT_TRUE(test::wait_until([&] { return std::filesystem::exists(path("poll")); }, 5000ms));
  const pid_t poll = std::stoi(core::read_file(path("poll")).text);
  lamp.command("go", "ON");
  EXPECT_TRUE(test::wait_until([&] { return test::process_dead(poll); }, 5000ms));
  ASSERT_TRUE(context_.run_publishes("go", 1));
  EXPECT_EQ(context_.values("go"), (Values{true}));
}

TEST_F(CommandSensorTest, StopKillsTheRunUnderWay) {
  auto o = options(CommandPlatform::button);
  o.command = script("long.sh", "echo $$ > " + path("pid.tmp") + "\nmv " + path("pid.tmp") + " " +
                                    path("pid") + "\nsleep 1000");
  CommandSensor button(std::move(o));
  button.start(context_);
  button.command("go", "PRESS");
  ASSERT_TRUE(test::wait_until([&] { return std::filesystem::exists(path("pid")); }, 5000ms));
  const pid_t pid = std::stoi(core::read_file(path("pid")).text);
  button.stop();
  EXPECT_FALSE(button.running());
  EXPECT_TRUE(test::wait_until([&] { return test::process_dead(pid); }, 5000ms));
  context_.run_for(100ms);
  EXPECT_EQ(context_.events, (Events{availability("go", true)}));
}

TEST_F(CommandSensorTest, OnceRunsSensorsAndSkipsButtonsAndSwitches) {
  const auto counter = test::write_script(dir_ / "count.sh", "echo run >> " + path("runs"));
  const std::string entries =
      R"({"type": "command", "name": "Value", "platform": "sensor",
          "command": ["/bin/echo", "12"]},
         {"type": "command", "name": "Press", "platform": "button",
          "command": ["/bin/sh", ")" + counter.string() + R"("]},
         {"type": "command", "name": "Lamp", "platform": "switch",
          "on": ["/bin/sh", ")" + counter.string() + R"("], "off": ["/bin/true"],
          "state": ["/bin/sh", ")" + counter.string() + R"("]})";
  const app::Config config = test::parse_sensor_entries(entries);
  core::EventLoop loop;
  core::Worker worker(loop);
  const app::OnceResult once = app::read_once(app::make_sensors(config), loop, worker, 5s);
  EXPECT_EQ(once.readings, nlohmann::json::parse(R"({"value": 12.0})"));
  EXPECT_EQ(once.outputs, (std::vector<std::string>{"press", "lamp"}));
  EXPECT_EQ(once.missing, 0);
  EXPECT_FALSE(std::filesystem::exists(path("runs")));
}

}  // namespace
}  // namespace pimqttd::sensors
