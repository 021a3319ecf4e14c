#include "pimqttd/hw/pwm.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/fake_pwm.hpp"

namespace pimqttd::hw {
namespace {

namespace fs = std::filesystem;
using test::FakePwmTree;

constexpr const char* kPi4Device = "platform/soc/fe20c000.pwm";
constexpr const char* kPi5Pwm0 = "platform/axi/1000120000.pcie/1f00098000.pwm";
constexpr const char* kPi5Pwm1 = "platform/axi/1000120000.pcie/1f0009c000.pwm";

std::string read(const fs::path& path) { return FakePwmTree::read(path); }

// The channel's four files, in one line: "period duty polarity enable".
std::string files(const fs::path& channel) {
  std::string out;
  for (const char* name : {"period", "duty_cycle", "polarity", "enable"}) {
    std::string text = read(channel / name);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    out += (out.empty() ? "" : " ") + text;
  }
  return out;
}

TEST(FindPwmChip, ByDeviceNameWhateverTheNumber) {
  FakePwmTree tree;
  tree.add_chip(0, kPi5Pwm1, 4, "raspberrypi,rp1-pwm");
  tree.add_chip(1, "platform/rpi_touch_pwm", 1, "raspberrypi,touch-pwm");
  tree.add_chip(2, kPi5Pwm0, 4, "raspberrypi,rp1-pwm");
  EXPECT_EQ(find_pwm_chip(tree.root(), "1f00098000.pwm"), tree.root() / "sys/class/pwm/pwmchip2");
  EXPECT_EQ(find_pwm_chip(tree.root(), "1f0009c000.pwm"), tree.root() / "sys/class/pwm/pwmchip0");
  EXPECT_EQ(find_pwm_chip(tree.root(), "/sys/devices/platform/axi/1000120000.pcie/1f00098000.pwm"),
            tree.root() / "sys/class/pwm/pwmchip2");
  EXPECT_EQ(find_pwm_chip(tree.root(), "raspberrypi,touch-pwm"),
            tree.root() / "sys/class/pwm/pwmchip1");
}

TEST(FindPwmChip, ByCompatibleOnlyWhenUnique) {
  FakePwmTree tree;
  tree.add_chip(0, kPi4Device, 2, "brcm,bcm2835-pwm");
  EXPECT_EQ(find_pwm_chip(tree.root(), "brcm,bcm2835-pwm"), tree.root() / "sys/class/pwm/pwmchip0");

  FakePwmTree pi5;
  pi5.add_chip(0, kPi5Pwm0, 4, "raspberrypi,rp1-pwm");
  pi5.add_chip(1, kPi5Pwm1, 4, "raspberrypi,rp1-pwm");
  try {
    (void)find_pwm_chip(pi5.root(), "raspberrypi,rp1-pwm");
    FAIL() << "ambiguous compatible accepted";
  } catch (const PwmError& error) {
    EXPECT_STREQ(error.what(),
                 "2 PWM chips are compatible with "
                 "\"raspberrypi,rp1-pwm\" (1f00098000.pwm, "
                 "1f0009c000.pwm): name the device");
  }
}

TEST(FindPwmChip, NotFoundListsTheChips) {
  FakePwmTree tree;
  try {
    (void)find_pwm_chip(tree.root(), "fe20c000.pwm");
    FAIL();
  } catch (const PwmError& error) {
    EXPECT_STREQ(error.what(), "no PWM chip \"fe20c000.pwm\" in /sys/class/pwm (found: none)");
  }
  tree.add_chip(3, kPi5Pwm1, 4, "raspberrypi,rp1-pwm");
  try {
    (void)find_pwm_chip(tree.root(), "fe20c000.pwm");
    FAIL();
  } catch (const PwmError& error) {
    EXPECT_STREQ(error.what(),
                 "no PWM chip \"fe20c000.pwm\" in /sys/class/pwm (found: pwmchip3 "
                 "(1f0009c000.pwm))");
  }
}

TEST(SysfsPwm, ReopenFindsTheChipAfterRenumbering) {
  FakePwmTree first;
  first.add_channel(first.add_chip(0, kPi4Device, 2, "brcm,bcm2835-pwm"), 1);
  SysfsPwm pwm(first.root(), "fe20c000.pwm", 1);
  pwm.open();
  EXPECT_TRUE(pwm.is_open());
  // Another boot: the same controller is pwmchip2 now.
  fs::remove_all(first.root() / "sys");
  const fs::path chip = first.add_chip(2, kPi4Device, 2, "brcm,bcm2835-pwm");
  const fs::path channel = first.add_channel(chip, 1, "1000\n", "500\n", "normal\n", "1\n");
  pwm.open();
  EXPECT_EQ(pwm.settings(), (PwmSettings{1000, 500, PwmPolarity::normal, true}));
  pwm.apply({2000, 1000, PwmPolarity::normal, true});
  EXPECT_EQ(files(channel), "2000 1000 normal 1");
}

TEST(SysfsPwm, ExportsAChannelThatIsNotThere) {
  FakePwmTree tree;
  const fs::path chip = tree.add_chip(0, kPi4Device, 2, "brcm,bcm2835-pwm");
  SysfsPwm pwm(tree.root(), "fe20c000.pwm", 1);
  // The fake cannot create pwm1/ on the write as the kernel does: the export is
  // written, and the missing directory is the fault.
  try {
    pwm.open();
    FAIL();
  } catch (const PwmError& error) {
    EXPECT_STREQ(error.what(),
                 "/sys/class/pwm/pwmchip0/pwm1 did not appear after exporting PWM "
                 "channel 1 of fe20c000.pwm");
  }
  EXPECT_FALSE(pwm.is_open());
  EXPECT_EQ(read(chip / "export"), "1");

  // Already exported: export is left alone.
  tree.write(chip / "export", "");
  tree.add_channel(chip, 1);
  pwm.open();
  EXPECT_TRUE(pwm.is_open());
  EXPECT_EQ(read(chip / "export"), "");
}

TEST(SysfsPwm, ChannelBeyondNpwm) {
  FakePwmTree tree;
  tree.add_chip(0, kPi4Device, 2, "brcm,bcm2835-pwm");
  SysfsPwm pwm(tree.root(), "fe20c000.pwm", 2);
  try {
    pwm.open();
    FAIL();
  } catch (const PwmError& error) {
    EXPECT_STREQ(error.what(),
                 "PWM channel 2 of fe20c000.pwm: /sys/class/pwm/pwmchip0 has 2 "
                 "channels (0 to 1)");
  }
}

TEST(SysfsPwm, FirstApplySetsPeriodThenDutyThenEnable) {
  FakePwmTree tree;
  const fs::path channel = tree.add_channel(tree.add_chip(0, kPi4Device, 2, "brcm,bcm2835-pwm"), 0);
  SysfsPwm pwm(tree.root(), "fe20c000.pwm", 0);
  pwm.open();
  EXPECT_EQ(pwm.settings(), (PwmSettings{0, 0, PwmPolarity::normal, false}));
  pwm.apply({1'000'000, 250'000, PwmPolarity::normal, true});
  EXPECT_EQ(files(channel), "1000000 250000 normal 1");
  EXPECT_EQ(pwm.settings(), (PwmSettings{1'000'000, 250'000, PwmPolarity::normal, true}));

  pwm.apply({1'000'000, 0, PwmPolarity::normal, true});
  EXPECT_EQ(files(channel), "1000000 0 normal 1");
}

// A write the kernel would refuse (duty > period at that moment) is made a
// directory here, so that writing it fails: the order of the writes shows in
// which of them the test can break.
TEST(SysfsPwm, AShorterPeriodIsWrittenAfterTheDutyCycle) {
  FakePwmTree tree;
  const fs::path channel = tree.add_channel(tree.add_chip(0, kPi4Device, 2, "brcm,bcm2835-pwm"), 0,
                                            "1000000\n", "800000\n", "normal\n", "1\n");
  SysfsPwm pwm(tree.root(), "fe20c000.pwm", 0);
  pwm.open();
  // 1 kHz at 80 % to 25 kHz at 50 %: duty first (800000 > 40000).
  fs::remove(channel / "period");
  fs::create_directory(channel / "period");
  EXPECT_THROW(pwm.apply({40'000, 20'000, PwmPolarity::normal, true}), PwmError);
  EXPECT_EQ(read(channel / "duty_cycle"), "20000");  // written before the period
  EXPECT_EQ(pwm.settings(), (PwmSettings{1'000'000, 20'000, PwmPolarity::normal, true}));

  fs::remove(channel / "period");
  tree.write(channel / "period", "1000000\n");
  pwm.apply({40'000, 20'000, PwmPolarity::normal, true});
  EXPECT_EQ(files(channel), "40000 20000 normal 1");
}

TEST(SysfsPwm, ALongerPeriodIsWrittenBeforeTheDutyCycle) {
  FakePwmTree tree;
  const fs::path channel = tree.add_channel(tree.add_chip(0, kPi4Device, 2, "brcm,bcm2835-pwm"), 0,
                                            "40000\n", "20000\n", "normal\n", "1\n");
  SysfsPwm pwm(tree.root(), "fe20c000.pwm", 0);
  pwm.open();
  fs::remove(channel / "duty_cycle");
  fs::create_directory(channel / "duty_cycle");
  EXPECT_THROW(pwm.apply({1'000'000, 800'000, PwmPolarity::normal, true}), PwmError);
  EXPECT_EQ(read(channel / "period"),
            "1000000");  // written before the duty cycle
  EXPECT_EQ(pwm.settings(), (PwmSettings{1'000'000, 20'000, PwmPolarity::normal, true}));
}

TEST(SysfsPwm, PolarityChangesOnlyWhileDisabled) {
  FakePwmTree tree;
  const fs::path channel = tree.add_channel(tree.add_chip(0, kPi4Device, 2, "brcm,bcm2835-pwm"), 0,
                                            "1000000\n", "0\n", "normal\n", "1\n");
  SysfsPwm pwm(tree.root(), "fe20c000.pwm", 0);
  pwm.open();
  // enable is written twice (0, then 1): make the second write fail to see the
  // first.
  fs::remove(channel / "polarity");
  fs::create_directory(channel / "polarity");
  EXPECT_THROW(pwm.apply({1'000'000, 0, PwmPolarity::inversed, true}), PwmError);
  EXPECT_EQ(read(channel / "enable"), "0");
  fs::remove(channel / "polarity");
  tree.write(channel / "polarity", "normal\n");
  pwm.apply({1'000'000, 300'000, PwmPolarity::inversed, true});
  EXPECT_EQ(files(channel), "1000000 300000 inversed 1");
}

TEST(SysfsPwm, RefusesADutyLongerThanThePeriod) {
  FakePwmTree tree;
  const fs::path channel = tree.add_channel(tree.add_chip(0, kPi4Device, 2, "brcm,bcm2835-pwm"), 0);
  SysfsPwm pwm(tree.root(), "fe20c000.pwm", 0);
  pwm.open();
  try {
    pwm.apply({1000, 1001, PwmPolarity::normal, true});
    FAIL();
  } catch (const PwmError& error) {
    EXPECT_STREQ(error.what(),
                 "PWM channel 0 of fe20c000.pwm: a duty cycle of 1001 ns is longer "
                 "than the period of 1000 ns");
  }
  EXPECT_EQ(files(channel), "0 0 normal 0");
}

TEST(SysfsPwm, AWriteThatFailsNamesTheFile) {
  FakePwmTree tree;
  const fs::path channel = tree.add_channel(tree.add_chip(0, kPi4Device, 2, "brcm,bcm2835-pwm"), 0);
  SysfsPwm pwm(tree.root(), "fe20c000.pwm", 0);
  pwm.open();
  fs::remove_all(tree.root() / "sys");
  try {
    pwm.apply({1000, 500, PwmPolarity::normal, true});
    FAIL();
  } catch (const PwmError& error) {
    EXPECT_STREQ(error.what(),
                 "cannot write \"1000\" to /sys/class/pwm/pwmchip0/pwm0/period: No "
                 "such file or directory");
  }
  pwm.close();
  EXPECT_FALSE(pwm.is_open());
  EXPECT_THROW(pwm.open(), PwmError);
}

}  // namespace
}  // namespace pimqttd::hw
