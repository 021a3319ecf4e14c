#pragma once
// The pimqttd daemon as a real process against a real mosquitto on loopback, for the integration
// tests that run it (daemon_test.cpp, kernel_devices_test.cpp):
// - DaemonTestBase: a temporary directory with a fake /proc and /sys tree (the system sensor's
//   values, exact in binary floating point), the config file built from JSON, the daemon started
//   on it or run to completion (--once, --check-config...); no broker.
// - DaemonTest: the same with a mosquitto on a free loopback port, mosquitto_sub subscribers as
//   the independent observer, and a clean stop that checks the daemon's exit and log.
// - Helpers over what a subscriber received: the payloads on a topic, waiting on a count or a
//   payload (bounded by a deadline, never a sleep), the discovery payloads parsed.
//
// A target that includes this defines PIMQTTD_BINARY, the daemon executable.

#include "support/broker.hpp"
#include "support/mqtt_sub.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#ifndef PIMQTTD_BINARY
#error "PIMQTTD_BINARY must name the daemon executable"
#endif

namespace pimqttd::test {

using Json = nlohmann::json;
namespace fs = std::filesystem;

inline constexpr std::chrono::milliseconds kDeadline{10000};
inline constexpr const char* kNode = "testpi";
inline constexpr const char* kClientId = "pimqttd-testpi";
inline const std::string kStatus = "pimqttd/testpi/status";
inline const std::string kDiscovery = "homeassistant/device/testpi/config";
inline const std::string kBirth = "homeassistant/status";

/// The daemon's own diagnostic entities, announced whatever the config.
inline const std::vector<std::string> kDiagnostics = {"pimqttd_started", "pimqttd_reconnects",
                                                      "pimqttd_queued", "pimqttd_dropped",
                                                      "pimqttd_last_error"};

inline std::string state_topic(const std::string& entity) {
  return "pimqttd/testpi/" + entity + "/state";
}
inline std::string availability_topic(const std::string& entity) {
  return "pimqttd/testpi/" + entity + "/availability";
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Replaces `path` in one step (a temporary file renamed over it), so that the daemon never reads
/// a half-written file.
inline void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary.string());
  }
  fs::rename(temporary, path);
}

inline std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

/// The lines of `text` that hold both `first` and, after it, `second`.
inline std::size_t count_lines(const std::string& text, const std::string& first,
                               const std::string& second) {
  std::size_t count = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find(first);
    if (at != std::string::npos && line.find(second, at + first.size()) != std::string::npos) {
      ++count;
    }
  }
  return count;
}

/// The payloads received on `topic`, in order.
inline std::vector<std::string> payloads(const Subscriber& subscriber, const std::string& topic) {
  std::vector<std::string> out;
  for (const auto& message : subscriber.lines()) {
    if (message.topic == topic) out.push_back(message.payload);
  }
  return out;
}

/// Waits until at least `n` messages were received on `topic`.
inline bool wait_on(const Subscriber& subscriber, const std::string& topic, std::size_t n,
                    std::chrono::milliseconds deadline = kDeadline) {
  return wait_until([&] { return payloads(subscriber, topic).size() >= n; }, deadline,
                    std::chrono::milliseconds{10});
}

/// Waits until `payload` was received on `topic` at least `n` times.
inline bool wait_for_payload(const Subscriber& subscriber, const std::string& topic,
                             const std::string& payload, std::size_t n = 1,
                             std::chrono::milliseconds deadline = kDeadline) {
  return wait_until(
      [&] {
        const auto all = payloads(subscriber, topic);
        return static_cast<std::size_t>(std::count(all.begin(), all.end(), payload)) >= n;
      },
      deadline, std::chrono::milliseconds{10});
}

/// The discovery payloads received, parsed.
inline std::vector<Json> discoveries(const Subscriber& subscriber) {
  std::vector<Json> out;
  for (const std::string& payload : payloads(subscriber, kDiscovery)) {
    out.push_back(Json::parse(payload));
  }
  return out;
}

inline std::set<std::string> component_ids(const Json& discovery) {
  std::set<std::string> ids;
  for (const auto& [id, component] : discovery.at("cmps").items()) ids.insert(id);
  return ids;
}

/// The component ids that are a removal: reduced to {"p": ...}.
inline std::set<std::string> removed_ids(const Json& discovery) {
  std::set<std::string> ids;
  for (const auto& [id, component] : discovery.at("cmps").items()) {
    if (component.size() == 1 && component.contains("p")) ids.insert(id);
  }
  return ids;
}

