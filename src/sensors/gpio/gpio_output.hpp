#pragma once
// GpioOutput: one GPIO line driven as a Home Assistant switch (a relay, an LED, a buzzer), or as
// a button-like pulse (`momentary`: a garage door opener's contact).
//
// Commands are the payloads ON and OFF (Home Assistant's defaults for a switch); anything else is
// logged as a warning and ignored. The state is published only after the line was actually set,
// so Home Assistant never shows a state the line does not have: a command that cannot be carried
// out publishes nothing and marks the entity unavailable.
//
// At start the line is requested as an output driven to its initial state at once: off, on, or
// (restore) the state saved by the previous run (off when none was saved). Every change is saved
// with SensorContext::persist (key: the entity id, value "ON" or "OFF") for `restore`.
//
// Momentary: ON drives the line on, publishes ON, and after `momentary` drives it off and
// publishes OFF. ON during a pulse restarts its time; OFF ends it early. A momentary output
// always starts off and saves nothing; stop() ends a pulse under way.
//
// Faults follow FaultTracker's rules (polled.hpp, through GpioLineHolder): a line that cannot be requested or set marks
// the entity unavailable, is released and requested again after a back-off, driven to the last
// state it was set to. Commands that come while the line is unavailable are ignored (with a
// warning): a pulse or a switch-on must not happen minutes after it was asked for.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/hw/gpio.hpp"
#include "sensors/gpio/gpio_line_holder.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {

enum class GpioInitial : std::uint8_t { off, on, restore };

struct GpioOutputOptions {
  std::string id;    ///< the entity id (and the sensor's, in log lines)
  std::string name;  ///< the entity name
  hw::GpioLineSpec line;
  bool active_low = false;
  GpioInitial initial = GpioInitial::off;
  /// Set: every ON is a pulse of this length.
  std::optional<std::chrono::milliseconds> momentary;
  /// "outlet", "switch" or empty.
  std::string device_class;
  std::chrono::milliseconds retry_min{std::chrono::seconds{1}};
  std::chrono::milliseconds retry_max{std::chrono::minutes{5}};
};

class GpioOutput final : public Sensor {
 public:
  GpioOutput(GpioOutputOptions options, std::shared_ptr<hw::GpioLines> lines);
  ~GpioOutput() override;
  GpioOutput(const GpioOutput&) = delete;
  GpioOutput& operator=(const GpioOutput&) = delete;

  /// One commandable switch entity.
  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return entities_; }
  void start(SensorContext& context) override;
  /// Ends a pulse under way (drives the line off), cancels the timers and releases the line.
  /// The line keeps its last value in the kernel.
  void stop() override;
  void command(std::string_view entity_id, std::string_view payload) override;

  /// The state the line was last set to.
  [[nodiscard]] bool state() const noexcept { return state_; }
  [[nodiscard]] const GpioOutputOptions& options() const noexcept { return options_; }

 private:
  void apply(bool on);
  /// Persists `on` when it differs from what is saved (never for a momentary output).
  void remember(bool on);

  GpioOutputOptions options_;
  std::vector<EntityInfo> entities_;
  GpioLineHolder holder_;
  core::TimerHandle pulse_timer_;
  bool state_ = false;
  std::optional<bool> saved_;  ///< the state persisted (or restored)
};

}  // namespace pimqttd::sensors
