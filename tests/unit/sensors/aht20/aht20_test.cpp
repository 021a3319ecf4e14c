#include "sensors/aht20/aht20.hpp"

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

constexpr std::uint8_t kAddress = 0x38;

// The AHT20 datasheet's conversion: RH = S / 2^20 * 100, T = S / 2^20 * 200 - 50.
TEST(Aht20Conversion, DatasheetFormulas) {
  EXPECT_EQ(Aht20::humidity(0), 0.0);
  EXPECT_EQ(Aht20::humidity(0x80000), 50.0);
  EXPECT_EQ(Aht20::temperature(0x40000), 0.0);  // a quarter of 200, less 50
  EXPECT_EQ(Aht20::temperature(0x80000), 50.0);
  EXPECT_EQ(Aht20::temperature(0), -50.0);
  EXPECT_DOUBLE_EQ(Aht20::humidity(604873), 604873.0 / 1048576.0 * 100.0);
}

// A published reply of a real AHT20: status 0x1C, humidity 0x269A7 (158119), temperature
// 0x642E7 (410343), CRC 0x76.
const std::vector<std::uint8_t> kFrame{0x1C, 0x26, 0x9A, 0x76, 0x42, 0xE7, 0x76};

class Aht20Test : public ::testing::Test {
 protected:
  Aht20Test() { bus_->add_device(kAddress); }

  std::shared_ptr<test::FakeI2cBus> bus_ = std::make_shared<test::FakeI2cBus>();
  Aht20 aht_{bus_, kAddress};
};

TEST_F(Aht20Test, CalibratedChipMeasuresAtOnce) {
  bus_->queue_read(kAddress, {0x18});  // calibrated (0x08), idle
  aht_.setup();
  EXPECT_TRUE(bus_->writes(kAddress).empty());

  bus_->queue_read(kAddress, kFrame);
  EXPECT_EQ(aht_.begin(), 80ms);
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xAC, 0x33, 0x00}}));
  const std::vector<Reading> readings = aht_.collect();
  EXPECT_EQ(test::keys(readings), (Strings{"temperature", "humidity"}));
  EXPECT_EQ(test::numbers(readings),
            (std::vector<double>{410343.0 / 1048576.0 * 200.0 - 50.0,
                                 158119.0 / 1048576.0 * 100.0}));
  EXPECT_EQ(test::payloads(readings, kTemperatureHumidity),
            (Strings{"temperature=28.27", "humidity=15.08"}));
  EXPECT_EQ(aht_.begin_next(), std::nullopt);
}

TEST_F(Aht20Test, UncalibratedChipIsInitializedFirst) {
  bus_->queue_read(kAddress, {0x10});  // calibration bit clear
  aht_.setup();
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xBE, 0x08, 0x00}}));

  bus_->queue_read(kAddress, {0x18});  // calibrated now
  bus_->queue_read(kAddress, kFrame);
  const test::DeviceCycle cycle = test::run_cycle(aht_);
  EXPECT_EQ(cycle.waits, (std::vector{10ms, 80ms}));
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xBE, 0x08, 0x00}, {0xAC, 0x33, 0x00}}));
  EXPECT_EQ(test::keys(cycle.readings), (Strings{"temperature", "humidity"}));

  // The next cycle goes straight to the measurement.
  bus_->queue_read(kAddress, kFrame);
  EXPECT_EQ(test::run_cycle(aht_).waits, (std::vector{80ms}));
}

TEST_F(Aht20Test, StillUncalibratedAfterInitializationIsAnError) {
  bus_->queue_read(kAddress, {0x10});
  aht_.setup();
  bus_->queue_read(kAddress, {0x10});
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(aht_); }),
            "AHT20 at 0x38 on fake-i2c: status 0x10 after the initialization command: not "
            "calibrated");
}

TEST_F(Aht20Test, BusyChipIsReadAgainAFewTimes) {
  bus_->queue_read(kAddress, {0x18});
  aht_.setup();
  const std::vector<std::uint8_t> busy{0x98, 0, 0, 0, 0, 0, 0};
  bus_->queue_read(kAddress, busy);
  bus_->queue_read(kAddress, busy);
  bus_->queue_read(kAddress, kFrame);
  const test::DeviceCycle cycle = test::run_cycle(aht_);
  EXPECT_EQ(cycle.waits, (std::vector{80ms, 10ms, 10ms}));
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xAC, 0x33, 0x00}}));  // one trigger only
  EXPECT_EQ(cycle.readings.size(), 2u);

  for (int i = 0; i < 4; ++i) bus_->queue_read(kAddress, busy);
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(aht_); }),
            "AHT20 at 0x38 on fake-i2c: still busy 110 ms after the measurement command");
}

TEST_F(Aht20Test, CrcMismatchAndLostCalibration) {
  bus_->queue_read(kAddress, {0x18});
  aht_.setup();
  std::vector<std::uint8_t> corrupt = kFrame;
  corrupt[4] ^= 0x01;
  bus_->queue_read(kAddress, corrupt);
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(aht_); }),
            "AHT20 at 0x38 on fake-i2c: CRC mismatch in the measurement: CRC 0x76, expected "
            "0x82");

  bus_->queue_read(kAddress, {0x14, 0x26, 0x9A, 0x76, 0x42, 0xE7, 0x76});
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(aht_); }),
            "AHT20 at 0x38 on fake-i2c: status 0x14: no longer calibrated");
}

TEST_F(Aht20Test, Nack) {
  bus_->nack(kAddress);
  EXPECT_EQ(test::device_error([&] { aht_.setup(); }),
            "AHT20 at 0x38 on fake-i2c: reading the status: No such device or address");
}

}  // namespace
}  // namespace pimqttd::sensors
