#include "pimqttd/sensors/sensor_config.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace pimqttd::sensors {
namespace {

TEST(Slugify, KeepsLowerCaseLettersAndDigits) {
  EXPECT_EQ(slugify("Living room"), "living_room");
  EXPECT_EQ(slugify("  Living -- Room / CPU 2 "), "living_room_cpu_2");
  EXPECT_EQ(slugify("/boot/firmware"), "boot_firmware");
  EXPECT_EQ(slugify("eth0.100"), "eth0_100");
  EXPECT_EQ(slugify("Caf\xc3\xa9 temp"), "caf_temp");
  EXPECT_EQ(slugify("already_slug"), "already_slug");
  EXPECT_EQ(slugify("\xc2\xb0\xc2\xb0"), "");
  EXPECT_EQ(slugify(""), "");
}

TEST(SensorId, Validity) {
  EXPECT_TRUE(is_valid_sensor_id("system"));
  EXPECT_TRUE(is_valid_sensor_id("living_room_2"));
  EXPECT_TRUE(is_valid_sensor_id(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_sensor_id(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_sensor_id(""));
  EXPECT_FALSE(is_valid_sensor_id("System"));
  EXPECT_FALSE(is_valid_sensor_id("living-room"));
  EXPECT_FALSE(is_valid_sensor_id("a b"));
}

TEST(SensorTypeRegistry, FindsByNameInRegistrationOrder) {
  SensorTypeRegistry registry;
  registry.add(SensorType{"b_type", "", true, {}, {}, {}, {}, {}, {}});
  registry.add(SensorType{"a_type", "A", false, {}, {}, {}, {}, {}, {}});
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"b_type", "a_type"}));
  ASSERT_NE(registry.find("a_type"), nullptr);
  EXPECT_EQ(registry.find("a_type")->default_name, "A");
  EXPECT_FALSE(registry.find("a_type")->polls);
  EXPECT_EQ(registry.find("c_type"), nullptr);
  EXPECT_THROW(registry.add(SensorType{"a_type", "", true, {}, {}, {}, {}, {}, {}}), std::logic_error);
}

TEST(SensorTypeRegistry, BuiltinTypes) {
  EXPECT_EQ(builtin_sensor_types().names(),
            (std::vector<std::string>{"system", "apt_updates", "gpio_input", "gpio_button",
                                      "gpio_counter", "gpio_output", "pwm_output",
                                      "bme280", "bmp280", "mcp9808", "lm75", "bh1750",
                                      "ds18b20", "sht3x", "sht4x", "htu21d", "si7021", "aht20",
                                      "ads1115", "ina219", "iio", "hwmon", "command",
                                      "host_controls"}));
  const SensorType* system = builtin_sensor_types().find("system");
  ASSERT_NE(system, nullptr);
  EXPECT_TRUE(system->polls);
  EXPECT_EQ(system->default_name, "System");
  EXPECT_EQ(system->default_interval, std::chrono::seconds{60});
  EXPECT_TRUE(static_cast<bool>(system->parse));
}

TEST(SensorParseContext, ResolvesRelativePaths) {
  const SensorConfig sensor;
  const std::filesystem::path base{"/etc/pimqttd"};
  const SensorParseContext context{sensor, base, {}};
  EXPECT_EQ(context.resolve("fake"), std::filesystem::path{"/etc/pimqttd/fake"});
  EXPECT_EQ(context.resolve("/abs"), std::filesystem::path{"/abs"});
  const std::filesystem::path none;
  EXPECT_EQ((SensorParseContext{sensor, none, {}}.resolve("fake")), std::filesystem::path{"fake"});
}

}  // namespace
}  // namespace pimqttd::sensors
