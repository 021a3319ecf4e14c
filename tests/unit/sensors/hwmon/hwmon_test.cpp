#include "sensors/hwmon/hwmon.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pimqttd/ha/discovery.hpp"
#include "support/fake_sysfs.hpp"
#include "support/recording_context.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::FakeSysfs;

constexpr const char* kHwmon = "sys/class/hwmon";

Value read_value(const fs::path& device, const std::string& channel) {
  const ChannelReading got = read_hwmon_channel(device, channel, read_attribute);
  EXPECT_TRUE(got.value.has_value()) << got.error;
  return got.value.value_or(Value{std::string("none")});
}

TEST(Hwmon, UnitsPerTheHwmonAbi) {
  const FakeSysfs sysfs;
  const fs::path device = sysfs.add_device(kHwmon, "hwmon4", "platform/ina/hwmon/hwmon4",
                                           {{"name", "test\n"},
                                            {"temp1_input", "48686\n"},
                                            {"in0_input", "5123\n"},
                                            {"curr1_input", "1500\n"},
                                            {"power1_input", "2512345\n"},
                                            {"energy1_input", "3603600000\n"},
                                            {"humidity1_input", "45123\n"},
                                            {"fan1_input", "2950\n"},
                                            {"in0_lcrit_alarm", "1\n"},
                                            {"temp1_crit_alarm", "0\n"}});
  EXPECT_EQ(read_value(device, "temp1"), Value{48.686});
  EXPECT_EQ(read_value(device, "in0"), Value{5.123});
  EXPECT_EQ(read_value(device, "curr1"), Value{1.5});
  EXPECT_EQ(read_value(device, "power1"), Value{2.512345});
  EXPECT_EQ(read_value(device, "energy1"), Value{1.001});
  EXPECT_EQ(read_value(device, "humidity1"), Value{45.123});
  EXPECT_EQ(read_value(device, "fan1"), Value{2950.0});
  // Published with the decimals of each channel type's table.
  const auto payload = [&](const char* channel) {
    const KernelChannel entity = hwmon_channel("ina", "INA", channel, 30s, device);
    return test::payload(read_value(device, channel), entity.info);
  };
  EXPECT_EQ(payload("temp1"), "48.69");
  EXPECT_EQ(payload("in0"), "5.123");
  EXPECT_EQ(payload("curr1"), "1.5");
  EXPECT_EQ(payload("power1"), "2.512");
  EXPECT_EQ(payload("energy1"), "1.001");
  EXPECT_EQ(payload("humidity1"), "45.12");
  EXPECT_EQ(payload("fan1"), "2950");
  EXPECT_EQ(read_value(device, "in0_lcrit_alarm"), Value{true});
  EXPECT_EQ(read_value(device, "temp1_crit_alarm"), Value{false});
  EXPECT_EQ(list_hwmon_channels(device),
            (std::vector<std::string>{"curr1", "energy1", "fan1", "humidity1", "in0", "power1",
                                      "temp1", "in0_lcrit_alarm", "temp1_crit_alarm"}));
}

TEST(Hwmon, ChannelNames) {
  for (const char* good : {"temp1", "fan1", "in0", "curr2", "power1", "energy1", "humidity1",
                           "in0_lcrit_alarm", "temp1_alarm", "fan1_min_alarm"}) {
    EXPECT_TRUE(is_hwmon_channel(good)) << good;
  }
  for (const char* bad : {"", "temp", "pwm1", "temp1_input", "in0_lcrit", "in0__alarm",
                          "in0_alarm_", "Temp1", "temp1_max"}) {
    EXPECT_FALSE(is_hwmon_channel(bad)) << bad;
  }
  EXPECT_TRUE(is_hwmon_alarm("in0_lcrit_alarm"));
  EXPECT_FALSE(is_hwmon_alarm("in0"));
}

