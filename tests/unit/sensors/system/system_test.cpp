#include "sensors/system/system.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <charconv>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/statvfs.h>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "support/log_capture.hpp"
#include "support/payloads.hpp"
#include "support/recording_context.hpp"
#include "support/temp_dir.hpp"

namespace pimqttd::sensors {
namespace {

using test::availability;
using Event = test::SensorEvent;
using test::LogCapture;
using test::published;
using test::RecordingContext;

using namespace std::chrono_literals;
using Kind = SystemMetricKind;
using Clock = std::chrono::steady_clock;

constexpr auto kTick = 20ms;

// ---- the fake tree -----------------------------------------------------------------------------

constexpr std::string_view kStat1 =
    "cpu  100 0 100 700 100 0 0 0 0 0\n"
    "cpu0 50 0 50 350 50 0 0 0 0 0\n"
    "intr 1 2 3\n"
    "btime 1700000000\n";
// +500 ticks, 300 of them idle or iowait: 40 % busy.
constexpr std::string_view kStat2 = "cpu  250 0 150 1000 100 0 0 0 0 0\nbtime 1700000000\n";
// +500 ticks, 350 idle or iowait: 30 % busy.
constexpr std::string_view kStat3 = "cpu  400 0 150 1250 200 0 0 0 0 0\nbtime 1700000000\n";

constexpr std::string_view kMeminfo =
    "MemTotal:        1000000 kB\n"
    "MemFree:          100000 kB\n"
    "MemAvailable:     250000 kB\n"
    "Buffers:           31116 kB\n"
    "Cached:           408824 kB\n"
    "SwapTotal:        204800 kB\n"
    "SwapFree:         153600 kB\n";

std::string net_dev(std::uint64_t eth0_rx, std::uint64_t eth0_tx) {
  return "Inter-|   Receive                                                |  Transmit\n"
         " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
         "errs drop fifo colls carrier compressed\n"
         "    lo:    4242      42    0    0    0     0          0         0     4242      42    "
         "0    0    0     0       0          0\n"
         "  eth0: " +
         std::to_string(eth0_rx) + " 1119 0 0 0 0 0 0 " + std::to_string(eth0_tx) +
         " 765 0 0 0 0 0 0\n"
         " wlan0: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n";
}

std::string wireless(std::string_view level) {
  return "Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n"
         " face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n"
         " wlan0: 0000   58.  " +
         std::string(level) + ".  -256        0      0      0      0      0        0\n";
}

constexpr std::string_view kThrottledFile = "sys/devices/platform/soc/soc:firmware/get_throttled";
constexpr std::string_view kThermalFile = "sys/class/thermal/thermal_zone0/temp";

SystemMetricSpec spec(Kind kind, std::string id, std::string subject = {},
                      std::chrono::milliseconds interval = kTick) {
  std::string name = id;
  return SystemMetricSpec{kind, std::move(subject), "system_" + id, std::move(name), interval};
}

// Every metric, with the ids the app's config mapping gives them.
std::vector<SystemMetricSpec> every_metric(std::chrono::milliseconds interval = kTick) {
  return {
      spec(Kind::cpu_temperature, "cpu_temperature", {}, interval),
      spec(Kind::cpu_usage, "cpu_usage", {}, interval),
      spec(Kind::load_1m, "load_1m", {}, interval),
      spec(Kind::load_5m, "load_5m", {}, interval),
      spec(Kind::load_15m, "load_15m", {}, interval),
      spec(Kind::memory_used, "memory_used", {}, interval),
      spec(Kind::swap_used, "swap_used", {}, interval),
      spec(Kind::disk_used, "disk_used_root", "/", interval),
      spec(Kind::disk_used, "disk_used_boot_firmware", "/boot/firmware", interval),
      spec(Kind::uptime, "uptime", {}, interval),
      spec(Kind::network_rx, "network_eth0_rx", "eth0", interval),
      spec(Kind::network_tx, "network_eth0_tx", "eth0", interval),
      spec(Kind::wifi_signal, "wifi_signal_wlan0", "wlan0", interval),
      spec(Kind::under_voltage, "under_voltage", {}, interval),
      spec(Kind::under_voltage_since_boot, "under_voltage_since_boot", {}, interval),
      spec(Kind::frequency_capped, "frequency_capped", {}, interval),
      spec(Kind::frequency_capped_since_boot, "frequency_capped_since_boot", {}, interval),
      spec(Kind::throttled, "throttled", {}, interval),
      spec(Kind::throttled_since_boot, "throttled_since_boot", {}, interval),
      spec(Kind::soft_temperature_limit, "soft_temperature_limit", {}, interval),
      spec(Kind::soft_temperature_limit_since_boot, "soft_temperature_limit_since_boot", {},
           interval),
  };
}

std::vector<std::string> ids_of(const std::vector<SystemMetricSpec>& specs) {
  std::vector<std::string> out;
  for (const auto& s : specs) out.push_back(s.entity_id);
  return out;
}

std::vector<std::string> ids_of(const Sensor& sensor) {
  std::vector<std::string> out;
  for (const auto& e : sensor.entities()) out.push_back(e.id);
  return out;
}

void expect_valid(const Sensor& sensor) {
  for (const auto& entity : sensor.entities()) {
    EXPECT_THAT(ha::validate_entity(entity), ::testing::IsEmpty()) << entity.id;
    EXPECT_TRUE(entity.diagnostic) << entity.id;
  }
}

class SystemSensorTest : public ::testing::Test {
 protected:
  void write(const std::string& relative, std::string_view text) {
    const auto path = dir_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    ASSERT_TRUE(out.good()) << path;
  }
  void remove(const std::string& relative) { std::filesystem::remove(dir_ / relative); }

