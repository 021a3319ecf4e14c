#include "pimqttd/sensors/filters.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>
#include <string>

#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {
namespace {

using std::chrono::milliseconds;

class OffsetFilter final : public Filter {
 public:
  explicit OffsetFilter(double offset) : offset_(offset) {}
  std::optional<double> apply(double value, FilterTime /*now*/) override { return value + offset_; }
  double convert_suppressed(double value) const override { return value + offset_; }
  void reset() override {}

 private:
  double offset_;
};

class MultiplyFilter final : public Filter {
 public:
  explicit MultiplyFilter(double factor) : factor_(factor) {}
  std::optional<double> apply(double value, FilterTime /*now*/) override { return value * factor_; }
  double convert_suppressed(double value) const override { return value * factor_; }
  void reset() override {}

 private:
  double factor_;
};

class RoundFilter final : public Filter {
 public:
  explicit RoundFilter(std::size_t decimals) : decimals_(static_cast<int>(decimals)) {}
  std::optional<double> apply(double value, FilterTime /*now*/) override {
    return round_to_decimals(value, decimals_);
  }
  double convert_suppressed(double value) const override {
    return round_to_decimals(value, decimals_);
  }
  void reset() override {}

 private:
  int decimals_;
};

// The last `window` values, oldest first.
class Window {
 public:
  explicit Window(std::size_t size) : size_(size) {}
  void push(double value) {
    values_.push_back(value);
    if (values_.size() > size_) values_.pop_front();
  }
  [[nodiscard]] const std::deque<double>& values() const noexcept { return values_; }
  void clear() noexcept { values_.clear(); }

 private:
  std::size_t size_;
  std::deque<double> values_;
};

class MovingAverageFilter final : public Filter {
 public:
  explicit MovingAverageFilter(std::size_t window) : window_(window) {}
  std::optional<double> apply(double value, FilterTime /*now*/) override {
    window_.push(value);
    double sum = 0;
    for (const double v : window_.values()) sum += v;
    return sum / static_cast<double>(window_.values().size());
  }
  void reset() override { window_.clear(); }

 private:
  Window window_;
};

class MedianFilter final : public Filter {
 public:
  explicit MedianFilter(std::size_t window) : window_(window) {}
  std::optional<double> apply(double value, FilterTime /*now*/) override {
    window_.push(value);
    sorted_.assign(window_.values().begin(), window_.values().end());
    std::sort(sorted_.begin(), sorted_.end());
    const std::size_t n = sorted_.size();
    if (n % 2 == 1) return sorted_[n / 2];
    return (sorted_[n / 2 - 1] + sorted_[n / 2]) / 2;
  }
  void reset() override { window_.clear(); }

 private:
  Window window_;
  std::vector<double> sorted_;
};

class DeltaFilter final : public Filter {
 public:
  DeltaFilter(double threshold, bool percent) : threshold_(threshold), percent_(percent) {}
  std::optional<double> apply(double value, FilterTime /*now*/) override {
    if (last_ && !changed_enough(value, *last_)) return std::nullopt;
    last_ = value;
    return value;
  }
  void reset() override { last_.reset(); }

 private:
  [[nodiscard]] bool changed_enough(double value, double last) const {
    if (percent_ && last == 0) return value != 0;
    const double needed = percent_ ? threshold_ / 100 * std::abs(last) : threshold_;
    constexpr double kTolerance = 1e-9;
    const double slack = kTolerance * std::max({needed, std::abs(value), std::abs(last)});
    return std::abs(value - last) >= needed - slack;
  }
  double threshold_;
  bool percent_;
  std::optional<double> last_;
};

class ThrottleFilter final : public Filter {
 public:
  explicit ThrottleFilter(milliseconds period) : period_(period) {}
  std::optional<double> apply(double value, FilterTime now) override {
    if (last_ && now - *last_ < period_) return std::nullopt;
    last_ = now;
    return value;
  }
  void reset() override { last_.reset(); }

 private:
  milliseconds period_;
  std::optional<FilterTime> last_;
};

class HeartbeatFilter final : public Filter {
 public:
  explicit HeartbeatFilter(milliseconds period) : period_(period) {}
  std::optional<double> apply(double value, FilterTime now) override {
    last_ = now;
    return value;
  }
  bool revive(FilterTime now) override {
    if (last_ && now - *last_ < period_) return false;
    last_ = now;
    return true;
  }
  void reset() override { last_.reset(); }

