#include "sensors/lm75/lm75.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <memory>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "support/device_steps.hpp"
#include "support/fake_i2c_bus.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Kind = test::FakeI2cBus::Kind;

constexpr std::uint8_t kAddress = 0x48;

// ---- conversion (the register's bit weights: D15 the sign, then 64 °C down) --------------------

TEST(Lm75Temperature, FromTheRegisterBits) {
  EXPECT_EQ(lm75_temperature(0x0000), 0.0);
  EXPECT_EQ(lm75_temperature(0x1900), 25.0);
  EXPECT_EQ(lm75_temperature(0x0080), 0.5);      // the LM75's step, D7
  EXPECT_EQ(lm75_temperature(0x0020), 0.125);    // the LM75A's step, D5
  EXPECT_EQ(lm75_temperature(0x7D00), 125.0);    // the highest rated temperature
  EXPECT_EQ(lm75_temperature(0x191F), 25.0);     // D4..D0 are not the chip's
  EXPECT_EQ(lm75_temperature(0x19E0), 25.875);   // 25 + 0.5 + 0.25 + 0.125
}

TEST(Lm75Temperature, NegativeIsTwosComplement) {
  EXPECT_EQ(lm75_temperature(0xFF80), -0.5);
  EXPECT_EQ(lm75_temperature(0xFFE0), -0.125);
  EXPECT_EQ(lm75_temperature(0xE700), -25.0);
  EXPECT_EQ(lm75_temperature(0xC900), -55.0);    // the lowest rated temperature
  EXPECT_EQ(lm75_temperature(0x8000), -128.0);
}

// ---- the device --------------------------------------------------------------------------------

class Lm75Test : public ::testing::Test {
 protected:
  Lm75Test() {
    bus_->add_device(kAddress);
    set_temperature(0x0000);
  }
  void set_temperature(std::uint16_t value) {
    bus_->set_word(kAddress, 0x00, hw::swap_bytes(value));  // sent high byte first
  }
  void set_config(std::uint8_t value) {
    const std::array<std::uint8_t, 1> bytes{value};
    bus_->set_registers(kAddress, 0x01, bytes);
  }
  // Every transaction so far, as "<kind> <reg> <bytes...>".
  [[nodiscard]] std::vector<std::string> log() const {
    std::vector<std::string> out;
    for (const auto& t : bus_->log()) {
      EXPECT_EQ(t.address, kAddress);
      std::string line = t.kind == Kind::read_byte    ? "rb"
                         : t.kind == Kind::write_byte ? "wb"
                         : t.kind == Kind::read_word  ? "rw"
                                                      : "other";
      line += " " + std::to_string(t.reg);
      for (const std::uint8_t b : t.bytes) line += " " + std::to_string(b);
      out.push_back(line);
    }
    return out;
  }
  std::string setup_error() {
    return test::device_error([&] { device_.setup(); });
  }

  std::shared_ptr<test::FakeI2cBus> bus_ = std::make_shared<test::FakeI2cBus>();
  Lm75 device_{bus_, kAddress};
};

TEST_F(Lm75Test, SetupReadsTheConfigurationAndLeavesARunningChipAlone) {
  set_config(0x18);  // fault queue 4, comparator mode: not the driver's business
  device_.setup();
  EXPECT_EQ(log(), (std::vector<std::string>{"rb 1 24"}));
  EXPECT_EQ(device_.begin(), 0ms);  // it converts continuously
}

TEST_F(Lm75Test, CollectReadsTheTemperatureHighByteFirst) {
  device_.setup();
  bus_->clear_log();
  set_temperature(0x19E0);
  const auto readings = device_.collect();
  EXPECT_EQ(log(), (std::vector<std::string>{"rw 0 25 224"}));  // on the wire: 0x19 first
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].key, "temperature");
  EXPECT_EQ(std::get<double>(readings[0].value), 25.875);
  set_temperature(0xE700);
  EXPECT_EQ(std::get<double>(device_.collect().at(0).value), -25.0);
  // Published with one decimal, the 0.125 °C steps apart.
  EXPECT_EQ(test::payloads(readings, Lm75::kQuantities),
            (std::vector<std::string>{"temperature=25.9"}));
  set_temperature(0xFFE0);
  EXPECT_EQ(test::payloads(device_.collect(), Lm75::kQuantities),
            (std::vector<std::string>{"temperature=-0.1"}));
}

TEST_F(Lm75Test, WakesAChipLeftInShutdown) {
  set_config(0x07);  // shutdown, interrupt mode, OS active high: only shutdown is cleared
  device_.setup();
  EXPECT_EQ(log(), (std::vector<std::string>{"rb 1 7", "wb 1 6"}));
  EXPECT_EQ(bus_->reg(kAddress, 0x01), 0x06);
  EXPECT_EQ(device_.begin(), Lm75::kWakeTime);  // a fresh conversion first
  EXPECT_EQ(device_.begin(), 0ms);              // then never again
}

TEST_F(Lm75Test, NoAnswerAndFailuresMidCycle) {
  bus_->nack(kAddress);
  EXPECT_EQ(setup_error(),
            "LM75 at 0x48 on fake-i2c: reading the configuration: No such device or address");
  bus_->nack(kAddress, false);
  device_.setup();
  bus_->fail_next(std::error_code(EREMOTEIO, std::generic_category()));
  EXPECT_EQ(test::device_error([&] { (void)device_.collect(); }),
            "LM75 at 0x48 on fake-i2c: reading the temperature: Remote I/O error");
  EXPECT_EQ(device_.collect().size(), 1u);  // the next cycle reads again
}

}  // namespace
}  // namespace pimqttd::sensors