  void write_full_tree() {
    write("proc/stat", kStat1);
    write("proc/loadavg", "0.50 1.25 2.00 1/120 4242\n");
    write("proc/meminfo", kMeminfo);
    write("proc/net/dev", net_dev(1000000, 500000));
    write("proc/net/wireless", wireless("-52"));
    write(std::string(kThermalFile), "48312\n");
    write(std::string(kThrottledFile), "50005\n");
    disks_["/"] = hw::DiskUsage{4096, 1000, 250, 50};                    // 93.75 %
    disks_["/boot/firmware"] = hw::DiskUsage{512, 1000, 500, 500};       // 50 %
  }

  // Options over the fake tree, with the fake statvfs and clock.
  SystemSensorOptions options(std::vector<SystemMetricSpec> metrics) {
    SystemSensorOptions o;
    o.root = dir_.path();
    o.metrics = std::move(metrics);
    o.rate_warmup = 0ms;
    o.statvfs = [this](const char* path, struct statvfs* out) {
      const std::string text = path;
      const std::string root = dir_.path().string();
      std::string mount = text.size() > root.size() ? text.substr(root.size()) : "/";
      const auto it = disks_.find(mount);
      if (it == disks_.end()) {
        errno = ENOENT;
        return -1;
      }
      *out = {};
      out->f_frsize = it->second.fragment_size;
      out->f_blocks = it->second.total;
      out->f_bfree = it->second.free;
      out->f_bavail = it->second.available;
      return 0;
    };
    o.now = [this] { return now_; };
    return o;
  }

  std::string root() const { return dir_.path().string(); }

