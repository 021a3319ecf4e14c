#include "pimqttd/sensors/sysfs_device.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "support/fake_sysfs.hpp"

namespace pimqttd::sensors {
namespace {

namespace fs = std::filesystem;
using test::FakeSysfs;

constexpr const char* kIio = "sys/bus/iio/devices";
const std::string kI2c1 = "platform/soc/fe804000.i2c/i2c-1";

DeviceSelector by_name(std::string name, std::size_t index = 0) {
  return {DeviceSelector::By::name, std::move(name), index};
}

// Two chips on i2c-1 and a DHT11 on a GPIO, as the overlays make them.
void add_weather_devices(const FakeSysfs& sysfs) {
  sysfs.add_device(kIio, "iio:device0", kI2c1 + "/1-0077/iio:device0",
                   {{"name", "bme680\n"}, {"in_temp_input", "21000\n"}});
  FakeSysfs::write(sysfs.root() / "sys/devices" / kI2c1 / "1-0077/of_node/compatible",
                   std::string("bosch,bme680\0", 13));
  sysfs.add_device(kIio, "iio:device1", "platform/dht11@4/iio:device1",
                   {{"name", "dht11\n"}, {"of_node/compatible", std::string("dht11\0", 6)}});
  sysfs.add_device(kIio, "trigger0", "trigger0", {{"name", "sysfstrig0\n"}});
}

TEST(SysfsDevice, ListsTheClassSortedByRealPathWithoutOtherEntries) {
  const FakeSysfs sysfs;
  add_weather_devices(sysfs);
  const auto devices = list_sysfs_devices(sysfs.root(), kIioClass);
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].name, "dht11");  // platform/dht11@4 sorts before platform/soc
  EXPECT_EQ(devices[0].directory, sysfs.root() / kIio / "iio:device1");
  EXPECT_EQ(devices[0].real_path, sysfs.root() / "sys/devices/platform/dht11@4/iio:device1");
  EXPECT_EQ(devices[1].name, "bme680");
  EXPECT_EQ(sysfs_device_names(sysfs.root(), kIioClass), "\"dht11\", \"bme680\"");
  EXPECT_EQ(sysfs_device_names(sysfs.root(), kHwmonClass), "none");
}

TEST(SysfsDevice, FoundByNameCompatibleOrPath) {
  const FakeSysfs sysfs;
  add_weather_devices(sysfs);
  const auto named = find_sysfs_device(sysfs.root(), kIioClass, by_name("bme680"));
  ASSERT_TRUE(named) << named.error();
  EXPECT_EQ(named.value().directory, sysfs.root() / kIio / "iio:device0");

  // The parent device's compatible (the I2C client), and the device's own.
  const auto bosch = find_sysfs_device(sysfs.root(), kIioClass,
                                       {DeviceSelector::By::compatible, "bosch,bme680", 0});
  ASSERT_TRUE(bosch) << bosch.error();
  EXPECT_EQ(bosch.value().name, "bme680");
  const auto dht = find_sysfs_device(sysfs.root(), kIioClass,
                                     {DeviceSelector::By::compatible, "dht11", 0});
  ASSERT_TRUE(dht) << dht.error();
  EXPECT_EQ(dht.value().name, "dht11");

  // The parent device's path, and the device's own.
  const auto parent = find_sysfs_device(
      sysfs.root(), kIioClass,
      {DeviceSelector::By::path, "/sys/devices/" + kI2c1 + "/1-0077", 0});
  ASSERT_TRUE(parent) << parent.error();
  EXPECT_EQ(parent.value().name, "bme680");
  const auto own = find_sysfs_device(
      sysfs.root(), kIioClass,
      {DeviceSelector::By::path, "/sys/devices/platform/dht11@4/iio:device1", 0});
  ASSERT_TRUE(own) << own.error();
  EXPECT_EQ(own.value().name, "dht11");
}

TEST(SysfsDevice, PlainDirectoriesWorkToo) {
  const FakeSysfs sysfs;
  sysfs.add_device("sys/class/hwmon", "hwmon3", "", {{"name", "cooling_fan\n"}}, false);
  const auto found = find_sysfs_device(sysfs.root(), kHwmonClass, by_name("cooling_fan"));
  ASSERT_TRUE(found) << found.error();
  EXPECT_EQ(found.value().directory, sysfs.root() / "sys/class/hwmon/hwmon3");
}

