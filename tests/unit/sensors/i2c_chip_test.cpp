#include "pimqttd/sensors/i2c_chip.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <memory>
#include <vector>

#include "pimqttd/sensors/polled.hpp"
#include "support/device_steps.hpp"
#include "support/fake_i2c_bus.hpp"

namespace pimqttd::sensors {
namespace {

using Kind = test::FakeI2cBus::Kind;

class I2cChipTest : public ::testing::Test {
 protected:
  I2cChipTest() { bus_->add_device(0x48); }
  std::shared_ptr<test::FakeI2cBus> bus_ = std::make_shared<test::FakeI2cBus>();
  I2cChip chip_{bus_, 0x48, "ADS1115"};
};

TEST_F(I2cChipTest, NamesItself) {
  EXPECT_EQ(chip_.where(), "ADS1115 at 0x48 on fake-i2c");
  EXPECT_EQ(chip_.address(), 0x48);
  EXPECT_EQ(test::device_error([&] { chip_.fail("something odd"); }),
            "ADS1115 at 0x48 on fake-i2c: something odd");
}

TEST_F(I2cChipTest, WordsAreMostSignificantByteFirstOnTheWire) {
  chip_.write_word_be(0x01, 0xC383, "the config register");
  ASSERT_EQ(bus_->log().size(), 1u);
  EXPECT_EQ(bus_->log()[0].kind, Kind::write_word);
  EXPECT_EQ(bus_->log()[0].bytes, (std::vector<std::uint8_t>{0xC3, 0x83}));
  bus_->set_word(0x48, 0x00, 0x3412);  // 0x12 then 0x34 on the wire
  EXPECT_EQ(chip_.read_word_be(0x00, "the conversion register"), 0x1234);
}

TEST_F(I2cChipTest, PlainReadsAndWrites) {
  const std::array<std::uint8_t, 2> command{0x24, 0x00};
  chip_.write(command, "the command");
  EXPECT_EQ(bus_->writes(0x48), (std::vector<std::vector<std::uint8_t>>{{0x24, 0x00}}));
  bus_->queue_read(0x48, {1, 2, 3});
  std::array<std::uint8_t, 3> out{};
  chip_.read(out, "the reply");
  EXPECT_EQ(out, (std::array<std::uint8_t, 3>{1, 2, 3}));
}

TEST_F(I2cChipTest, FailuresNameTheChipAndTheAction) {
  bus_->fail_next(std::make_error_code(std::errc::timed_out));
  EXPECT_EQ(test::device_error([&] { (void)chip_.read_word_be(0x01, "the config register"); }),
            "ADS1115 at 0x48 on fake-i2c: reading the config register: Connection timed out");
  bus_->fail_next({EIO, std::generic_category()});
  EXPECT_EQ(test::device_error([&] { chip_.write_word_be(0x01, 0, "the config register"); }),
            "ADS1115 at 0x48 on fake-i2c: writing the config register: Input/output error");
  std::array<std::uint8_t, 1> out{};
  EXPECT_EQ(test::device_error([&] { chip_.read(out, "the status"); }),
            "ADS1115 at 0x48 on fake-i2c: reading the status: Remote I/O error");
  bus_->nack(0x48);
  EXPECT_EQ(test::device_error([&] { chip_.write(out, "the command"); }),
            "ADS1115 at 0x48 on fake-i2c: writing the command: No such device or address");
}

}  // namespace
}  // namespace pimqttd::sensors
