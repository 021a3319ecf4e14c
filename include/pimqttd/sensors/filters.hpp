#pragma once
// Filters: what happens to an entity's numeric readings between the driver and Home Assistant.
// Pure: no I/O, no clock of their own (the caller passes each reading's steady-clock time), so
// that every behaviour below is pinned by exact input/output sequences in the tests.
//
// A filter takes a reading (value, time) and returns the value to pass on, or nothing: the
// reading is suppressed. A FilterChain runs an entity's filters in configuration order, each on
// what the one before it passed on. The eight filters:
//
// Converters (every reading passes, changed):
// - offset X: value + X.
// - multiply X: value * X.
// - round D (0 to 15 decimals; the configuration allows 0 to 6): std::round(value * 10^D) /
//   10^D in doubles: the nearest multiple of 10^-D, halves away from zero (20.25 -> 20.3,
//   -20.25 -> -20.3), the result the double nearest that decimal (printed "20.3"). A decimal
//   half that binary cannot hold exactly goes the way the product rounds: 2.675 * 100 is
//   267.5 (2.675 -> 2.68), 1.005 * 100 is 100.49999999999999 (1.005 -> 1). Values too large
//   for the product pass unchanged (they have no fractional digits anyway).
// - moving_average N: the mean of the last N values that reached it, this one included. From
//   the first value on: while fewer than N have come, the mean of those there are (so that a
//   sensor read every minute with N = 5 has a value at once, not after five minutes). The sum
//   is recomputed over the window for every value (no drift from a running sum).
// - median N: the median of the last N values that reached it, this one included, likewise
//   from the first value on; for an even count (fewer than N so far, or an even N) the mean of
//   the two middle values.
//
// Gates (the value passes unchanged, or is suppressed):
// - delta X: passes the first value; afterwards a value that differs from the last value this
//   filter passed by at least X. The difference counts as reaching X when it falls short of X
//   by no more than a billionth of the largest of X and the two values (the error of decimal
//   values held as binary doubles: 20.2 - 20.1 is 0.09999999999999787, a change of 0.1).
// - delta X%: likewise with the threshold X percent of the magnitude of that last passed value
//   (last 10, 20 %: 12 and 8 pass, 11.9 does not). When the last passed value is 0 (every
//   change from 0 is infinitely large in percent), any value other than 0 passes and 0 is
//   suppressed.
// - throttle T: passes the first value; afterwards a value that comes at least T after the last
//   value this filter passed; the others are suppressed. At most one value per T; a value is
//   never held back to be sent later.
//
// And one that overrides suppression:
// - heartbeat T: passes every value that reaches it unsuppressed. A reading that a filter
//   before it suppressed passes here anyway when T or more has gone by since the last value
//   that left this heartbeat (or when none has yet). It is evaluated per reading: it never
//   invents a reading on a timer, so with readings every I the longest silence is under T + I.
//
// How a suppressed reading travels (what makes heartbeat work after a gate): once a gate
// suppresses a reading, the reading still goes down the rest of the chain, marked suppressed,
// so that a later heartbeat can see it. On the way, offset, multiply and round still convert
// its value (what a heartbeat lets through is in the same units and rounding as what normally
// passes), while moving_average, median, delta and throttle leave it alone: they neither change
// it nor remember it (their state follows only the readings that reach them unsuppressed). A
// heartbeat that lets it through turns it back into an ordinary reading for the filters after
// it; otherwise it stays suppressed to the end. So:
// - a heartbeat only overrides the gates before it: put it after them (normally last);
// - a gate's state is its own: a reading a heartbeat let through is not the last value the
//   delta before it passed (delta keeps measuring change from the last value it passed itself).
//
// Readings that are not finite numbers (NaN, +/-infinity: "unknown" in Home Assistant) are not
// filtered: the chain passes them on unchanged and starts afresh (every window emptied, every
// gate and heartbeat back to "nothing passed yet"), so that the first real value after an
// unknown one is published at once and no average mixes values from both sides of the gap.
// Booleans and text are never filtered (the app passes only numbers to a chain).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace pimqttd::sensors {

using FilterClock = std::chrono::steady_clock;
using FilterTime = FilterClock::time_point;

enum class FilterKind : std::uint8_t {
  offset,
  multiply,
  round,
  moving_average,
  median,
  delta,
  throttle,
  heartbeat,
};

/// The filter's configuration name: "offset", "moving_average"...
[[nodiscard]] std::string_view filter_name(FilterKind kind) noexcept;

/// One configured filter: what make_filter() builds a Filter from. Plain data, comparable.
struct FilterSpec {
  FilterKind kind = FilterKind::offset;
  /// offset, multiply: the operand; delta: the threshold (absolute, or percent).
  double number = 0;
  /// round: the decimals; moving_average, median: the window.
  std::size_t count = 0;
  /// delta: `number` is a percentage of the last passed value.
  bool percent = false;
  /// throttle, heartbeat: T.
  std::chrono::milliseconds period{0};