  test::TempDir dir_{"pimqttd-system"};
  std::map<std::string, hw::DiskUsage> disks_;
  Clock::time_point now_ = Clock::time_point{} + 1h;
  LogCapture log_;
  RecordingContext context_;
};

// ---- tests -------------------------------------------------------------------------------------

TEST_F(SystemSensorTest, KeepsEveryMetricThisTreeHas) {
  write_full_tree();
  const auto specs = every_metric();
  SystemSensor sensor(options(specs));
  EXPECT_EQ(ids_of(sensor), ids_of(specs));
  EXPECT_TRUE(sensor.left_out().empty());
  EXPECT_TRUE(log_.lines().empty()) << ::testing::PrintToString(log_.lines());
  expect_valid(sensor);
}

TEST_F(SystemSensorTest, EntityTable) {
  const auto info = [](Kind kind, std::string subject = {}) {
    return system_entity_info(SystemMetricSpec{kind, std::move(subject), "x", "X", 30s});
  };
  const auto expected = [](Platform platform, std::string device_class, std::string state_class,
                           std::string unit, std::optional<int> precision, std::string icon) {
    EntityInfo e;
    e.id = "x";
    e.name = "X";
    e.platform = platform;
    e.device_class = std::move(device_class);
    e.state_class = std::move(state_class);
    e.unit = std::move(unit);
    e.display_precision = precision;
    e.diagnostic = true;
    e.icon = std::move(icon);
    e.interval = 30s;
    return e;
  };
  const auto sensor = Platform::sensor;
  EXPECT_EQ(info(Kind::cpu_temperature),
            expected(sensor, "temperature", "measurement", "°C", 1, ""));
  EXPECT_EQ(info(Kind::cpu_usage), expected(sensor, "", "measurement", "%", 1, "mdi:cpu-64-bit"));
  for (const Kind kind : {Kind::load_1m, Kind::load_5m, Kind::load_15m}) {
    EXPECT_EQ(info(kind), expected(sensor, "", "measurement", "", 2, "mdi:gauge"));
  }
  EXPECT_EQ(info(Kind::memory_used), expected(sensor, "", "measurement", "%", 1, "mdi:memory"));
  EXPECT_EQ(info(Kind::swap_used),
            expected(sensor, "", "measurement", "%", 1, "mdi:swap-horizontal"));
  EXPECT_EQ(info(Kind::disk_used, "/"),
            expected(sensor, "", "measurement", "%", 1, "mdi:harddisk"));
  EXPECT_EQ(info(Kind::uptime), expected(sensor, "timestamp", "", "", std::nullopt, ""));
  for (const Kind kind : {Kind::network_rx, Kind::network_tx}) {
    EXPECT_EQ(info(kind, "eth0"), expected(sensor, "data_rate", "measurement", "kB/s", 1, ""));
  }
  EXPECT_EQ(info(Kind::wifi_signal, "wlan0"),
            expected(sensor, "signal_strength", "measurement", "dBm", 0, ""));
  for (const Kind kind :
       {Kind::under_voltage, Kind::under_voltage_since_boot, Kind::frequency_capped,
        Kind::frequency_capped_since_boot, Kind::throttled, Kind::throttled_since_boot,
        Kind::soft_temperature_limit, Kind::soft_temperature_limit_since_boot}) {
    EXPECT_EQ(info(kind),
              expected(Platform::binary_sensor, "problem", "", "", std::nullopt, ""));
  }
}

TEST_F(SystemSensorTest, LeavesOutWhatThisTreeLacks) {
  write("proc/stat", kStat1);
  write("proc/loadavg", "garbage\n");
  write("proc/meminfo",
        "MemTotal: 1000 kB\nMemAvailable: 500 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
  write("proc/net/dev", net_dev(1, 2));
  std::filesystem::create_directories(dir_ / "sys/class/net/eth0");
  auto o = options({
      spec(Kind::cpu_temperature, "cpu_temperature"),
      spec(Kind::cpu_usage, "cpu_usage"),
      spec(Kind::load_1m, "load_1m"),
      spec(Kind::load_5m, "load_5m"),
      spec(Kind::load_15m, "load_15m"),
      spec(Kind::memory_used, "memory_used"),
      spec(Kind::swap_used, "swap_used"),
      spec(Kind::disk_used, "disk_used_root", "/"),
      spec(Kind::disk_used, "disk_used_srv", "/srv"),
      spec(Kind::uptime, "uptime"),
      spec(Kind::network_rx, "network_eth0_rx", "eth0"),
      spec(Kind::network_rx, "network_eth1_rx", "eth1"),
      spec(Kind::wifi_signal, "wifi_signal_wlan0", "wlan0"),
      spec(Kind::wifi_signal, "wifi_signal_eth0", "eth0"),
      spec(Kind::under_voltage, "under_voltage"),
      spec(Kind::throttled_since_boot, "throttled_since_boot"),
  });
  o.statvfs = nullptr;  // the real statvfs: the temporary directory is "/", "/srv" is missing
  SystemSensor sensor(std::move(o));

  EXPECT_EQ(ids_of(sensor),
            (std::vector<std::string>{"system_cpu_usage", "system_memory_used",
                                      "system_disk_used_root", "system_uptime",
                                      "system_network_eth0_rx"}));
  const std::string loadavg = root() + "/proc/loadavg: cannot parse \"garbage\"";
  const std::string no_wireless = root() + "/proc/net/wireless: No such file or directory";
  const std::string no_firmware =
      "no Raspberry Pi firmware throttled flags (no get_throttled under " + root() +
      "/sys/devices/platform/soc/soc:firmware or " + root() +
      "/sys/bus/platform/drivers/raspberrypi-firmware)";
  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(sensor.left_out(),
            (std::vector<Pair>{
                {"system_cpu_temperature",
                 root() + "/sys/class/thermal/thermal_zone0/temp: No such file or directory"},
                {"system_load_1m", loadavg},
                {"system_load_5m", loadavg},
                {"system_load_15m", loadavg},
                {"system_swap_used",
                 "no swap configured (SwapTotal 0 in " + root() + "/proc/meminfo)"},
                {"system_disk_used_srv", root() + "/srv: No such file or directory"},
                {"system_network_eth1_rx", root() + "/proc/net/dev: no valid line for eth1"},
                {"system_wifi_signal_wlan0", no_wireless},
                {"system_wifi_signal_eth0", no_wireless},
                {"system_under_voltage", no_firmware},
                {"system_throttled_since_boot", no_firmware},
            }));
  // One info line per reason.
  EXPECT_EQ(log_.lines(),
            (std::vector<std::string>{
                "info system: leaving out system_cpu_temperature: " + root() +
                    "/sys/class/thermal/thermal_zone0/temp: No such file or directory",
                "info system: leaving out system_load_1m, system_load_5m, system_load_15m: " +
                    loadavg,
                "info system: leaving out system_swap_used: no swap configured (SwapTotal 0 in " +
                    root() + "/proc/meminfo)",
                "info system: leaving out system_disk_used_srv: " + root() +
                    "/srv: No such file or directory",
                "info system: leaving out system_network_eth1_rx: " + root() +
                    "/proc/net/dev: no valid line for eth1",
                "info system: leaving out system_wifi_signal_wlan0, system_wifi_signal_eth0: " +
                    no_wireless,
                "info system: leaving out system_under_voltage, system_throttled_since_boot: " +
                    no_firmware,
            }));
  expect_valid(sensor);
}

TEST_F(SystemSensorTest, PublishesEverythingAtStart) {
  write_full_tree();
  SystemSensor sensor(options(every_metric(1h)));
  sensor.start(context_);
  // Read inside start(): the rate metrics only took their first sample.
  EXPECT_EQ(context_.events,
            (std::vector<Event>{
                availability("system_cpu_temperature", true), published("system_cpu_temperature", 48.312),
                availability("system_load_1m", true), published("system_load_1m", 0.5),
                availability("system_load_5m", true), published("system_load_5m", 1.25),
                availability("system_load_15m", true), published("system_load_15m", 2.0),
                availability("system_memory_used", true), published("system_memory_used", 75.0),
                availability("system_swap_used", true), published("system_swap_used", 25.0),
                availability("system_disk_used_root", true), published("system_disk_used_root", 93.75),
                availability("system_disk_used_boot_firmware", true),
                published("system_disk_used_boot_firmware", 50.0),
                availability("system_uptime", true),
                published("system_uptime", std::string("2023-11-14T22:13:20+00:00")),
                availability("system_wifi_signal_wlan0", true), published("system_wifi_signal_wlan0", -52.0),
                // 0x50005: under-voltage and throttled, now and since boot.
                availability("system_under_voltage", true), published("system_under_voltage", true),
                availability("system_under_voltage_since_boot", true),
                published("system_under_voltage_since_boot", true),
                availability("system_frequency_capped", true), published("system_frequency_capped", false),
                availability("system_frequency_capped_since_boot", true),
                published("system_frequency_capped_since_boot", false),
                availability("system_throttled", true), published("system_throttled", true),
                availability("system_throttled_since_boot", true),
                published("system_throttled_since_boot", true),
                availability("system_soft_temperature_limit", true),
                published("system_soft_temperature_limit", false),
                availability("system_soft_temperature_limit_since_boot", true),
                published("system_soft_temperature_limit_since_boot", false),
            }));
  sensor.stop();
}

// What the daemon publishes for values with many decimals: each rounded to its entity's
// display precision.
TEST_F(SystemSensorTest, PublishedWithTheirDisplayPrecision) {
  write_full_tree();
  write("proc/meminfo",
        "MemTotal: 3919284 kB\nMemAvailable: 3213180 kB\nSwapTotal: 102396 kB\n"
        "SwapFree: 99000 kB\n");
  write("proc/loadavg", "0.07 1.25 2.00 1/120 4242\n");
  disks_["/"] = hw::DiskUsage{4096, 7000, 4965, 4600};  // 2035 used of 6635: 30.67 %
  SystemSensor sensor(options(every_metric()));
  sensor.start(context_);
  now_ += 3s;
  write("proc/stat", "cpu  250 0 150 1000 133 0 0 0 0 0\nbtime 1700000000\n");  // 200 of 533
  write("proc/net/dev", net_dev(1000000 + 12345, 500000 + 777));
  ASSERT_TRUE(context_.run_until([&] {
    return context_.count("system_cpu_usage") == 1 &&
           context_.count("system_network_eth0_tx") == 1;
  }));
  sensor.stop();

  std::map<std::string, std::string> payloads;
  for (const EntityInfo& entity : sensor.entities()) {
    const auto values = context_.values(entity.id);
    if (!values.empty()) payloads[entity.id] = test::payload(values.back(), entity);
  }
  EXPECT_EQ(payloads, (std::map<std::string, std::string>{
                          {"system_cpu_temperature", "48.3"},  // 48.312
                          {"system_cpu_usage", "37.5"},        // 37.523...
                          {"system_network_eth0_rx", "4.1"},   // 4.115
                          {"system_network_eth0_tx", "0.3"},   // 0.259
                          {"system_load_1m", "0.07"},
                          {"system_load_5m", "1.25"},
                          {"system_load_15m", "2"},
                          {"system_memory_used", "18"},    // 18.016...
                          {"system_swap_used", "3.3"},     // 3.3165...
                          {"system_disk_used_root", "30.7"},
                          {"system_disk_used_boot_firmware", "50"},
                          {"system_uptime", "2023-11-14T22:13:20+00:00"},
                          {"system_wifi_signal_wlan0", "-52"},
                          {"system_under_voltage", "ON"},
                          {"system_under_voltage_since_boot", "ON"},
                          {"system_frequency_capped", "OFF"},
                          {"system_frequency_capped_since_boot", "OFF"},
                          {"system_throttled", "ON"},
                          {"system_throttled_since_boot", "ON"},
                          {"system_soft_temperature_limit", "OFF"},
                          {"system_soft_temperature_limit_since_boot", "OFF"},
                      }));
}

TEST_F(SystemSensorTest, CpuUsageFromTwoSnapshots) {
  write_full_tree();
  SystemSensor sensor(options({spec(Kind::cpu_usage, "cpu_usage"), spec(Kind::load_1m, "load")}));
  sensor.start(context_);
  EXPECT_EQ(context_.count("system_cpu_usage"), 0u);

  write("proc/stat", kStat2);
  ASSERT_TRUE(context_.run_publishes("system_cpu_usage", 1));
  write("proc/stat", kStat3);
  ASSERT_TRUE(context_.run_publishes("system_cpu_usage", 1));
  // No tick since the last snapshot: nothing to say.
  ASSERT_TRUE(context_.run_publishes("system_load", 3));
  EXPECT_EQ(context_.values("system_cpu_usage"), (std::vector<Value>{40.0, 30.0}));

  // Counters that went backwards (CPUs taken offline...): a new baseline, no value.
  write("proc/stat", "cpu  10 0 10 70 10 0 0 0 0 0\n");
  ASSERT_TRUE(context_.run_publishes("system_load", 3));
  EXPECT_EQ(context_.count("system_cpu_usage"), 2u);
  write("proc/stat", "cpu  60 0 10 120 10 0 0 0 0 0\n");  // +100 ticks, 50 busy
  ASSERT_TRUE(context_.run_publishes("system_cpu_usage", 1));
  EXPECT_EQ(context_.values("system_cpu_usage"), (std::vector<Value>{40.0, 30.0, 50.0}));
  EXPECT_EQ(context_.of("system_cpu_usage").front(), availability("system_cpu_usage", true));
  sensor.stop();
}

TEST_F(SystemSensorTest, NetworkThroughputFromTheClock) {
  write_full_tree();
  SystemSensor sensor(options({spec(Kind::network_rx, "rx", "eth0"),
                               spec(Kind::network_tx, "tx", "eth0"),
                               spec(Kind::load_1m, "load")}));
  sensor.start(context_);
  EXPECT_EQ(context_.count("system_rx"), 0u);

  now_ += 2s;
  write("proc/net/dev", net_dev(1000000 + 50000, 500000 + 4000));
  ASSERT_TRUE(context_.run_publishes("system_rx", 1));
  EXPECT_EQ(context_.values("system_rx"), (std::vector<Value>{25.0}));  // 50 kB in 2 s
  EXPECT_EQ(context_.values("system_tx"), (std::vector<Value>{2.0}));

  // The clock did not move: no rate.
  ASSERT_TRUE(context_.run_publishes("system_load", 3));
  EXPECT_EQ(context_.count("system_rx"), 1u);

  // The receive counter went backwards (wrapped, or the interface was re-created): it becomes
  // the new baseline; the transmit counter did not move.
  now_ += 1s;
  write("proc/net/dev", net_dev(100, 504000));
  ASSERT_TRUE(context_.run_publishes("system_tx", 1));
  EXPECT_EQ(context_.values("system_tx"), (std::vector<Value>{2.0, 0.0}));
  EXPECT_EQ(context_.count("system_rx"), 1u);

  now_ += 4s;
  write("proc/net/dev", net_dev(100 + 6000, 504000 + 1000));
  ASSERT_TRUE(context_.run_publishes("system_rx", 1));
  EXPECT_EQ(context_.values("system_rx"), (std::vector<Value>{25.0, 1.5}));
  EXPECT_EQ(context_.values("system_tx"), (std::vector<Value>{2.0, 0.0, 0.25}));
  sensor.stop();
}

TEST_F(SystemSensorTest, RateWarmupGivesAFirstValueEarly) {
  write_full_tree();
  auto o = options({spec(Kind::cpu_usage, "cpu_usage", {}, 1h), spec(Kind::load_1m, "load")});
  o.rate_warmup = kTick;
  SystemSensor sensor(std::move(o));
  sensor.start(context_);
  write("proc/stat", kStat2);
  ASSERT_TRUE(context_.run_publishes("system_cpu_usage", 1));
  EXPECT_EQ(context_.values("system_cpu_usage"), (std::vector<Value>{40.0}));
  // Once only: then it waits for its own interval.
  write("proc/stat", kStat3);
  ASSERT_TRUE(context_.run_publishes("system_load", 5));
  EXPECT_EQ(context_.count("system_cpu_usage"), 1u);
  sensor.stop();
}

TEST_F(SystemSensorTest, EachIntervalPollsItsOwnEntities) {
  write_full_tree();
  SystemSensor sensor(options({spec(Kind::cpu_temperature, "temperature", {}, 1h),
                               spec(Kind::load_1m, "load_1m"), spec(Kind::load_5m, "load_5m"),
                               spec(Kind::memory_used, "memory", {}, 1h)}));
  sensor.start(context_);
  ASSERT_TRUE(context_.run_publishes("system_load_1m", 4));
  EXPECT_EQ(context_.count("system_temperature"), 1u);  // at start only
  EXPECT_EQ(context_.count("system_memory"), 1u);
  // The entities of one interval are read in the same poll, one after the other.
  const auto& events = context_.events;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    if (events[i].id == "system_load_1m" && events[i].type == Event::publish) {
      EXPECT_EQ(events[i + 1].id, "system_load_5m") << i;
    }
  }
  EXPECT_EQ(context_.count("system_load_5m"), context_.count("system_load_1m"));
  sensor.stop();
}

TEST_F(SystemSensorTest, AvailabilityFlipsWhenAFileVanishesAndComesBack) {
  write_full_tree();
  SystemSensor sensor(
      options({spec(Kind::cpu_temperature, "cpu_temperature"), spec(Kind::load_1m, "load")}));
  sensor.start(context_);
  remove(std::string(kThermalFile));
  ASSERT_TRUE(context_.run_publishes("system_load", 4));  // several polls fail
  write(std::string(kThermalFile), "50000\n");
  ASSERT_TRUE(context_.run_publishes("system_cpu_temperature", 1));
  sensor.stop();

  const auto events = context_.of("system_cpu_temperature");
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(std::vector<Event>(events.begin(), events.begin() + 5),
            (std::vector<Event>{availability("system_cpu_temperature", true),
                                published("system_cpu_temperature", 48.312),
                                availability("system_cpu_temperature", false),
                                availability("system_cpu_temperature", true),
                                published("system_cpu_temperature", 50.0)}));
  for (std::size_t i = 5; i < events.size(); ++i) {
    EXPECT_EQ(events[i].type, Event::publish) << i;  // one flip each way
  }
  // Logged once each way, however many polls failed.
  EXPECT_EQ(log_.lines(),
            (std::vector<std::string>{
                "warning system: system_cpu_temperature unavailable until it reads again: " +
                    root() + "/sys/class/thermal/thermal_zone0/temp: No such file or directory",
                "info system: system_cpu_temperature readable again"}));
}

TEST_F(SystemSensorTest, ParseErrorAtPollTime) {
  write_full_tree();
  SystemSensor sensor(options({spec(Kind::load_1m, "load_1m"), spec(Kind::load_5m, "load_5m"),
                               spec(Kind::memory_used, "memory")}));
  sensor.start(context_);
  write("proc/loadavg", "1.0 oops\n");
  ASSERT_TRUE(context_.run_publishes("system_memory", 3));
  write("proc/loadavg", "3.00 2.00 1.00 1/1 1\n");
  ASSERT_TRUE(context_.run_publishes("system_load_5m", 1));
  sensor.stop();
  EXPECT_EQ(context_.values("system_load_5m").back(), Value(2.0));
  EXPECT_EQ(context_.of("system_load_1m")[2], availability("system_load_1m", false));
  // One line for both entities.
  EXPECT_EQ(log_.lines(),
            (std::vector<std::string>{
                "warning system: system_load_1m, system_load_5m unavailable until it reads "
                "again: " +
                    root() + "/proc/loadavg: cannot parse \"1.0 oops\"",
                "info system: system_load_1m, system_load_5m readable again"}));
}

TEST_F(SystemSensorTest, DiskThroughStatvfs) {
  write_full_tree();
  SystemSensor sensor(options({spec(Kind::disk_used, "disk", "/boot/firmware")}));
  sensor.start(context_);
  disks_["/boot/firmware"] = hw::DiskUsage{512, 1000, 900, 900};  // 10 %
  ASSERT_TRUE(context_.run_publishes("system_disk", 1));
  disks_.erase("/boot/firmware");  // unmounted and removed
  ASSERT_TRUE(context_.run_until([&] { return context_.of("system_disk").size() >= 4; }));
  disks_["/boot/firmware"] = hw::DiskUsage{512, 1000, 0, 0};  // full
  ASSERT_TRUE(context_.run_publishes("system_disk", 1));
  sensor.stop();
  const auto events = context_.of("system_disk");
  EXPECT_EQ(std::vector<Event>(events.begin(), events.begin() + 6),
            (std::vector<Event>{availability("system_disk", true), published("system_disk", 50.0),
                                published("system_disk", 10.0), availability("system_disk", false),
                                availability("system_disk", true), published("system_disk", 100.0)}));
}

TEST_F(SystemSensorTest, WifiNotAssociatedYet) {
  write_full_tree();
  write("proc/net/wireless", wireless("-52").substr(0, wireless("-52").find(" wlan0")));
  std::filesystem::create_directories(dir_ / "sys/class/net/wlan0/wireless");
  SystemSensor sensor(options({spec(Kind::wifi_signal, "wifi", "wlan0")}));
  EXPECT_EQ(ids_of(sensor), (std::vector<std::string>{"system_wifi"}));  // kept: it is wireless
  sensor.start(context_);
  EXPECT_EQ(context_.events, (std::vector<Event>{availability("system_wifi", false)}));
  write("proc/net/wireless", wireless("-67"));
  ASSERT_TRUE(context_.run_publishes("system_wifi", 1));
  // A driver that does not report dBm.
  write("proc/net/wireless", wireless("60"));
  ASSERT_TRUE(context_.run_until([&] { return context_.of("system_wifi").size() >= 4; }));
  sensor.stop();
  const auto events = context_.of("system_wifi");
  EXPECT_EQ(events.front(), availability("system_wifi", false));
  EXPECT_EQ(events[1], availability("system_wifi", true));
  EXPECT_EQ(events[2], published("system_wifi", -67.0));
  EXPECT_EQ(events.back(), availability("system_wifi", false));
  EXPECT_EQ(log_.lines().back(), "warning system: system_wifi unavailable until it reads again: " +
                                     root() +
                                     "/proc/net/wireless: the signal level of wlan0 (60) is not "
                                     "in dBm");
}

TEST_F(SystemSensorTest, ThrottledFlagsFollowTheFirmware) {
  write_full_tree();
  write(std::string(kThrottledFile), "0\n");
  SystemSensor sensor(options({spec(Kind::under_voltage, "uv"),
                               spec(Kind::under_voltage_since_boot, "uv_boot"),
                               spec(Kind::soft_temperature_limit, "soft"),
                               spec(Kind::soft_temperature_limit_since_boot, "soft_boot")}));
  sensor.start(context_);
  write(std::string(kThrottledFile), "80008\n");
  ASSERT_TRUE(context_.run_publishes("system_soft", 1));
  write(std::string(kThrottledFile), "0x10000\n");
  ASSERT_TRUE(context_.run_until([&] {
    return context_.count("system_uv_boot") >= 3 &&
           context_.values("system_uv_boot").back() == Value(true);
  }));
  sensor.stop();
  EXPECT_EQ(context_.values("system_soft").at(0), Value(false));
  EXPECT_EQ(context_.values("system_soft").at(1), Value(true));
  EXPECT_EQ(context_.values("system_soft_boot").at(1), Value(true));
  EXPECT_EQ(context_.values("system_uv").at(1), Value(false));
  EXPECT_EQ(context_.values("system_soft").back(), Value(false));
  EXPECT_EQ(context_.values("system_uv").back(), Value(false));
}

TEST_F(SystemSensorTest, StopEndsPollingAndStartResumes) {
  write_full_tree();
  SystemSensor sensor(options({spec(Kind::load_1m, "load")}));
  sensor.start(context_);
  ASSERT_TRUE(context_.run_publishes("system_load", 2));
  sensor.stop();
  const std::size_t before = context_.events.size();
  context_.run_for(5 * kTick);
  EXPECT_EQ(context_.events.size(), before);
  sensor.stop();  // twice is fine

  sensor.start(context_);  // marks available again before its first value
  EXPECT_EQ(std::vector<Event>(context_.events.begin() + static_cast<std::ptrdiff_t>(before),
                               context_.events.end()),
            (std::vector<Event>{availability("system_load", true), published("system_load", 0.5)}));
  ASSERT_TRUE(context_.run_publishes("system_load", 1));
}

TEST_F(SystemSensorTest, RejectsBadOptions) {
  write_full_tree();
  EXPECT_THROW({ SystemSensor s(options({spec(Kind::load_1m, "load", {}, 0ms)})); },
               std::invalid_argument);
  EXPECT_THROW(
      { SystemSensor s(options({spec(Kind::load_1m, "load"), spec(Kind::load_5m, "load")})); },
      std::invalid_argument);
}

// ---- this machine ------------------------------------------------------------------------------

double number(const Value& value) {
  const double* d = std::get_if<double>(&value);
  EXPECT_NE(d, nullptr);
  return d == nullptr ? -1 : *d;
}

TEST(SystemSensorOnThisMachine, EveryKeptMetricReadsInRange) {
  // Every interface this machine has, and a Wi-Fi interface if there is one.
  std::vector<SystemMetricSpec> specs = every_metric();
  specs.erase(std::remove_if(specs.begin(), specs.end(),
                             [](const SystemMetricSpec& s) {
                               return s.kind == Kind::network_rx || s.kind == Kind::network_tx ||
                                      s.kind == Kind::wifi_signal ||
                                      s.subject == "/boot/firmware";
                             }),
             specs.end());
  std::ifstream dev("/proc/net/dev");
  for (std::string line; std::getline(dev, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    std::string slug = name;
    for (char& c : slug) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) c = '_';
    }
    specs.push_back(spec(Kind::network_rx, "network_" + slug + "_rx", name));
    specs.push_back(spec(Kind::network_tx, "network_" + slug + "_tx", name));
    specs.push_back(spec(Kind::wifi_signal, "wifi_signal_" + slug, name));
  }
  SystemSensorOptions options;
  options.root = "/";
  options.metrics = specs;
  options.rate_warmup = kTick;
  RecordingContext context;  // outlives the sensor
  SystemSensor sensor(options);
  expect_valid(sensor);
  std::cout << "[ machine  ] kept:";
  for (const auto& e : sensor.entities()) std::cout << " " << e.id;
  std::cout << "\n";
  for (const auto& [id, reason] : sensor.left_out()) {
    std::cout << "[ machine  ] left out " << id << ": " << reason << "\n";
  }
  // Any Linux has these.
  for (const char* id : {"system_cpu_usage", "system_load_1m", "system_memory_used",
                         "system_disk_used_root", "system_uptime"}) {
    EXPECT_THAT(ids_of(sensor), ::testing::Contains(id));
  }

