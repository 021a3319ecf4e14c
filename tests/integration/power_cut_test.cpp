// Power cuts: the daemon killed with SIGKILL at random moments while it saves a pulse counter's
// total (sensors.json) and the set of entities announced (announced.json, which changes at every
// restart here: every other run has one more sensor). After every kill:
// - both state files parse (they are replaced by rename, never written in place);
// - the saved total never goes backwards, and never exceeds the pulses sent (so the next run
//   restored it: a counter that started from zero would save a smaller total);
// - it lost at most the pulses since the last save: the total is at least every total the test
//   read from the file while the daemon ran (a completed save is never undone), and the pulses
//   sent more than a save_interval plus a coarse margin (a loaded machine's fsyncs take hundreds
//   of milliseconds) before the kill were saved.
//
// Each run is a child process forked by the test: the whole daemon in-process (real config,
// loop, worker, MQTT client on a real mosquitto, state directory on disk) on fake GPIO lines
// (hw::use_gpio_lines). The child sends one pulse a millisecond, telling the parent through a
// pipe before each pulse, so the parent knows how many were sent and when; the parent kills it
// after a random number of pulses. The counter saves every 100 ms (set below the configuration's
// minimum on the parsed settings).
//
// PIMQTTD_POWER_CUT_CYCLES sets the number of kills (default 100; scripts/test --long: 1000).

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pimqttd/core/unique_fd.hpp"
#include "support/broker.hpp"
#include "support/daemon_child.hpp"
#include "support/temp_dir.hpp"

namespace pimqttd {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr auto kSaveInterval = 100ms;
// Saves are written on the worker: a kill may come while the newest one is being written, and
// fsync takes hundreds of milliseconds on a machine busy with other writes.
constexpr auto kLossMargin = 2s;
constexpr auto kFileCheckPeriod = 10ms;
constexpr std::uint32_t kMaxPulsesPerRun = 600;  // one a millisecond
// Every kLongRunEvery-th run lasts up to this many pulses, long enough for the margin to bite.
constexpr std::uint32_t kMaxPulsesPerLongRun = 3000;
constexpr int kLongRunEvery = 20;
constexpr auto kDeadline = 10s;

int cycles() {
  const char* text = std::getenv("PIMQTTD_POWER_CUT_CYCLES");
  return text == nullptr ? 100 : std::atoi(text);
}

Json config_json(std::uint16_t port, bool extra_sensor) {
  Json sensors = Json::array({test::counter_entry("Water")});
  if (extra_sensor) {
    sensors.push_back({{"type", "gpio_input"}, {"name", "Door"}, {"chip", "gpiochip0"},
                       {"line", 5}});
  }
  return Json{{"device", {{"id", "powerpi"}, {"name", "Power Pi"}}},
              {"mqtt", {{"host", "127.0.0.1"}, {"port", port}, {"backoff_initial", "100ms"}}},
              {"logging", {{"level", "warning"}}},
              {"sensors", sensors}};
}

struct Report {
  std::uint32_t sent;
  Clock::time_point at;
};

/// What the parent read from a run: every report with the time it arrived.
class Reports {
 public:
  explicit Reports(core::UniqueFd fd) : fd_(std::move(fd)) {}

  /// Reads what is there, waiting at most `wait`; false on EOF.
  bool read(std::chrono::milliseconds wait) {
    pollfd p{fd_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
    std::uint32_t buffer[256];
    const ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
    if (n <= 0) return false;
    const auto now = Clock::now();
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof buffer[0]; ++i) {
      reports_.push_back(Report{buffer[i], now});
    }
    return true;
  }
  [[nodiscard]] std::uint32_t sent() const { return reports_.empty() ? 0 : reports_.back().sent; }
  /// Pulses reported before `at`.
  [[nodiscard]] std::uint32_t sent_before(Clock::time_point at) const {
    std::uint32_t count = 0;
    for (const Report& report : reports_) {
      if (report.at >= at) break;
      count = report.sent;
    }
    return count;
  }

 private:
  core::UniqueFd fd_;
  std::deque<Report> reports_;
};

std::optional<Json> parse_if_there(const fs::path& file);

/// The total in a parsed sensors.json.
std::uint64_t total_in(const Json& document) {
  return std::stoull(document.at("values").at("water").get<std::string>());
}

std::optional<Json> parse_if_there(const fs::path& file) {
  if (!fs::exists(file)) return std::nullopt;
  std::FILE* in = std::fopen(file.c_str(), "rb");
  if (in == nullptr) return std::nullopt;
  std::string text;
  char chunk[4096];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, in)) > 0;) text.append(chunk, n);
  std::fclose(in);
  return Json::parse(text);  // throws on a torn file
}

