#pragma once
// GpioCounter: counts pulses on one GPIO line (a water, gas or electricity meter's pulse output)
// as a Home Assistant sensor with state class total_increasing, and optionally their rate.
//
// Pulses. A pulse starts with an edge of the logical value, `edge` (falling by default: the
// usual wiring has the meter's contact or open-collector output pull the line to ground against
// a pull-up), and ends with the opposite edge.
// - With min_pulse 0 only the starting edges are requested from the kernel, and each one counts.
// - With min_pulse > 0 both edges are requested, and a pulse counts when it ends, if it lasted at
//   least min_pulse by the kernel's timestamps of its two edges. Shorter ones (contact bounce,
//   interference) are ignored, as is a pulse already under way when the line was requested.
// Events are read from the line's event fd on the loop; nothing is polled. The count is kept in
// memory whatever MQTT does: no pulse is lost while the broker is down.
//
// Publishing. The total (count x multiplier, rounded to the multiplier's decimals so that
// 3 x 0.1 reads 0.3) is published at start, then at most once per `interval`, when it changed.
// The total entity is event-driven (interval 0): a meter that stands still must not expire in
// Home Assistant. The rate entity, when configured, is published every `interval`: the pulses
// of the last interval x multiplier, per minute or per hour, rounded to the fewest decimals that
// keep its steps (one pulse in an interval, multiplier x per / interval) apart
// (decimals_for_step: 1 pulse of 0.001 m³ in 60 s per hour is 0.06 m³/h, 2 decimals). Each
// entity's display precision is the decimals it is rounded to.
//
// Persistence. The count is restored at start from SensorContext::restore (key: the total's
// entity id, value: the count in decimal) and kept with persist(): after a change, no sooner
// than `save_interval` after the previous save (an SD card must not wear out; a power cut loses
// at most that much), and once more in stop().
//
// Faults follow FaultTracker's rules (polled.hpp, through GpioLineHolder): a line that cannot be
// requested or read marks the entities unavailable, is released and requested again after a
// back-off. The count and its publishing go on meanwhile.

#include <chrono>
#include <cstdint>
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

struct GpioCounterOptions {
  std::string id;    ///< the total's entity id (and the sensor's, in log lines)
  std::string name;  ///< the total's entity name
  hw::GpioLineSpec line;
  hw::GpioBias bias = hw::GpioBias::as_is;
  bool active_low = false;
  hw::GpioEdge edge = hw::GpioEdge::falling;
  std::chrono::milliseconds min_pulse{0};
  double multiplier = 1.0;  ///< > 0: what one pulse is worth, in `unit`
  /// The total's Home Assistant device class ("water", "gas", "energy"...) and unit, both
  /// possibly empty; the caller checks that Home Assistant accepts them together.
  std::string device_class;
  std::string unit;

  struct Rate {
    std::string id;    ///< "<id>_rate"
    std::string name;  ///< "<name> rate"
    std::chrono::seconds per{60};  ///< per minute or per hour
    std::string unit;              ///< "L/min", "kW"...
    std::string device_class;      ///< "volume_flow_rate", "power" or empty
  };
  std::optional<Rate> rate;

  std::chrono::milliseconds interval{std::chrono::seconds{60}};
  /// Thirty minutes: a save writes about 12 KiB on ext4 (a page of the new file, and the inode
  /// and directory blocks it dirties), so one a minute would be about 17 MB a day and one every
  /// ten minutes 1.5 MB; every thirty keeps the daemon under 1 MB a day with a meter pulsing
  /// every second (bench/disk-writes, docs/performance.md).
  std::chrono::milliseconds save_interval{std::chrono::minutes{30}};
  std::chrono::milliseconds retry_min{std::chrono::seconds{1}};
  std::chrono::milliseconds retry_max{std::chrono::minutes{5}};
};

class GpioCounter final : public Sensor {
 public:
  GpioCounter(GpioCounterOptions options, std::shared_ptr<hw::GpioLines> lines);
  ~GpioCounter() override;
  GpioCounter(const GpioCounter&) = delete;
  GpioCounter& operator=(const GpioCounter&) = delete;

  /// The total, then the rate when configured.
  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return entities_; }
  /// Restores the count (keeps the one in memory when nothing was saved), publishes the total,
  /// requests the line and starts the publishing timer.
  void start(SensorContext& context) override;
  /// Persists the count, cancels the timers and releases the line.
  void stop() override;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] const GpioCounterOptions& options() const noexcept { return options_; }

 private:
  /// Requests the line for the edges a pulse needs (see above).
  [[nodiscard]] std::unique_ptr<hw::GpioLine> request(hw::GpioLines& lines) const;
  void on_events(std::uint32_t events);
  void count_event(const hw::GpioEvent& event);
  void tick();
  void schedule_save();
  void save();
  [[nodiscard]] double total() const;
  /// `per` over `interval`: the rate's factor from pulses in one interval.
  [[nodiscard]] double per_interval() const;

  GpioCounterOptions options_;
  std::vector<EntityInfo> entities_;
  GpioLineHolder holder_;
  int decimals_ = 0;       ///< of the multiplier, for rounding the total
  int rate_decimals_ = 0;  ///< of the rate's step, for rounding the rate
  core::TimerHandle tick_timer_;
  core::TimerHandle save_timer_;
  std::uint64_t count_ = 0;
  std::uint64_t published_ = 0;  ///< the count last published
  std::uint64_t saved_ = 0;      ///< the count last persisted (or restored)
  std::uint64_t window_ = 0;     ///< the count at the start of the rate's interval
  std::chrono::steady_clock::time_point last_save_{};
  std::optional<std::chrono::nanoseconds> pulse_start_;
  std::vector<hw::GpioEvent> events_;
};

/// The number of decimals of `value` written in its shortest form (0.25 -> 2, 3 -> 0, 1e-12 ->
/// 12), at most 12.
[[nodiscard]] int decimals_of(double value);

}  // namespace pimqttd::sensors
