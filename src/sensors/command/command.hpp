#pragma once
// CommandSensor: a configured program, run as a Home Assistant button, switch or sensor (the
// `command` type). Programs run through core::Subprocess: off the loop, in a process group of
// their own, with a timeout that kills the group, a fixed environment and capped output (see
// core/subprocess.hpp). Every argv comes from the configuration; a command from Home Assistant
// only chooses which configured argv runs, nothing of its payload ever reaches a program.
//
// - button: "PRESS" runs `command`. A press while the last one still runs is ignored with a
//   warning; a run that fails (non-zero exit, signal, timeout, cannot start) is logged as a
//   warning each time, with its exit status and the first line of its stderr. A button stays
//   available whatever its runs do: an unavailable button cannot be pressed in Home Assistant,
//   so it could never show that the next press works.
// - switch: "ON" runs `on`, "OFF" runs `off` (ON/OFF while one of them still runs is ignored
//   with a warning; a state poll under way is cancelled instead). A failing on or off is logged
//   each time, like a button's press.
//   With `state`, the state command is run every `interval` (and at start, and right after
//   every on or off): `state_from` "exit" reads exit status 0 as ON and 1 as OFF (any other
//   ending is a failure); "output" reads stdout, trimmed: ON/OFF, on/off, 1/0, true/false (an
//   exit status other than 0 is a failure). The switch's availability follows its state
//   command, as a sensor's does.
//   Without `state` the switch is optimistic: its state is the last on or off that succeeded,
//   published and saved with SensorContext::persist (key: the entity id, "ON" or "OFF"), and
//   published again at start from what was saved (nothing when nothing was); it is always
//   available.
// - sensor: `command` runs at start and every `interval`; its stdout, trimmed, is a number, or
//   with `value` (a JSON pointer such as "/data/temperature") a JSON document holding a number
//   (or a string that is one) at that place. A run whose exit status is not 0, or whose output
//   gives no number (or exceeds the 64 KiB kept), is a failure.
// Polls (a sensor's, a switch's state) follow FaultTracker's rules: a failure marks the entity
// unavailable and is logged once per reason, the first success marks it available again. A
// failed poll is retried at the next interval (a program is no bus that answers on the second
// try); a poll due while the last run still runs is skipped.
//
// stop() (and a reload that changes the entry) kills a run under way with its process group.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/subprocess.hpp"
#include "pimqttd/sensors/polled.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {

enum class CommandPlatform : std::uint8_t { button, switch_, sensor };

/// How a switch's state command tells the state.
enum class StateFrom : std::uint8_t { exit_status, output };

struct CommandOptions {
  std::string id;    ///< the entity id (and the sensor's, in log lines)
  std::string name;  ///< the entity name
  CommandPlatform platform = CommandPlatform::sensor;
  /// button, sensor: what a press or a poll runs. argv[0] is an absolute path.
  std::vector<std::string> command;
  /// switch: what ON and OFF run, and what tells the state (empty: an optimistic switch).
  std::vector<std::string> on;
  std::vector<std::string> off;
  std::vector<std::string> state;
  StateFrom state_from = StateFrom::exit_status;
  /// sensor: a JSON pointer into stdout parsed as JSON; empty: stdout is the number.
  std::string value;
  /// sensor, switch with a state command: how often it polls.
  std::chrono::milliseconds interval{std::chrono::seconds{60}};
  std::chrono::milliseconds timeout{std::chrono::seconds{10}};
  /// Variables besides PATH and LANG.
  std::vector<std::pair<std::string, std::string>> environment;
  std::string device_class;
  std::string state_class;  ///< sensor only
  std::string unit;         ///< sensor only
  /// sensor only: the display precision (0 to 6 decimals); readings are published rounded to
  /// it. Unset: published as the program printed them.
  std::optional<int> precision;
  std::string icon;
};

/// A run read as a reading, or why it gives none.
struct CommandReading {
  std::optional<Value> value;
  /// What went wrong, for the log after the program's path: "exited with status 2", "printed
  /// \"abc\", not a number".
  std::string problem;
};

/// A sensor's run: its stdout a number, or (`pointer` not empty) a JSON document with a number
/// (or a string holding one) at `pointer`.
[[nodiscard]] CommandReading sensor_reading(const core::SubprocessResult& result,
                                            std::string_view pointer);
/// A switch's state run, read as `from` says.
[[nodiscard]] CommandReading switch_reading(const core::SubprocessResult& result, StateFrom from);

class CommandSensor final : public Sensor {
 public:
  explicit CommandSensor(CommandOptions options);
  ~CommandSensor() override;
  CommandSensor(const CommandSensor&) = delete;
  CommandSensor& operator=(const CommandSensor&) = delete;

  /// One entity: a button, a switch or a sensor.
  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return entities_; }
  void start(SensorContext& context) override;
  void stop() override;
  void command(std::string_view entity_id, std::string_view payload) override;

  [[nodiscard]] const CommandOptions& options() const noexcept { return options_; }
  /// A program of this sensor is running.
  [[nodiscard]] bool running() const noexcept { return runner_ && runner_->running(); }

 private:
  enum class Run : std::uint8_t { press, turn_on, turn_off, poll };

  [[nodiscard]] const std::vector<std::string>& argv_of(Run run) const noexcept;
  void poll();
  void run(Run what);
  void finished(Run what, const core::SubprocessResult& result);
  void polled(const core::SubprocessResult& result);
  /// An optimistic switch's new state: published, and saved when it changed.
  void set_state(bool on);

  CommandOptions options_;
  std::vector<EntityInfo> entities_;
  FaultTracker faults_;
  SensorContext* context_ = nullptr;
  std::optional<core::Subprocess> runner_;
  /// What the runner runs now.
  std::optional<Run> running_;
  core::TimerHandle poll_timer_;
  std::optional<bool> saved_;  ///< an optimistic switch's state as persisted (or restored)
};

}  // namespace pimqttd::sensors
