// The pimqttd daemon as a real process against a real mosquitto on loopback: the discovery
// payload field by field, states with exact values, filters applied to them, a DS18B20 on a fake
// 1-Wire tree, the will after kill -9, the answer to Home Assistant's birth message, reloads on
// SIGHUP (sensors removed, added, a broken file), the removal of entities across a restart, a
// broker restart, a clean stop on SIGTERM; and the command line (--check-config,
// --print-config, --print-discovery, --once, --version).
//
// Every daemon reads a fake /proc and /sys tree written by the test (the sensors' `root`), so
// that every state has an exact expected value. mosquitto_sub (support/mqtt_sub.hpp) is the
// independent observer; the daemon's own log and mosquitto's log explain failures. The harness
// is support/daemon_harness.hpp.

#include "support/broker.hpp"
#include "support/daemon_harness.hpp"
#include "support/mqtt_sub.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#ifndef PIMQTTD_VERSION
#error "PIMQTTD_VERSION must give the project's version"
#endif

namespace pimqttd::test {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

/// The entity ids of the throttled metric, with their state for kThrottled.
const std::map<std::string, std::string>& throttled_states() {
  static const std::map<std::string, std::string> states = {
      {"under_voltage", "ON"},
      {"under_voltage_since_boot", "ON"},
      {"frequency_capped", "OFF"},
      {"frequency_capped_since_boot", "OFF"},
      {"throttled", "ON"},
      {"throttled_since_boot", "ON"},
      {"soft_temperature_limit", "OFF"},
      {"soft_temperature_limit_since_boot", "OFF"}};
  return states;
}

/// Every metric of a system sensor `id` on the fake tree (disk off: statvfs of a temporary
/// directory has no exact value), with its expected state; cpu_usage only after kStat2.
std::map<std::string, std::string> expected_states(const std::string& id) {
  std::map<std::string, std::string> states = {
      {id + "_cpu_temperature", "48.3"}, {id + "_cpu_usage", "40"},  {id + "_load_1m", "0.52"},
      {id + "_load_5m", "0.58"},           {id + "_load_15m", "0.59"}, {id + "_memory_used", "75"},
      {id + "_swap_used", "25"},           {id + "_uptime", kBootTime}};
  for (const auto& [flag, state] : throttled_states()) states[id + "_" + flag] = state;
  return states;
}

std::set<std::string> keys_of(const std::map<std::string, std::string>& map) {
  std::set<std::string> keys;
  for (const auto& [key, value] : map) keys.insert(key);
  return keys;
}


// ---- discovery and states -----------------------------------------------------------------------

TEST_F(DaemonTest, AnnouncesTheDeviceWithARetainedDiscoveryPayload) {
  write_config(config(broker_.port(), Json::array({system_sensor("system")})));
  auto daemon = start_daemon();
  auto all = subscribe();
  ASSERT_TRUE(wait_on(*all, kDiscovery, 1)) << logs();

  // Retained: a subscriber that comes later gets the same payload at once.
  auto late = subscribe(kDiscovery);
  ASSERT_TRUE(late->wait_for_count(1, kDeadline)) << logs();
  EXPECT_EQ(late->lines()[0].payload, payloads(*all, kDiscovery)[0]);
  const Json discovery = Json::parse(late->lines()[0].payload);

  const Json& dev = discovery.at("dev");
  EXPECT_EQ(dev.at("ids"), Json::array({"pimqttd_testpi"}));
  EXPECT_EQ(dev.at("name"), "Test Pi");
  EXPECT_EQ(dev.at("sw"), PIMQTTD_VERSION);
  EXPECT_EQ(dev.at("sa"), "Lab");
  ASSERT_TRUE(dev.at("mf").is_string());
  EXPECT_FALSE(dev.at("mf").get<std::string>().empty());
  ASSERT_TRUE(dev.at("mdl").is_string());
  EXPECT_FALSE(dev.at("mdl").get<std::string>().empty());
  EXPECT_EQ(dev.size(), 6u) << dev.dump();
  EXPECT_EQ(discovery.at("o"), (Json{{"name", "pimqttd"}, {"sw", PIMQTTD_VERSION}}));
  EXPECT_EQ(discovery.size(), 3u) << discovery.dump();

  const auto states = expected_states("system");
  EXPECT_EQ(component_ids(discovery), with_diagnostics(keys_of(states))) << discovery.dump(2);

  // What every component has.
  for (const auto& [id, c] : discovery.at("cmps").items()) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.at("unique_id"), std::string(kNode) + "_" + id);
    EXPECT_EQ(c.at("state_topic"), state_topic(id));
    EXPECT_EQ(c.at("availability"),
              Json::array({{{"topic", kStatus}}, {{"topic", availability_topic(id)}}}));
    EXPECT_EQ(c.at("availability_mode"), "all");
    EXPECT_EQ(c.at("entity_category"), "diagnostic");
    EXPECT_EQ(c.at("qos"), 1);
    EXPECT_FALSE(c.contains("command_topic"));
    const std::string platform = c.at("p");
    EXPECT_EQ(c.at("default_entity_id"), platform + ".testpi_" + id);
  }

  const Json& cmps = discovery.at("cmps");
  EXPECT_EQ(
      cmps.at("system_cpu_temperature"),
      (Json{{"p", "sensor"},
            {"unique_id", "testpi_system_cpu_temperature"},
            {"default_entity_id", "sensor.testpi_system_cpu_temperature"},
            {"name", "CPU temperature"},
            {"state_topic", "pimqttd/testpi/system_cpu_temperature/state"},
            {"availability",
             Json::array({{{"topic", "pimqttd/testpi/status"}},
                          {{"topic", "pimqttd/testpi/system_cpu_temperature/availability"}}})},
            {"availability_mode", "all"},
            {"device_class", "temperature"},
            {"state_class", "measurement"},
            {"unit_of_measurement", "°C"},
            {"suggested_display_precision", 1},
            {"entity_category", "diagnostic"},
            {"expire_after", 3},
            {"qos", 1}}))
      << cmps.at("system_cpu_temperature").dump(2);

  const Json& load = cmps.at("system_load_1m");
  EXPECT_EQ(load.at("p"), "sensor");
  EXPECT_EQ(load.at("state_class"), "measurement");
  EXPECT_EQ(load.at("suggested_display_precision"), 2);
  EXPECT_FALSE(load.contains("device_class"));
  EXPECT_FALSE(load.contains("unit_of_measurement"));

  for (const char* percent : {"system_memory_used", "system_swap_used", "system_cpu_usage"}) {
    SCOPED_TRACE(percent);
    EXPECT_EQ(cmps.at(percent).at("unit_of_measurement"), "%");
    EXPECT_EQ(cmps.at(percent).at("state_class"), "measurement");
    EXPECT_FALSE(cmps.at(percent).contains("device_class"));
  }

  const Json& uptime = cmps.at("system_uptime");
  EXPECT_EQ(uptime.at("device_class"), "timestamp");
  EXPECT_FALSE(uptime.contains("unit_of_measurement"));
  EXPECT_FALSE(uptime.contains("state_class"));

  const Json& under_voltage = cmps.at("system_under_voltage");
  EXPECT_EQ(under_voltage.at("p"), "binary_sensor");
  EXPECT_EQ(under_voltage.at("device_class"), "problem");
  EXPECT_EQ(under_voltage.at("payload_on"), "ON");
  EXPECT_EQ(under_voltage.at("payload_off"), "OFF");
  EXPECT_EQ(under_voltage.at("expire_after"), 3);
  EXPECT_EQ(under_voltage.at("default_entity_id"), "binary_sensor.testpi_system_under_voltage");

  // The daemon's own health, polled every 60 s.
  const Json& started = cmps.at("pimqttd_started");
  EXPECT_EQ(started.at("p"), "sensor");
  EXPECT_EQ(started.at("device_class"), "timestamp");
  EXPECT_EQ(started.at("expire_after"), 180);
  EXPECT_EQ(cmps.at("pimqttd_reconnects").at("state_class"), "total_increasing");
  EXPECT_EQ(cmps.at("pimqttd_dropped").at("state_class"), "total_increasing");
  EXPECT_EQ(cmps.at("pimqttd_queued").at("state_class"), "measurement");
  EXPECT_EQ(cmps.at("pimqttd_last_error").at("name"), "Last error");

  // Availability: the device's and every entity's, retained.
  auto retained = subscribe("pimqttd/testpi/#");
  ASSERT_TRUE(wait_until(
      [&] {
        return payloads(*retained, kStatus) == std::vector<std::string>{"online"} &&
               std::all_of(cmps.items().begin(), cmps.items().end(), [&](const auto& item) {
                 return payloads(*retained, availability_topic(item.key())) ==
                        std::vector<std::string>{"online"};
               });
      },
      kDeadline))
      << logs();
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

