// The soak: the daemon as a process (meant to be the -DPIMQTTD_SANITIZE=ON build, so that ASan
// and LSan watch it), 50 entities read every 100 ms from a fake sysfs tree (five IIO ADCs of ten
// voltage channels each), a real mosquitto on loopback restarted at a fixed period. Before each
// restart, and at the end, it samples the daemon's open file descriptors (/proc/PID/fd) and its
// resident set (VmRSS in /proc/PID/status). Checks:
//   - the daemon never exits on its own, and stops cleanly on SIGTERM at the end: exit 0, nothing
//     from a sanitizer in its output (LSan checks for leaks at that exit);
//   - after every restart it reconnects and its states arrive again;
//   - the open fds are the same at every sample;
//   - from the sample before the second restart on, VmRSS stays within 64 KiB.
//
// Not part of ctest: scripts/test --soak runs it. PIMQTTD_SOAK_SECONDS sets the duration
// (default 3600), PIMQTTD_SOAK_RESTART_SECONDS the restart period (default a twelfth of the
// duration: 5 minutes in an hour). The samples are printed and written to the file named by
// PIMQTTD_SOAK_REPORT, if set.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/daemon_harness.hpp"
#include "support/fake_sysfs.hpp"

namespace pimqttd::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kAdcs = 5;
constexpr int kChannels = 10;
constexpr long kRssToleranceKib = 64;

std::chrono::seconds env_seconds(const char* name, std::chrono::seconds fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 1) {
    ADD_FAILURE() << name << " must be a positive number of seconds, is \"" << text << "\"";
    return fallback;
  }
  return std::chrono::seconds{value};
}

struct Sample {
  std::string when;
  std::chrono::seconds at{};
  std::size_t fds = 0;
  long rss_kib = -1;
};

/// The daemon's open fds but those on files under `transient` (the fake sysfs tree, whose files
/// the worker opens for a moment at every read, ten times a second).
std::size_t open_fds(pid_t pid, const fs::path& transient) {
  const fs::path dir = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code error;
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const fs::path target = fs::read_symlink(entry.path(), error);
    if (error) continue;  // closed since the listing
    if (!target.string().starts_with(transient.string() + "/")) ++count;
  }
  return count;
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

class SoakTest : public DaemonTest {
 protected:
  SoakTest() {
    for (int adc = 0; adc < kAdcs; ++adc) {
      FakeSysfs::Files files = {{"name", "adc" + std::to_string(adc) + "\n"}};
      for (int channel = 0; channel < kChannels; ++channel) {
        files.emplace_back("in_voltage" + std::to_string(channel) + "_input",
                           std::to_string(1000 + 100 * adc + channel) + "\n");
      }
      sysfs_.add_device("sys/bus/iio/devices", "iio:device" + std::to_string(adc),
                        "platform/adc" + std::to_string(adc) + "/iio:device" +
                            std::to_string(adc),
                        files);
    }
  }

  [[nodiscard]] Json adc_sensors() const {
    Json sensors = Json::array();
    for (int adc = 0; adc < kAdcs; ++adc) {
      Json channels = Json::array();
      for (int channel = 0; channel < kChannels; ++channel) {
        channels.push_back("voltage" + std::to_string(channel));
      }
      sensors.push_back(Json{{"type", "iio"},
                             {"name", "ADC " + std::to_string(adc)},
                             {"device", "adc" + std::to_string(adc)},
                             {"channels", channels},
                             {"interval", "100ms"},
                             {"root", sysfs_.root().string()}});
    }
    return sensors;
  }

  FakeSysfs sysfs_;
};

