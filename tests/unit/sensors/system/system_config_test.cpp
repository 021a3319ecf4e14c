#include "sensors/system/system_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;

std::vector<std::string> entity_ids(const SensorConfig& sensor) {
  std::vector<std::string> ids;
  for (const auto& entity : sensor.entities) ids.push_back(entity.id);
  return ids;
}

TEST(SystemSettings, Defaults) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "system"})");
  EXPECT_EQ(sensor.type, "system");
  EXPECT_EQ(sensor.name, "System");
  EXPECT_EQ(sensor.id, "system");
  EXPECT_EQ(sensor.interval, seconds{60});
  const auto* s = sensor.settings_as<SystemSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->root, std::filesystem::path{"/"});
  for (const SystemMetric* metric :
       {static_cast<const SystemMetric*>(&s->cpu_temperature), &s->cpu_usage, &s->load, &s->memory,
        &s->swap, static_cast<const SystemMetric*>(&s->disk), &s->uptime, &s->throttled}) {
    EXPECT_TRUE(metric->enabled);
    EXPECT_EQ(metric->interval, seconds{60});
  }
  EXPECT_FALSE(s->network.enabled);
  EXPECT_FALSE(s->wifi.enabled);
  EXPECT_EQ(s->cpu_temperature.zone, 0);
  EXPECT_EQ(s->disk.mounts, (std::vector<std::filesystem::path>{"/"}));
  EXPECT_EQ(entity_ids(sensor),
            (std::vector<std::string>{
                "system_cpu_temperature", "system_cpu_usage", "system_load_1m", "system_load_5m",
                "system_load_15m", "system_memory_used", "system_swap_used",
                "system_disk_used_root", "system_uptime", "system_under_voltage",
                "system_under_voltage_since_boot", "system_frequency_capped",
                "system_frequency_capped_since_boot", "system_throttled",
                "system_throttled_since_boot", "system_soft_temperature_limit",
                "system_soft_temperature_limit_since_boot"}));
  EXPECT_EQ(sensor.entities.front().name, "CPU temperature");

  const auto entities = s->system_entities(sensor);
  ASSERT_EQ(entities.size(), 17u);
  const std::vector<std::pair<SystemMetricKind, std::string>> flags{
      {SystemMetricKind::under_voltage, "Under-voltage"},
      {SystemMetricKind::under_voltage_since_boot, "Under-voltage since boot"},
      {SystemMetricKind::frequency_capped, "Frequency capped"},
      {SystemMetricKind::frequency_capped_since_boot, "Frequency capped since boot"},
      {SystemMetricKind::throttled, "Throttled"},
      {SystemMetricKind::throttled_since_boot, "Throttled since boot"},
      {SystemMetricKind::soft_temperature_limit, "Soft temperature limit"},
      {SystemMetricKind::soft_temperature_limit_since_boot, "Soft temperature limit since boot"}};
  for (std::size_t i = 0; i < flags.size(); ++i) {
    const SystemEntity& entity = entities[9 + i];
    EXPECT_EQ(entity.metric, flags[i].first) << i;
    EXPECT_EQ(entity.entity.name, flags[i].second);
    EXPECT_EQ(entity.subject, "");
    EXPECT_EQ(entity.interval, seconds{60});
  }
}

