#include "sensors/mcp9808/mcp9808.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <ostream>
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

constexpr std::uint8_t kAddress = 0x18;

// A transaction with the MCP9808 as the datasheet shows it: its 16-bit registers go most
// significant byte first, so the value is the byte-swapped SMBus word.
struct Access {
  char kind;  // 'r' or 'w'
  std::uint8_t reg;
  std::uint16_t value;
  friend bool operator==(const Access&, const Access&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Access& a) {
    return out << a.kind << " " << int{a.reg} << " " << a.value;
  }
};

// ---- conversion (datasheet equation 5-1 and the register's bit weights, table 5-5) -------------

TEST(Mcp9808Temperature, FromTheRegisterBits) {
  // Upper byte 0x01 (2^4 °C), lower byte 0x94 (2^3 + 2^0 + 2^-2 °C): 16 + 9.25 = 25.25 °C.
  EXPECT_EQ(mcp9808_temperature(0x0194), 25.25);
  EXPECT_EQ(mcp9808_temperature(0x0000), 0.0);
  EXPECT_EQ(mcp9808_temperature(0x0001), 0.0625);    // the resolution, 2^-4 °C
  EXPECT_EQ(mcp9808_temperature(0x0FFF), 255.9375);  // every magnitude bit
  // The three flag bits (TA >= TCRIT, > TUPPER, < TLOWER) do not change the temperature.
  EXPECT_EQ(mcp9808_temperature(0xE194), 25.25);
  EXPECT_EQ(mcp9808_temperature(0x2194), 25.25);
}

TEST(Mcp9808Temperature, NegativeIsTwosComplement) {
  // Sign set: (UpperByte & 0x0F) * 16 + LowerByte / 16 - 256. 0x1FF0: 240 + 15 - 256 = -1 °C
  // (the datasheet's printed "256 - ..." would give +1 °C).
  EXPECT_EQ(mcp9808_temperature(0x1FF0), -1.0);
  EXPECT_EQ(mcp9808_temperature(0x1FFF), -0.0625);
  EXPECT_EQ(mcp9808_temperature(0x1E7F), -24.0625);  // 224 + 7.9375 - 256
  EXPECT_EQ(mcp9808_temperature(0x1D80), -40.0);     // the chip's lowest rated temperature
  EXPECT_EQ(mcp9808_temperature(0x1000), -256.0);
  EXPECT_EQ(mcp9808_temperature(0xFE7F), -24.0625);  // with every flag set
}

// ---- the device --------------------------------------------------------------------------------

// The chip has one 16-bit word per register (as i2c-stub keeps them): 0x06 = 0x0054 and
// 0x07 = 0x0400 at once, which pairs of byte registers could not hold.
class Mcp9808Test : public ::testing::Test {
 protected:
  Mcp9808Test() {
    set(0x01, 0x0000);
    set(0x05, 0x0000);
    set(0x06, 0x0054);
    set(0x07, 0x0400);
    set(0x08, 0x0003);
  }
  void set(std::uint8_t reg, std::uint16_t value) {
    bus_->set_word(kAddress, reg, hw::swap_bytes(value));
  }
  [[nodiscard]] std::uint16_t get(std::uint8_t reg) const {
    return hw::swap_bytes(bus_->word(kAddress, reg));
  }
  // Every transaction so far; the driver uses SMBus word transactions only.
  [[nodiscard]] std::vector<Access> log() const {
    std::vector<Access> out;
    for (const auto& t : bus_->log()) {
      if (t.kind != Kind::read_word && t.kind != Kind::write_word) {
        ADD_FAILURE() << "the MCP9808 driver used a transaction other than SMBus word";
        continue;
      }
      EXPECT_EQ(t.address, kAddress);
      out.push_back({t.kind == Kind::read_word ? 'r' : 'w', t.reg,
                     static_cast<std::uint16_t>(t.bytes.at(0) << 8 | t.bytes.at(1))});
    }
    return out;
  }
  void clear_log() {
    (void)log();  // checks what is forgotten
    bus_->clear_log();
  }
  void TearDown() override { (void)log(); }
  std::string setup_error() {
    return test::device_error([&] { device_.setup(); });
  }