TEST_F(SoakTest, FiftyEntitiesAtTenHertzWithBrokerRestarts) {
  const std::chrono::seconds duration = env_seconds("PIMQTTD_SOAK_SECONDS", 3600s);
  const std::chrono::seconds period =
      env_seconds("PIMQTTD_SOAK_RESTART_SECONDS", std::max<std::chrono::seconds>(duration / 12, 1s));
  Json json = config(broker_.port(), adc_sensors());
  json["logging"]["level"] = "info";
  json["mqtt"]["keep_alive"] = "30s";
  write_config(json);

  const std::string probe = state_topic("adc_4_voltage9");
  const auto states_arrive = [&](const char* when) {
    Subscriber subscriber(SubscriberOptions{.port = broker_.port(), .topic = probe, .qos = 0});
    ASSERT_TRUE(subscriber.wait_subscribed(kDeadline)) << when << logs();
    ASSERT_TRUE(subscriber.wait_for_count(10, 30s)) << "no states " << when << logs();
    EXPECT_EQ(subscriber.lines().back().payload, "1.409") << when;
  };

  // ASan's allocator would blur the RSS: by default it holds 256 MB of freed memory back from
  // reuse (the quarantine, which fills for minutes at this rate) and returns unused pages to the
  // kernel every 5 s. Without a quarantine and with nothing returned, VmRSS is the high-water mark
  // of the heap in use, and any growth shows (use after free is the sanitizer suite's to find;
  // here ASan still finds it in memory not yet reused). PIMQTTD_SOAK_ASAN_OPTIONS replaces these.
  const char* asan = std::getenv("PIMQTTD_SOAK_ASAN_OPTIONS");
  Process daemon = start_daemon(
      {std::string("ASAN_OPTIONS=") +
           (asan != nullptr ? asan
                            : "detect_leaks=1:abort_on_error=1:quarantine_size_mb=0:"
                              "thread_local_quarantine_size_kb=0:"
                              "allocator_release_to_os_interval_ms=-1"),
       "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"});
  const auto started = Clock::now();
  states_arrive("after the start");

  std::vector<Sample> samples;
  const auto sample = [&](std::string when) {
    samples.push_back(Sample{std::move(when),
                             std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started),
                             open_fds(daemon.pid(), sysfs_.root()), rss_kib(daemon.pid())});
  };
  for (int restart = 1;; ++restart) {
    const auto next = std::min(started + period * restart, started + duration);
    // The daemon must not exit before the next restart; the wait is on its pidfd.
    const auto exited = daemon.wait_exit(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max<Clock::duration>(next - Clock::now(), 0ms)));
    ASSERT_FALSE(exited.has_value()) << "the daemon ended: " << *exited << logs();
    if (next >= started + duration) break;
    sample("before restart " + std::to_string(restart));
    broker_.restart();
    states_arrive(("after restart " + std::to_string(restart)).c_str());
    if (HasFatalFailure()) return;
  }
  sample("at the end");
  stop_daemon(daemon);

  std::ostringstream report;
  report << "soak: " << duration.count() << " s, broker restarted every " << period.count()
         << " s, " << kAdcs * kChannels << " entities every 100 ms\n";
  for (const Sample& s : samples) {
    report << "soak: " << s.at.count() << " s " << s.when << ": fds " << s.fds << ", VmRSS "
           << s.rss_kib << " kB\n";
  }
  std::printf("%s", report.str().c_str());
  if (const char* file = std::getenv("PIMQTTD_SOAK_REPORT"); file != nullptr && *file != '\0') {
    std::ofstream(file) << report.str();
  }

  ASSERT_GE(samples.size(), 3U) << "too short to judge: lengthen PIMQTTD_SOAK_SECONDS or shorten "
                                   "PIMQTTD_SOAK_RESTART_SECONDS";
  for (const Sample& s : samples) {
    EXPECT_EQ(s.fds, samples.front().fds) << s.when << "\n" << report.str();
    EXPECT_GT(s.rss_kib, 0) << s.when;
  }
  const auto [low, high] = std::minmax_element(
      samples.begin() + 1, samples.end(),
      [](const Sample& a, const Sample& b) { return a.rss_kib < b.rss_kib; });
  EXPECT_LE(high->rss_kib - low->rss_kib, kRssToleranceKib)
      << "VmRSS grew after the first restart\n" << report.str();
}

}  // namespace
}  // namespace pimqttd::test
