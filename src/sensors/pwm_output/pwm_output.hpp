#pragma once
// PwmOutput: one channel of a PWM controller (hw/pwm.hpp) driven as a Home Assistant light
// (LED dimming), fan (speed in percent) or number (0 to 100 %, a heater's power).
//
// Its one entity takes commands (ha/discovery.hpp describes the payloads):
// - light: JSON {"state":"ON"|"OFF","brightness":0-255,"transition":seconds}; ON without a
//   brightness turns the light on at its last brightness; brightness 0 is OFF. State
//   {"brightness":128,"state":"ON"} (keys in order); while off it carries the brightness ON returns to.
// - fan: "ON" (at the last speed), "OFF", or a percentage 0-100 (0 is OFF). State
//   {"percentage":40,"state":"ON"}, the percentage ON returns to while off.
// - number: a number from 0 to 100 (rounded to a whole percent). State: that number.
// Anything else is logged as a warning and ignored.
//
// Duty cycle: 0 (off) is a duty cycle of 0. A value v of a scale S (255 for a light's brightness,
// 100 for a percentage) gives v/S of max_duty, linear (no gamma: LED drivers that need one
// usually have it, and Home Assistant's slider is linear in brightness too); with a non-zero
// min_duty, 1..S map onto min_duty..max_duty instead, so that a fan that stalls below 20 % is
// never driven between 0 and 20 %. The channel stays enabled; off is duty 0 (with polarity
// inversed, the pin then stays at its active-low idle level).
//
// The output is set before its state is published: the state of a command goes out after the
// write succeeded. A light fades over its transition (the command's "transition", else the
// configured one) in steps on a loop timer, at most 50 a second, the last one at the end of the
// transition; the state (the target) is published once, when the fade has reached it. A command
// during a fade starts a new fade from where the output is.
//
// At start the channel is opened (hw::SysfsPwm::open) and set to the initial state: off, on
// (full brightness or speed, 100 for a number) or restore (the state saved by the previous run,
// off when none). Every state reached is saved with SensorContext::persist (key: the entity
// id, value: the state payload) when it differs from the saved one.
//
// Faults follow FaultTracker's rules (polled.hpp): a chip that is absent or a write that fails
// marks the entity unavailable (logged once), the channel is opened again after a back-off and
// set to the state last asked for, which is then published. Commands while the channel is
// unavailable are ignored with a warning. stop() completes a fade under way at once and leaves
// the output as it is.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/hw/pwm.hpp"
#include "pimqttd/sensors/polled.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {

/// What Home Assistant shows the output as.
enum class PwmAs : std::uint8_t { light, fan, number };

enum class PwmInitial : std::uint8_t { off, on, restore };

struct PwmOutputOptions {
  std::string id;    ///< the entity id (and the sensor's, in log lines)
  std::string name;  ///< the entity name
  std::string chip;  ///< the controller, as hw::find_pwm_chip takes it
  std::uint32_t channel = 0;
  PwmAs as = PwmAs::light;
  /// Hz; the period is 1e9 / frequency nanoseconds, rounded.
  double frequency = 1000;
  hw::PwmPolarity polarity = hw::PwmPolarity::normal;
  /// Percent of the period: the duty cycle of the lowest non-zero value, and of the highest.
  double min_duty = 0;
  double max_duty = 100;
  PwmInitial initial = PwmInitial::off;
  /// A light's fade time when its command gives none.
  std::chrono::milliseconds transition{0};
  /// "/" on a real system.
  std::filesystem::path root = "/";
  std::chrono::milliseconds retry_min{std::chrono::seconds{1}};
  std::chrono::milliseconds retry_max{std::chrono::minutes{5}};
};

/// The state of the output: on or off, and its value (brightness 1-255, percentage 1-100, or a
/// number's 0-100); while off, the value ON returns to.
struct PwmLevel {
  bool on = false;
  int value = 0;
  friend bool operator==(const PwmLevel&, const PwmLevel&) = default;
};

class PwmOutput final : public Sensor {
 public:
  /// The shortest step of a fade (at most 50 steps a second).
  static constexpr std::chrono::milliseconds kFadeStep{20};

  explicit PwmOutput(PwmOutputOptions options);
  ~PwmOutput() override;
  PwmOutput(const PwmOutput&) = delete;
  PwmOutput& operator=(const PwmOutput&) = delete;

  /// One commandable light, fan or number.
  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return entities_; }
  void start(SensorContext& context) override;
  void stop() override;
  void command(std::string_view entity_id, std::string_view payload) override;

  /// The state last asked for (reached, or being faded to).
  [[nodiscard]] const PwmLevel& level() const noexcept { return level_; }
  [[nodiscard]] const PwmOutputOptions& options() const noexcept { return options_; }
  /// The period in nanoseconds for the frequency.
  [[nodiscard]] std::uint64_t period_ns() const noexcept { return period_ns_; }
  /// The duty cycle in nanoseconds for a value (fractional during a fade; <= 0 is off).
  [[nodiscard]] std::uint64_t duty_ns(double value) const noexcept;
  /// The state payload of `level` ({"brightness":128,"state":"ON"}, or the number).
  [[nodiscard]] Value state_of(const PwmLevel& level) const;

 private:
  void attempt();
  void fail(std::string_view reason);
  /// Writes the duty cycle for `value`; false after a fault (already handled).
  bool write(double value);
  void set(PwmLevel target, std::chrono::milliseconds transition);
  void fade_step();
  /// Publishes the state reached and persists it.
  void settle();
  [[nodiscard]] int scale() const noexcept;
  [[nodiscard]] std::optional<PwmLevel> restored(std::string_view saved) const;
  /// The command as a target level and transition; nullopt (after a warning) when invalid.
  struct Command {
    PwmLevel level;
    std::optional<std::chrono::milliseconds> transition;
  };
  [[nodiscard]] std::optional<Command> parse_command(std::string_view payload) const;

  PwmOutputOptions options_;
  std::vector<EntityInfo> entities_;
  std::uint64_t period_ns_;
  hw::SysfsPwm pwm_;
  FaultTracker faults_;
  SensorContext* context_ = nullptr;
  core::TimerHandle retry_timer_;
  core::TimerHandle fade_timer_;
  PwmLevel level_;
  /// The value on the output (fractional during a fade).
  double output_ = 0;
  struct Fade {
    double from = 0;
    double to = 0;
    int steps = 0;
    int done = 0;
    std::chrono::steady_clock::time_point start{};
    std::chrono::milliseconds length{0};
  };
  std::optional<Fade> fade_;
  std::optional<std::string> saved_;  ///< the state persisted (or restored)
};

}  // namespace pimqttd::sensors
