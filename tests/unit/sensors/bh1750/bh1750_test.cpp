#include "sensors/bh1750/bh1750.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "support/device_steps.hpp"
#include "support/fake_i2c_bus.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using test::FakeI2cBus;
using Bytes = std::vector<std::uint8_t>;
using Writes = std::vector<Bytes>;

constexpr std::uint8_t kAddress = 0x23;

// ---- conversion --------------------------------------------------------------------------------

TEST(Bh1750Illuminance, DatasheetExample) {
  // BH1750FVI datasheet, "I2C Bus Access", read format example: high byte 1000_0011, low byte
  // 1001_0000: (2^15 + 2^9 + 2^8 + 2^7 + 2^4) / 1.2 = 33680 / 1.2, "about 28067 lx".
  const double lux = bh1750_illuminance(0x8390, Bh1750Resolution::high);
  EXPECT_EQ(lux, 33680 / 1.2);
  EXPECT_EQ(std::round(lux), 28067.0);
  EXPECT_EQ(bh1750_illuminance(0, Bh1750Resolution::high), 0.0);
  EXPECT_EQ(bh1750_illuminance(0xFFFF, Bh1750Resolution::high), 65535 / 1.2);  // 54612.5 lx
  // L-resolution mode reports in the same counts; H-resolution mode2 counts half-lux steps.
  EXPECT_EQ(bh1750_illuminance(0x8390, Bh1750Resolution::low), 33680 / 1.2);
  EXPECT_EQ(bh1750_illuminance(0x8390, Bh1750Resolution::high2), 33680 / 1.2 / 2);
}

// ---- the device on the fake bus ----------------------------------------------------------------

class Bh1750Test : public ::testing::Test {
 protected:
  Bh1750Test() { bus_->add_device(kAddress); }
  std::shared_ptr<FakeI2cBus> bus_ = std::make_shared<FakeI2cBus>();
};

TEST_F(Bh1750Test, OneTimeHighResolutionCycle) {
  Bh1750 device(bus_, kAddress);
  device.setup();
  EXPECT_EQ(bus_->writes(kAddress), (Writes{{0x01}}));  // Power On
  EXPECT_EQ(device.begin(), 180ms);                     // the datasheet's maximum
  EXPECT_EQ(bus_->writes(kAddress), (Writes{{0x01}, {0x20}}));
  bus_->queue_read(kAddress, {0x83, 0x90});
  const auto readings = device.collect();
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].key, "illuminance");
  EXPECT_EQ(std::get<double>(readings[0].value), 33680 / 1.2);
  // Nothing but plain writes and reads: a command-based chip has no registers.
  for (const auto& t : bus_->log()) {
    EXPECT_TRUE(t.kind == FakeI2cBus::Kind::write || t.kind == FakeI2cBus::Kind::read);
  }
  // The next cycle sends the one-time command again (the chip powered down after measuring).
  EXPECT_EQ(device.begin(), 180ms);
  EXPECT_EQ(bus_->writes(kAddress), (Writes{{0x01}, {0x20}, {0x20}}));
}

TEST_F(Bh1750Test, OtherResolutions) {
  Bh1750 high2(bus_, kAddress, Bh1750Resolution::high2);
  EXPECT_EQ(high2.begin(), 180ms);
  bus_->queue_read(kAddress, {0x00, 0x03});
  EXPECT_EQ(std::get<double>(high2.collect().at(0).value), 3 / 1.2 / 2);  // 1.25 lx
  Bh1750 low(bus_, kAddress, Bh1750Resolution::low);
  EXPECT_EQ(low.begin(), 24ms);
  bus_->queue_read(kAddress, {0x01, 0x00});
  EXPECT_EQ(std::get<double>(low.collect().at(0).value), 256 / 1.2);
  EXPECT_EQ(bus_->writes(kAddress), (Writes{{0x21}, {0x23}}));
}

// Published with the decimals of each resolution: whole lux in high and low, tenths in high2.
TEST_F(Bh1750Test, PublishedWithTheDecimalsOfTheResolution) {
  const auto payload = [&](Bh1750Resolution resolution, std::uint8_t high, std::uint8_t low) {
    Bh1750 device(bus_, kAddress, resolution);
    (void)device.begin();
    bus_->queue_read(kAddress, {high, low});
    return test::payloads(device.collect(), Bh1750::quantities(resolution));
  };
  using Payloads = std::vector<std::string>;
  EXPECT_EQ(payload(Bh1750Resolution::high, 0x83, 0x90), Payloads{"illuminance=28067"});
  EXPECT_EQ(payload(Bh1750Resolution::high2, 0x01, 0x01), Payloads{"illuminance=107.1"});
  EXPECT_EQ(payload(Bh1750Resolution::low, 0x01, 0x00), Payloads{"illuminance=213"});
}

TEST_F(Bh1750Test, NoAnswerStillConvertingAndFailures) {
  Bh1750 absent(bus_, 0x5C);
  EXPECT_EQ(test::device_error([&] { absent.setup(); }),
            "BH1750 at 0x5c on fake-i2c: writing Power On: No such device or address");
  Bh1750 device(bus_, kAddress);
  device.setup();
  (void)device.begin();
  // A chip still converting does not acknowledge its address for reading.
  EXPECT_EQ(test::device_error([&] { (void)device.collect(); }),
            "BH1750 at 0x23 on fake-i2c: reading the measurement: Remote I/O error");
  bus_->fail_next(std::make_error_code(std::errc::timed_out));
  EXPECT_EQ(test::device_error([&] { (void)device.begin(); }),
            "BH1750 at 0x23 on fake-i2c: writing One Time H-Resolution Mode: Connection timed "
            "out");
}

}  // namespace
}  // namespace pimqttd::sensors