inline std::set<std::string> with_diagnostics(std::set<std::string> ids) {
  ids.insert(kDiagnostics.begin(), kDiagnostics.end());
  return ids;
}

// ---- the fake machine ---------------------------------------------------------------------------

// Chosen so that every computed value is exact in binary floating point.
inline constexpr const char* kLoadavg = "0.52 0.58 0.59 2/98 19362\n";
inline constexpr const char* kMeminfo =
    "MemTotal:        1000000 kB\n"
    "MemFree:          100000 kB\n"
    "MemAvailable:     250000 kB\n"
    "Buffers:           10000 kB\n"
    "Cached:           100000 kB\n"
    "SwapCached:            0 kB\n"
    "SwapTotal:        200000 kB\n"
    "SwapFree:         150000 kB\n";
// total 10000 ticks, idle + iowait 8500.
inline constexpr const char* kStat1 =
    "cpu  1000 0 500 8000 500 0 0 0 0 0\n"
    "cpu0 1000 0 500 8000 500 0 0 0 0 0\n"
    "intr 12345 0 0\n"
    "ctxt 67890\n"
    "btime 1700000000\n"
    "processes 4242\n"
    "procs_running 1\n"
    "procs_blocked 0\n";
// 1000 more ticks, 600 of them idle or iowait: 40 % busy.
inline constexpr const char* kStat2 =
    "cpu  1300 0 600 8500 600 0 0 0 0 0\n"
    "cpu0 1300 0 600 8500 600 0 0 0 0 0\n"
    "intr 12345 0 0\n"
    "ctxt 67890\n"
    "btime 1700000000\n"
    "processes 4242\n"
    "procs_running 1\n"
    "procs_blocked 0\n";
inline constexpr const char* kBootTime = "2023-11-14T22:13:20+00:00";
inline constexpr const char* kThermal = "48312\n";
// Under-voltage and throttled now, and both since boot.
inline constexpr const char* kThrottled = "50005\n";

inline void write_fake_system(const fs::path& root) {
  write_text(root / "proc/loadavg", kLoadavg);
  write_text(root / "proc/meminfo", kMeminfo);
  write_text(root / "proc/stat", kStat1);
  write_text(root / "proc/uptime", "12345.67 23456.78\n");
  write_text(root / "sys/class/thermal/thermal_zone0/temp", kThermal);
  write_text(root / "sys/class/thermal/thermal_zone0/type", "cpu-thermal\n");
  write_text(root / "sys/devices/platform/soc/soc:firmware/get_throttled", kThrottled);
}

// ---- running the daemon -------------------------------------------------------------------------

struct CommandResult {
  std::optional<ExitStatus> status;
  std::string out;
  std::string err;
};

class DaemonTestBase : public ::testing::Test {
 protected:
  DaemonTestBase() { write_fake_system(root()); }

  [[nodiscard]] fs::path root() const { return dir_ / "root"; }
  [[nodiscard]] fs::path state_dir() const { return dir_ / "state"; }
  [[nodiscard]] fs::path config_path() const { return dir_ / "config.json"; }
  [[nodiscard]] fs::path log_path() const { return dir_ / "daemon.log"; }
  [[nodiscard]] std::string daemon_log() const { return read_text(log_path()); }

  /// A system sensor entry on the fake tree: every metric but disk, polled every `interval`.
  [[nodiscard]] Json system_sensor(const std::string& id, const std::string& interval = "1s",
                                   Json metrics = Json::object()) const {
    if (!metrics.contains("disk")) metrics["disk"] = false;
    return Json{{"type", "system"},        {"id", id},
                {"name", "System " + id},  {"interval", interval},
                {"root", root().string()}, {"metrics", metrics}};
  }

  /// Only the load metric (three entities), as a small sensor for reload tests.
  [[nodiscard]] Json load_sensor(const std::string& id, const std::string& interval = "1s") const {
    return system_sensor(id, interval,
                         Json{{"cpu_temperature", false},
                              {"cpu_usage", false},
                              {"load", true},
                              {"memory", false},
                              {"swap", false},
                              {"uptime", false},
                              {"throttled", false}});
  }

