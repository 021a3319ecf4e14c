#pragma once
// GpioInput: one GPIO line as a Home Assistant binary sensor (a door contact, a motion
// detector's output, a button, a leak detector).
//
// The line is requested with edge events on both edges; its event fd is watched on the loop, so
// an edge is seen when it happens and nothing is polled. Contacts bounce, so the value is
// debounced in software: every edge (re)starts a `debounce` timer, and when the timer fires the
// line's value, read then, is the settled value. It is published only when it differs from the
// value last published, so a burst of bounces gives at most one change, and a press shorter than
// `debounce` none at all. With a debounce of 0 the value is read as soon as the pending events
// have been read, and a change is published at once.
//
// At start (and every time the line is requested again after a fault) the value is read and
// published, so that Home Assistant knows the state without waiting for an edge.
//
// Faults follow FaultTracker's rules (polled.hpp, through GpioLineHolder): a line that cannot be
// requested, read, or whose chip goes away marks the entity unavailable, is logged once, is
// released, and is requested again after a back-off (retry_min doubling up to retry_max). The
// first successful request marks it available again.

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

struct GpioInputOptions {
  std::string id;    ///< the entity id (and the sensor's, in log lines)
  std::string name;  ///< the entity name
  hw::GpioLineSpec line;
  hw::GpioBias bias = hw::GpioBias::as_is;
  bool active_low = false;
  std::chrono::milliseconds debounce{50};
  /// A Home Assistant binary_sensor device class ("door", "motion"...) or empty.
  std::string device_class;
  std::chrono::milliseconds retry_min{std::chrono::seconds{1}};
  std::chrono::milliseconds retry_max{std::chrono::minutes{5}};
};

class GpioInput final : public Sensor {
 public:
  /// Requests nothing yet: the line is requested by start().
  GpioInput(GpioInputOptions options, std::shared_ptr<hw::GpioLines> lines);
  ~GpioInput() override;
  GpioInput(const GpioInput&) = delete;
  GpioInput& operator=(const GpioInput&) = delete;

  /// One binary_sensor entity, event-driven (interval 0).
  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return entities_; }
  void start(SensorContext& context) override;
  /// Cancels the timers, stops watching and releases the line.
  void stop() override;

  [[nodiscard]] const GpioInputOptions& options() const noexcept { return options_; }

 private:
  GpioLineHolder::Hooks hooks();
  void on_events(std::uint32_t events);
  void settle();

  GpioInputOptions options_;
  std::vector<EntityInfo> entities_;
  GpioLineHolder holder_;
  core::TimerHandle debounce_timer_;
  bool first_value_ = false;  ///< read when the line was requested
  std::optional<bool> published_;
  std::vector<hw::GpioEvent> events_;  // reused between reads
};

}  // namespace pimqttd::sensors
