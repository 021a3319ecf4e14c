// LibgpiodLines without hardware: every way a line or chip can fail to be found, in a device
// directory the test makes (this machine has no GPIO chip; the system test covers real requests
// on gpio-sim).

#include "pimqttd/hw/gpio.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace pimqttd::hw {
namespace {

namespace fs = std::filesystem;

std::string request_error(LibgpiodLines& lines, const GpioLineSpec& spec) {
  try {
    (void)lines.request_input(spec, GpioInputConfig{});
  } catch (const GpioError& error) {
    return error.what();
  }
  return "(no error)";
}

std::string output_error(LibgpiodLines& lines, const GpioLineSpec& spec) {
  try {
    (void)lines.request_output(spec, GpioOutputConfig{});
  } catch (const GpioError& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(GpioLineSpec, Describe) {
  EXPECT_EQ(describe(GpioLineSpec{"", std::string("GPIO17")}), "GPIO17");
  EXPECT_EQ(describe(GpioLineSpec{"gpiochip0", std::string("GPIO17")}), "GPIO17 on gpiochip0");
  EXPECT_EQ(describe(GpioLineSpec{"gpiochip4", std::uint32_t{17}}), "gpiochip4 line 17");
}

TEST(LibgpiodLines, NoChipAtAll) {
  const test::TempDir dev("pimqttd-gpio");
  LibgpiodLines lines(dev.path());
  const std::string none = "there is no GPIO chip in " + dev.path().string();
  EXPECT_TRUE(lines.chips().empty());
  EXPECT_EQ(request_error(lines, {"gpiochip0", std::uint32_t{17}}),
            "GPIO chip \"gpiochip0\" not found; " + none);
  EXPECT_EQ(request_error(lines, {"pinctrl-bcm2711", std::uint32_t{17}}),
            "GPIO chip \"pinctrl-bcm2711\" not found; " + none);
  EXPECT_EQ(request_error(lines, {"4", std::uint32_t{17}}), "GPIO chip \"4\" not found; " + none);
  EXPECT_EQ(output_error(lines, {"gpiochip0", std::string("GPIO17")}),
            "GPIO chip \"gpiochip0\" not found; " + none);
  EXPECT_EQ(request_error(lines, {"", std::string("GPIO17")}),
            "GPIO line \"GPIO17\" not found on any chip; " + none);
  const std::string path = (dev / "gpiochip9").string();
  EXPECT_EQ(request_error(lines, {path, std::uint32_t{1}}),
            "GPIO chip \"" + path + "\" not found; " + none);
}

TEST(LibgpiodLines, AMissingDirectoryHasNoChips) {
  const test::TempDir dir("pimqttd-gpio");
  LibgpiodLines lines(dir / "absent");
  EXPECT_EQ(request_error(lines, {"", std::string("GPIO17")}),
            "GPIO line \"GPIO17\" not found on any chip; there is no GPIO chip in " +
                (dir / "absent").string());
}

TEST(LibgpiodLines, FilesThatAreNotChipsAreListedWithTheReason) {
  const test::TempDir dev("pimqttd-gpio");
  std::ofstream(dev / "gpiochip10") << "not a device\n";
  std::ofstream(dev / "gpiochip2") << "not a device\n";
  std::ofstream(dev / "ttyS0") << "not a chip name\n";
  LibgpiodLines lines(dev.path());
  // In the order of their numbers, not of their names.
  EXPECT_EQ(lines.chips(), (std::vector<std::string>{"gpiochip2 (not a GPIO chip)",
                                                     "gpiochip10 (not a GPIO chip)"}));
  const std::string present =
      "chips present: gpiochip2 (not a GPIO chip), gpiochip10 (not a GPIO chip)";
  EXPECT_EQ(request_error(lines, {"gpiochip0", std::uint32_t{17}}),
            "GPIO chip \"gpiochip0\" not found; " + present);
  EXPECT_EQ(request_error(lines, {"", std::string("GPIO17")}),
            "GPIO line \"GPIO17\" not found on any chip; " + present);
  // Named directly, the file is reported for what it is.
  EXPECT_EQ(request_error(lines, {"gpiochip2", std::uint32_t{0}}),
            (dev / "gpiochip2").string() + " is not a GPIO chip");
  EXPECT_EQ(request_error(lines, {"10", std::uint32_t{0}}),
            (dev / "gpiochip10").string() + " is not a GPIO chip");
}

TEST(LibgpiodLines, ACharacterDeviceThatIsNotAChip) {
  const test::TempDir dev("pimqttd-gpio");
  std::error_code error;
  fs::create_symlink("/dev/null", dev / "gpiochip0", error);
  ASSERT_FALSE(error) << error.message();
  LibgpiodLines lines(dev.path());
  EXPECT_EQ(lines.chips(), (std::vector<std::string>{"gpiochip0 (not a GPIO chip)"}));
  EXPECT_EQ(request_error(lines, {"0", std::uint32_t{3}}),
            (dev / "gpiochip0").string() + " is not a GPIO chip");
}

TEST(LibgpiodLines, AnOffsetNeedsItsChip) {
  const test::TempDir dev("pimqttd-gpio");
  LibgpiodLines lines(dev.path());
  EXPECT_EQ(request_error(lines, {"", std::uint32_t{17}}),
            "line 17: a line given by its offset needs its chip");
}

}  // namespace
}  // namespace pimqttd::hw