TEST_F(DaemonTest, PublishesStatesWithTheFakeTreesValues) {
  write_config(config(broker_.port(), Json::array({system_sensor("system")})));
  auto all = subscribe();
  auto daemon = start_daemon();

  std::map<std::string, std::string> expected = expected_states("system");
  const std::string cpu_usage = "system_cpu_usage";
  const std::string cpu_usage_value = expected.at(cpu_usage);
  expected.erase(cpu_usage);
  for (const auto& [id, value] : expected) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(wait_on(*all, state_topic(id), 1)) << logs();
    EXPECT_EQ(payloads(*all, state_topic(id))[0], value);
  }
  // The daemon's diagnostics.
  for (const std::string& id : kDiagnostics) {
    ASSERT_TRUE(wait_on(*all, state_topic(id), 1)) << id << logs();
  }
  EXPECT_EQ(payloads(*all, state_topic("pimqttd_reconnects"))[0], "0");
  EXPECT_EQ(payloads(*all, state_topic("pimqttd_dropped"))[0], "0");
  EXPECT_EQ(payloads(*all, state_topic("pimqttd_last_error"))[0], "none");
  EXPECT_TRUE(std::regex_match(payloads(*all, state_topic("pimqttd_started"))[0],
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)")))
      << payloads(*all, state_topic("pimqttd_started"))[0];

  // cpu_usage needs a second sample with ticks in between.
  EXPECT_TRUE(payloads(*all, state_topic(cpu_usage)).empty());
  write_text(root() / "proc/stat", kStat2);
  ASSERT_TRUE(wait_on(*all, state_topic(cpu_usage), 1)) << logs();
  EXPECT_EQ(payloads(*all, state_topic(cpu_usage))[0], cpu_usage_value);

  // Polled every second: a new load shows up.
  write_text(root() / "proc/loadavg", "1.25 0.5 0.125 3/99 19400\n");
  ASSERT_TRUE(wait_for_payload(*all, state_topic("system_load_1m"), "1.25")) << logs();
  ASSERT_TRUE(wait_for_payload(*all, state_topic("system_load_5m"), "0.5")) << logs();
  ASSERT_TRUE(wait_for_payload(*all, state_topic("system_load_15m"), "0.13")) << logs();

  // A file that stops parsing makes its entities unavailable, and available again when it parses.
  write_text(root() / "proc/loadavg", "garbage\n");
  ASSERT_TRUE(wait_for_payload(*all, availability_topic("system_load_1m"), "offline")) << logs();
  write_text(root() / "proc/loadavg", kLoadavg);
  ASSERT_TRUE(wait_for_payload(*all, availability_topic("system_load_1m"), "online", 2)) << logs();
  EXPECT_EQ(payloads(*all, availability_topic("system_load_1m")),
            (std::vector<std::string>{"online", "offline", "online"}));
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

TEST_F(DaemonTest, FiltersShapeThePublishedStates) {
  Json sensor = load_sensor("system");
  sensor["filters"] = Json{{"load_1m", Json::array({Json{{"round", 1}}})},
                           {"system_load_5m", Json::array({Json{{"delta", 1}}})}};
  write_config(config(broker_.port(), Json::array({sensor})));
  auto all = subscribe();
  auto daemon = start_daemon();

  // A delta without a heartbeat may hold a steady value back for ever: no expire_after.
  ASSERT_TRUE(wait_on(*all, kDiscovery, 1)) << logs();
  const Json cmps = Json::parse(payloads(*all, kDiscovery)[0]).at("cmps");
  EXPECT_EQ(cmps.at("system_load_1m").at("expire_after"), 3);
  EXPECT_FALSE(cmps.at("system_load_5m").contains("expire_after")) << cmps.dump(2);
  EXPECT_EQ(cmps.at("system_load_15m").at("expire_after"), 3);
  // The round filter's decimals are announced: Home Assistant shows what is sent.
  EXPECT_EQ(cmps.at("system_load_1m").at("suggested_display_precision"), 1);
  EXPECT_EQ(cmps.at("system_load_15m").at("suggested_display_precision"), 2);

  ASSERT_TRUE(wait_for_payload(*all, state_topic("system_load_15m"), "0.59")) << logs();
  EXPECT_EQ(payloads(*all, state_topic("system_load_1m"))[0], "0.5");  // 0.52, rounded
  EXPECT_EQ(payloads(*all, state_topic("system_load_5m"))[0], "0.58");

  write_text(root() / "proc/loadavg", "0.66 0.9 0.125 3/99 19400\n");
  ASSERT_TRUE(wait_for_payload(*all, state_topic("system_load_15m"), "0.13")) << logs();
  ASSERT_TRUE(wait_for_payload(*all, state_topic("system_load_1m"), "0.7")) << logs();
  // 0.9 is less than 1 from 0.58: held back (the readings of one poll arrive in order, so the
  // 0.9 read with 0.125 has been dealt with) ...
  for (const std::string& payload : payloads(*all, state_topic("system_load_5m"))) {
    EXPECT_EQ(payload, "0.58");
  }
  // ... until it has changed by 1.
  write_text(root() / "proc/loadavg", "0.66 1.58 0.125 3/99 19400\n");
  ASSERT_TRUE(wait_for_payload(*all, state_topic("system_load_5m"), "1.58")) << logs();
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

/// The decimals a number payload carries ("48.3": 1, "75": 0); nullopt when it is no number.
std::optional<std::size_t> decimals_of(const std::string& payload) {
  static const std::regex number(R"(-?\d+(\.(\d+))?)");
  std::smatch match;
  if (!std::regex_match(payload, match, number)) return std::nullopt;
  return match[2].length();
}

TEST_F(DaemonTest, StatesCarryAtMostTheirAnnouncedDecimals) {
  // Values with more decimals than their entities show: 30.123 % memory, 1.3 % swap, loads
  // with three decimals, the real disk under the fake root, and rates over the real clock.
  write_text(root() / "proc/meminfo",
             "MemTotal: 3919284 kB\nMemAvailable: 2738671 kB\nSwapTotal: 102396 kB\n"
             "SwapFree: 101069 kB\n");
  write_text(root() / "proc/loadavg", "0.525 1.257 0.125 2/98 19362\n");
  const auto net_dev = [](std::uint64_t rx, std::uint64_t tx) {
    return "Inter-|   Receive |  Transmit\n face |bytes packets errs drop fifo frame compressed "
           "multicast|bytes packets errs drop fifo colls carrier compressed\n  eth0: " +
           std::to_string(rx) + " 1 0 0 0 0 0 0 " + std::to_string(tx) + " 1 0 0 0 0 0 0\n";
  };
  write_text(root() / "proc/net/dev", net_dev(1000000, 500000));
  write_config(config(broker_.port(),
                      Json::array({system_sensor("system", "1s",
                                                 Json{{"disk", Json{{"mounts", {"/"}}}},
                                                      {"network", Json{{"interfaces", {"eth0"}}}}})})));
  auto all = subscribe();
  auto daemon = start_daemon();

  ASSERT_TRUE(wait_on(*all, kDiscovery, 1)) << logs();
  const Json discovery = Json::parse(payloads(*all, kDiscovery)[0]);
  std::map<std::string, std::size_t> announced;
  for (const auto& [id, c] : discovery.at("cmps").items()) {
    if (c.contains("suggested_display_precision")) {
      announced[id] = c.at("suggested_display_precision").get<std::size_t>();
    }
  }
  const std::vector<std::string> numeric = {
      "system_cpu_temperature", "system_cpu_usage",      "system_load_1m",
      "system_load_5m",         "system_load_15m",       "system_memory_used",
      "system_swap_used",       "system_disk_used_root", "system_network_eth0_rx",
      "system_network_eth0_tx"};
  for (const std::string& id : numeric) EXPECT_TRUE(announced.contains(id)) << id;

  // A second sample for the rates: 433 of 1033 ticks busy, bytes over a real second or so.
  write_text(root() / "proc/stat", "cpu  1333 0 600 8500 600 0 0 0 0 0\nbtime 1700000000\n");
  write_text(root() / "proc/net/dev", net_dev(1012345, 500777));
  for (const std::string& id : numeric) {
    ASSERT_TRUE(wait_on(*all, state_topic(id), 1)) << id << logs();
  }
  for (const auto& [id, precision] : announced) {
    for (const std::string& payload : payloads(*all, state_topic(id))) {
      SCOPED_TRACE(id + " = " + payload);
      const auto decimals = decimals_of(payload);
      ASSERT_TRUE(decimals.has_value());
      EXPECT_LE(*decimals, precision);
    }
  }
  // The rounding is what made them fit.
  EXPECT_EQ(payloads(*all, state_topic("system_cpu_temperature"))[0], "48.3");  // 48.312
  EXPECT_EQ(payloads(*all, state_topic("system_memory_used"))[0], "30.1");      // 30.123...
  EXPECT_EQ(payloads(*all, state_topic("system_load_5m"))[0], "1.26");          // 1.257
  EXPECT_EQ(payloads(*all, state_topic("system_cpu_usage"))[0], "41.9");        // 41.916...
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

TEST_F(DaemonTest, Ds18b20ReadsTheFakeW1Tree) {
  const fs::path w1_slave = root() / "sys/bus/w1/devices/28-0316a2794aff/w1_slave";
  const std::string bytes = "72 01 4b 46 7f ff 0e 10 57";
  write_text(w1_slave, bytes + " : crc=57 YES\n" + bytes + " t=23125\n");
  const Json sensor{{"type", "ds18b20"},
                    {"name", "Outdoor"},
                    {"address", "28-0316a2794aff"},
                    {"interval", "2s"},
                    {"root", root().string()},
                    {"filters", Json::array({Json{{"offset", -0.125}}})}};
  write_config(config(broker_.port(), Json::array({sensor})));
  auto all = subscribe();
  auto daemon = start_daemon();

  ASSERT_TRUE(wait_on(*all, kDiscovery, 1)) << logs();
  const Json outdoor = Json::parse(payloads(*all, kDiscovery)[0]).at("cmps").at("outdoor");
  EXPECT_EQ(outdoor.at("device_class"), "temperature");
  EXPECT_EQ(outdoor.at("unit_of_measurement"), "°C");
  EXPECT_EQ(outdoor.at("expire_after"), 6);
  ASSERT_TRUE(wait_for_payload(*all, state_topic("outdoor"), "23")) << logs();

  // The sensor lost power: unavailable until it converts again.
  const std::string power_on = "50 05 4b 46 7f ff 0c 10 1c";
  write_text(w1_slave, power_on + " : crc=1c YES\n" + power_on + " t=85000\n");
  ASSERT_TRUE(wait_for_payload(*all, availability_topic("outdoor"), "offline")) << logs();
  write_text(w1_slave, bytes + " : crc=57 YES\n" + bytes + " t=23125\n");
  ASSERT_TRUE(wait_for_payload(*all, availability_topic("outdoor"), "online", 2)) << logs();
  EXPECT_EQ(count_lines(daemon_log(), "outdoor: unavailable until it answers again:",
                        "85 °C, the power-on value"),
            1u)
      << logs();
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

// ---- availability: stop, crash ------------------------------------------------------------------

TEST_F(DaemonTest, SigtermPublishesOfflineAndExitsZero) {
  write_config(config(broker_.port(), Json::array({load_sensor("system")})));
  auto status = subscribe("pimqttd/testpi/#");
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_for_payload(*status, kStatus, "online")) << logs();
  ASSERT_TRUE(wait_on(*status, state_topic("system_load_1m"), 2)) << logs();

  const auto signalled = Clock::now();
  daemon.signal(SIGTERM);
  const auto exit = daemon.wait_exit(2s);
  const auto took = Clock::now() - signalled;
  ASSERT_TRUE(exit.has_value()) << "still running 2 s after SIGTERM" << logs();
  EXPECT_EQ(*exit, ExitStatus::exited(0)) << logs();
  EXPECT_LT(took, 2s);

  ASSERT_TRUE(wait_for_payload(*status, kStatus, "offline")) << logs();
  EXPECT_EQ(payloads(*status, kStatus), (std::vector<std::string>{"online", "offline"}));
  // A clean stop: the daemon published `offline` itself and said DISCONNECT (no will).
  const std::string log = broker_.log();
  EXPECT_NE(log.find("Received DISCONNECT from " + std::string(kClientId)), std::string::npos)
      << logs();
  // "offline" is 7 bytes, "online" 6.
  EXPECT_EQ(count_lines(log, "Received PUBLISH from " + std::string(kClientId) + " (d0, q1, r1, m",
                        "'" + kStatus + "', ... (7 bytes))"),
            1u)
      << logs();
  EXPECT_NE(daemon_log().find("stopping"), std::string::npos) << logs();

  auto late = subscribe(kStatus);
  ASSERT_TRUE(late->wait_for_count(1, kDeadline));
  EXPECT_EQ(late->lines()[0].payload, "offline");
}

// A SIGTERM that comes while the broker's acknowledgements are still unread (right after
// connect): the client must wait for the broker to close after DISCONNECT, or the kernel resets
// the connection and the broker may publish the will, a clean stop that looks like a crash.
TEST_F(DaemonTest, SigtermRightAfterConnectStillDisconnectsCleanly) {
  write_config(config(broker_.port(), Json::array({load_sensor("system")})));
  auto status = subscribe(kStatus);
  constexpr std::size_t kStops = 10;
  for (std::size_t i = 1; i <= kStops; ++i) {
    auto daemon = start_daemon();
    ASSERT_TRUE(wait_for_payload(*status, kStatus, "online", i)) << logs();
    ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
    ASSERT_TRUE(wait_for_payload(*status, kStatus, "offline", i)) << logs();
  }
  EXPECT_EQ(count_of(broker_.log(), "Received DISCONNECT from " + std::string(kClientId)), kStops)
      << logs();
  // Only the daemon's own `offline` each time, never the will's as well.
  EXPECT_EQ(payloads(*status, kStatus).size(), 2 * kStops);
}

TEST_F(DaemonTest, KillNineMakesTheWillArrive) {
  write_config(config(broker_.port(), Json::array({load_sensor("system")})));
  auto status = subscribe(kStatus);
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_for_payload(*status, kStatus, "online")) << logs();

  EXPECT_EQ(daemon.kill(), ExitStatus::killed_by(SIGKILL));
  ASSERT_TRUE(wait_for_payload(*status, kStatus, "offline")) << logs();
  EXPECT_EQ(payloads(*status, kStatus), (std::vector<std::string>{"online", "offline"}));
  EXPECT_EQ(broker_.log().find("Received DISCONNECT from " + std::string(kClientId)),
            std::string::npos)
      << logs();

  auto late = subscribe(kStatus);
  ASSERT_TRUE(late->wait_for_count(1, kDeadline));
  EXPECT_EQ(late->lines()[0].payload, "offline");
}

// ---- Home Assistant's birth message -------------------------------------------------------------

TEST_F(DaemonTest, BirthMessageBringsDiscoveryAndStatesBack) {
  // Polled once an hour: every state after the first comes from a re-announce.
  write_config(config(broker_.port(), Json::array({load_sensor("system", "1h")})));
  auto all = subscribe();
  auto daemon = start_daemon();

  const std::vector<std::string> entities = {
      "system_load_1m",     "system_load_5m", "system_load_15m", "pimqttd_started",
      "pimqttd_reconnects", "pimqttd_queued", "pimqttd_dropped", "pimqttd_last_error"};
  for (const std::string& id : entities) {
    ASSERT_TRUE(wait_on(*all, state_topic(id), 1)) << id << logs();
  }
  EXPECT_EQ(payloads(*all, kDiscovery).size(), 1u);
  EXPECT_EQ(payloads(*all, kStatus), std::vector<std::string>{"online"});

  const auto born = Clock::now();
  publish_birth();
  ASSERT_TRUE(wait_on(*all, kDiscovery, 2)) << logs();
  // Within the random delay (at most 200 ms), with room for a slow machine.
  EXPECT_LT(Clock::now() - born, 200ms + 1500ms);
  for (const std::string& id : entities) {
    ASSERT_TRUE(wait_on(*all, state_topic(id), 2)) << id << logs();
  }
  EXPECT_EQ(payloads(*all, kDiscovery)[1], payloads(*all, kDiscovery)[0]);
  EXPECT_EQ(payloads(*all, kStatus), (std::vector<std::string>{"online", "online"}));
  EXPECT_EQ(payloads(*all, availability_topic("system_load_1m")),
            (std::vector<std::string>{"online", "online"}));
  EXPECT_EQ(payloads(*all, state_topic("system_load_1m")),
            (std::vector<std::string>{"0.52", "0.52"}));
  EXPECT_NE(daemon_log().find("Home Assistant came online"), std::string::npos) << logs();

  // States are not retained: a new subscriber gets none before its own probe (which the broker
  // delivers after the retained messages of the topics subscribed before it).
  auto late = subscribe("pimqttd/testpi/+/state");
  EXPECT_TRUE(late->lines().empty()) << late->lines()[0].topic;

  // Announced again, every time.
  publish_birth();
  ASSERT_TRUE(wait_on(*all, kDiscovery, 3)) << logs();
  for (const std::string& id : entities) {
    ASSERT_TRUE(wait_on(*all, state_topic(id), 3)) << id << logs();
  }
  EXPECT_EQ(payloads(*all, kDiscovery).size(), 3u);
  EXPECT_EQ(payloads(*all, state_topic("system_load_1m")).size(), 3u);
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

// ---- reload -------------------------------------------------------------------------------------

TEST_F(DaemonTest, SighupRemovesAndAddsSensors) {
  write_config(config(broker_.port(), Json::array({load_sensor("sys_a"), load_sensor("sys_b")})));
  auto all = subscribe();
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_on(*all, state_topic("sys_b_load_1m"), 1)) << logs();
  const std::set<std::string> a = {"sys_a_load_1m", "sys_a_load_5m", "sys_a_load_15m"};
  const std::set<std::string> b = {"sys_b_load_1m", "sys_b_load_5m", "sys_b_load_15m"};
  const std::set<std::string> c = {"sys_c_load_1m", "sys_c_load_5m", "sys_c_load_15m"};
  auto both = a;
  both.insert(b.begin(), b.end());
  ASSERT_EQ(discoveries(*all).size(), 1u);
  EXPECT_EQ(component_ids(discoveries(*all)[0]), with_diagnostics(both));

  // B removed: first a message that reduces B's components to their platform, then the discovery
  // without them.
  write_config(config(broker_.port(), Json::array({load_sensor("sys_a")})));
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_on(*all, kDiscovery, 3)) << logs();
  {
    const auto messages = discoveries(*all);
    const Json& removal = messages[1];
    EXPECT_EQ(component_ids(removal), with_diagnostics(both)) << removal.dump(2);
    EXPECT_EQ(removed_ids(removal), b) << removal.dump(2);
    for (const std::string& id : b) EXPECT_EQ(removal.at("cmps").at(id), (Json{{"p", "sensor"}}));
    EXPECT_EQ(removal.at("cmps").at("sys_a_load_1m"), messages[0].at("cmps").at("sys_a_load_1m"));
    EXPECT_EQ(removal.at("dev"), messages[0].at("dev"));
    const Json& after = messages[2];
    EXPECT_EQ(component_ids(after), with_diagnostics(a)) << after.dump(2);
    EXPECT_TRUE(removed_ids(after).empty());
  }
  // The retained config is the current one.
  {
    auto late = subscribe(kDiscovery);
    ASSERT_TRUE(late->wait_for_count(1, kDeadline));
    EXPECT_EQ(component_ids(Json::parse(late->lines()[0].payload)), with_diagnostics(a));
  }
  EXPECT_NE(daemon_log().find("removing 3 entities no longer configured"), std::string::npos)
      << logs();
  // A's entry did not change: its sensor kept running rather than being rebuilt.
  EXPECT_NE(daemon_log().find("reload: 1 sensors kept running, 0 (re)built"), std::string::npos)
      << logs();

  // C added: its components appear, nothing is removed.
  const std::size_t b_states = payloads(*all, state_topic("sys_b_load_1m")).size();
  write_config(config(broker_.port(), Json::array({load_sensor("sys_a"), load_sensor("sys_c")})));
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_on(*all, kDiscovery, 4)) << logs();
  {
    const Json added = discoveries(*all)[3];
    auto ac = a;
    ac.insert(c.begin(), c.end());
    EXPECT_EQ(component_ids(added), with_diagnostics(ac)) << added.dump(2);
    EXPECT_TRUE(removed_ids(added).empty()) << added.dump(2);
    EXPECT_EQ(added.at("cmps").at("sys_c_load_1m").at("unique_id"), "testpi_sys_c_load_1m");
  }
  ASSERT_TRUE(wait_for_payload(*all, state_topic("sys_c_load_1m"), "0.52")) << logs();
  ASSERT_TRUE(wait_on(*all, availability_topic("sys_c_load_1m"), 1)) << logs();
  // Two more polls of A, and nothing more from B or a second announce.
  const std::size_t a_states = payloads(*all, state_topic("sys_a_load_1m")).size();
  ASSERT_TRUE(wait_on(*all, state_topic("sys_a_load_1m"), a_states + 2)) << logs();
  EXPECT_EQ(payloads(*all, state_topic("sys_b_load_1m")).size(), b_states);
  EXPECT_EQ(payloads(*all, kDiscovery).size(), 4u);
  EXPECT_NE(daemon_log().find("reload: 1 sensors kept running, 1 (re)built"), std::string::npos)
      << logs();
  EXPECT_TRUE(daemon.running());
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

TEST_F(DaemonTest, SighupWithABrokenConfigKeepsTheOldOneRunning) {
  write_config(config(broker_.port(), Json::array({load_sensor("sys_a")})));
  auto all = subscribe();
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_on(*all, state_topic("sys_a_load_1m"), 1)) << logs();
  const std::string announced = payloads(*all, kDiscovery).at(0);

  write_text(config_path(), "{\n  \"mqtt\": {\"host\" \"127.0.0.1\"}\n}\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] {
        return daemon_log().find("still running with the previous configuration") !=
               std::string::npos;
      },
      kDeadline))
      << logs();
  const std::string log = daemon_log();
  EXPECT_NE(log.find("reload: " + config_path().string() + ":2:"), std::string::npos) << logs();
  EXPECT_NE(log.find("syntax error"), std::string::npos) << logs();

  // Still publishing states...
  const std::size_t before = payloads(*all, state_topic("sys_a_load_1m")).size();
  ASSERT_TRUE(wait_on(*all, state_topic("sys_a_load_1m"), before + 2)) << logs();
  EXPECT_TRUE(daemon.running());
  // ...and still answering Home Assistant, with the same device.
  publish_birth();
  ASSERT_TRUE(wait_on(*all, kDiscovery, 2)) << logs();
  EXPECT_EQ(payloads(*all, kDiscovery)[1], announced);

  // A config with validation errors is kept out the same way, every error logged.
  Json invalid = config(broker_.port(), Json::array({load_sensor("sys_a")}));
  invalid["mqtt"]["port"] = 0;
  invalid["logging"]["level"] = "loud";
  write_config(invalid);
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] { return count_of(daemon_log(), "still running with the previous configuration") == 2; },
      kDeadline))
      << logs();
  EXPECT_NE(daemon_log().find("reload: mqtt.port: expected an integer from 1 to 65535, found 0"),
            std::string::npos)
      << logs();
  EXPECT_NE(daemon_log().find("reload: logging.level: expected one of"), std::string::npos)
      << logs();
  const std::size_t later = payloads(*all, state_topic("sys_a_load_1m")).size();
  ASSERT_TRUE(wait_on(*all, state_topic("sys_a_load_1m"), later + 1)) << logs();
  EXPECT_EQ(payloads(*all, kDiscovery).size(), 2u);

  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

