#include "sensors/gpio/gpio_counter.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::sensors {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxDecimals = 12;

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t count = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), count);
  if (result.ec != std::errc{} || result.ptr != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return count;
}

}  // namespace

int decimals_of(double value) {
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                    std::chars_format::scientific);
  if (result.ec != std::errc{}) return kMaxDecimals;
  const std::string_view text(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
  const auto e = text.find('e');
  const auto point = text.find('.');
  const int mantissa =
      point == std::string_view::npos ? 0 : static_cast<int>(e - point - 1);
  int exponent = 0;
  std::string_view exponent_text = text.substr(e + 1);
  if (!exponent_text.empty() && exponent_text.front() == '+') exponent_text.remove_prefix(1);
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  return std::clamp(mantissa - exponent, 0, kMaxDecimals);
}

GpioCounter::GpioCounter(GpioCounterOptions options, std::shared_ptr<hw::GpioLines> lines)
    : options_(std::move(options)),
      holder_(std::move(lines),
              FaultTracker::Options{options_.id, options_.retry_min, options_.retry_max},
              entities_,
              GpioLineHolder::Hooks{
                  .request = [this](hw::GpioLines& gpio) { return request(gpio); },
                  .on_events = [this](std::uint32_t events) { on_events(events); },
                  .check = [this](hw::GpioLine& /*line*/) -> std::string {
                    pulse_start_.reset();
                    return {};
                  },
                  .on_held = nullptr,
                  .on_released = nullptr,
              }),
      decimals_(decimals_of(options_.multiplier)),
      rate_decimals_(options_.rate ? decimals_for_step(options_.multiplier * per_interval())
                                   : 0) {
  EntityInfo total;
  total.id = options_.id;
  total.name = options_.name;
  total.platform = Platform::sensor;
  total.device_class = options_.device_class;
  total.state_class = "total_increasing";
  total.unit = options_.unit;
  total.display_precision = decimals_;
  entities_.push_back(std::move(total));
  if (options_.rate) {
    EntityInfo rate;
    rate.id = options_.rate->id;
    rate.name = options_.rate->name;
    rate.platform = Platform::sensor;
    rate.device_class = options_.rate->device_class;
    rate.state_class = "measurement";
    rate.unit = options_.rate->unit;
    rate.display_precision = rate_decimals_;
    rate.interval = options_.interval;
    entities_.push_back(std::move(rate));
  }
}

GpioCounter::~GpioCounter() { stop(); }

void GpioCounter::start(SensorContext& context) {
  stop();
  holder_.start(context);
  if (const auto saved = context.restore(options_.id)) {
    if (const auto restored = parse_count(*saved)) {
      count_ = *restored;
    } else {
      spdlog::warn("{}: ignored the saved count \"{}\", which is not a whole number; counting "
                   "on from {}",
                   options_.id, saved->substr(0, 40), count_);
    }
  }
  saved_ = count_;
  window_ = count_;
  published_ = count_;
  last_save_ = Clock::now();
  pulse_start_.reset();
  context.publish(options_.id, total());
  if (holder_.context() != &context) return;
  tick_timer_ = context.loop().start_periodic(options_.interval, [this] { tick(); });
  holder_.attempt();
}

void GpioCounter::stop() {
  if (holder_.context() == nullptr) return;
  SensorContext& context = *holder_.context();
  tick_timer_.reset();
  save_timer_.reset();
  holder_.stop();
  context.persist(options_.id, std::to_string(count_));
  saved_ = count_;
}

std::unique_ptr<hw::GpioLine> GpioCounter::request(hw::GpioLines& lines) const {
  const hw::GpioEdges edges = options_.min_pulse.count() > 0 ? hw::GpioEdges::both
                              : options_.edge == hw::GpioEdge::rising ? hw::GpioEdges::rising
                                                                      : hw::GpioEdges::falling;
  return lines.request_input(options_.line,
                             hw::GpioInputConfig{options_.bias, options_.active_low, edges});
}

void GpioCounter::on_events(std::uint32_t events) {
  holder_.read_events(events, events_);  // on a fault the line is released, retried later
  // Edges read before a failure still count.
  const std::uint64_t before = count_;
  for (const hw::GpioEvent& event : events_) count_event(event);
  if (count_ != before) schedule_save();
}

void GpioCounter::count_event(const hw::GpioEvent& event) {
  if (options_.min_pulse.count() <= 0) {
    if (event.edge == options_.edge) ++count_;
    return;
  }
  if (event.edge == options_.edge) {
    pulse_start_ = event.timestamp;
    return;
  }
  if (pulse_start_ && event.timestamp - *pulse_start_ >= options_.min_pulse) ++count_;
  pulse_start_.reset();
}

double GpioCounter::total() const {
  return round_to_decimals(static_cast<double>(count_) * options_.multiplier, decimals_);
}

double GpioCounter::per_interval() const {
  return std::chrono::duration<double>(options_.rate->per).count() /
         std::chrono::duration<double>(options_.interval).count();
}

void GpioCounter::tick() {
  SensorContext* context = holder_.context();
  if (count_ != published_) {
    published_ = count_;
    context->publish(options_.id, total());
    if (holder_.context() != context) return;
  }
  if (options_.rate) {
    const double pulses = static_cast<double>(count_ - window_);
    window_ = count_;
    // The periodic timer keeps its period without drift, so the window is one interval long.
    context->publish(options_.rate->id,
                     round_to_decimals(pulses * options_.multiplier * per_interval(),
                                       rate_decimals_));
  }
}

void GpioCounter::schedule_save() {
  if (save_timer_ || holder_.context() == nullptr) return;
  const Clock::time_point at = last_save_ + options_.save_interval;
  if (at <= Clock::now()) {
    save();
    return;
  }
  save_timer_ = holder_.context()->loop().start_timer(at, [this] { save(); });
}

void GpioCounter::save() {
  if (count_ == saved_) return;
  saved_ = count_;
  holder_.context()->persist(options_.id, std::to_string(count_));
  last_save_ = Clock::now();  // after the save: the next one is at least save_interval later
}

}  // namespace pimqttd::sensors
