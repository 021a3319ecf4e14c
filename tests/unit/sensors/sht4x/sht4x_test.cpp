#include "sensors/sht4x/sht4x.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "pimqttd/sensors/humidity.hpp"
#include "pimqttd/sensors/humidity.hpp"
#include "pimqttd/sensors/sensirion.hpp"
#include "support/device_steps.hpp"
#include "support/fake_i2c_bus.hpp"
#include "support/payloads.hpp"
#include "support/loop.hpp"
#include "support/recording_context.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::vector<std::uint8_t>>;
using Strings = std::vector<std::string>;
using test::availability;
using test::published;
using test::SensorEvent;

constexpr std::uint8_t kAddress = 0x44;

// The SHT4x datasheet's conversion: T = -45 + 175 * S / 65535, RH = -6 + 125 * S / 65535
// cropped to 0..100. 0x6666 = 0.4 * 65535 gives 25 °C and 44 %RH.
TEST(Sht4xConversion, DatasheetFormulas) {
  EXPECT_EQ(Sht4x::temperature(0x6666), 25.0);
  EXPECT_EQ(Sht4x::temperature(0x0000), -45.0);
  EXPECT_EQ(Sht4x::temperature(0xFFFF), 130.0);
  EXPECT_EQ(Sht4x::humidity(0x6666), 44.0);
  EXPECT_DOUBLE_EQ(Sht4x::humidity(0x8000), -6.0 + 125.0 * 32768.0 / 65535.0);
  // -6 %RH and 119 %RH before cropping.
  EXPECT_EQ(Sht4x::humidity(0x0000), 0.0);
  EXPECT_EQ(Sht4x::humidity(0xFFFF), 100.0);
  // 0 %RH is S = 6 / 125 * 65535 = 3145.68: 3145 crops, 3146 does not.
  EXPECT_EQ(Sht4x::humidity(3145), 0.0);
  EXPECT_GT(Sht4x::humidity(3146), 0.0);
}

class Sht4xTest : public ::testing::Test {
 protected:
  Sht4xTest() { bus_->add_device(kAddress); }
  // The serial number 0xBEEF1234, each word with its CRC.
  void queue_serial() { bus_->queue_read(kAddress, {0xBE, 0xEF, 0x92, 0x12, 0x34, 0x37}); }
  // 25 °C, 44 %RH.
  void queue_measurement() { bus_->queue_read(kAddress, {0x66, 0x66, 0x93, 0x66, 0x66, 0x93}); }

  std::shared_ptr<test::FakeI2cBus> bus_ = std::make_shared<test::FakeI2cBus>();
};

TEST_F(Sht4xTest, SerialNumberThenHighRepeatabilityMeasurement) {
  Sht4x sht(bus_, kAddress);
  queue_serial();
  queue_measurement();
  sht.setup();
  EXPECT_EQ(sht.begin(), 10ms);
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0x89}}));
  EXPECT_TRUE(sht.collect().empty());
  EXPECT_EQ(sht.serial_number(), 0xBEEF1234U);
  EXPECT_EQ(sht.begin_next(), 10ms);
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0x89}, {0xFD}}));
  const std::vector<Reading> readings = sht.collect();
  EXPECT_EQ(test::keys(readings), (Strings{"temperature", "humidity"}));
  EXPECT_EQ(test::numbers(readings), (std::vector<double>{25.0, 44.0}));
  EXPECT_EQ(sht.begin_next(), std::nullopt);

  bus_->clear_log();
  bus_->queue_read(kAddress, {0x00, 0x00, 0x81, 0xFF, 0xFF, 0xAC});
  const test::DeviceCycle cycle = test::run_cycle(sht);
  EXPECT_EQ(cycle.waits, (std::vector{10ms}));
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0xFD}}));
  EXPECT_EQ(test::numbers(cycle.readings), (std::vector<double>{-45.0, 100.0}));
}