TEST_F(DaemonTest, SighupTellsSystemdReloadingAndReadyAgain) {
  // The notification socket systemd would give a Type=notify unit: the daemon finds it in
  // NOTIFY_SOCKET, inherited from this process.
  const std::filesystem::path socket_path = dir_ / "notify.sock";
  const int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.string().size(), sizeof address.sun_path);
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(sock, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  std::vector<std::string> got;
  auto received = [&](const std::string& wanted, std::size_t count) {
    return wait_until(
        [&] {
          char buffer[4096];
          for (int i = 0; i < 64; ++i) {
            const ssize_t n = ::recv(sock, buffer, sizeof buffer, 0);
            if (n <= 0) break;
            got.emplace_back(buffer, static_cast<std::size_t>(n));
          }
          return static_cast<std::size_t>(std::count(got.begin(), got.end(), wanted)) >= count;
        },
        kDeadline);
  };

  write_config(config(broker_.port(), Json::array({load_sensor("sys_a")})));
  ::setenv("NOTIFY_SOCKET", socket_path.c_str(), 1);
  auto daemon = start_daemon();
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(received("READY=1", 1)) << logs();

  // A good configuration, then a broken one: after each, READY=1 follows RELOADING=1, or
  // systemd would keep the unit reloading and `systemctl reload` would never return.
  daemon.signal(SIGHUP);
  ASSERT_TRUE(received("READY=1", 2)) << logs();
  write_text(config_path(), "{ broken\n");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(received("READY=1", 3)) << logs();
  std::vector<std::string> sequence;
  for (const std::string& message : got) {
    if (message == "READY=1" || message == "RELOADING=1") sequence.push_back(message);
  }
  EXPECT_EQ(sequence, (std::vector<std::string>{"READY=1", "RELOADING=1", "READY=1",
                                                "RELOADING=1", "READY=1"}));
  ::close(sock);
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

// ---- state across restarts ----------------------------------------------------------------------

TEST_F(DaemonTest, RemovalOfAnEntitySurvivesARestart) {
  write_config(config(broker_.port(), Json::array({load_sensor("sys_a"), load_sensor("sys_b")})));
  {
    auto all = subscribe();
    auto daemon = start_daemon();
    ASSERT_TRUE(wait_on(*all, state_topic("sys_b_load_1m"), 1)) << logs();
    ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
  }

  write_config(config(broker_.port(), Json::array({load_sensor("sys_a")})));
  // One subscriber sees the retained messages of the first run first, then the second run's in
  // the order the daemon published them.
  auto second_run = subscribe();
  ASSERT_TRUE(wait_for_payload(*second_run, kStatus, "offline")) << logs();
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_for_payload(*second_run, kStatus, "online")) << logs();
  const auto messages = discoveries(*second_run);
  ASSERT_EQ(messages.size(), 3u) << logs();
  const std::set<std::string> a = {"sys_a_load_1m", "sys_a_load_5m", "sys_a_load_15m"};
  const std::set<std::string> b = {"sys_b_load_1m", "sys_b_load_5m", "sys_b_load_15m"};
  EXPECT_TRUE(removed_ids(messages[0]).empty());  // the first run's, retained
  EXPECT_EQ(removed_ids(messages[1]), b) << messages[1].dump(2);
  EXPECT_EQ(component_ids(messages[2]), with_diagnostics(a)) << messages[2].dump(2);
  EXPECT_TRUE(removed_ids(messages[2]).empty());
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));

  // The removal is done: a third run removes nothing.
  auto third_run = subscribe();
  ASSERT_TRUE(wait_for_payload(*third_run, kStatus, "offline")) << logs();
  daemon = start_daemon();
  ASSERT_TRUE(wait_for_payload(*third_run, kStatus, "online")) << logs();
  const auto third = discoveries(*third_run);
  ASSERT_EQ(third.size(), 2u) << logs();
  EXPECT_EQ(component_ids(third[1]), with_diagnostics(a)) << third[1].dump(2);
  EXPECT_TRUE(removed_ids(third[1]).empty()) << third[1].dump(2);
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