TEST(Hwmon, EntityNames) {
  EXPECT_EQ(hwmon_entity_name("Fan", "fan1", ""), "Fan fan1");
  EXPECT_EQ(hwmon_entity_name("Fan", "fan1", "Fan"), "Fan");  // not "Fan Fan"
  EXPECT_EQ(hwmon_entity_name("Fan", "fan1", "fan speed"), "fan speed");
  EXPECT_EQ(hwmon_entity_name("Board", "temp1", "CPU"), "Board CPU");
  EXPECT_EQ(hwmon_entity_name("Board", "temp1", "Boardwalk"), "Board Boardwalk");
  EXPECT_EQ(hwmon_entity_name("Power supply", "in0_lcrit_alarm", ""), "Power supply undervoltage");
  EXPECT_EQ(hwmon_entity_name("Power supply", "in0_lcrit_alarm", "5V"),
            "Power supply 5V undervoltage");
  EXPECT_EQ(hwmon_entity_name("Room", "temp1_crit_alarm", ""), "Room temp1 critical alarm");
  EXPECT_EQ(hwmon_entity_name("Room", "temp1_alarm", "Ambient"), "Room Ambient alarm");
}

TEST(Hwmon, EntitiesValidateInHomeAssistant) {
  const FakeSysfs sysfs;
  const fs::path device = sysfs.add_device(kHwmon, "hwmon1", "platform/x/hwmon/hwmon1",
                                           {{"name", "x\n"}, {"temp1_label", "CPU\n"}});
  const KernelChannel temp = hwmon_channel("board", "Board", "temp1", 30s, device);
  EntityInfo expected;
  expected.id = "board_temp1";
  expected.name = "Board CPU";
  expected.device_class = "temperature";
  expected.state_class = "measurement";
  expected.unit = "°C";
  expected.display_precision = 2;
  expected.interval = 30s;
  EXPECT_EQ(temp.info, expected);

  const KernelChannel alarm = hwmon_channel("power_supply", "Power supply", "in0_lcrit_alarm",
                                            30s, fs::path());
  EXPECT_EQ(alarm.info.id, "power_supply_in0_lcrit_alarm");
  EXPECT_EQ(alarm.info.name, "Power supply undervoltage");
  EXPECT_EQ(alarm.info.platform, Platform::binary_sensor);
  EXPECT_EQ(alarm.info.device_class, "problem");

  for (const char* channel : {"temp1", "in0", "curr1", "power1", "energy1", "humidity1", "fan1",
                              "in0_lcrit_alarm", "temp1_crit_alarm"}) {
    const KernelChannel got = hwmon_channel("board", "Board", channel, 30s, fs::path());
    EXPECT_EQ(ha::validate_entity(got.info), std::vector<std::string>{}) << channel;
  }
  EXPECT_EQ(hwmon_channel("fan", "Fan", "fan1", 30s, fs::path()).info.unit, "RPM");
  EXPECT_EQ(hwmon_channel("e", "E", "energy1", 30s, fs::path()).info.state_class,
            "total_increasing");
}

TEST(Hwmon, TheUnderVoltageAlarmIsPublishedAsABool) {
  const FakeSysfs sysfs;
  const fs::path device = sysfs.add_device(kHwmon, "hwmon1", "platform/soc/soc:firmware/"
                                           "raspberrypi-hwmon/hwmon/hwmon1",
                                           {{"name", "rpi_volt\n"}, {"in0_lcrit_alarm", "0\n"}});
  KernelSensorOptions options;
  options.id = "power_supply";
  options.name = "Power supply";
  options.root = sysfs.root();
  options.selector = {DeviceSelector::By::name, "rpi_volt", 0};
  options.interval = 20ms;
  KernelSensor sensor(options, kHwmonClass,
                      {hwmon_channel("power_supply", "Power supply", "in0_lcrit_alarm", 20ms,
                                     device)},
                      list_hwmon_channels);
  test::RecordingContext context;
  sensor.start(context);
  ASSERT_TRUE(context.run_publishes("power_supply_in0_lcrit_alarm", 1));
  FakeSysfs::write(device / "in0_lcrit_alarm", "1\n");
  ASSERT_TRUE(context.run_until([&] {
    return context.values("power_supply_in0_lcrit_alarm").back() == Value{true};
  }));
  sensor.stop();
  EXPECT_EQ(context.values("power_supply_in0_lcrit_alarm").front(), Value{false});
  EXPECT_EQ(sensor.listings(), (std::vector<SensorListing>{
                                   {"power_supply_channels", {"in0_lcrit_alarm"}}}));
}

}  // namespace
}  // namespace pimqttd::sensors