  sensor.start(context);
  const auto all_published = [&] {
    for (const auto& e : sensor.entities()) {
      if (e.device_class != "signal_strength" && context.count(e.id) == 0) return false;
    }
    return true;
  };
  ASSERT_TRUE(context.run_until(all_published));
  sensor.stop();

  for (const auto& spec : specs) {
    const auto values = context.values(spec.entity_id);
    for (const Value& value : values) {
      SCOPED_TRACE(spec.entity_id + " = " + format_value(value));
      switch (spec.kind) {
        case Kind::cpu_temperature:
          EXPECT_GE(number(value), -40.0);
          EXPECT_LE(number(value), 150.0);
          break;
        case Kind::cpu_usage:
        case Kind::memory_used:
        case Kind::swap_used:
        case Kind::disk_used:
          EXPECT_GE(number(value), 0.0);
          EXPECT_LE(number(value), 100.0);
          break;
        case Kind::load_1m:
        case Kind::load_5m:
        case Kind::load_15m:
          EXPECT_GE(number(value), 0.0);
          EXPECT_LT(number(value), 10000.0);
          break;
        case Kind::network_rx:
        case Kind::network_tx:
          EXPECT_GE(number(value), 0.0);
          EXPECT_LT(number(value), 1e9);  // below 1 TB/s
          break;
        case Kind::wifi_signal:
          EXPECT_LT(number(value), 0.0);
          EXPECT_GT(number(value), -150.0);
          break;
        case Kind::uptime: {
          const std::string* text = std::get_if<std::string>(&value);
          ASSERT_NE(text, nullptr);
          std::tm tm{};
          const char* end = ::strptime(text->c_str(), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
          ASSERT_NE(end, nullptr);
          EXPECT_EQ(*end, '\0');
          const std::time_t boot = ::timegm(&tm);
          EXPECT_GT(boot, 946684800);  // after 2000
          EXPECT_LE(boot, std::time(nullptr));
          break;
        }
        default:
          EXPECT_TRUE(std::holds_alternative<bool>(value));
          break;
      }
    }
  }
}

}  // namespace
}  // namespace pimqttd::sensors