TEST(SystemSettings, EveryMetricConfigured) {
  const SensorConfig sensor = parse_sensor_entry(R"({
    "type": "system", "name": "Host health", "interval": "30s", "root": "fake-root",
    "metrics": {
      "cpu_temperature": {"zone": 2, "interval": 5},
      "cpu_usage": {"interval": "10s"},
      "load": false,
      "memory": {"enabled": false},
      "swap": true,
      "disk": {"mounts": ["/", "/boot/firmware", "/srv/data"], "interval": "5m"},
      "uptime": {"enabled": true},
      "network": {"interfaces": ["eth0", "wlan0"]},
      "wifi": {"interfaces": ["wlan0"], "interval": "15s"},
      "throttled": false
    }})");
  EXPECT_EQ(sensor.name, "Host health");
  EXPECT_EQ(sensor.id, "host_health");
  const auto* s = sensor.settings_as<SystemSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->root, std::filesystem::path{"/etc/pimqttd/fake-root"});
  EXPECT_EQ(s->cpu_temperature.zone, 2);
  EXPECT_EQ(s->cpu_temperature.interval, seconds{5});
  EXPECT_EQ(s->cpu_usage.interval, seconds{10});
  EXPECT_FALSE(s->load.enabled);
  EXPECT_FALSE(s->memory.enabled);
  EXPECT_TRUE(s->swap.enabled);
  EXPECT_EQ(s->swap.interval, seconds{30});  // the sensor's interval
  EXPECT_EQ(s->disk.interval, std::chrono::minutes{5});
  EXPECT_TRUE(s->network.enabled);
  EXPECT_EQ(s->network.interfaces, (std::vector<std::string>{"eth0", "wlan0"}));
  EXPECT_EQ(s->wifi.interval, seconds{15});
  EXPECT_FALSE(s->throttled.enabled);
  EXPECT_EQ(
      entity_ids(sensor),
      (std::vector<std::string>{
          "host_health_cpu_temperature", "host_health_cpu_usage", "host_health_swap_used",
          "host_health_disk_used_root", "host_health_disk_used_boot_firmware",
          "host_health_disk_used_srv_data", "host_health_uptime", "host_health_network_eth0_rx",
          "host_health_network_eth0_tx", "host_health_network_wlan0_rx",
          "host_health_network_wlan0_tx", "host_health_wifi_signal_wlan0"}));

  const auto entities = s->system_entities(sensor);
  ASSERT_EQ(entities.size(), 12u);
  EXPECT_EQ(entities[4].metric, SystemMetricKind::disk_used);
  EXPECT_EQ(entities[4].subject, "/boot/firmware");
  EXPECT_EQ(entities[4].entity.name, "Disk used /boot/firmware");
  EXPECT_EQ(entities[4].interval, std::chrono::minutes{5});
  EXPECT_EQ(entities[8].metric, SystemMetricKind::network_tx);
  EXPECT_EQ(entities[8].subject, "eth0");
  EXPECT_EQ(entities[11].metric, SystemMetricKind::wifi_signal);
  EXPECT_EQ(entities[11].interval, seconds{15});
}

TEST(SystemSettings, DisabledListMetricsNeedNoInterfaces) {
  const SensorConfig sensor =
      parse_sensor_entry(R"({"type": "system", "metrics": {
          "network": false, "wifi": {"enabled": false},
          "disk": {"enabled": false, "mounts": []}}})");
  const auto* s = sensor.settings_as<SystemSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_FALSE(s->disk.enabled);
  EXPECT_TRUE(s->disk.mounts.empty());
}

