#include "pimqttd/sensors/filters.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Out = std::vector<std::optional<double>>;

const std::optional<double> no;  // suppressed

struct Step {
  double value;
  milliseconds at{0};  // since the first reading
};

FilterChain chain(std::vector<FilterSpec> specs) { return FilterChain(specs); }

// Runs `steps` through `filters` and returns what came out of each.
Out run(FilterChain& filters, const std::vector<Step>& steps) {
  Out out;
  for (const Step& step : steps) out.push_back(filters.apply(step.value, FilterTime{} + step.at));
  return out;
}

Out run(std::vector<FilterSpec> specs, const std::vector<Step>& steps) {
  FilterChain filters(specs);
  return run(filters, steps);
}

// Readings every 10 s from 0 s: {v0 at 0s, v1 at 10s, ...}.
std::vector<Step> every_10s(const std::vector<double>& values) {
  std::vector<Step> steps;
  for (std::size_t i = 0; i < values.size(); ++i) {
    steps.push_back({values[i], milliseconds{static_cast<std::int64_t>(i) * 10'000}});
  }
  return steps;
}

// ---- converters ---------------------------------------------------------------------------------

TEST(Filters, NoFiltersPassEverything) {
  EXPECT_EQ(run({}, {{20.5}, {-3}, {20.5}}), (Out{20.5, -3, 20.5}));
  EXPECT_TRUE(chain({}).empty());
}

TEST(Filters, OffsetAddsToEveryValue) {
  EXPECT_EQ(run({FilterSpec::offset(-0.5)}, {{20}, {21.5}, {-3}, {0.5}}),
            (Out{19.5, 21, -3.5, 0}));
}

TEST(Filters, MultiplyThenOffsetConvertsCelsiusToFahrenheit) {
  EXPECT_EQ(run({FilterSpec::multiply(1.8), FilterSpec::offset(32)},
                {{25}, {0}, {-40}, {100}}),
            (Out{77, 32, -40, 212}));
  // Order matters: offset first is (x + 32) * 1.8.
  EXPECT_EQ(run({FilterSpec::offset(32), FilterSpec::multiply(1.8)}, {{-32}, {8}}), (Out{0, 72}));
}

TEST(Filters, RoundHalvesAwayFromZero) {
  EXPECT_EQ(run({FilterSpec::round(1)}, {{20.25}, {-20.25}, {20.04}, {20.05}, {-0.04}, {7}}),
            (Out{20.3, -20.3, 20, 20.1, -0.0, 7}));
  EXPECT_EQ(run({FilterSpec::round(0)}, {{2.5}, {-2.5}, {0.4999}, {1e300}}),
            (Out{3, -3, 0, 1e300}));
  // A decimal half goes the way its product rounds in binary.
  EXPECT_EQ(run({FilterSpec::round(2)}, {{2.675}, {1.005}, {0.125}}), (Out{2.68, 1, 0.13}));
  EXPECT_EQ(run({FilterSpec::round(6)}, {{0.1234565}, {123.4567894}}),
            (Out{0.123457, 123.456789}));
  // Too large to have fractional digits: unchanged, no overflow.
  const double huge = std::numeric_limits<double>::max();
  EXPECT_EQ(run({FilterSpec::round(6)}, {{huge}, {-huge}}), (Out{huge, -huge}));
}

TEST(Filters, MovingAverageFromTheFirstValue) {
  // Window 3: the mean of what is there until three values have come.
  EXPECT_EQ(run({FilterSpec::moving_average(3)}, {{1}, {2}, {3}, {4}, {10}, {-6}}),
            (Out{1, 1.5, 2, 3, 17.0 / 3.0, 8.0 / 3.0}));
  EXPECT_EQ(run({FilterSpec::moving_average(1)}, {{1}, {5}, {-2}}), (Out{1, 5, -2}));
}

TEST(Filters, MedianFromTheFirstValueAndMeanOfTheMiddleTwo) {
  EXPECT_EQ(run({FilterSpec::median(4)}, {{1}, {9}, {3}, {4}, {100}, {5}}),
            (Out{1, 5, 3, 3.5, 6.5, 4.5}));
  // A single spike never comes through a median of 3.
  EXPECT_EQ(run({FilterSpec::median(3)}, {{20}, {20.5}, {85}, {20.5}, {21}}),
            (Out{20, 20.25, 20.5, 20.5, 21}));
}

// ---- gates --------------------------------------------------------------------------------------

TEST(Filters, DeltaPassesChangesOfAtLeastX) {
  EXPECT_EQ(run({FilterSpec::delta(0.5)}, {{20}, {20.2}, {20.5}, {20.4}, {21}, {20.6}, {19.9}}),
            (Out{20, no, 20.5, no, 21, no, 19.9}));
  // Measured from the last value it passed, not the last one it saw: a slow drift gets out.
  EXPECT_EQ(run({FilterSpec::delta(0.5)}, {{20}, {20.2}, {20.4}, {20.6}}),
            (Out{20, no, no, 20.6}));
}

TEST(Filters, DeltaCountsADecimalStepHeldInBinaryAsTheStep) {
  // 20.2 - 20.1 == 0.09999999999999787 in doubles.
  ASSERT_LT(20.2 - 20.1, 0.1);
  EXPECT_EQ(run({FilterSpec::delta(0.1)}, {{20.1}, {20.2}, {20.25}, {20.3}, {20.21}}),
            (Out{20.1, 20.2, no, 20.3, no}));
  EXPECT_EQ(run({FilterSpec::delta(0.1)}, {{20.1}, {20.19}, {20.1999999}}), (Out{20.1, no, no}));
}

TEST(Filters, DeltaPercentOfTheLastPassedValue) {
  EXPECT_EQ(run({FilterSpec::delta_percent(20)}, {{10}, {11.9}, {12}, {14}, {9.6}, {7.7}}),
            (Out{10, no, 12, no, 9.6, no}));
  EXPECT_EQ(run({FilterSpec::delta_percent(20)}, {{10}, {8}, {-10}, {-11}, {-12.5}}),
            (Out{10, 8, -10, no, -12.5}));
  // From 0 every change is infinitely large; 0 again is no change.
  EXPECT_EQ(run({FilterSpec::delta_percent(5)}, {{0}, {0}, {-0.0}, {0.001}, {0.00104}, {0}, {0}}),
            (Out{0, no, no, 0.001, no, 0, no}));
}

TEST(Filters, ThrottlePassesAtMostOnePerPeriod) {
  EXPECT_EQ(run({FilterSpec::throttle(30s)},
                {{1, 0ms}, {2, 10s}, {3, 29'999ms}, {4, 30s}, {5, 45s}, {6, 60s}, {7, 100s}}),
            (Out{1, no, no, 4, no, 6, 7}));
}

TEST(Filters, HeartbeatAloneChangesNothing) {
  EXPECT_EQ(run({FilterSpec::heartbeat(60s)}, every_10s({1, 1, 1})), (Out{1, 1, 1}));
}

// ---- heartbeat over gates -----------------------------------------------------------------------

TEST(Filters, HeartbeatLetsASteadyValueThroughDeltaOncePerPeriod) {
  // Every 10 s; 20 stays, 21 at 70 s is a change, then steady again.
  const Out out = run({FilterSpec::delta(0.5), FilterSpec::heartbeat(60s)},
                      every_10s({20, 20, 20, 20, 20, 20, 20, 21, 21, 21, 21, 21, 21, 21, 21}));
  //       0s  10s 20s 30s 40s 50s 60s 70s 80s 90s 100s 110s 120s 130s 140s
  EXPECT_EQ(out, (Out{20, no, no, no, no, no, 20, 21, no, no, no, no, no, 21, no}));
}

TEST(Filters, HeartbeatLetsTheCurrentValueThroughNotTheLastPassedOne) {
  // The released 20.3 is not delta's reference: 20.5 is 0.5 from the 20 delta passed.
  EXPECT_EQ(run({FilterSpec::delta(0.5), FilterSpec::heartbeat(60s)},
                {{20, 0s}, {20.3, 60s}, {20.5, 70s}}),
            (Out{20, 20.3, 20.5}));
}

TEST(Filters, HeartbeatOverridesOnlyTheGatesBeforeIt) {
  EXPECT_EQ(run({FilterSpec::heartbeat(60s), FilterSpec::delta(0.5)}, every_10s({20, 20, 20, 20,
                                                                                  20, 20, 20, 20})),
            (Out{20, no, no, no, no, no, no, no}));
  // A throttle of 30 s before a heartbeat of 20 s: the heartbeat comes later, so it wins where
  // they disagree (20 s and 50 s).
  EXPECT_EQ(run({FilterSpec::throttle(30s), FilterSpec::heartbeat(20s)},
                every_10s({1, 2, 3, 4, 5, 6, 7})),
            (Out{1, no, 3, 4, no, 6, 7}));
}

TEST(Filters, SuppressedReadingsAreConvertedOnTheirWayToAHeartbeat) {
  // 20.3 is suppressed by delta, converted (x2, +1, rounded) and let through by the heartbeat:
  // the same units and rounding as what passes normally.
  EXPECT_EQ(run({FilterSpec::delta(0.5), FilterSpec::multiply(2), FilterSpec::offset(1),
                 FilterSpec::round(0), FilterSpec::heartbeat(30s)},
                {{20.2, 0s}, {20.4, 10s}, {20.3, 30s}, {21, 40s}}),
            (Out{41, no, 42, 43}));
}

TEST(Filters, AveragesAndGatesIgnoreSuppressedReadings) {
  // 20 and 30 are throttled: the average never sees them, and 30 leaves the heartbeat
  // unaveraged. At 30 s the average is over 10 and 40 only.
  EXPECT_EQ(run({FilterSpec::throttle(30s), FilterSpec::moving_average(2),
                 FilterSpec::heartbeat(20s)},
                every_10s({10, 20, 30, 40})),
            (Out{10, no, 30, 25}));
  // A throttle after a delta counts only what the delta passed: 22 at 30 s is the first
  // value that reaches it since 0 s.
  EXPECT_EQ(run({FilterSpec::delta(1), FilterSpec::throttle(20s)}, every_10s({10, 10, 10, 22})),
            (Out{10, no, no, 22}));
}

// ---- not-finite values, reset -------------------------------------------------------------------

TEST(Filters, NotFiniteValuesPassUnchangedAndStartTheChainAfresh) {
  FilterChain filters = chain({FilterSpec::delta(0.5), FilterSpec::moving_average(3),
                               FilterSpec::throttle(60s)});
  EXPECT_EQ(filters.apply(20, FilterTime{}), 20);
  EXPECT_EQ(filters.apply(20.1, FilterTime{} + 10s), no);
  const auto nan = filters.apply(std::numeric_limits<double>::quiet_NaN(), FilterTime{} + 20s);
  ASSERT_TRUE(nan.has_value());
  EXPECT_TRUE(std::isnan(*nan));
  // Like a first value: through delta and throttle, alone in the average.
  EXPECT_EQ(filters.apply(20.1, FilterTime{} + 30s), 20.1);
  EXPECT_EQ(filters.apply(-std::numeric_limits<double>::infinity(), FilterTime{} + 40s),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(filters.apply(std::numeric_limits<double>::infinity(), FilterTime{} + 41s),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(filters.apply(30, FilterTime{} + 42s), 30);
  EXPECT_EQ(filters.apply(40, FilterTime{} + 43s), no);
}

TEST(Filters, ResetForgetsEverything) {
  FilterChain filters =
      chain({FilterSpec::median(3), FilterSpec::delta(5), FilterSpec::throttle(1h)});
  EXPECT_EQ(run(filters, {{1, 0s}, {100, 1s}, {100, 2s}}), (Out{1, no, no}));
  filters.reset();
  EXPECT_EQ(run(filters, {{3, 3s}, {100, 4s}}), (Out{3, no}));
  EXPECT_EQ(filters.size(), 3u);
}

// ---- building -----------------------------------------------------------------------------------

TEST(Filters, SpecsNoConfigurationCanProduceAreRejected) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const FilterSpec& spec :
       {FilterSpec::moving_average(0), FilterSpec::median(0), FilterSpec::round(16),
        FilterSpec::delta(-1), FilterSpec::delta(nan), FilterSpec::offset(nan),
        FilterSpec::multiply(std::numeric_limits<double>::infinity()),
        FilterSpec::throttle(-1ms), FilterSpec::heartbeat(-1ms)}) {
    EXPECT_THROW((void)make_filter(spec), std::invalid_argument) << filter_name(spec.kind);
  }
  EXPECT_THROW(chain({FilterSpec::round(1), FilterSpec::median(0)}), std::invalid_argument);
  try {
    (void)make_filter(FilterSpec::median(0));
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "median: the window must hold at least one value");
  }
}

TEST(Filters, Names) {
  EXPECT_EQ(filter_name(FilterKind::offset), "offset");
  EXPECT_EQ(filter_name(FilterKind::multiply), "multiply");
  EXPECT_EQ(filter_name(FilterKind::round), "round");
  EXPECT_EQ(filter_name(FilterKind::moving_average), "moving_average");
  EXPECT_EQ(filter_name(FilterKind::median), "median");
  EXPECT_EQ(filter_name(FilterKind::delta), "delta");
  EXPECT_EQ(filter_name(FilterKind::throttle), "throttle");
  EXPECT_EQ(filter_name(FilterKind::heartbeat), "heartbeat");
}

TEST(Filters, PublishedDecimalsFollowRoundAndMultiply) {
  using V = std::vector<FilterSpec>;
  EXPECT_EQ(published_decimals({}, 2), 2);
  EXPECT_EQ(published_decimals({}, std::nullopt), std::nullopt);
  EXPECT_EQ(published_decimals(V{FilterSpec::median(5), FilterSpec::delta(0.5)}, 1), 1);
  // A round decides, fewer decimals or more, with or without a display precision; the last one.
  EXPECT_EQ(published_decimals(V{FilterSpec::round(0)}, 2), 0);
  EXPECT_EQ(published_decimals(V{FilterSpec::round(4)}, 2), 4);
  EXPECT_EQ(published_decimals(V{FilterSpec::round(3)}, std::nullopt), 3);
  EXPECT_EQ(published_decimals(V{FilterSpec::round(3), FilterSpec::round(1)}, 2), 1);
  // A multiply shifts them by its factor's decimal order.
  EXPECT_EQ(published_decimals(V{FilterSpec::multiply(0.001)}, 3), 6);
  EXPECT_EQ(published_decimals(V{FilterSpec::multiply(1000)}, 3), 0);
  EXPECT_EQ(published_decimals(V{FilterSpec::multiply(1000)}, 1), 0);
  EXPECT_EQ(published_decimals(V{FilterSpec::multiply(1.8), FilterSpec::offset(32)}, 2), 2);
  EXPECT_EQ(published_decimals(V{FilterSpec::multiply(0.5)}, 0), 1);
  EXPECT_EQ(published_decimals(V{FilterSpec::multiply(-0.01)}, 1), 3);
  EXPECT_EQ(published_decimals(V{FilterSpec::multiply(0)}, 1), 1);
  EXPECT_EQ(published_decimals(V{FilterSpec::multiply(1e-20)}, 1), 15);
  EXPECT_EQ(published_decimals(V{FilterSpec::round(1), FilterSpec::multiply(0.1)}, 3), 2);
  EXPECT_EQ(published_decimals(V{FilterSpec::multiply(0.001)}, std::nullopt), std::nullopt);
}

TEST(Filters, LongestSilenceBetweenPublishedValues) {
  const milliseconds minute = 1min;
  EXPECT_EQ(longest_silence({}, minute), minute);
  EXPECT_EQ(longest_silence(std::vector{FilterSpec::round(1), FilterSpec::median(5)}, minute),
            minute);
  EXPECT_EQ(longest_silence(std::vector{FilterSpec::throttle(5min)}, minute), 6min);
  EXPECT_EQ(longest_silence(std::vector{FilterSpec::delta(0.5)}, minute), 0ms);
  EXPECT_EQ(longest_silence(std::vector{FilterSpec::delta(0.5), FilterSpec::heartbeat(5min)},
                            minute),
            6min);
  // A heartbeat shorter than what comes anyway changes nothing.
  EXPECT_EQ(longest_silence(std::vector{FilterSpec::heartbeat(5min)}, 10min), 10min);
  EXPECT_EQ(longest_silence(std::vector{FilterSpec::heartbeat(5min), FilterSpec::delta(1)},
                            minute),
            0ms);
  EXPECT_EQ(longest_silence(std::vector{FilterSpec::delta(1), FilterSpec::heartbeat(5min),
                                        FilterSpec::throttle(10min)},
                            minute),
            16min);
  // Event-driven entities stay so.
  EXPECT_EQ(longest_silence(std::vector{FilterSpec::throttle(5min)}, 0ms), 0ms);
}

}  // namespace
}  // namespace pimqttd::sensors
