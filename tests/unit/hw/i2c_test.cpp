#include "pimqttd/hw/i2c.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <string>

#include "support/temp_dir.hpp"

namespace pimqttd::hw {
namespace {

TEST(I2cSwapBytes, ExchangesTheTwoBytes) {
  EXPECT_EQ(swap_bytes(0x5400), 0x0054);
  EXPECT_EQ(swap_bytes(0x0054), 0x5400);
  EXPECT_EQ(swap_bytes(0x1234), 0x3412);
  EXPECT_EQ(swap_bytes(0xFFFF), 0xFFFF);
  static_assert(swap_bytes(0xABCD) == 0xCDAB);
}

TEST(LinuxI2cBus, DevicePathAndName) {
  EXPECT_EQ(LinuxI2cBus::device_path(1), std::filesystem::path("/dev/i2c-1"));
  EXPECT_EQ(LinuxI2cBus::device_path(22), std::filesystem::path("/dev/i2c-22"));
  const LinuxI2cBus bus(LinuxI2cBus::device_path(3));
  EXPECT_EQ(bus.name(), "/dev/i2c-3");
}

// A bus that does not exist is a failing transaction (an error code), never an exception, and
// the device is looked for again by every transaction.
TEST(LinuxI2cBus, MissingBusIsAnErrorCodeOnEveryTransaction) {
  const test::TempDir dir("pimqttd-i2c");
  const auto path = dir / "i2c-7";
  LinuxI2cBus bus(path);
  EXPECT_EQ(bus.name(), path.string());
  const std::error_code missing(ENOENT, std::generic_category());

  std::uint8_t byte = 0xAA;
  std::uint16_t word = 0xAAAA;
  std::array<std::uint8_t, 4> block{};
  const std::array<std::uint8_t, 1> command{0x01};
  EXPECT_EQ(bus.read_byte_data(0x76, 0xD0, byte), missing);
  EXPECT_EQ(byte, 0xAA);  // untouched
  EXPECT_EQ(bus.write_byte_data(0x76, 0xF4, 0x25), missing);
  EXPECT_EQ(bus.read_word_data(0x18, 0x05, word), missing);
  EXPECT_EQ(word, 0xAAAA);
  EXPECT_EQ(bus.write_word_data(0x18, 0x01, 0x0000), missing);
  EXPECT_EQ(bus.read_block_data(0x76, 0x88, block), missing);
  EXPECT_EQ(bus.write(0x23, command), missing);
  EXPECT_EQ(bus.read(0x23, block), missing);

  // Something appears at the path that is not an I2C adapter: the next transaction opens it
  // and fails on the adapter query instead (ENOTTY), showing that the open was retried.
  std::ofstream(path) << "not a bus\n";
  EXPECT_EQ(bus.read_byte_data(0x76, 0xD0, byte), std::error_code(ENOTTY, std::generic_category()));
  std::filesystem::remove(path);
  EXPECT_EQ(bus.read_byte_data(0x76, 0xD0, byte), missing);
}

TEST(LinuxI2cBus, BlockSizeIsCheckedFirst) {
  const test::TempDir dir("pimqttd-i2c");
  LinuxI2cBus bus(dir / "i2c-7");
  std::array<std::uint8_t, 33> too_long{};
  const auto invalid = std::make_error_code(std::errc::invalid_argument);
  EXPECT_EQ(bus.read_block_data(0x76, 0x88, std::span(too_long).first(0)), invalid);
  EXPECT_EQ(bus.read_block_data(0x76, 0x88, too_long), invalid);
}

}  // namespace
}  // namespace pimqttd::hw