  [[nodiscard]] Json config(std::uint16_t port, Json sensors) const {
    return Json{{"device", {{"id", kNode}, {"name", "Test Pi"}, {"suggested_area", "Lab"}}},
                {"mqtt",
                 {{"host", "127.0.0.1"},
                  {"port", port},
                  {"keep_alive", "5s"},
                  {"connect_timeout", "2s"},
                  {"backoff_initial", "100ms"},
                  {"backoff_max", "1s"}}},
                {"homeassistant", {{"reannounce_delay_max", "200ms"}}},
                {"logging", {{"level", "debug"}}},
                {"sensors", std::move(sensors)}};
  }

  void write_config(const Json& json) const { write_text(config_path(), json.dump(2) + "\n"); }

  /// Starts the daemon on config_path() with its own state directory; its output goes to
  /// log_path() (appended across starts). `environment`: variables it gets besides the test's.
  [[nodiscard]] Process start_daemon(std::vector<std::string> environment = {}) const {
    ProcessOptions options;
    options.stdout_path = log_path();
    options.stderr_path = log_path();
    options.append = true;
    options.environment = std::move(environment);
    return Process(
        {PIMQTTD_BINARY, "--config", config_path().string(), "--state-dir", state_dir().string()},
        options);
  }

  /// Runs the binary to completion with `arguments`.
  [[nodiscard]] CommandResult run(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), PIMQTTD_BINARY);
    ProcessOptions options;
    options.stdout_path = dir_ / "cli.out";
    options.stderr_path = dir_ / "cli.err";
    CommandResult result;
    result.status = run_process(std::move(arguments), kDeadline, options);
    result.out = read_text(dir_ / "cli.out");
    result.err = read_text(dir_ / "cli.err");
    return result;
  }

  TempDir dir_{"pimqttd-daemon"};
};

class DaemonTest : public DaemonTestBase {
 protected:
  void SetUp() override { broker_.start(); }

  /// A subscriber on every topic, subscribed.
  [[nodiscard]] std::unique_ptr<Subscriber> subscribe(const std::string& topic = "#") const {
    auto subscriber = std::make_unique<Subscriber>(
        SubscriberOptions{.port = broker_.port(), .topic = topic, .qos = 1});
    if (!subscriber->wait_subscribed(kDeadline)) {
      ADD_FAILURE() << "mosquitto_sub did not subscribe to " << topic << ": "
                    << read_text(subscriber->error_path());
    }
    return subscriber;
  }

  /// What a failing assertion should show.
  [[nodiscard]] std::string logs() const {
    return "\n--- daemon log:\n" + daemon_log() + "\n--- broker log (tail):\n" +
           tail(broker_.log());
  }

  static std::string tail(const std::string& text, std::size_t lines = 40) {
    std::size_t at = text.size();
    for (std::size_t i = 0; i <= lines && at != std::string::npos && at > 0; ++i) {
      at = text.rfind('\n', at - 1);
    }
    return at == std::string::npos ? text : text.substr(at + 1);
  }

  /// Publishes Home Assistant's birth message.
  void publish_birth() const {
    PublishOptions birth;
    birth.port = broker_.port();
    birth.topic = kBirth;
    birth.payload = "online";
    birth.qos = 1;
    ASSERT_TRUE(mosquitto_pub(birth).success());
  }

  /// Home Assistant's command `payload` on `entity`'s command topic (QoS 1).
  void send_command(const std::string& entity, const std::string& payload) const {
    PublishOptions message;
    message.port = broker_.port();
    message.topic = "pimqttd/testpi/" + entity + "/set";
    message.payload = payload;
    message.qos = 1;
    ASSERT_TRUE(mosquitto_pub(message).success());
  }

  /// SIGTERM and a clean exit within the daemon's stop deadline.
  void stop_daemon(Process& daemon) const {
    daemon.signal(SIGTERM);
    const auto status = daemon.wait_exit(std::chrono::seconds{5});
    ASSERT_TRUE(status.has_value()) << "still running 5 s after SIGTERM" << logs();
    EXPECT_EQ(*status, ExitStatus::exited(0)) << logs();
    EXPECT_NE(daemon_log().find("pimqttd: stopped"), std::string::npos) << logs();
    // Under -DPIMQTTD_SANITIZE=ON the daemon reports here too.
    EXPECT_EQ(daemon_log().find("Sanitizer"), std::string::npos) << logs();
    EXPECT_EQ(daemon_log().find("runtime error"), std::string::npos) << logs();
  }

  Broker broker_;
};

}  // namespace pimqttd::test
