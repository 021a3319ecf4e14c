#include "sensors/sht3x/sht3x.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "pimqttd/sensors/humidity.hpp"
#include "pimqttd/sensors/sensirion.hpp"
#include "support/device_steps.hpp"
#include "support/fake_i2c_bus.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::vector<std::uint8_t>>;
using Strings = std::vector<std::string>;

constexpr std::uint8_t kAddress = 0x44;

// The SHT3x-DIS datasheet's conversion (section 4.13), T = -45 + 175 * S / 65535 and
// RH = 100 * S / 65535: 0x6666 = 0.4 * 65535 gives 25 °C, 0x3333 = 0.2 * 65535 gives 20 %RH.
TEST(Sht3xConversion, DatasheetFormulas) {
  EXPECT_EQ(Sht3x::temperature(0x6666), 25.0);
  EXPECT_EQ(Sht3x::temperature(0x0000), -45.0);
  EXPECT_EQ(Sht3x::temperature(0xFFFF), 130.0);
  EXPECT_DOUBLE_EQ(Sht3x::temperature(0x8000), -45.0 + 175.0 * 32768.0 / 65535.0);
  EXPECT_EQ(Sht3x::humidity(0x3333), 20.0);
  EXPECT_EQ(Sht3x::humidity(0x0000), 0.0);
  EXPECT_EQ(Sht3x::humidity(0xFFFF), 100.0);
}

class Sht3xTest : public ::testing::Test {
 protected:
  Sht3xTest() { bus_->add_device(kAddress); }
  // The serial number 0x12345678, each word with its CRC.
  void queue_serial() { bus_->queue_read(kAddress, {0x12, 0x34, 0x37, 0x56, 0x78, 0x7D}); }
  // 25 °C, 20 %RH.
  void queue_measurement() { bus_->queue_read(kAddress, {0x66, 0x66, 0x93, 0x33, 0x33, 0x88}); }

  std::shared_ptr<test::FakeI2cBus> bus_ = std::make_shared<test::FakeI2cBus>();
  Sht3x sht_{bus_, kAddress};
};

TEST_F(Sht3xTest, FirstCycleReadsTheSerialNumberThenMeasures) {
  queue_serial();
  queue_measurement();
  sht_.setup();
  EXPECT_TRUE(bus_->log().empty());  // the identity is checked by the cycle, with its own wait

  EXPECT_EQ(sht_.begin(), 10ms);
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0x36, 0x82}}));
  EXPECT_TRUE(sht_.collect().empty());
  EXPECT_EQ(sht_.serial_number(), 0x12345678U);

  EXPECT_EQ(sht_.begin_next(), 16ms);
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0x36, 0x82}, {0x24, 0x00}}));
  const std::vector<Reading> readings = sht_.collect();
  EXPECT_EQ(test::keys(readings), (Strings{"temperature", "humidity"}));
  EXPECT_EQ(test::numbers(readings), (std::vector<double>{25.0, 20.0}));
  EXPECT_EQ(sht_.begin_next(), std::nullopt);
}

// Two words with their CRCs, as the chip sends a measurement.
std::vector<std::uint8_t> words(std::uint16_t temperature, std::uint16_t humidity) {
  const auto hi = [](std::uint16_t w) { return static_cast<std::uint8_t>(w >> 8U); };
  const auto lo = [](std::uint16_t w) { return static_cast<std::uint8_t>(w & 0xFFU); };
  return {hi(temperature), lo(temperature), sensirion_crc(temperature),
          hi(humidity),    lo(humidity),    sensirion_crc(humidity)};
}

// 0x6789 is 25.7770... °C and 0x8ABC 54.1939... %RH: published with two decimals.
TEST_F(Sht3xTest, PublishedWithTwoDecimals) {
  queue_serial();
  bus_->queue_read(kAddress, words(0x6789, 0x8ABC));
  sht_.setup();
  const test::DeviceCycle cycle = test::run_cycle(sht_);
  EXPECT_EQ(test::payloads(cycle.readings, kTemperatureHumidity),
            (Strings{"temperature=25.78", "humidity=54.19"}));
}

TEST_F(Sht3xTest, LaterCyclesMeasureStraightAwayUntilTheNextSetup) {
  queue_serial();
  queue_measurement();
  sht_.setup();
  EXPECT_EQ(test::run_cycle(sht_).waits, (std::vector{10ms, 16ms}));

  bus_->clear_log();
  queue_measurement();
  const test::DeviceCycle cycle = test::run_cycle(sht_);
  EXPECT_EQ(cycle.waits, (std::vector{16ms}));
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0x24, 0x00}}));
  EXPECT_EQ(test::numbers(cycle.readings), (std::vector<double>{25.0, 20.0}));

  // After a failure PolledSensor calls setup() again: the chip is identified afresh.
  sht_.setup();
  EXPECT_EQ(sht_.serial_number(), std::nullopt);
  bus_->clear_log();
  EXPECT_EQ(sht_.begin(), 10ms);
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0x36, 0x82}}));
}

TEST_F(Sht3xTest, ASerialNumberWithoutItsCrcIsNotAnSht3x) {
  // Nothing pulls the bus low: every byte reads 0xFF, and CRC(0xFFFF) is 0xAC.
  bus_->queue_read(kAddress, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  sht_.setup();
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(sht_); }),
            "SHT3x at 0x44 on fake-i2c: CRC mismatch in word 1 of the serial number: 0xffff came "
            "with CRC 0xff, expected 0xac");
}

TEST_F(Sht3xTest, AMeasurementWithAWrongCrcIsAnError) {
  queue_serial();
  bus_->queue_read(kAddress, {0x66, 0x66, 0x93, 0x33, 0x33, 0x89});
  sht_.setup();
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(sht_); }),
            "SHT3x at 0x44 on fake-i2c: CRC mismatch in word 2 of the measurement: 0x3333 came "
            "with CRC 0x89, expected 0x88");
}

TEST_F(Sht3xTest, NackAndBusyChip) {
  bus_->nack(kAddress);
  sht_.setup();
  EXPECT_EQ(test::device_error([&] { (void)sht_.begin(); }),
            "SHT3x at 0x44 on fake-i2c: writing the serial-number command: No such device or "
            "address");
  bus_->nack(kAddress, false);
  // A chip still converting NACKs the read header (no clock stretching): the fake answers an
  // empty queue the same way.
  queue_serial();
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(sht_); }),
            "SHT3x at 0x44 on fake-i2c: reading the measurement: Remote I/O error");
}

TEST_F(Sht3xTest, OtherAddress) {
  bus_->add_device(0x45);
  bus_->queue_read(0x45, {0x12, 0x34, 0x37, 0x56, 0x78, 0x7D});
  bus_->queue_read(0x45, {0x66, 0x66, 0x93, 0x33, 0x33, 0x88});
  Sht3x other(bus_, 0x45);
  other.setup();
  EXPECT_EQ(test::numbers(test::run_cycle(other).readings), (std::vector<double>{25.0, 20.0}));
  EXPECT_EQ(bus_->writes(0x45), (Bytes{{0x36, 0x82}, {0x24, 0x00}}));
  EXPECT_TRUE(bus_->writes(kAddress).empty());
}

}  // namespace
}  // namespace pimqttd::sensors