TEST_F(DaemonTest, ReconnectsAndAnnouncesAgainAfterTheBrokerRestarts) {
  write_config(config(broker_.port(), Json::array({load_sensor("system")})));
  auto daemon = start_daemon();
  {
    auto all = subscribe();
    ASSERT_TRUE(wait_on(*all, state_topic("system_load_1m"), 1)) << logs();
    ASSERT_TRUE(wait_on(*all, kDiscovery, 1)) << logs();
    all->stop();
  }
  // Without persistence the restarted broker has no retained message left: what a new
  // subscriber gets is what the daemon published after it reconnected.
  broker_.restart();
  auto all = subscribe();
  ASSERT_TRUE(wait_on(*all, kDiscovery, 1)) << logs();
  ASSERT_TRUE(wait_for_payload(*all, kStatus, "online")) << logs();
  ASSERT_TRUE(wait_for_payload(*all, availability_topic("system_load_1m"), "online")) << logs();
  ASSERT_TRUE(wait_for_payload(*all, state_topic("system_load_1m"), "0.52")) << logs();
  ASSERT_TRUE(wait_for_payload(*all, state_topic("system_load_15m"), "0.59")) << logs();
  EXPECT_EQ(component_ids(discoveries(*all)[0]),
            with_diagnostics({"system_load_1m", "system_load_5m", "system_load_15m"}));
  EXPECT_EQ(count_of(broker_.log(), " as " + std::string(kClientId) + " "), 2u) << logs();
  EXPECT_TRUE(daemon.running());
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

// ---- the command line ---------------------------------------------------------------------------

using DaemonCommandLineTest = DaemonTestBase;

TEST_F(DaemonCommandLineTest, CheckConfigAcceptsAValidFile) {
  write_config(config(1883, Json::array({load_sensor("sys_a"), system_sensor("system")})));
  const auto result = run({"--config", config_path().string(), "--check-config"});
  ASSERT_TRUE(result.status);
  EXPECT_EQ(*result.status, ExitStatus::exited(0)) << result.err;
  // The entities the config names (whether this machine has them is found out at start-up).
  EXPECT_EQ(result.out, config_path().string() +
                            ": configuration valid: broker 127.0.0.1:1883, 2 sensors, " +
                            std::to_string(3 + expected_states("system").size()) + " entities\n");
  EXPECT_EQ(result.err, "");
}

TEST_F(DaemonCommandLineTest, CheckConfigPrintsEveryErrorAndExits78) {
  write_text(config_path(), R"({
  "sensors": [{"type": "system", "intervall": 30}],
  "logging": {"level": "loud"},
  "mqtt": {"port": 0, "host": "broker"}
}
)");
  const auto result = run({"--config", config_path().string(), "--check-config"});
  ASSERT_TRUE(result.status);
  EXPECT_EQ(*result.status, ExitStatus::exited(78));
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "sensors[0].intervall: unknown key, did you mean 'interval'?\n"
            "logging.level: expected one of \"trace\", \"debug\", \"info\", \"warning\", "
            "\"error\", \"critical\", \"off\", found \"loud\"\n"
            "mqtt.port: expected an integer from 1 to 65535, found 0\n"
            "pimqttd: " +
                config_path().string() + ": configuration invalid (3 errors)\n");

  // Running it is refused the same way, before anything connects.
  const auto daemon = run({"--config", config_path().string()});
  ASSERT_TRUE(daemon.status);
  EXPECT_EQ(*daemon.status, ExitStatus::exited(78));
  EXPECT_EQ(daemon.err, result.err);
}

