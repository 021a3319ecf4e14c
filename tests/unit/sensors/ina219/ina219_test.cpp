#include "sensors/ina219/ina219.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/device_steps.hpp"
#include "support/fake_i2c_bus.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;
using Kind = test::FakeI2cBus::Kind;

constexpr std::uint8_t kAddress = 0x40;

// The datasheet's calibration procedure: Current_LSB = max current / 2^15,
// Cal = trunc(0.04096 / (Current_LSB * R_shunt)), Power_LSB = 20 * Current_LSB. With a 0.1 Ω
// shunt and 1.6384 A, Current_LSB is 50 µA, Cal 8192 (0x2000) and Power_LSB 1 mW; with the
// default 3.2 A (0.32 V / 0.1 Ω), Cal = trunc(4194.304) = 4194.
TEST(Ina219Calibration, DatasheetProcedure) {
  EXPECT_EQ(Ina219::calibration(0.1, 1.6384), 8192);
  EXPECT_EQ(Ina219::calibration(0.1, 3.2), 4194);
  EXPECT_EQ(Ina219::calibration(0.5, 0.64), 4194);
  // Bit 0 of the register is void: an odd Cal is rounded down to even.
  EXPECT_EQ(Ina219::calibration(0.01, 10.0), 13420);
  // A Cal beyond the register's 16 bits is capped (a coarser LSB than asked for).
  EXPECT_EQ(Ina219::calibration(0.1, 0.1), 65534);

  auto bus = std::make_shared<test::FakeI2cBus>();
  const Ina219 ina(bus, kAddress, 0.1, 1.6384);
  EXPECT_EQ(ina.calibration(), 8192);
  EXPECT_EQ(ina.current_lsb(), 0.00005);
  // The LSB Cal actually gives: 0.04096 / (4194 * 0.1), not 3.2 / 32768.
  EXPECT_EQ(Ina219(bus, kAddress, 0.1, 3.2).current_lsb(), 0.04096 / (4194 * 0.1));
}

TEST(Ina219Calibration, RejectsWhatTheShuntRangeCannotMeasure) {
  auto bus = std::make_shared<test::FakeI2cBus>();
  EXPECT_THROW(Ina219(bus, kAddress, 0.0, 1.0), std::invalid_argument);
  EXPECT_THROW(Ina219(bus, kAddress, 0.1, 0.0), std::invalid_argument);
  EXPECT_THROW(Ina219(bus, kAddress, 0.1, 3.3), std::invalid_argument);  // 0.33 V > 0.32 V
  EXPECT_NO_THROW(Ina219(bus, kAddress, 0.1, 3.2));
}

class Ina219Test : public ::testing::Test {
 protected:
  Ina219Test() { set(Ina219::kConfigRegister, 0x399F); }
  void set(std::uint8_t reg, std::uint16_t value) {
    bus_->set_word(kAddress, reg, hw::swap_bytes(value));
  }
  [[nodiscard]] std::uint16_t get(std::uint8_t reg) const {
    return hw::swap_bytes(bus_->word(kAddress, reg));
  }
  // 12 V on the bus with a conversion ready (CNVR), 1 A, 12 W; Current_LSB 50 µA.
  void set_readings() {
    set(Ina219::kBusVoltageRegister, (3000 << 3) | 0x0002);
    set(Ina219::kCurrentRegister, 20000);
    set(Ina219::kPowerRegister, 12000);  // current * bus voltage register / 5000
  }
  // The words written, as (register, word) with the word as the chip sees it.
  std::vector<std::pair<int, int>> written() const { return bus_->word_writes_be(); }

  std::shared_ptr<test::FakeI2cBus> bus_ = std::make_shared<test::FakeI2cBus>();
  Ina219 ina_{bus_, kAddress, 0.1, 1.6384};
};

TEST_F(Ina219Test, AChipAtItsResetValueIsCalibrated) {
  ina_.setup();
  EXPECT_EQ(written(), (std::vector<std::pair<int, int>>{{0x05, 0x2000}}));
  EXPECT_EQ(get(Ina219::kCalibrationRegister), 0x2000);
  ASSERT_EQ(bus_->log().size(), 2u);
  EXPECT_EQ(bus_->log()[0].kind, Kind::read_word);
  EXPECT_EQ(bus_->log()[0].reg, 0x00);
}

TEST_F(Ina219Test, AnyOtherConfigurationGetsAResetThatMustRestoreIt) {
  set(Ina219::kConfigRegister, 0x019F);  // 16 V range, PGA /1
  // The fake keeps what is written, like i2c-stub: the reset bit does not bring 0x399F back,
  // which is what a chip that is not an INA219 would do.
  EXPECT_EQ(test::device_error([&] { ina_.setup(); }),
            "INA219 at 0x40 on fake-i2c: configuration register 0x8000 after a reset, expected "
            "0x399f (not an INA219?)");
  EXPECT_EQ(written(), (std::vector<std::pair<int, int>>{{0x00, 0x8000}}));
}