  [[nodiscard]] static FilterSpec offset(double x) { return {FilterKind::offset, x, 0, false, {}}; }
  [[nodiscard]] static FilterSpec multiply(double x) {
    return {FilterKind::multiply, x, 0, false, {}};
  }
  [[nodiscard]] static FilterSpec round(std::size_t decimals) {
    return {FilterKind::round, 0, decimals, false, {}};
  }
  [[nodiscard]] static FilterSpec moving_average(std::size_t window) {
    return {FilterKind::moving_average, 0, window, false, {}};
  }
  [[nodiscard]] static FilterSpec median(std::size_t window) {
    return {FilterKind::median, 0, window, false, {}};
  }
  [[nodiscard]] static FilterSpec delta(double threshold) {
    return {FilterKind::delta, threshold, 0, false, {}};
  }
  [[nodiscard]] static FilterSpec delta_percent(double percent) {
    return {FilterKind::delta, percent, 0, true, {}};
  }
  [[nodiscard]] static FilterSpec throttle(std::chrono::milliseconds period) {
    return {FilterKind::throttle, 0, 0, false, period};
  }
  [[nodiscard]] static FilterSpec heartbeat(std::chrono::milliseconds period) {
    return {FilterKind::heartbeat, 0, 0, false, period};
  }

  friend bool operator==(const FilterSpec&, const FilterSpec&) = default;
};

/// One filter with its state (see the top of this file for what each does).
class Filter {
 public:
  Filter() = default;
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  virtual ~Filter() = default;

  /// A finite reading that reached this filter unsuppressed: the value to pass on, or nullopt
  /// to suppress it.
  [[nodiscard]] virtual std::optional<double> apply(double value, FilterTime now) = 0;
  /// A reading an earlier filter suppressed, passing by: its value as this filter converts it
  /// without remembering anything (offset, multiply, round), or unchanged (the others).
  [[nodiscard]] virtual double convert_suppressed(double value) const { return value; }
  /// Whether a suppressed reading passes again here (heartbeat only; it then counts as passed).
  [[nodiscard]] virtual bool revive(FilterTime /*now*/) { return false; }
  /// Back to the state before the first reading.
  virtual void reset() = 0;
};

/// The filter `spec` describes. Throws std::invalid_argument for a spec no configuration can
/// produce: round above 15 decimals, a window of 0, a delta threshold that is negative or not
/// finite, a negative period, an offset or factor that is not finite.
[[nodiscard]] std::unique_ptr<Filter> make_filter(const FilterSpec& spec);

/// An entity's filters in order. Movable, not copyable (the filters hold state).
class FilterChain {
 public:
  FilterChain() = default;
  /// Throws std::invalid_argument like make_filter.
  explicit FilterChain(std::span<const FilterSpec> specs);

  /// Runs one reading through the chain: the value to publish, or nullopt when it is
  /// suppressed. Not-finite values pass unchanged and reset the chain (see above).
  [[nodiscard]] std::optional<double> apply(double value, FilterTime now);
  /// Every filter back to its state before the first reading.
  void reset();

  [[nodiscard]] bool empty() const noexcept { return filters_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return filters_.size(); }

 private:
  std::vector<std::unique_ptr<Filter>> filters_;
};

/// The longest time between two published values of an entity read every `interval` through
/// `specs`, for Home Assistant's expire_after: `interval` without gates; a throttle T adds T
/// (what reaches it comes at most every g, so what leaves it comes at most every T + g); a
/// delta makes it unbounded (a steady value is never published again); a heartbeat T bounds
/// it again to at most T + interval (every reading reaches a heartbeat, suppressed or not).
/// Returns 0 for unbounded, and 0 when `interval` is 0 (an event-driven entity).
[[nodiscard]] std::chrono::milliseconds longest_silence(std::span<const FilterSpec> specs,
                                                        std::chrono::milliseconds interval);

/// The decimals an entity's numbers are published with, given its display precision (nullopt:
/// none) and its filters `specs` in order: a round D sets them to D (so the last round
/// decides); a multiply X shifts them by X's decimal order, so that scaling neither adds
/// decimals the sensor does not resolve nor drops ones it does (x 0.001: 3 more, x 1000: 3
/// fewer but never below 0, x 1.8 and x 0.5: as many and one more, i.e. the smallest k with
/// 10^-k <= |X|; a factor of 0 changes nothing); the other filters keep them. nullopt when
/// there is no display precision and no round. The app rounds every number of the entity to
/// this after its filters and announces it as Home Assistant's suggested_display_precision.
[[nodiscard]] std::optional<int> published_decimals(std::span<const FilterSpec> specs,
                                                    std::optional<int> display_precision);

}  // namespace pimqttd::sensors