TEST_F(DaemonCommandLineTest, MissingConfigFileExits78) {
  const fs::path missing = dir_ / "nowhere.json";
  const auto result = run({"--config", missing.string(), "--check-config"});
  ASSERT_TRUE(result.status);
  EXPECT_EQ(*result.status, ExitStatus::exited(78));
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, missing.string() + ": cannot read: No such file or directory\npimqttd: " +
                            missing.string() + ": configuration invalid (1 error)\n");
}

TEST_F(DaemonCommandLineTest, UnknownOptionExits64) {
  const auto result = run({"--frobnicate"});
  ASSERT_TRUE(result.status);
  EXPECT_EQ(*result.status, ExitStatus::exited(64));
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "pimqttd: unknown option '--frobnicate' (see --help)\n");

  const auto two_modes = run({"--once", "--check-config"});
  ASSERT_TRUE(two_modes.status);
  EXPECT_EQ(*two_modes.status, ExitStatus::exited(64));
  EXPECT_EQ(two_modes.err, "pimqttd: only one mode at a time: --check-config (see --help)\n");

  const auto no_value = run({"--config"});
  ASSERT_TRUE(no_value.status);
  EXPECT_EQ(*no_value.status, ExitStatus::exited(64));
  EXPECT_EQ(no_value.err, "pimqttd: --config needs a value (see --help)\n");
}

