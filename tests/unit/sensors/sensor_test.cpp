#include "pimqttd/sensors/sensor.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace pimqttd::sensors {
namespace {

double parse(const std::string& text) {
  double out = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  EXPECT_EQ(result.ec, std::errc{}) << text;
  EXPECT_EQ(result.ptr, text.data() + text.size()) << text;
  return out;
}

TEST(RoundToDecimals, NearestDecimalHalvesAwayFromZero) {
  EXPECT_EQ(format_value(round_to_decimals(29.06795035954167, 1)), "29.1");
  EXPECT_EQ(format_value(round_to_decimals(1.8016125968980943, 1)), "1.8");
  EXPECT_EQ(round_to_decimals(20.25, 1), 20.3);
  EXPECT_EQ(round_to_decimals(-20.25, 1), -20.3);
  EXPECT_EQ(round_to_decimals(2.5, 0), 3);
  EXPECT_EQ(round_to_decimals(-2.5, 0), -3);
  EXPECT_EQ(round_to_decimals(21.5625, 2), 21.56);
  EXPECT_EQ(round_to_decimals(-10.0625, 2), -10.06);
  EXPECT_EQ(round_to_decimals(7, 3), 7);
  // A decimal half that binary cannot hold goes the way its product rounds.
  EXPECT_EQ(round_to_decimals(2.675, 2), 2.68);
  EXPECT_EQ(round_to_decimals(1.005, 2), 1);
}

TEST(RoundToDecimals, NegativeZeroBecomesZero) {
  EXPECT_FALSE(std::signbit(round_to_decimals(-0.04, 1)));
  EXPECT_FALSE(std::signbit(round_to_decimals(-0.0, 2)));
  EXPECT_FALSE(std::signbit(round_to_decimals(-0.4, 0)));
  EXPECT_EQ(round_to_decimals(-0.05, 1), -0.1);
}

TEST(RoundToDecimals, NotFiniteAndHugeValuesUnchanged) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(std::isnan(round_to_decimals(nan, 1)));
  EXPECT_EQ(round_to_decimals(inf, 1), inf);
  EXPECT_EQ(round_to_decimals(-inf, 0), -inf);
  EXPECT_EQ(round_to_decimals(1e300, 6), 1e300);
  EXPECT_EQ(round_to_decimals(-4503599627370497.0, 0), -4503599627370497.0);
  // Decimals beyond 0..15 are taken as the nearest end.
  EXPECT_EQ(round_to_decimals(2.5, -1), 3);
}

TEST(DecimalsForStep, FewestDecimalsThatKeepStepsApart) {
  EXPECT_EQ(decimals_for_step(0.0625), 2);
  EXPECT_EQ(decimals_for_step(0.125), 1);
  EXPECT_EQ(decimals_for_step(0.5), 1);
  EXPECT_EQ(decimals_for_step(0.01), 2);
  EXPECT_EQ(decimals_for_step(0.001), 3);
  EXPECT_EQ(decimals_for_step(0.004), 3);
  EXPECT_EQ(decimals_for_step(4.096 / 32768), 4);
  EXPECT_EQ(decimals_for_step(0.256 / 32768), 6);
  EXPECT_EQ(decimals_for_step(1 / 1.2), 1);
  EXPECT_EQ(decimals_for_step(1), 0);
  EXPECT_EQ(decimals_for_step(4), 0);
  EXPECT_EQ(decimals_for_step(1e-20), 15);
  EXPECT_EQ(decimals_for_step(0), 0);
  EXPECT_EQ(decimals_for_step(-1), 0);
  EXPECT_EQ(decimals_for_step(std::numeric_limits<double>::quiet_NaN()), 0);
}

TEST(FormatValue, ShortestRoundTrip) {
  EXPECT_EQ(format_value(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_value(21.5), "21.5");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(-12.25), "-12.25");
  EXPECT_EQ(format_value(1.0 / 3.0), "0.3333333333333333");
}

TEST(FormatValue, IntegersWithoutFraction) {
  EXPECT_EQ(format_value(42.0), "42");
  EXPECT_EQ(format_value(-7.0), "-7");
  EXPECT_EQ(format_value(1500000.0), "1500000");
  EXPECT_EQ(format_value(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(format_value(1e20), "100000000000000000000");
}

TEST(FormatValue, ZeroHasNoSign) {
  EXPECT_EQ(format_value(0.0), "0");
  EXPECT_EQ(format_value(-0.0), "0");
}

TEST(FormatValue, ExponentOutsideDecimalRange) {
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(-2.5e300), "-2.5e+300");
  EXPECT_EQ(format_value(0.000001), "0.000001");
  EXPECT_EQ(format_value(1e-7), "1e-07");
  EXPECT_EQ(format_value(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(format_value(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
}

TEST(FormatValue, NonFiniteIsHomeAssistantsUnknown) {
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "None");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "None");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "None");
}

TEST(FormatValue, RoundTripsEveryMagnitude) {
  const std::vector<double> values = {
      0.1,     0.7,       1.1,      21.55,    99.99999, 123456.789, 1e-6,   9.99999e-7,
      3.14159, 2.718281828459045, 1e15, 1e16, 123e18, 4.9e-324, 6.02214076e23, -0.015625};
  for (const double v : values) {
    const std::string text = format_value(v);
    EXPECT_EQ(parse(text), v) << text;
  }
}

TEST(FormatValue, Booleans) {
  EXPECT_EQ(format_value(true), "ON");
  EXPECT_EQ(format_value(false), "OFF");
}

TEST(FormatValue, TextAsIs) {
  EXPECT_EQ(format_value(std::string("2024-05-01T12:00:00+00:00")), "2024-05-01T12:00:00+00:00");
  EXPECT_EQ(format_value(std::string("")), "");
  EXPECT_EQ(format_value(std::string("héllo 42.0")), "héllo 42.0");
}

TEST(Iso8601Utc, Formats) {
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(iso8601_utc(1700000000), "2023-11-14T22:13:20+00:00");
  EXPECT_EQ(iso8601_utc(951782400), "2000-02-29T00:00:00+00:00");
  EXPECT_EQ(iso8601_utc(253402300799), "9999-12-31T23:59:59+00:00");
  EXPECT_EQ(iso8601_utc(253402300800), "");
}

}  // namespace
}  // namespace pimqttd::sensors
