#include "pimqttd/sensors/mcp9808.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <ostream>
#include <span>
#include <system_error>
#include <utility>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;

constexpr std::uint8_t kAddress = 0x18;

// An MCP9808 at the I2C seam: 16-bit registers that the chip sends most significant byte first,
// so an SMBus word read returns them byte-swapped. (FakeI2cBus pairs neighbouring byte registers
// into words, which cannot hold 0x06 = 0x0054 and 0x07 = 0x0400 at once: they would share a
// byte. The chip, like i2c-stub, has one 16-bit word per register.) Only word transactions exist;
// every transaction is logged as (kind, register, value as the datasheet shows it).
class Mcp9808Chip final : public hw::I2cBus {
 public:
  struct Access {
    char kind;  // 'r' or 'w'
    std::uint8_t reg;
    std::uint16_t value;
    friend bool operator==(const Access&, const Access&) = default;
    friend std::ostream& operator<<(std::ostream& out, const Access& a) {
      return out << a.kind << " " << int{a.reg} << " " << a.value;
    }
  };

  std::map<std::uint8_t, std::uint16_t> registers{
      {0x01, 0x0000}, {0x05, 0x0000}, {0x06, 0x0054}, {0x07, 0x0400}, {0x08, 0x0003}};
  std::vector<Access> log;
  bool present = true;
  std::error_code next_failure;

  std::error_code read_word_data(std::uint8_t address, std::uint8_t reg,
                                 std::uint16_t& value) override {
    if (const auto error = reach(address)) return error;
    log.push_back({'r', reg, registers[reg]});
    value = hw::swap_bytes(registers[reg]);
    return {};
  }
  std::error_code write_word_data(std::uint8_t address, std::uint8_t reg,
                                  std::uint16_t value) override {
    if (const auto error = reach(address)) return error;
    registers[reg] = hw::swap_bytes(value);
    log.push_back({'w', reg, registers[reg]});
    return {};
  }
  std::error_code read_byte_data(std::uint8_t, std::uint8_t, std::uint8_t&) override {
    return unexpected();
  }
  std::error_code write_byte_data(std::uint8_t, std::uint8_t, std::uint8_t) override {
    return unexpected();
  }
  std::error_code read_block_data(std::uint8_t, std::uint8_t, std::span<std::uint8_t>) override {
    return unexpected();
  }
  std::error_code write(std::uint8_t, std::span<const std::uint8_t>) override {
    return unexpected();
  }
  std::error_code read(std::uint8_t, std::span<std::uint8_t>) override { return unexpected(); }
  [[nodiscard]] std::string name() const override { return "fake-i2c"; }

 private:
  std::error_code reach(std::uint8_t address) {
    if (next_failure) return std::exchange(next_failure, {});
    const bool answers = present && address == kAddress;
    return answers ? std::error_code{} : std::make_error_code(std::errc::no_such_device_or_address);
  }
  static std::error_code unexpected() {
    ADD_FAILURE() << "the MCP9808 driver used a transaction other than SMBus word";
    return std::make_error_code(std::errc::not_supported);
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

class Mcp9808Test : public ::testing::Test {
 protected:
  std::shared_ptr<Mcp9808Chip> chip_ = std::make_shared<Mcp9808Chip>();
  Mcp9808 device_{chip_, kAddress};

  std::string setup_error() {
    try {
      device_.setup();
    } catch (const DeviceError& error) {
      return error.what();
    }
    return "no DeviceError";
  }
};

TEST_F(Mcp9808Test, SetupChecksBothIdsAndLeavesARunningChipAlone) {
  chip_->registers[0x07] = 0x0401;  // another revision is fine
  device_.setup();
  EXPECT_EQ(chip_->log, (std::vector<Mcp9808Chip::Access>{
                            {'r', 0x06, 0x0054}, {'r', 0x07, 0x0401}, {'r', 0x01, 0x0000}}));
  EXPECT_EQ(device_.begin(), 0ms);  // it converts continuously
}

TEST_F(Mcp9808Test, CollectReadsTheAmbientTemperature) {
  device_.setup();
  chip_->log.clear();
  chip_->registers[0x05] = 0xC194;  // 25.25 °C, TA >= TCRIT and > TUPPER
  const auto readings = device_.collect();
  EXPECT_EQ(chip_->log, (std::vector<Mcp9808Chip::Access>{{'r', 0x05, 0xC194}}));
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].key, "temperature");
  EXPECT_EQ(std::get<double>(readings[0].value), 25.25);
  chip_->registers[0x05] = 0x1E7F;
  EXPECT_EQ(std::get<double>(device_.collect().at(0).value), -24.0625);
}

TEST_F(Mcp9808Test, WakesAChipLeftInShutdown) {
  // Shutdown (bit 8) with the alert output enabled (bit 3) and active-high (bit 1): only the
  // shutdown bit is cleared.
  chip_->registers[0x01] = 0x010A;
  device_.setup();
  EXPECT_EQ(chip_->log.back(), (Mcp9808Chip::Access{'w', 0x01, 0x000A}));
  EXPECT_EQ(chip_->registers[0x01], 0x000A);
  EXPECT_EQ(device_.begin(), Mcp9808::kWakeTime);  // a fresh conversion first
  EXPECT_EQ(device_.begin(), 0ms);                 // then never again
}

TEST_F(Mcp9808Test, WrongIdsSayWhatWasFound) {
  chip_->registers[0x06] = 0x1131;  // another maker's temperature sensor
  EXPECT_EQ(setup_error(), "MCP9808 at 0x18 on fake-i2c: manufacturer id 0x1131, expected 0x0054");
  chip_->registers[0x06] = 0x0054;
  chip_->registers[0x07] = 0x0201;  // MCP9804
  EXPECT_EQ(setup_error(), "MCP9808 at 0x18 on fake-i2c: device id 0x02, expected 0x04");
  // Byte order matters: an unswapped read of 0x0054 would be 0x5400.
  chip_->registers[0x06] = 0x5400;
  chip_->registers[0x07] = 0x0400;
  EXPECT_EQ(setup_error(), "MCP9808 at 0x18 on fake-i2c: manufacturer id 0x5400, expected 0x0054");
  for (const auto& access : chip_->log) EXPECT_EQ(access.kind, 'r');
}

TEST_F(Mcp9808Test, NoAnswerAndFailuresMidCycle) {
  chip_->present = false;
  EXPECT_EQ(setup_error(),
            "MCP9808 at 0x18 on fake-i2c: reading the manufacturer id: No such device or address");
  chip_->present = true;
  device_.setup();
  chip_->next_failure = std::error_code(EREMOTEIO, std::generic_category());
  try {
    (void)device_.collect();
    FAIL() << "no DeviceError";
  } catch (const DeviceError& error) {
    EXPECT_STREQ(error.what(),
                 "MCP9808 at 0x18 on fake-i2c: reading the temperature: Remote I/O error");
  }
  EXPECT_EQ(device_.collect().size(), 1u);  // the next cycle reads again
}

}  // namespace
}  // namespace pimqttd::sensors