TEST_F(DaemonCommandLineTest, PrintConfigHidesTheInlinePassword) {
  Json json = config(1884, Json::array({load_sensor("sys_a")}));
  json["mqtt"]["username"] = "pi";
  json["mqtt"]["password"] = "hunter2-secret";
  write_config(json);
  const auto result = run({"--config", config_path().string(), "--print-config"});
  ASSERT_TRUE(result.status);
  EXPECT_EQ(*result.status, ExitStatus::exited(0)) << result.err;
  EXPECT_EQ(result.out.find("hunter2"), std::string::npos) << result.out;
  EXPECT_EQ(result.err.find("hunter2"), std::string::npos) << result.err;
  const Json printed = Json::parse(result.out);
  EXPECT_EQ(printed.at("mqtt").at("password"), "***");
  EXPECT_EQ(printed.at("mqtt").at("username"), "pi");
  EXPECT_EQ(printed.at("mqtt").at("port"), 1884);
  EXPECT_EQ(printed.at("mqtt").at("client_id"), "pimqttd-testpi");  // a default filled in
  EXPECT_EQ(printed.at("device").at("id"), kNode);
  EXPECT_EQ(printed.at("sensors").at(0).at("id"), "sys_a");
  EXPECT_EQ(printed.at("sensors").at(0).at("root"), root().string());
}

