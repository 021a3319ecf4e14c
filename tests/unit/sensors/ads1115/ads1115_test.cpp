#include "sensors/ads1115/ads1115.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/device_steps.hpp"
#include "support/fake_i2c_bus.hpp"
#include "support/loop.hpp"
#include "support/recording_context.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;
using test::availability;
using test::published;
using test::SensorEvent;
using Kind = test::FakeI2cBus::Kind;

constexpr std::uint8_t kAddress = 0x48;

// The config words of the datasheet's config register field table: OS | MUX << 12 | PGA << 9 |
// MODE | DR = 100 | COMP_QUE = 11.
TEST(Ads1115Settings, WordsForInputsAndRanges) {
  EXPECT_EQ(Ads1115::config_word({"x", Ads1115Input::a0, 4.096, 1.0}), 0xC383);
  // A0-A1 at ±2.048 V is the chip's reset configuration.
  EXPECT_EQ(Ads1115::config_word({"x", Ads1115Input::a0_a1, 2.048, 1.0}), 0x8583);
  EXPECT_EQ(Ads1115::config_word({"x", Ads1115Input::a0_a3, 1.024, 1.0}), 0x9783);
  EXPECT_EQ(Ads1115::config_word({"x", Ads1115Input::a1_a3, 0.512, 1.0}), 0xA983);
  EXPECT_EQ(Ads1115::config_word({"x", Ads1115Input::a2_a3, 0.256, 1.0}), 0xBB83);
  EXPECT_EQ(Ads1115::config_word({"x", Ads1115Input::a1, 6.144, 1.0}), 0xD183);
  EXPECT_EQ(Ads1115::config_word({"x", Ads1115Input::a2, 4.096, 1.0}), 0xE383);
  EXPECT_EQ(Ads1115::config_word({"x", Ads1115Input::a3, 6.144, 1.0}), 0xF183);
  EXPECT_EQ(Ads1115::pga_code(0.256), 5);
  EXPECT_EQ(Ads1115::pga_code(5.0), std::nullopt);
}

// One LSB is FSR / 32768 (the datasheet's table of full-scale ranges and LSB sizes: 125 µV at
// ±4.096 V, 187.5 µV at ±6.144 V, 7.8125 µV at ±0.256 V).
TEST(Ads1115Settings, CountsToVolts) {
  EXPECT_EQ(Ads1115::volts(1, 4.096), 0.000125);
  EXPECT_EQ(Ads1115::volts(1, 6.144), 0.0001875);
  EXPECT_EQ(Ads1115::volts(1, 0.256), 0.0000078125);
  EXPECT_EQ(Ads1115::volts(0x4000, 4.096), 2.048);
  EXPECT_EQ(Ads1115::volts(32767, 6.144), 6.144 * 32767.0 / 32768.0);
  EXPECT_EQ(Ads1115::volts(-32768, 0.256), -0.256);
}

TEST(Ads1115Settings, RejectsNoChannelAndUnknownRanges) {
  auto bus = std::make_shared<test::FakeI2cBus>();
  EXPECT_THROW(Ads1115(bus, kAddress, {}), std::invalid_argument);
  EXPECT_THROW(Ads1115(bus, kAddress, {{"x", Ads1115Input::a0, 5.0, 1.0}}),
               std::invalid_argument);
}

class Ads1115Test : public ::testing::Test {
 protected:
  Ads1115Test() {
    // The reset values, most significant byte first on the wire.
    set(Ads1115::kConfigRegister, 0x8583);
    set(Ads1115::kLoThreshRegister, 0x8000);
    set(Ads1115::kHiThreshRegister, 0x7FFF);
  }
  void set(std::uint8_t reg, std::uint16_t value) {
    bus_->set_word(kAddress, reg, hw::swap_bytes(value));
  }
  // The words written, as (register, word) with the word as the chip sees it.
  std::vector<std::pair<int, int>> written() const { return bus_->word_writes_be(); }
  static std::vector<Ads1115Channel> two_channels() {
    return {{"battery", Ads1115Input::a0, 4.096, 2.0}, {"shunt", Ads1115Input::a2_a3, 0.256, 1.0}};
  }

  std::shared_ptr<test::FakeI2cBus> bus_ = std::make_shared<test::FakeI2cBus>();
};