TEST(SystemSettings, Errors) {
  struct Case {
    std::string sensor;
    Errors errors;
  };
  const std::vector<Case> cases{
      {R"({"type": "system", "metrics": {"network": true}})",
       {"sensors[0].metrics.network.interfaces: required key missing"}},
      {R"({"type": "system", "metrics": {"wifi": {"interval": "1m"}}})",
       {"sensors[0].metrics.wifi.interfaces: required key missing"}},
      {R"({"type": "system", "metrics": {"network": {"interfaces": []}}})",
       {"sensors[0].metrics.network.interfaces: expected a non-empty array, found []"}},
      {R"({"type": "system", "metrics": {"network": {
             "interfaces": ["eth 0", "a/b", "abcdefghijklmnop", "..", "eth0"]}}})",
       {"sensors[0].metrics.network.interfaces[0]: expected an interface name (1 to 15 "
        "characters, no '/', ':' or spaces), found \"eth 0\"",
        "sensors[0].metrics.network.interfaces[1]: expected an interface name (1 to 15 "
        "characters, no '/', ':' or spaces), found \"a/b\"",
        "sensors[0].metrics.network.interfaces[2]: expected an interface name (1 to 15 "
        "characters, no '/', ':' or spaces), found \"abcdefghijklmnop\"",
        "sensors[0].metrics.network.interfaces[3]: expected an interface name (1 to 15 "
        "characters, no '/', ':' or spaces), found \"..\""}},
      {R"({"type": "system", "metrics": {"network": {"interfaces": ["eth0.1", "eth0_1"]}}})",
       {"sensors[0].metrics.network.interfaces[1]: entity id \"system_network_eth0_1_rx\" is "
        "already used by interfaces[0]"}},
      {R"({"type": "system", "metrics": {"wifi": {"interfaces": ["wlan0", "wlan0"]}}})",
       {"sensors[0].metrics.wifi.interfaces[1]: entity id \"system_wifi_signal_wlan0\" is "
        "already used by interfaces[0]"}},
      {R"({"type": "system", "metrics": {"disk": {
             "mounts": ["/boot/firmware", "/", "/boot-firmware"]}}})",
       {"sensors[0].metrics.disk.mounts[2]: entity id \"system_disk_used_boot_firmware\" is "
        "already used by mounts[0]"}},
      {R"({"type": "system", "metrics": {"disk": {"mounts": ["data", "/%%"]}}})",
       {"sensors[0].metrics.disk.mounts[0]: expected an absolute path, found \"data\"",
        "sensors[0].metrics.disk.mounts[1]: expected an absolute path, found \"/%%\""}},
      {R"({"type": "system", "metrics": {"disk": {"mounts": []}}})",
       {"sensors[0].metrics.disk.mounts: expected a non-empty array, found []"}},
      {R"({"type": "system", "metrics": {"cpu_usage": "yes", "load": 1}})",
       {"sensors[0].metrics.cpu_usage: expected true, false or an object, found string \"yes\"",
        "sensors[0].metrics.load: expected true, false or an object, found number 1"}},
      {R"({"type": "system", "metrics": {"cpu_temperature": {"zone": -1, "interval": "500ms"}}})",
       {"sensors[0].metrics.cpu_temperature.zone: expected an integer from 0 to 1000, found -1",
        "sensors[0].metrics.cpu_temperature.interval: expected a duration from 1s to 1d, found "
        "\"500ms\""}},
      {R"({"type": "system", "metrics": {"memroy": true, "swap": {"enabeld": false}}})",
       {"sensors[0].metrics.memroy: unknown key, did you mean 'memory'?",
        "sensors[0].metrics.swap.enabeld: unknown key, did you mean 'enabled'?"}},
      {R"({"type": "system", "metrics": {"uptime": {"mounts": ["/"]}}})",
       {"sensors[0].metrics.uptime.mounts: unknown key"}},
      {R"({"type": "system", "metrics": []})",
       {"sensors[0].metrics: expected an object, found an array"}},
      {R"({"type": "system", "root": ""})",
       {"sensors[0].root: expected a non-empty string of at most 4096 bytes, found \"\""}},
      {R"({"type": "system", "rot": "/"})", {"sensors[0].rot: unknown key, did you mean 'root'?"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sensor);
    EXPECT_EQ(sensor_entry_errors(c.sensor), c.errors);
  }
}

TEST(SystemSettings, PrintsEveryMetric) {
  const SensorConfig sensor = parse_sensor_entry(
      R"({"type": "system", "root": "/fake", "metrics": {"cpu_usage": {"interval": 10}}})");
  EXPECT_EQ(test::settings_json(sensor),
            R"({"root":"/fake","metrics":{)"
            R"("cpu_temperature":{"enabled":true,"interval":"1m","zone":0},)"
            R"("cpu_usage":{"enabled":true,"interval":"10s"},)"
            R"("load":{"enabled":true,"interval":"1m"},)"
            R"("memory":{"enabled":true,"interval":"1m"},)"
            R"("swap":{"enabled":true,"interval":"1m"},)"
            R"("disk":{"enabled":true,"interval":"1m","mounts":["/"]},)"
            R"("uptime":{"enabled":true,"interval":"1m"},)"
            R"("network":{"enabled":false,"interval":"1m","interfaces":[]},)"
            R"("wifi":{"enabled":false,"interval":"1m","interfaces":[]},)"
            R"("throttled":{"enabled":true,"interval":"1m"}}})");
}

TEST(SystemSettings, MountSlug) {
  EXPECT_EQ(mount_slug("/"), "root");
  EXPECT_EQ(mount_slug("/boot/firmware"), "boot_firmware");
  EXPECT_EQ(mount_slug("/mnt/USB Disk"), "mnt_usb_disk");
}

}  // namespace
}  // namespace pimqttd::sensors