TEST_F(DaemonCommandLineTest, PrintDiscoveryPrintsTheTopicAndThePayload) {
  write_config(config(1883, Json::array({system_sensor("system")})));
  const auto result = run({"--config", config_path().string(), "--print-discovery"});
  ASSERT_TRUE(result.status);
  EXPECT_EQ(*result.status, ExitStatus::exited(0)) << result.err;
  const auto newline = result.out.find('\n');
  ASSERT_NE(newline, std::string::npos) << result.out;
  EXPECT_EQ(result.out.substr(0, newline), kDiscovery);
  const Json discovery = Json::parse(result.out.substr(newline + 1));
  EXPECT_EQ(discovery.at("dev").at("ids"), Json::array({"pimqttd_testpi"}));
  EXPECT_EQ(component_ids(discovery), with_diagnostics(keys_of(expected_states("system"))));
  EXPECT_EQ(discovery.at("cmps").at("system_memory_used").at("state_topic"),
            state_topic("system_memory_used"));

  // Metrics this machine does not have are left out: no swap, no Raspberry Pi firmware.
  write_text(root() / "proc/meminfo",
             "MemTotal: 1000000 kB\nMemAvailable: 250000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
  fs::remove(root() / "sys/devices/platform/soc/soc:firmware/get_throttled");
  const auto probed = run({"--config", config_path().string(), "--print-discovery"});
  ASSERT_TRUE(probed.status);
  EXPECT_EQ(*probed.status, ExitStatus::exited(0)) << probed.err;
  const Json smaller = Json::parse(probed.out.substr(probed.out.find('\n') + 1));
  EXPECT_EQ(component_ids(smaller),
            with_diagnostics({"system_cpu_temperature", "system_cpu_usage", "system_load_1m",
                              "system_load_5m", "system_load_15m", "system_memory_used",
                              "system_uptime"}));
}

TEST_F(DaemonCommandLineTest, OncePrintsTheFakeTreesReadings) {
  // cpu_usage needs two different samples of /proc/stat: left out here.
  write_config(config(1, Json::array({system_sensor("system", "1s", {{"cpu_usage", false}})})));
  const auto result = run({"--config", config_path().string(), "--once"});
  ASSERT_TRUE(result.status);
  EXPECT_EQ(*result.status, ExitStatus::exited(0)) << result.err;
  const Json readings = Json::parse(result.out);
  // Numbers rounded to their display precision, as published: 48.312 °C shows as 48.3.
  Json expected = {{"system_cpu_temperature", 48.3},   {"system_cpu_temperature_unit", "°C"},
                   {"system_load_1m", 0.52},           {"system_load_5m", 0.58},
                   {"system_load_15m", 0.59},          {"system_memory_used", 75.0},
                   {"system_memory_used_unit", "%"},   {"system_swap_used", 25.0},
                   {"system_swap_used_unit", "%"},     {"system_uptime", kBootTime}};
  for (const auto& [flag, state] : throttled_states()) {
    expected["system_" + flag] = state == "ON";
  }
  EXPECT_EQ(readings, expected) << readings.dump(2);
}

TEST_F(DaemonCommandLineTest, OnceLeavesOutputsAlone) {
  // Checking the wiring must not switch a relay: the output is neither started nor printed (on
  // this machine, which has no GPIO chip, starting it would also have failed).
  write_config(config(1, Json::array({load_sensor("system"),
                                      Json{{"type", "gpio_output"},
                                           {"name", "Relay"},
                                           {"line", "GPIO22"}}})));
  const auto result = run({"--config", config_path().string(), "--once"});
  ASSERT_TRUE(result.status);
  EXPECT_EQ(*result.status, ExitStatus::exited(0)) << result.err;
  EXPECT_EQ(Json::parse(result.out),
            (Json{{"system_load_1m", 0.52}, {"system_load_5m", 0.58}, {"system_load_15m", 0.59}}))
      << result.out;
  EXPECT_NE(result.err.find("relay is an output: --once does not drive it"), std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find("GPIO"), std::string::npos) << result.err;
}

TEST_F(DaemonCommandLineTest, VersionAndHelp) {
  const auto version = run({"--version"});
  ASSERT_TRUE(version.status);
  EXPECT_EQ(*version.status, ExitStatus::exited(0));
  // The version, the system it was built for, and the libraries it runs with, a line each.
  EXPECT_EQ(version.out.rfind("pimqttd " PIMQTTD_VERSION "\nbuilt for: " PIMQTTD_BUILT_FOR, 0),
            0u)
      << version.out;
  EXPECT_NE(version.out.find("\nlibgpiod: " PIMQTTD_LIBGPIOD_MAJOR "."), std::string::npos)
      << version.out;
  EXPECT_NE(version.out.find("(built with " PIMQTTD_LIBGPIOD_VERSION ")\nOpenSSL: OpenSSL 3."),
            std::string::npos)
      << version.out;
  EXPECT_EQ(version.err, "");

  const auto help = run({"--help"});
  ASSERT_TRUE(help.status);
  EXPECT_EQ(*help.status, ExitStatus::exited(0));
  EXPECT_EQ(help.out.rfind("usage: pimqttd ", 0), 0u) << help.out;
  for (const char* option : {"--check-config", "--print-config", "--print-discovery", "--once",
                             "--log-level", "--state-dir", "--version"}) {
    EXPECT_NE(help.out.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace pimqttd::test