 private:
  milliseconds period_;
  std::optional<FilterTime> last_;
};

[[noreturn]] void invalid(const FilterSpec& spec, const std::string& what) {
  throw std::invalid_argument(std::string(filter_name(spec.kind)) + ": " + what);
}

}  // namespace

std::string_view filter_name(FilterKind kind) noexcept {
  switch (kind) {
    case FilterKind::offset: return "offset";
    case FilterKind::multiply: return "multiply";
    case FilterKind::round: return "round";
    case FilterKind::moving_average: return "moving_average";
    case FilterKind::median: return "median";
    case FilterKind::delta: return "delta";
    case FilterKind::throttle: return "throttle";
    case FilterKind::heartbeat: return "heartbeat";
  }
  return "?";
}

std::unique_ptr<Filter> make_filter(const FilterSpec& spec) {
  switch (spec.kind) {
    case FilterKind::offset:
      if (!std::isfinite(spec.number)) invalid(spec, "the offset must be finite");
      return std::make_unique<OffsetFilter>(spec.number);
    case FilterKind::multiply:
      if (!std::isfinite(spec.number)) invalid(spec, "the factor must be finite");
      return std::make_unique<MultiplyFilter>(spec.number);
    case FilterKind::round:
      if (spec.count > 15) invalid(spec, "at most 15 decimals");
      return std::make_unique<RoundFilter>(spec.count);
    case FilterKind::moving_average:
      if (spec.count == 0) invalid(spec, "the window must hold at least one value");
      return std::make_unique<MovingAverageFilter>(spec.count);
    case FilterKind::median:
      if (spec.count == 0) invalid(spec, "the window must hold at least one value");
      return std::make_unique<MedianFilter>(spec.count);
    case FilterKind::delta:
      if (!std::isfinite(spec.number) || spec.number < 0) {
        invalid(spec, "the threshold must be a finite number >= 0");
      }
      return std::make_unique<DeltaFilter>(spec.number, spec.percent);
    case FilterKind::throttle:
      if (spec.period.count() < 0) invalid(spec, "the period must not be negative");
      return std::make_unique<ThrottleFilter>(spec.period);
    case FilterKind::heartbeat:
      if (spec.period.count() < 0) invalid(spec, "the period must not be negative");
      return std::make_unique<HeartbeatFilter>(spec.period);
  }
  invalid(spec, "unknown filter kind");
}

FilterChain::FilterChain(std::span<const FilterSpec> specs) {
  filters_.reserve(specs.size());
  for (const FilterSpec& spec : specs) filters_.push_back(make_filter(spec));
}

std::optional<double> FilterChain::apply(double value, FilterTime now) {
  if (!std::isfinite(value)) {
    reset();
    return value;
  }
  bool suppressed = false;
  for (const auto& filter : filters_) {
    if (!suppressed) {
      const std::optional<double> out = filter->apply(value, now);
      if (out) {
        value = *out;
      } else {
        suppressed = true;
      }
    } else if (filter->revive(now)) {
      suppressed = false;
    } else {
      value = filter->convert_suppressed(value);
    }
  }
  if (suppressed) return std::nullopt;
  return value;
}

void FilterChain::reset() {
  for (const auto& filter : filters_) filter->reset();
}

milliseconds longest_silence(std::span<const FilterSpec> specs, milliseconds interval) {
  if (interval.count() <= 0) return milliseconds{0};
  std::optional<milliseconds> gap = interval;  // nullopt: unbounded
  for (const FilterSpec& spec : specs) {
    switch (spec.kind) {
      case FilterKind::throttle:
        if (gap) *gap += spec.period;
        break;
      case FilterKind::delta: gap.reset(); break;
      case FilterKind::heartbeat:
        gap = gap ? std::min(*gap, spec.period + interval) : spec.period + interval;
        break;
      default: break;
    }
  }
  return gap.value_or(milliseconds{0});
}

std::optional<int> published_decimals(std::span<const FilterSpec> specs,
                                      std::optional<int> display_precision) {
  std::optional<int> decimals = display_precision;
  for (const FilterSpec& spec : specs) {
    if (spec.kind == FilterKind::round) {
      decimals = static_cast<int>(spec.count);
    } else if (spec.kind == FilterKind::multiply && decimals && spec.number != 0 &&
               std::isfinite(spec.number)) {
      const double order = std::ceil(-std::log10(std::abs(spec.number)) - 1e-9);
      decimals = std::clamp(*decimals + static_cast<int>(order), 0, 15);
    }
  }
  return decimals;
}

}  // namespace pimqttd::sensors
