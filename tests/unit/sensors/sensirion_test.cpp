#include "pimqttd/sensors/sensirion.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "support/device_steps.hpp"
#include "support/fake_i2c_bus.hpp"

namespace pimqttd::sensors {
namespace {

// The SHT3x datasheet's example (CRC properties table): CRC(0xBEEF) = 0x92.
static_assert(sensirion_crc(0xBEEF) == 0x92);

TEST(Crc8, SensirionDatasheetExample) {
  const std::array<std::uint8_t, 2> beef{0xBE, 0xEF};
  EXPECT_EQ(crc8(beef, 0xFF), 0x92);
  EXPECT_EQ(sensirion_crc(0xBEEF), 0x92);
}

TEST(Crc8, Htu21dDatasheetExamples) {
  // HTU21D(F) datasheet, CRC examples (initial value 0x00): 0xDC -> 0x79, 0x683A -> 0x7C,
  // 0x4E85 -> 0x6B.
  EXPECT_EQ(crc8(std::array<std::uint8_t, 1>{0xDC}, 0x00), 0x79);
  EXPECT_EQ(crc8(std::array<std::uint8_t, 2>{0x68, 0x3A}, 0x00), 0x7C);
  EXPECT_EQ(crc8(std::array<std::uint8_t, 2>{0x4E, 0x85}, 0x00), 0x6B);
}

TEST(Crc8, Aht20Frames) {
  // Six data bytes of two AHT20 replies published with their CRC byte (initial value 0xFF).
  EXPECT_EQ(crc8(std::array<std::uint8_t, 6>{0x1C, 0x26, 0x9A, 0x76, 0x42, 0xE7}, 0xFF), 0x76);
  EXPECT_EQ(crc8(std::array<std::uint8_t, 6>{0x18, 0x93, 0xAC, 0x95, 0x2A, 0xC5}, 0xFF), 0xB3);
}

TEST(Crc8, DetectsEverySingleBitError) {
  const std::uint8_t good = sensirion_crc(0x6666);
  for (unsigned bit = 0; bit < 16; ++bit) {
    EXPECT_NE(sensirion_crc(static_cast<std::uint16_t>(0x6666U ^ (1U << bit))), good) << bit;
  }
}

class SensirionWordsTest : public ::testing::Test {
 protected:
  SensirionWordsTest() { bus_->add_device(0x44); }
  std::shared_ptr<test::FakeI2cBus> bus_ = std::make_shared<test::FakeI2cBus>();
  I2cChip chip_{bus_, 0x44, "SHT4x"};
};

TEST_F(SensirionWordsTest, ReadsWordsMostSignificantByteFirst) {
  bus_->queue_read(0x44, {0x66, 0x66, 0x93, 0xBE, 0xEF, 0x92});
  std::array<std::uint16_t, 2> words{};
  read_sensirion_words(chip_, words, "the measurement");
  EXPECT_EQ(words, (std::array<std::uint16_t, 2>{0x6666, 0xBEEF}));
}

TEST_F(SensirionWordsTest, NamesTheWordWhoseCrcIsWrong) {
  bus_->queue_read(0x44, {0x66, 0x66, 0x93, 0xBE, 0xEF, 0x29});
  std::array<std::uint16_t, 2> words{};
  EXPECT_EQ(test::device_error([&] { read_sensirion_words(chip_, words, "the measurement"); }),
            "SHT4x at 0x44 on fake-i2c: CRC mismatch in word 2 of the measurement: 0xbeef came "
            "with CRC 0x29, expected 0x92");
}

TEST_F(SensirionWordsTest, AFailedReadNamesWhatWasRead) {
  std::array<std::uint16_t, 2> words{};
  EXPECT_EQ(test::device_error([&] { read_sensirion_words(chip_, words, "the serial number"); }),
            "SHT4x at 0x44 on fake-i2c: reading the serial number: Remote I/O error");
}

}  // namespace
}  // namespace pimqttd::sensors