TEST_F(Ina219Test, BusVoltageCurrentAndPower) {
  ina_.setup();
  set_readings();
  bus_->clear_log();
  // After setup(), one wait for a conversion that follows the calibration; then none.
  const test::DeviceCycle cycle = test::run_cycle(ina_);
  EXPECT_EQ(cycle.waits, (std::vector{2ms}));
  EXPECT_EQ(test::keys(cycle.readings), (Strings{"bus_voltage", "current", "power"}));
  EXPECT_EQ(test::numbers(cycle.readings), (std::vector<double>{12.0, 1.0, 12.0}));
  std::vector<int> reads;
  for (const auto& t : bus_->log()) reads.push_back(t.reg);
  EXPECT_EQ(reads, (std::vector<int>{0x05, 0x02, 0x04, 0x03}));
  EXPECT_TRUE(written().empty());

  // Current flowing backwards: the current register is signed.
  set(Ina219::kCurrentRegister, static_cast<std::uint16_t>(-20000));
  const test::DeviceCycle next = test::run_cycle(ina_);
  EXPECT_EQ(next.waits, (std::vector{0ms}));
  EXPECT_EQ(test::numbers(next.readings), (std::vector<double>{12.0, -1.0, 12.0}));

  // Bits 2..0 are not part of the bus voltage: 0xFFFA is 8191 * 4 mV.
  set(Ina219::kBusVoltageRegister, 0xFFFA);
  EXPECT_EQ(test::numbers(test::run_cycle(ina_).readings).at(0), 8191 * 0.004);
}

TEST_F(Ina219Test, DefaultShuntAndMaximum) {
  Ina219 ina(bus_, kAddress, 0.1, 3.2);
  ina.setup();
  EXPECT_EQ(get(Ina219::kCalibrationRegister), 4194);
  // 1 A through 0.1 Ω is a shunt register of 10000; the chip's current register is then
  // trunc(10000 * 4194 / 4096) = 10239.
  set_readings();
  set(Ina219::kCurrentRegister, 10239);
  const test::DeviceCycle cycle = test::run_cycle(ina);
  EXPECT_DOUBLE_EQ(test::numbers(cycle.readings).at(1), 10239 * 0.04096 / 419.4);
  // Current_LSB 97.66 µA: five decimals; Power_LSB 1.95 mW: three.
  EXPECT_EQ(test::payloads(cycle.readings, ina219_quantities(ina.current_lsb())),
            (Strings{"bus_voltage=12", "current=0.99997", "power=23.439"}));
}

// Published with the decimals of each register's LSB: 4 mV, and for 0.1 Ω and 1.6384 A a
// Current_LSB of 50 µA (five decimals) and a Power_LSB of 1 mW (three).
TEST_F(Ina219Test, PublishedWithTheDecimalsOfTheLsbs) {
  ina_.setup();
  set(Ina219::kBusVoltageRegister, (3001 << 3) | 0x0002);
  set(Ina219::kCurrentRegister, 12345);
  set(Ina219::kPowerRegister, 1234);
  const auto quantities = ina219_quantities(ina_.current_lsb());
  EXPECT_EQ(test::payloads(test::run_cycle(ina_).readings, quantities),
            (Strings{"bus_voltage=12.004", "current=0.61725", "power=1.234"}));
  set(Ina219::kCurrentRegister, static_cast<std::uint16_t>(-3));
  set(Ina219::kPowerRegister, 3);
  EXPECT_EQ(test::payloads(test::run_cycle(ina_).readings, quantities),
            (Strings{"bus_voltage=12.004", "current=-0.00015", "power=0.003"}));
}

TEST_F(Ina219Test, FlagsAndALostCalibration) {
  ina_.setup();
  set_readings();
  set(Ina219::kBusVoltageRegister, 3000 << 3);  // CNVR clear
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(ina_); }),
            "INA219 at 0x40 on fake-i2c: no conversion completed (bus voltage register 0x5dc0)");
  set(Ina219::kBusVoltageRegister, (3000 << 3) | 0x0003);  // CNVR and OVF
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(ina_); }),
            "INA219 at 0x40 on fake-i2c: current or power out of range (math overflow: more "
            "current than max_current)");
  set(Ina219::kBusVoltageRegister, (3000 << 3) | 0x0002);
  set(Ina219::kCalibrationRegister, 0x0000);  // a power-on reset clears it
  EXPECT_EQ(test::device_error([&] { (void)test::run_cycle(ina_); }),
            "INA219 at 0x40 on fake-i2c: calibration register reads 0x0000, written 0x2000 (was "
            "the chip reset?)");
  // The next attempt's setup() programs it again.
  ina_.setup();
  EXPECT_EQ(test::numbers(test::run_cycle(ina_).readings), (std::vector<double>{12.0, 1.0, 12.0}));
}

TEST_F(Ina219Test, Nack) {
  bus_->nack(kAddress);
  EXPECT_EQ(test::device_error([&] { ina_.setup(); }),
            "INA219 at 0x40 on fake-i2c: reading the configuration register: No such device or "
            "address");
}

}  // namespace
}  // namespace pimqttd::sensors
