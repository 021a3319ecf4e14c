#pragma once
// GpioButton: a push button on one GPIO line as a Home Assistant event entity whose events are
// the presses a person means: `press`, `double_press`, `triple_press`, `long_press` and
// `release` (the end of a long press). Optionally also a binary sensor of the raw held state.
//
// The line is requested with edge events on both edges, as GpioInput does, and debounced the
// same way: every edge (re)starts a `debounce` timer, and the value read when it fires is the
// settled value. Each settled change goes to a PressRecognizer (press_recognizer.hpp) with the
// kernel's timestamp of the FIRST edge of its burst (when the contact really closed or opened),
// so that the debounce delays the events but does not stretch or shorten a press. A timestamp
// that is not a plausible CLOCK_MONOTONIC time (a kernel before 5.7 stamps edges with the
// real-time clock) is replaced by the time the edge was read. With a debounce of 0 every edge is
// a change, at its own timestamp.
//
// The recogniser's deadline (the end of the multi-press gap, the long-press time) runs as a loop
// timer. While a burst of edges is still settling, a deadline that falls due waits for it: the
// settled change comes first, with its earlier timestamp, so a release inside the debounce of
// the long-press time is still a short press.
//
// Each recognised event is published as its name (a text reading); the app turns it into the
// event entity's payload {"event_type":"double_press"} and publishes it at once, never again.
//
// Faults follow GpioLineHolder (FaultTracker's rules): a lost line marks the entities
// unavailable, is retried, and the recogniser starts afresh (a press under way is forgotten).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/hw/gpio.hpp"
#include "pimqttd/sensors/sensor.hpp"
#include "sensors/gpio/gpio_line_holder.hpp"
#include "sensors/gpio/press_recognizer.hpp"

namespace pimqttd::sensors {

struct GpioButtonOptions {
  std::string id;    ///< the event entity's id (and the sensor's, in log lines)
  std::string name;  ///< the event entity's name, and the device triggers' subtype
  hw::GpioLineSpec line;
  hw::GpioBias bias = hw::GpioBias::as_is;
  bool active_low = false;
  std::chrono::milliseconds debounce{30};
  PressRecognizerOptions presses;
  /// The event entity's device class: "button", "doorbell" or empty.
  std::string device_class = "button";
  /// Also announce one Home Assistant device trigger per event type.
  bool device_triggers = true;
  /// Also a binary sensor "<id>_held" ("<name> held"): ON while the button is held (debounced).
  bool held_sensor = false;
  std::chrono::milliseconds retry_min{std::chrono::seconds{1}};
  std::chrono::milliseconds retry_max{std::chrono::minutes{5}};
};

/// The event types `enabled` lets through, in the order press, double_press, triple_press,
/// long_press, release.
[[nodiscard]] std::vector<std::string> event_types(const PressEventsEnabled& enabled);

class GpioButton final : public Sensor {
 public:
  /// Requests nothing yet: the line is requested by start(). Throws std::invalid_argument for
  /// options the recogniser refuses.
  GpioButton(GpioButtonOptions options, std::shared_ptr<hw::GpioLines> lines);
  ~GpioButton() override;
  GpioButton(const GpioButton&) = delete;
  GpioButton& operator=(const GpioButton&) = delete;

  /// The event entity, then the held binary sensor when asked for.
  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return entities_; }
  void start(SensorContext& context) override;
  void stop() override;

  [[nodiscard]] const GpioButtonOptions& options() const noexcept { return options_; }

 private:
  using TimePoint = PressRecognizer::TimePoint;

  GpioLineHolder::Hooks hooks();
  void on_events(std::uint32_t events);
  void settle();
  void change(bool pressed, TimePoint at);
  void on_deadline();
  void arm();
  void emit(const PressRecognizer::Events& events);
  [[nodiscard]] static TimePoint edge_time(std::chrono::nanoseconds timestamp, TimePoint now);

  GpioButtonOptions options_;
  std::vector<EntityInfo> entities_;
  PressRecognizer recognizer_;
  GpioLineHolder holder_;
  core::TimerHandle debounce_timer_;
  core::TimerHandle deadline_timer_;
  bool first_value_ = false;  ///< read when the line was requested
  bool pressed_ = false;      ///< the settled value
  TimePoint burst_start_{};   ///< the first edge of the burst being debounced
  std::vector<hw::GpioEvent> events_;  // reused between reads
};

}  // namespace pimqttd::sensors