TEST(SysfsDevice, MissingDeviceSaysWhatExists) {
  const FakeSysfs sysfs;
  add_weather_devices(sysfs);
  const auto missing = find_sysfs_device(sysfs.root(), kIioClass, by_name("bmp280"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "no IIO device named \"bmp280\" under " +
                                 (sysfs.root() / kIio).string() +
                                 "; the IIO devices there are named \"dht11\", \"bme680\"");
}

TEST(SysfsDevice, IndexPicksAmongMatchesByRealPath) {
  const FakeSysfs sysfs;
  sysfs.add_device(kIio, "iio:device0", "platform/b/iio:device0", {{"name", "ads1015\n"}});
  sysfs.add_device(kIio, "iio:device1", "platform/a/iio:device1", {{"name", "ads1015\n"}});
  const auto first = find_sysfs_device(sysfs.root(), kIioClass, by_name("ads1015"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first.value().directory.filename(), "iio:device1");
  const auto second = find_sysfs_device(sysfs.root(), kIioClass, by_name("ads1015", 1));
  ASSERT_TRUE(second);
  EXPECT_EQ(second.value().directory.filename(), "iio:device0");
  const auto third = find_sysfs_device(sysfs.root(), kIioClass, by_name("ads1015", 2));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error(), "2 IIO devices named \"ads1015\" (index 2) under " +
                               (sysfs.root() / kIio).string() + ", so there is no index 2");
}

TEST(SysfsDevice, RenumberedBetweenBootsIsFoundByName) {
  const FakeSysfs sysfs;
  const fs::path before =
      sysfs.add_device(kIio, "iio:device0", "platform/dht11@4/iio:device0", {{"name", "dht11\n"}});
  ASSERT_EQ(find_sysfs_device(sysfs.root(), kIioClass, by_name("dht11")).value().directory,
            before);
  sysfs.remove_device(before);
  sysfs.add_device(kIio, "iio:device2", "platform/dht11@4/iio:device2", {{"name", "dht11\n"}});
  EXPECT_EQ(find_sysfs_device(sysfs.root(), kIioClass, by_name("dht11")).value().directory,
            sysfs.root() / kIio / "iio:device2");
}

TEST(SysfsDevice, AttributesAreTheRegularFiles) {
  const FakeSysfs sysfs;
  const fs::path device = sysfs.add_device(
      kIio, "iio:device0", "x/iio:device0",
      {{"name", "bmp280\n"}, {"in_temp_input", "1\n"}, {"power/runtime_status", "active\n"}});
  fs::create_directory_symlink(sysfs.root() / "sys/devices/x", device / "device");
  EXPECT_EQ(list_attributes(device), (std::vector<std::string>{"in_temp_input", "name"}));
}

TEST(SysfsDevice, AttributeReadsKeepTheErrno) {
  const FakeSysfs sysfs;
  FakeSysfs::write(sysfs.root() / "a", "42\n");
  const AttributeRead good = read_attribute(sysfs.root() / "a");
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(good.text, "42\n");
  const AttributeRead missing = read_attribute(sysfs.root() / "b");
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.error, ENOENT);
}

TEST(SysfsDevice, ParsesDecimalNumbersOnly) {
  EXPECT_EQ(parse_attribute_number("23125\n"), 23125.0);
  EXPECT_EQ(parse_attribute_number("-5"), -5.0);
  EXPECT_EQ(parse_attribute_number("100.125000000\n"), 100.125);
  EXPECT_EQ(parse_attribute_number("0.000976562"), 0.000976562);
  EXPECT_EQ(parse_attribute_number(" +7 "), 7.0);
  for (const char* bad : {"", "\n", "abc", "1e3", "0x10", "1.", ".5", "1.2.3", "12 34", "-",
                          "nan", "inf"}) {
    EXPECT_EQ(parse_attribute_number(bad), std::nullopt) << bad;
  }
}

TEST(SysfsDevice, TransientErrors) {
  for (int error : {EIO, ETIMEDOUT, EAGAIN, EBUSY, ENODATA, EREMOTEIO, EINTR}) {
    EXPECT_TRUE(is_transient_read_error(error)) << error;
  }
  for (int error : {0, ENOENT, ENODEV, EINVAL, EACCES}) {
    EXPECT_FALSE(is_transient_read_error(error)) << error;
  }
}

TEST(SysfsDevice, SelectorDescriptions) {
  EXPECT_EQ(by_name("bmp280").describe(), "named \"bmp280\"");
  EXPECT_EQ(by_name("bmp280", 1).describe(), "named \"bmp280\" (index 1)");
  EXPECT_EQ((DeviceSelector{DeviceSelector::By::compatible, "bosch,bme680", 0}.describe()),
            "compatible with \"bosch,bme680\"");
  EXPECT_EQ((DeviceSelector{DeviceSelector::By::path, "/sys/devices/x", 0}.describe()),
            "at \"/sys/devices/x\"");
}

}  // namespace
}  // namespace pimqttd::sensors