  std::shared_ptr<test::FakeI2cBus> bus_ = std::make_shared<test::FakeI2cBus>();
  Mcp9808 device_{bus_, kAddress};
};

TEST_F(Mcp9808Test, SetupChecksBothIdsAndLeavesARunningChipAlone) {
  set(0x07, 0x0401);  // another revision is fine
  device_.setup();
  EXPECT_EQ(log(), (std::vector<Access>{
                       {'r', 0x06, 0x0054}, {'r', 0x07, 0x0401}, {'r', 0x01, 0x0000}}));
  EXPECT_EQ(device_.begin(), 0ms);  // it converts continuously
}

TEST_F(Mcp9808Test, CollectReadsTheAmbientTemperature) {
  device_.setup();
  clear_log();
  set(0x05, 0xC194);  // 25.25 °C, TA >= TCRIT and > TUPPER
  const auto readings = device_.collect();
  EXPECT_EQ(log(), (std::vector<Access>{{'r', 0x05, 0xC194}}));
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].key, "temperature");
  EXPECT_EQ(std::get<double>(readings[0].value), 25.25);
  set(0x05, 0x1E7F);
  const auto negative = device_.collect();
  EXPECT_EQ(std::get<double>(negative.at(0).value), -24.0625);
  // Published with two decimals: the 0.0625 °C steps stay apart.
  EXPECT_EQ(test::payloads(readings, Mcp9808::kQuantities),
            (std::vector<std::string>{"temperature=25.25"}));
  EXPECT_EQ(test::payloads(negative, Mcp9808::kQuantities),
            (std::vector<std::string>{"temperature=-24.06"}));
  set(0x05, 0x0191);
  EXPECT_EQ(test::payloads(device_.collect(), Mcp9808::kQuantities),
            (std::vector<std::string>{"temperature=25.06"}));
}

TEST_F(Mcp9808Test, WakesAChipLeftInShutdown) {
  // Shutdown (bit 8) with the alert output enabled (bit 3) and active-high (bit 1): only the
  // shutdown bit is cleared.
  set(0x01, 0x010A);
  device_.setup();
  EXPECT_EQ(log().back(), (Access{'w', 0x01, 0x000A}));
  EXPECT_EQ(get(0x01), 0x000A);
  EXPECT_EQ(device_.begin(), Mcp9808::kWakeTime);  // a fresh conversion first
  EXPECT_EQ(device_.begin(), 0ms);                 // then never again
}

TEST_F(Mcp9808Test, WrongIdsSayWhatWasFound) {
  set(0x06, 0x1131);  // another maker's temperature sensor
  EXPECT_EQ(setup_error(), "MCP9808 at 0x18 on fake-i2c: manufacturer id 0x1131, expected 0x0054");
  set(0x06, 0x0054);
  set(0x07, 0x0201);  // MCP9804
  EXPECT_EQ(setup_error(), "MCP9808 at 0x18 on fake-i2c: device id 0x02, expected 0x04");
  // Byte order matters: an unswapped read of 0x0054 would be 0x5400.
  set(0x06, 0x5400);
  set(0x07, 0x0400);
  EXPECT_EQ(setup_error(), "MCP9808 at 0x18 on fake-i2c: manufacturer id 0x5400, expected 0x0054");
  for (const auto& access : log()) EXPECT_EQ(access.kind, 'r');
}

TEST_F(Mcp9808Test, NoAnswerAndFailuresMidCycle) {
  bus_->nack(kAddress);
  EXPECT_EQ(setup_error(),
            "MCP9808 at 0x18 on fake-i2c: reading the manufacturer id: No such device or address");
  bus_->nack(kAddress, false);
  device_.setup();
  bus_->fail_next(std::error_code(EREMOTEIO, std::generic_category()));
  EXPECT_EQ(test::device_error([&] { (void)device_.collect(); }),
            "MCP9808 at 0x18 on fake-i2c: reading the temperature: Remote I/O error");
  EXPECT_EQ(device_.collect().size(), 1u);  // the next cycle reads again
}

}  // namespace
}  // namespace pimqttd::sensors