// The display precision of a channel keeps its steps, one LSB times the multiplier, apart.
TEST(Ads1115Precision, FromTheGainAndTheMultiplier) {
  const auto precision = [](double full_scale, double multiplier) {
    return Ads1115::display_precision({"x", Ads1115Input::a0, full_scale, multiplier});
  };
  EXPECT_EQ(precision(6.144, 1), 4);  // 187.5 µV
  EXPECT_EQ(precision(4.096, 1), 4);  // 125 µV
  EXPECT_EQ(precision(2.048, 1), 5);  // 62.5 µV
  EXPECT_EQ(precision(1.024, 1), 5);
  EXPECT_EQ(precision(0.512, 1), 5);  // 15.6 µV
  EXPECT_EQ(precision(0.256, 1), 6);  // 7.8 µV
  EXPECT_EQ(precision(4.096, 11), 3);  // a divider by 11: 1.375 mV
  EXPECT_EQ(precision(4.096, 1000), 1);   // 0.125 V
  EXPECT_EQ(precision(4.096, 10000), 0);  // 1.25 V
}

TEST_F(Ads1115Test, SetupChecksTheResetValuesItKeeps) {
  Ads1115 adc(bus_, kAddress, two_channels());
  adc.setup();
  ASSERT_EQ(bus_->log().size(), 3u);
  EXPECT_EQ(bus_->log()[0].kind, Kind::read_word);
  EXPECT_EQ(bus_->log()[0].reg, 0x01);
  EXPECT_EQ(bus_->log()[1].reg, 0x02);
  EXPECT_EQ(bus_->log()[2].reg, 0x03);

  // A config this driver wrote (another channel, another range) passes too.
  set(Ads1115::kConfigRegister, 0xBB83);
  adc.setup();

  // A TMP102 at 0x48: T_LOW 75 °C, T_HIGH 80 °C.
  set(Ads1115::kLoThreshRegister, 0x4B00);
  set(Ads1115::kHiThreshRegister, 0x5000);
  EXPECT_EQ(test::device_error([&] { adc.setup(); }),
            "ADS1115 at 0x48 on fake-i2c: config 0xbb83, Lo_thresh 0x4b00, Hi_thresh 0x5000: "
            "expected config & 0x01ff = 0x0183, 0x8000, 0x7fff (not an ADS1115?)");
  set(Ads1115::kLoThreshRegister, 0x8000);
  set(Ads1115::kHiThreshRegister, 0x7FFF);
  set(Ads1115::kConfigRegister, 0x8483);  // continuous mode
  EXPECT_THROW(adc.setup(), DeviceError);
}

TEST_F(Ads1115Test, OneConversionPerChannelInSequence) {
  Ads1115 adc(bus_, kAddress, two_channels());
  adc.setup();
  bus_->clear_log();

  EXPECT_EQ(adc.begin(), 10ms);
  EXPECT_EQ(written(), (std::vector<std::pair<int, int>>{{0x01, 0xC383}}));
  set(Ads1115::kConversionRegister, 0x4000);  // 2.048 V at A0, times the divider's 2
  std::vector<Reading> first = adc.collect();
  EXPECT_EQ(test::keys(first), (Strings{"battery"}));
  EXPECT_EQ(test::numbers(first), (std::vector<double>{4.096}));

  EXPECT_EQ(adc.begin_next(), 10ms);
  EXPECT_EQ(written(), (std::vector<std::pair<int, int>>{{0x01, 0xC383}, {0x01, 0xBB83}}));
  set(Ads1115::kConversionRegister, 0xC000);  // -16384: A2 below A3 by half the range
  std::vector<Reading> second = adc.collect();
  EXPECT_EQ(test::keys(second), (Strings{"shunt"}));
  EXPECT_EQ(test::numbers(second), (std::vector<double>{-0.128}));
  EXPECT_EQ(adc.begin_next(), std::nullopt);

  // Each collect() read the config back, then the conversion register.
  std::vector<int> reads;
  for (const auto& t : bus_->log()) {
    if (t.kind == Kind::read_word) reads.push_back(t.reg);
  }
  EXPECT_EQ(reads, (std::vector<int>{0x01, 0x00, 0x01, 0x00}));

  // Published with the decimals of each channel's step: 250 µV for 4.096 V doubled (4),
  // 7.8 µV for 0.256 V (6).
  const auto channels = two_channels();
  const auto payloads = [&] {
    std::vector<std::string> out;
    const test::DeviceCycle cycle = test::run_cycle(adc);
    for (std::size_t i = 0; i < cycle.readings.size(); ++i) {
      out.push_back(test::payload(cycle.readings[i].value,
                                  Ads1115::display_precision(channels.at(i))));
    }
    return out;
  };
  set(Ads1115::kConversionRegister, 12345);
  EXPECT_EQ(payloads(), (Strings{"3.0863", "0.096445"}));
  set(Ads1115::kConversionRegister, 0xFFFF);
  EXPECT_EQ(payloads(), (Strings{"-0.0003", "-0.000008"}));
}

