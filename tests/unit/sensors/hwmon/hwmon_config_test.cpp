#include "sensors/hwmon/hwmon_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "support/fake_sysfs.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Errors = std::vector<std::string>;
using test::FakeSysfs;
using test::parse_sensor_entry;
using test::sensor_entry_errors;

constexpr const char* kHwmon = "sys/class/hwmon";

// What a Raspberry Pi 5 with an lm75 on i2c-1 shows (listed in the order of their real paths).
void add_pi5_devices(const FakeSysfs& sysfs) {
  sysfs.add_device(kHwmon, "hwmon0", "virtual/thermal/thermal_zone0/hwmon0",
                   {{"name", "cpu_thermal\n"}, {"temp1_input", "48312\n"}});
  sysfs.add_device(kHwmon, "hwmon1", "platform/axi/soc/firmware/raspberrypi-hwmon/hwmon/hwmon1",
                   {{"name", "rpi_volt\n"}, {"in0_lcrit_alarm", "0\n"}});
  sysfs.add_device(kHwmon, "hwmon2", "platform/cooling_fan/hwmon/hwmon2",
                   {{"name", "cooling_fan\n"}, {"fan1_input", "2950\n"}, {"pwm1", "75\n"}});
  sysfs.add_device(kHwmon, "hwmon3", "platform/i2c-1/1-0048/hwmon/hwmon3",
                   {{"name", "lm75\n"}, {"temp1_input", "23500\n"}, {"temp1_max", "80000\n"},
                    {"temp1_max_hyst", "75000\n"}});
}

std::string root_of(const FakeSysfs& sysfs) {
  return ", \"root\": \"" + sysfs.root().string() + "\"}";
}

TEST(HwmonConfig, TheIssueExamples) {
  const FakeSysfs sysfs;
  add_pi5_devices(sysfs);
  const SensorConfig fan = parse_sensor_entry(
      R"({"type": "hwmon", "name": "Fan", "device": "cooling_fan")" + root_of(sysfs));
  EXPECT_EQ(fan.entities, (std::vector<EntityConfig>{{"fan_fan1", "Fan fan1"}}));
  const SensorConfig power = parse_sensor_entry(
      R"({"type": "hwmon", "name": "Power supply", "device": "rpi_volt")" + root_of(sysfs));
  EXPECT_EQ(power.entities, (std::vector<EntityConfig>{
                                {"power_supply_in0_lcrit_alarm", "Power supply undervoltage"}}));
  const SensorConfig room = parse_sensor_entry(
      R"({"type": "hwmon", "name": "Room", "device": "lm75", "channels": ["temp1"]})");
  EXPECT_EQ(room.entities, (std::vector<EntityConfig>{{"room_temp1", "Room temp1"}}));

  for (const SensorConfig* sensor : {&fan, &power, &room}) {
    const auto driver = make_sensor(*sensor);
    ASSERT_NE(dynamic_cast<KernelSensor*>(driver.get()), nullptr);
    for (const EntityInfo& entity : driver->entities()) {
      EXPECT_EQ(ha::validate_entity(entity), std::vector<std::string>{}) << entity.id;
    }
  }
}

TEST(HwmonConfig, AlarmsAreSelectableAndRenamable) {
  const SensorConfig sensor = parse_sensor_entry(
      R"({"type": "hwmon", "name": "Pi", "device": "rpi_volt",
          "channels": [{"channel": "in0_lcrit_alarm", "name": "Under-voltage", "id": "uv"}]})");
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"uv", "Under-voltage"}}));
}

TEST(HwmonConfigErrors, ChannelsAndAbsentDevice) {
  const FakeSysfs sysfs;
  add_pi5_devices(sysfs);
  EXPECT_EQ(sensor_entry_errors(R"({"type": "hwmon", "name": "a", "device": "pwmfan")" +
                                root_of(sysfs)),
            (Errors{"sensors[0].device: no hwmon device named \"pwmfan\" under " +
                    (sysfs.root() / kHwmon).string() +
                    "; the hwmon devices there are named \"rpi_volt\", \"cooling_fan\", "
                    "\"lm75\", \"cpu_thermal\"; list \"channels\" to let the daemon start "
                    "before the device appears"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "hwmon", "name": "a", "device": "lm75",
                                    "channels": ["temp1_input"]})"),
            (Errors{"sensors[0].channels[0]: expected a hwmon channel such as \"temp1\", "
                    "\"fan1\", \"in0\", \"curr1\", \"power1\", \"energy1\" or \"humidity1\", or "
                    "an alarm file such as \"in0_lcrit_alarm\", found \"temp1_input\""}));
}

}  // namespace
}  // namespace pimqttd::sensors
