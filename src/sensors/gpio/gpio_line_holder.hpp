#pragma once
// GpioLineHolder: the one GPIO line of a sensor (gpio_input, gpio_counter, gpio_output), held
// through faults by FaultTracker's rules (polled.hpp). The sensor says how to request the line
// and what to do with it; the holder owns the line, its watch, the fault record and the retry.
//
// attempt() requests the line. A sensor that reads edges (it gives `on_events`) needs a line
// with an event fd; the new line then passes the sensor's `check` (reading its first value...),
// its event fd is watched on the loop (events go to `on_events`), the sensor's entities are
// marked available (first success, or after a fault), and `on_held` runs.
//
// fail(reason) is a fault: a request that threw hw::GpioError, a line without edge events, a
// failed check, or a read or write the sensor reports. The line is released (its watch removed
// first), `on_released` drops what depended on it, the entities are marked unavailable (logged
// once, reminded hourly), and attempt() runs again after the back-off (retry_min doubling up to
// retry_max).
//
// Every callback may stop the sensor (through the context it publishes to); the holder does
// nothing more once stopped.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/hw/gpio.hpp"
#include "pimqttd/sensors/polled.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {

class GpioLineHolder {
 public:
  struct Hooks {
    /// Requests the line from `lines`; throws hw::GpioError when it cannot.
    std::function<std::unique_ptr<hw::GpioLine>(hw::GpioLines& lines)> request;
    /// Set: the line must have edge events; they come here (epoll event bits) while it is held.
    std::function<void(std::uint32_t events)> on_events;
    /// Set: checks a newly requested line before it is watched; returns why it cannot be used,
    /// or an empty string.
    std::function<std::string(hw::GpioLine& line)> check;
    /// Set: runs once the line is held and the entities are available.
    std::function<void()> on_held;
    /// Set: runs when a fault has released the line, before the fault is reported.
    std::function<void()> on_released;
  };

  /// The request and check of a binary input with edges on both sides (gpio_input,
  /// gpio_button): requests `line` (referred to: it must outlive the holder) with `config`, and
  /// reads the new line's value into `first_value` (referred to), failing when it cannot.
  [[nodiscard]] static Hooks both_edges_input(const hw::GpioLineSpec& line,
                                              hw::GpioInputConfig config, bool& first_value);

  /// `entities` (the sensor's, marked available or not) must outlive the holder.
  GpioLineHolder(std::shared_ptr<hw::GpioLines> lines, FaultTracker::Options faults,
                 const std::vector<EntityInfo>& entities, Hooks hooks);
  ~GpioLineHolder();
  GpioLineHolder(const GpioLineHolder&) = delete;
  GpioLineHolder& operator=(const GpioLineHolder&) = delete;

  /// Stops, then remembers `context` for what follows and forgets earlier faults. Requests
  /// nothing: call attempt().
  void start(SensorContext& context);
  /// Requests the line (see above). Only between start() and stop().
  void attempt();
  /// A fault (see above): releases the line and tries again after the back-off.
  void fail(std::string_view reason);
  /// For on_events: reads the held line's pending edges into `out` (cleared first). A read that
  /// fails, or an event fd that reports an error with no edge, is a fault (fail()); the edges
  /// read before a failure are kept in `out`. Returns false on a fault.
  bool read_events(std::uint32_t events, std::vector<hw::GpioEvent>& out);
  /// Cancels the retry, releases the line and forgets the context. Safe to call twice.
  void stop();

  /// The context between start() and stop(), else null.
  [[nodiscard]] SensorContext* context() const noexcept { return context_; }
  /// The line while it is held, else null.
  [[nodiscard]] hw::GpioLine* line() const noexcept { return line_.get(); }

 private:
  void release();

  std::shared_ptr<hw::GpioLines> lines_;
  FaultTracker faults_;
  const std::vector<EntityInfo>& entities_;
  Hooks hooks_;
  SensorContext* context_ = nullptr;
  std::unique_ptr<hw::GpioLine> line_;
  /// Watches line_'s event fd while the line is held (declared after line_: destroyed first).
  core::WatchHandle events_watch_;
  core::TimerHandle retry_timer_;
};

}  // namespace pimqttd::sensors
