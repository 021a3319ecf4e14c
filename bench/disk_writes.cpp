// pimqttd-disk-writes: what the daemon writes to disk in a day, in a compressed run.
//
//   pimqttd-disk-writes --config FILE [--minutes M] [--scale K] [--state-dir DIR]
//
// The daemon runs in a child process with the configuration FILE (its broker replaced by a
// mosquitto on loopback that this program starts) plus a gpio_counter on a fake GPIO line that
// receives one pulse per second, compressed K times (default 60: K pulses a second, and the
// counter's save_interval, its default unless FILE sets it, divided by K), for M real minutes
// (default 3). Compress no further than keeps saves 5 s apart: ext4 commits its journal every 5 s,
// and saves closer together re-dirty inode and directory blocks not yet written, which then count
// once for several saves (60x: the default 30 min are 30 s). Measured:
// - state writes: /proc/PID/io write_bytes of the daemon (every thread) from the end of its
//   start-up (5 s) to the end of the run, scaled to a day of uncompressed time (x 86400 / (run
//   seconds x K));
// - the journal: the bytes of the log lines the daemon writes at FILE's log level (info unless
//   set), those of the start-up once, and those after it scaled to a day of real time (the
//   daemon's other timers are not compressed).
// Prints one line per figure and the total per day. The state directory must be on a disk file
// system (not tmpfs, which has no write_bytes): default a new directory under the current one.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include <fcntl.h>
#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"
#include "sensors/gpio/gpio_config.hpp"
#include "support/broker.hpp"
#include "support/daemon_child.hpp"

namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr auto kStartup = 5s;
constexpr double kDay = 86400.0;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// write_bytes of /proc/PID/io.
std::uint64_t write_bytes(pid_t pid) {
  std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/io"));
  for (std::string key; in >> key;) {
    std::uint64_t value = 0;
    in >> value;
    if (key == "write_bytes:") return value;
  }
  throw std::runtime_error("no write_bytes in /proc/" + std::to_string(pid) + "/io");
}

std::uint64_t size_of(const fs::path& file) {
  std::error_code error;
  const auto size = fs::file_size(file, error);
  return error ? 0 : size;
}

int usage() {
  std::fprintf(stderr,
               "usage: pimqttd-disk-writes --config FILE [--minutes M] [--scale K] "
               "[--state-dir DIR]\n");
  return 2;
}

int run(int argc, char** argv) {
  fs::path config_file;
  double minutes = 3;
  int scale = 60;
  fs::path state;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage();
    if (arg == "--config") {
      config_file = argv[++i];
    } else if (arg == "--minutes") {
      minutes = std::atof(argv[++i]);
    } else if (arg == "--scale") {
      scale = std::atoi(argv[++i]);
    } else if (arg == "--state-dir") {
      state = argv[++i];
    } else {
      return usage();
    }
  }
  if (config_file.empty() || minutes <= 0 || scale < 1 || scale > 1000) return usage();
  if (state.empty()) {
    char name[] = "pimqttd-disk-writes.XXXXXX";
    if (::mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    state = fs::absolute(name);
  }
  fs::create_directories(state);

  pimqttd::test::Broker broker;
  broker.start();
  Json json = Json::parse(read_text(config_file), nullptr, true, true);
  json["mqtt"]["host"] = "127.0.0.1";
  json["mqtt"]["port"] = broker.port();
  json["mqtt"].erase("username");
  json["mqtt"].erase("password_file");
  json["sensors"].push_back(pimqttd::test::counter_entry("Meter"));

  // The counter's save_interval as the daemon would have it, and the log level.
  const pimqttd::app::Config parsed =
      pimqttd::app::parse_config(json.dump(), pimqttd::app::LoadOptions{});
  std::chrono::milliseconds save_interval{};
  for (const auto& sensor : parsed.sensors) {
    if (const auto* counter = sensor.settings_as<pimqttd::sensors::GpioCounterSettings>()) {
      save_interval = counter->options.save_interval;
    }
  }

  const fs::path log = state / "daemon.log";
  fs::remove(log);
  pimqttd::test::DaemonChildOptions options;
  options.config = json;
  options.state_directory = state / "state";
  options.save_interval = save_interval / scale;
  options.pulse_period = std::chrono::milliseconds{1000 / scale};
  options.log_level = parsed.logging.level;
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    pimqttd::test::run_daemon_child(options);
  }

  // A benchmark measures over time: it waits for real.
  std::this_thread::sleep_for(kStartup);
  const std::uint64_t bytes_at_start = write_bytes(child);
  const std::uint64_t log_at_start = size_of(log);
  const auto measured = std::chrono::duration<double>(minutes * 60.0);
  std::this_thread::sleep_for(measured);
  const std::uint64_t bytes = write_bytes(child) - bytes_at_start;
  const std::uint64_t log_bytes = size_of(log) - log_at_start;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);

  const double run_seconds = measured.count();
  const double compressed_days = run_seconds * scale / kDay;
  const double state_per_day = static_cast<double>(bytes) / compressed_days;
  const double log_per_day = static_cast<double>(log_bytes) * kDay / run_seconds;
  std::printf("run: %.1f min at %dx (%.1f h of pulses, one a second), save_interval %lld s "
              "(run at %lld ms), log level %s\n",
              minutes, scale, run_seconds * scale / 3600.0,
              static_cast<long long>(save_interval.count() / 1000),
              static_cast<long long>(options.save_interval->count()),
              std::string(pimqttd::app::to_string(parsed.logging.level)).c_str());
  std::printf("state files: %llu bytes written (write_bytes) = %.0f bytes/day\n",
              static_cast<unsigned long long>(bytes), state_per_day);
  std::printf("journal: %llu bytes at start-up (once per start), %llu bytes after it = %.0f "
              "bytes/day\n",
              static_cast<unsigned long long>(log_at_start),
              static_cast<unsigned long long>(log_bytes), log_per_day);
  std::printf("total: %.0f bytes/day (%.2f MB/day)\n", state_per_day + log_per_day,
              (state_per_day + log_per_day) / 1e6);
  std::error_code ignored;
  fs::remove_all(state / "state", ignored);
  fs::remove(log, ignored);
  fs::remove(state, ignored);  // only when empty: a --state-dir of the caller's keeps the rest
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "pimqttd-disk-writes: %s\n", error.what());
    return 1;
  }
}
