#include "sensors/htu21d/htu21d.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "pimqttd/sensors/humidity.hpp"
#include "support/device_steps.hpp"
#include "support/fake_i2c_bus.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::vector<std::uint8_t>>;
using Strings = std::vector<std::string>;

constexpr std::uint8_t kAddress = 0x40;

// The HTU21D(F) datasheet's conversions, T = -46.85 + 175.72 * S / 65536 and
// RH = -6 + 125 * S / 65536, with its worked examples: 0x683C (26684) is 24.7 °C and 0x7C80
// (31872) is 54.8 %RH. The status bits (1 and 0) do not count.
TEST(Htu21dConversion, DatasheetExamples) {
  EXPECT_DOUBLE_EQ(Htu21d::temperature(0x683C), -46.85 + 175.72 * 26684.0 / 65536.0);
  EXPECT_NEAR(Htu21d::temperature(0x683C), 24.7, 0.005);
  EXPECT_EQ(Htu21d::humidity(0x7C80), 54.791015625);  // exact in binary
  EXPECT_NEAR(Htu21d::humidity(0x7C80), 54.8, 0.01);
  // Status bits masked: the same values with them set.
  EXPECT_EQ(Htu21d::temperature(0x683F), Htu21d::temperature(0x683C));
  EXPECT_EQ(Htu21d::humidity(0x7C82), 54.791015625);
  // Cropped to 0..100: S = 0 is -6 %RH, S = 0xFFFC is 118.99 %RH.
  EXPECT_EQ(Htu21d::humidity(0x0002), 0.0);
  EXPECT_EQ(Htu21d::humidity(0xFFFE), 100.0);
  EXPECT_EQ(Htu21d::temperature(0x0000), -46.85);
}

class Htu21dTest : public ::testing::Test {
 protected:
  Htu21dTest() { bus_->add_device(kAddress); }

  std::shared_ptr<test::FakeI2cBus> bus_ = std::make_shared<test::FakeI2cBus>();
  Htu21d htu_{bus_, kAddress};
};

TEST_F(Htu21dTest, SetupReadsTheUserRegisterAndLeavesADefaultOneAlone) {
  bus_->queue_read(kAddress, {0x02});  // the HTU21D's reset value
  htu_.setup();
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xE7}}));

  bus_->clear_log();
  bus_->queue_read(kAddress, {0x3A});  // the Si7021's reset value
  htu_.setup();
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xE7}}));
}

TEST_F(Htu21dTest, SetupRestoresTheResolutionAndSwitchesTheHeaterOff) {
  // 8-bit RH / 12-bit T (bits 7 and 0 = 01) with the heater on (bit 2): rewritten with those
  // bits cleared and the reserved ones kept.
  bus_->queue_read(kAddress, {0x3F});
  htu_.setup();
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xE7}, {0xE6, 0x3A}}));
  bus_->clear_log();
  bus_->queue_read(kAddress, {0x83});
  htu_.setup();
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xE7}, {0xE6, 0x02}}));
}

TEST_F(Htu21dTest, TemperatureThenHumidityEachWithItsWait) {
  bus_->queue_read(kAddress, {0x02});
  htu_.setup();
  bus_->clear_log();
  bus_->queue_read(kAddress, {0x68, 0x3C, 0xDA});  // temperature, type bit 0
  bus_->queue_read(kAddress, {0x7C, 0x82, 0x97});  // humidity, type bit 1

  EXPECT_EQ(htu_.begin(), 50ms);
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xF3}}));
  std::vector<Reading> first = htu_.collect();
  EXPECT_EQ(test::keys(first), (Strings{"temperature"}));
  EXPECT_NEAR(test::numbers(first).at(0), 24.7, 0.005);

  EXPECT_EQ(htu_.begin_next(), 16ms);
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xF3}, {0xF5}}));
  std::vector<Reading> second = htu_.collect();
  EXPECT_EQ(test::keys(second), (Strings{"humidity"}));
  EXPECT_EQ(test::numbers(second), (std::vector<double>{54.791015625}));
  EXPECT_EQ(htu_.begin_next(), std::nullopt);

  // The next cycle starts with temperature again.
  bus_->queue_read(kAddress, {0x68, 0x3C, 0xDA});
  bus_->queue_read(kAddress, {0x7C, 0x82, 0x97});
  const test::DeviceCycle cycle = test::run_cycle(htu_);
  EXPECT_EQ(cycle.waits, (std::vector{50ms, 16ms}));
  EXPECT_EQ(test::keys(cycle.readings), (Strings{"temperature", "humidity"}));
  // 24.6971... °C and 54.7910... %RH, published with two decimals.
  EXPECT_EQ(test::payloads(cycle.readings, kTemperatureHumidity),
            (Strings{"temperature=24.7", "humidity=54.79"}));
}

TEST_F(Htu21dTest, CrcMismatch) {
  bus_->queue_read(kAddress, {0x68, 0x3C, 0xDB});
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(htu_); }),
            "HTU21D at 0x40 on fake-i2c: CRC mismatch in the temperature: 0x683c came with CRC "
            "0xdb, expected 0xda");
  bus_->queue_read(kAddress, {0x68, 0x3C, 0xDA});
  bus_->queue_read(kAddress, {0x7C, 0x82, 0x00});
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(htu_); }),
            "HTU21D at 0x40 on fake-i2c: CRC mismatch in the humidity: 0x7c82 came with CRC "
            "0x00, expected 0x97");
}

TEST_F(Htu21dTest, AReplyOfTheWrongTypeIsAnError) {
  bus_->queue_read(kAddress, {0x7C, 0x82, 0x97});  // a humidity word where temperature belongs
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(htu_); }),
            "HTU21D at 0x40 on fake-i2c: 0x7c82 is not the temperature: its type bit (1) says "
            "humidity");
}

TEST_F(Htu21dTest, NackAndStillConverting) {
  bus_->nack(kAddress);
  EXPECT_EQ(test::device_error([&] { htu_.setup(); }),
            "HTU21D at 0x40 on fake-i2c: writing the read-user-register command: No such device "
            "or address");
  bus_->nack(kAddress, false);
  EXPECT_EQ(test::device_error([&] { htu_.setup(); }),
            "HTU21D at 0x40 on fake-i2c: reading the user register: Remote I/O error");
  // A no-hold-master measurement not finished yet: the chip NACKs the read.
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(htu_); }),
            "HTU21D at 0x40 on fake-i2c: reading the temperature: Remote I/O error");
}

TEST_F(Htu21dTest, Si7021IsNamedAsSuch) {
  Htu21d si(bus_, kAddress, "Si7021");
  EXPECT_EQ(test::device_error([&] { si.setup(); }),
            "Si7021 at 0x40 on fake-i2c: reading the user register: Remote I/O error");
}

}  // namespace
}  // namespace pimqttd::sensors
