#include "pimqttd/sensors/sensor_factory.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "pimqttd/app/config.hpp"
#include "sensors/system/system_config.hpp"
#include "sensors/system/system.hpp"
#include "support/temp_dir.hpp"

namespace pimqttd::sensors {
namespace {

using app::Config;
using app::LoadOptions;
using app::parse_config;

using std::chrono::seconds;

// A fake tree with every file the system sensor reads.
class SensorFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write("proc/stat", "cpu  1 2 3 4 5 6 7 8 0 0\nbtime 1700000000\n");
    write("proc/loadavg", "0.10 0.20 0.30 1/1 1\n");
    write("proc/meminfo",
          "MemTotal: 1000 kB\nMemAvailable: 500 kB\nSwapTotal: 100 kB\nSwapFree: 100 kB\n");
    write("proc/net/dev", "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
    write("proc/net/wireless", " wlan0: 0000   58.  -61.  -256  0 0 0 0 0 0\n");
    write("sys/class/thermal/thermal_zone2/temp", "41000\n");
    write("sys/devices/platform/soc/soc:firmware/get_throttled", "0\n");
  }

  void write(const std::string& relative, const std::string& text) {
    const auto path = dir_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }

  SensorConfig parse_sensor(const std::string& sensor) {
    LoadOptions options;
    options.hostname = "testpi";
    Config config = parse_config(
        R"({"mqtt": {"host": "broker"}, "sensors": [)" + sensor + "]}", options);
    EXPECT_EQ(config.sensors.size(), 1u);
    return config.sensors.at(0);
  }

  test::TempDir dir_{"pimqttd-factory"};
};

std::vector<std::string> ids_of(const Sensor& sensor) {
  std::vector<std::string> out;
  for (const auto& e : sensor.entities()) out.push_back(e.id);
  return out;
}

TEST_F(SensorFactoryTest, SystemSensorFromItsConfig) {
  const SensorConfig config = parse_sensor(R"({"type": "system", "name": "Host", "root": ")" +
                                           dir_.path().string() + R"(",
      "metrics": {"cpu_temperature": {"zone": 2, "interval": "5s"},
                  "disk": {"mounts": ["/"]},
                  "network": {"interfaces": ["eth0"]},
                  "wifi": {"interfaces": ["wlan0"], "interval": "15s"}}})");
  const auto sensor = make_sensor(config);
  ASSERT_NE(sensor, nullptr);
  ASSERT_NE(dynamic_cast<const SystemSensor*>(sensor.get()), nullptr);

  // Every configured entity exists in the fake tree: the driver keeps them all, in order, with
  // the config's ids and names.
  std::vector<std::string> config_ids;
  for (const auto& entity : config.entities) config_ids.push_back(entity.id);
  EXPECT_EQ(ids_of(*sensor), config_ids);
  EXPECT_EQ(ids_of(*sensor),
            (std::vector<std::string>{
                "host_cpu_temperature", "host_cpu_usage", "host_load_1m", "host_load_5m",
                "host_load_15m", "host_memory_used", "host_swap_used", "host_disk_used_root",
                "host_uptime", "host_network_eth0_rx", "host_network_eth0_tx",
                "host_wifi_signal_wlan0", "host_under_voltage", "host_under_voltage_since_boot",
                "host_frequency_capped", "host_frequency_capped_since_boot", "host_throttled",
                "host_throttled_since_boot", "host_soft_temperature_limit",
                "host_soft_temperature_limit_since_boot"}));

  const auto& entities = sensor->entities();
  // The metric, subject, name and interval each entity got.
  const auto* settings = config.settings_as<SystemSettings>();
  ASSERT_NE(settings, nullptr);
  const auto system_entities = settings->system_entities(config);
  ASSERT_EQ(system_entities.size(), entities.size());
  for (std::size_t i = 0; i < entities.size(); ++i) {
    EXPECT_EQ(entities[i].name, system_entities[i].entity.name) << i;
    EXPECT_EQ(entities[i].interval, system_entities[i].interval) << i;
  }
  EXPECT_EQ(entities[0].device_class, "temperature");  // zone 2 was read
  EXPECT_EQ(entities[0].interval, seconds{5});
  EXPECT_EQ(entities[1].interval, seconds{60});
  EXPECT_EQ(entities[9].device_class, "data_rate");
  EXPECT_EQ(entities[9].name, "eth0 received");
  EXPECT_EQ(entities[11].device_class, "signal_strength");
  EXPECT_EQ(entities[11].interval, seconds{15});
  EXPECT_EQ(entities[12].platform, Platform::binary_sensor);
  EXPECT_EQ(entities[12].device_class, "problem");
  EXPECT_EQ(entities[12].name, "Under-voltage");
  EXPECT_EQ(entities[19].name, "Soft temperature limit since boot");
}

TEST_F(SensorFactoryTest, TheMachineDecidesWhatIsKept) {
  std::filesystem::remove(dir_ / "sys/class/thermal/thermal_zone2/temp");
  const SensorConfig config = parse_sensor(R"({"type": "system", "root": ")" +
                                           dir_.path().string() +
                                           R"(", "metrics": {"cpu_temperature": {"zone": 2},
      "load": false, "disk": false, "uptime": false, "throttled": false, "swap": false}})");
  const auto sensor = make_sensor(config);
  EXPECT_EQ(ids_of(*sensor),
            (std::vector<std::string>{"system_cpu_usage", "system_memory_used"}));
}

TEST(SensorFactory, UnknownTypeIsALogicError) {
  SensorConfig config;
  config.type = "bogus";
  config.id = "weather";
  try {
    (void)make_sensor(config);
    FAIL() << "no exception";
  } catch (const std::logic_error& error) {
    EXPECT_STREQ(error.what(), "sensor 'weather': type 'bogus' has no driver in this build");
  }
}

TEST(SensorFactory, SystemTypeWithoutItsSettingsIsALogicError) {
  SensorConfig config;
  config.type = "system";
  config.id = "system";
  EXPECT_THROW((void)make_sensor(config), std::logic_error);
}

}  // namespace
}  // namespace pimqttd::sensors