TEST_F(Ads1115Test, UnfinishedConversionAndResetChip) {
  Ads1115 adc(bus_, kAddress, two_channels());
  adc.setup();
  (void)adc.begin();
  set(Ads1115::kConfigRegister, 0x4383);  // OS = 0: still converting
  EXPECT_EQ(test::device_error([&] { (void)adc.collect(); }),
            "ADS1115 at 0x48 on fake-i2c: conversion of battery not finished after 10 ms");

  (void)adc.begin();
  set(Ads1115::kConfigRegister, 0x8583);  // back to its reset value
  EXPECT_EQ(test::device_error([&] { (void)adc.collect(); }),
            "ADS1115 at 0x48 on fake-i2c: config register reads 0x8583 after the conversion of "
            "battery, written 0xc383 (was the chip reset?)");
}

TEST_F(Ads1115Test, Nack) {
  Ads1115 adc(bus_, kAddress, two_channels());
  bus_->nack(kAddress);
  EXPECT_EQ(test::device_error([&] { adc.setup(); }),
            "ADS1115 at 0x48 on fake-i2c: reading the config register: No such device or address");
}

// Through a PolledSensor built with one entity per channel, on a real loop: both channels are
// published together after the second conversion; a chip that stops answering makes both
// unavailable, and they come back with it.
TEST_F(Ads1115Test, ChannelsThroughThePolledSensorWithAFault) {
  set(Ads1115::kConversionRegister, 0x2000);
  PolledOptions options;
  options.id = "adc";
  options.interval = 40ms;
  options.retry_min = 10ms;
  options.retry_max = 20ms;
  std::vector<PolledSensor::Entity> entities;
  using Names = std::pair<std::string_view, std::string_view>;
  for (const auto& [key, name] : {Names{"battery", "Battery"}, Names{"shunt", "Shunt"}}) {
    const Quantity quantity{key, name, "voltage", "measurement", "V", 3};
    entities.push_back(
        {std::string(key), quantity_entity("adc", "ADC", quantity, options.interval)});
  }
  PolledSensor sensor(options, std::move(entities),
                      std::make_unique<Ads1115>(bus_, kAddress, two_channels()));
  ASSERT_EQ(sensor.entities().size(), 2u);
  EXPECT_EQ(sensor.entities()[0].id, "adc_battery");
  EXPECT_EQ(sensor.entities()[0].name, "ADC Battery");

  test::RecordingContext context;
  sensor.start(context);
  ASSERT_TRUE(test::run_until(context.loop(), [&] { return context.count("adc_shunt") == 1; }));
  bus_->nack(kAddress);
  ASSERT_TRUE(test::run_until(context.loop(), [&] { return context.events.size() == 6; }));
  bus_->nack(kAddress, false);
  ASSERT_TRUE(test::run_until(context.loop(), [&] { return context.count("adc_shunt") == 2; }));
  sensor.stop();

  // 0x2000 = 8192 counts: 1.024 V at A0 (doubled) and 0.064 V between A2 and A3.
  EXPECT_EQ(context.events,
            (std::vector<SensorEvent>{
                availability("adc_battery", true), availability("adc_shunt", true),
                published("adc_battery", 2.048), published("adc_shunt", 0.064),
                availability("adc_battery", false), availability("adc_shunt", false),
                availability("adc_battery", true), availability("adc_shunt", true),
                published("adc_battery", 2.048), published("adc_shunt", 0.064)}));
}

}  // namespace
}  // namespace pimqttd::sensors