// 0x6789 is 25.7770... °C and 0x8ABC 61.7424... %RH: published with two decimals.
TEST_F(Sht4xTest, PublishedWithTwoDecimals) {
  Sht4x sht(bus_, kAddress);
  queue_serial();
  const std::uint8_t t_crc = sensirion_crc(0x6789);
  const std::uint8_t h_crc = sensirion_crc(0x8ABC);
  bus_->queue_read(kAddress, {0x67, 0x89, t_crc, 0x8A, 0xBC, h_crc});
  sht.setup();
  const test::DeviceCycle cycle = test::run_cycle(sht);
  EXPECT_EQ(test::payloads(cycle.readings, kTemperatureHumidity),
            (Strings{"temperature=25.78", "humidity=61.74"}));
}

TEST_F(Sht4xTest, CrcErrorsNackAndWrongChip) {
  Sht4x sht(bus_, kAddress);
  sht.setup();
  bus_->queue_read(kAddress, {0xBE, 0xEF, 0x92, 0x12, 0x34, 0x38});
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(sht); }),
            "SHT4x at 0x44 on fake-i2c: CRC mismatch in word 2 of the serial number: 0x1234 came "
            "with CRC 0x38, expected 0x37");

  queue_serial();
  bus_->queue_read(kAddress, {0x66, 0x66, 0x39, 0x66, 0x66, 0x93});
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(sht); }),
            "SHT4x at 0x44 on fake-i2c: CRC mismatch in word 1 of the measurement: 0x6666 came "
            "with CRC 0x39, expected 0x93");

  Sht4x absent(bus_, 0x46);
  absent.setup();
  EXPECT_EQ(test::device_error([&] { (void)absent.begin(); }),
            "SHT4x at 0x46 on fake-i2c: writing the serial-number command: No such device or "
            "address");
}

// Through PolledSensor on a real loop: a chip that stops answering makes both entities
// unavailable; when it answers again it is identified afresh and they come back.
TEST_F(Sht4xTest, FaultAndRecoveryThroughThePolledSensor) {
  PolledOptions options;
  options.id = "greenhouse";
  options.interval = 50ms;
  options.retry_min = 10ms;
  options.retry_max = 20ms;
  test::RecordingContext context;
  auto sensor = make_polled_sensor(options, "Greenhouse", kTemperatureHumidity,
                                   std::make_unique<Sht4x>(bus_, kAddress));
  ASSERT_EQ(sensor->entities().size(), 2u);
  EXPECT_EQ(sensor->entities()[0].id, "greenhouse_temperature");
  EXPECT_EQ(sensor->entities()[1].id, "greenhouse_humidity");

  queue_serial();
  queue_measurement();
  sensor->start(context);
  ASSERT_TRUE(test::run_until(context.loop(),
                              [&] { return context.count("greenhouse_humidity") == 1; }));

  bus_->nack(kAddress);
  const auto unavailable = [&] { return context.events.size() == 6; };
  ASSERT_TRUE(test::run_until(context.loop(), unavailable));
  test::run_for(context.loop(), 60ms);  // failing on: nothing more to report

  bus_->nack(kAddress, false);
  bus_->clear_log();
  queue_serial();
  bus_->queue_read(kAddress, {0x00, 0x00, 0x81, 0xFF, 0xFF, 0xAC});
  ASSERT_TRUE(test::run_until(context.loop(),
                              [&] { return context.count("greenhouse_humidity") == 2; }));
  sensor->stop();

  EXPECT_EQ(context.events,
            (std::vector<SensorEvent>{
                availability("greenhouse_temperature", true),
                availability("greenhouse_humidity", true),
                published("greenhouse_temperature", 25.0), published("greenhouse_humidity", 44.0),
                availability("greenhouse_temperature", false),
                availability("greenhouse_humidity", false),
                availability("greenhouse_temperature", true),
                availability("greenhouse_humidity", true),
                published("greenhouse_temperature", -45.0),
                published("greenhouse_humidity", 100.0)}));
  // The recovery began with the serial number again.
  EXPECT_EQ(bus_->writes(kAddress), (Bytes{{0x89}, {0xFD}}));
}

}  // namespace
}  // namespace pimqttd::sensors