TEST(PowerCutTest, KilledAtRandomMomentsTheStateFilesParseAndTheCounterNeverGoesBack) {
  test::Broker broker;
  broker.start();
  test::TempDir dir("pimqttd-power-cut");
  const fs::path state = dir / "state";
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<std::uint32_t> kill_after(0, kMaxPulsesPerRun);
  std::uniform_int_distribution<std::uint32_t> kill_long_after(kMaxPulsesPerRun,
                                                               kMaxPulsesPerLongRun);

  std::uint64_t saved = 0;      // the total in sensors.json after the previous kill
  std::uint64_t most_lost = 0;  // pulses lost by one kill, at most
  int runs_that_saved = 0;
  int announced_seen = 0;
  const auto started = Clock::now();
  const int total = cycles();
  for (int cycle = 0; cycle < total; ++cycle) {
    const Json json = config_json(broker.port(), cycle % 2 == 1);
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      const int log = ::open((dir / "child.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (log >= 0) {
        ::dup2(log, 1);
        ::dup2(log, 2);
      }
      test::DaemonChildOptions options;
      options.config = json;
      options.state_directory = state;
      options.extra_lines = {5};
      options.save_interval = kSaveInterval;
      options.report_fd = pipe_fds[1];
      test::run_daemon_child(options);
    }
    ::close(pipe_fds[1]);
    Reports reports{core::UniqueFd(std::move(pipe_fds[0]))};
    // Killed however the test ends.
    struct Reaper {
      pid_t pid;
      ~Reaper() {
        if (pid <= 0) return;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    } reaper{child};
    const std::uint32_t target =
        cycle % kLongRunEvery == kLongRunEvery - 1 ? kill_long_after(random) : kill_after(random);
    const auto deadline = Clock::now() + kDeadline;
    bool alive = true;
    std::uint64_t seen = saved;  // the newest total read from the file during the run
    auto checked_at = Clock::now();
    while (alive && reports.sent() < target && Clock::now() < deadline) {
      alive = reports.read(100ms);
      if (Clock::now() - checked_at >= kFileCheckPeriod) {
        checked_at = Clock::now();
        std::optional<Json> during;
        ASSERT_NO_THROW(during = parse_if_there(state / "sensors.json")) << "run " << cycle;
        if (during) seen = std::max(seen, total_in(*during));
      }
    }
    const auto killed_at = Clock::now();
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    reaper.pid = 0;
    while (reports.read(0ms)) {
    }
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "run " << cycle << " ended by itself, status " << status << "; see "
        << (dir / "child.log");
    ASSERT_GE(reports.sent(), target) << "run " << cycle << " sent too few pulses in time";

    std::optional<Json> sensors_file;
    std::optional<Json> announced_file;
    ASSERT_NO_THROW(sensors_file = parse_if_there(state / "sensors.json")) << "run " << cycle;
    ASSERT_NO_THROW(announced_file = parse_if_there(state / "announced.json")) << "run " << cycle;
    if (announced_file) {
      ASSERT_TRUE(announced_file->at("entities").is_array()) << announced_file->dump();
      ++announced_seen;
    }
    if (!sensors_file) {
      ASSERT_EQ(saved, 0u) << "run " << cycle << ": sensors.json disappeared";
      continue;
    }
    const std::uint64_t now_saved = total_in(*sensors_file);
    ASSERT_GE(now_saved, saved) << "run " << cycle << ": the saved total went backwards";
    ASSERT_GE(now_saved, seen) << "run " << cycle << ": a completed save was undone";
    ASSERT_LE(now_saved, saved + reports.sent())
        << "run " << cycle << ": more pulses saved than sent (the total was not restored?)";
    // Everything sent before the last save interval (and the margin) was saved.
    const std::uint64_t must_have = saved + reports.sent_before(killed_at - kSaveInterval -
                                                                kLossMargin);
    ASSERT_GE(now_saved, must_have) << "run " << cycle << ": lost more than one save interval";
    if (now_saved > saved) ++runs_that_saved;
    most_lost = std::max<std::uint64_t>(most_lost, saved + reports.sent() - now_saved);
    saved = now_saved;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("%d kills in %.1f s: %d runs saved, final total %llu, at most %llu pulses lost\n",
              total, seconds, runs_that_saved, static_cast<unsigned long long>(saved),
              static_cast<unsigned long long>(most_lost));
  // Most runs last long enough to save (the first pulse is saved at once).
  EXPECT_GT(runs_that_saved, total / 2);
  EXPECT_GT(announced_seen, 0);
}

}  // namespace
}  // namespace pimqttd
