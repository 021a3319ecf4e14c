// pimqttd: command-line parsing and exit codes only. Everything else lives in the app layer.

#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "pimqttd/app/config.hpp"
#include "pimqttd/app/daemon.hpp"
#include "pimqttd/app/logging.hpp"
#include "pimqttd/app/version.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/mqtt/tls_transport.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;   // EX_USAGE
constexpr int kExitConfig = 78;  // EX_CONFIG
constexpr const char* kDefaultConfig = "/etc/pimqttd/config.json";
constexpr const char* kDefaultStateDirectory = "/var/lib/pimqttd";
constexpr auto kOnceDeadline = std::chrono::seconds(5);
constexpr auto kStopDeadline = std::chrono::seconds(2);

enum class Mode { run, check_config, print_config, print_discovery, once };

struct Args {
  Mode mode = Mode::run;
  std::string config = kDefaultConfig;
  std::optional<std::string> log_level;
  std::optional<std::string> state_directory;
};

void print_help() {
  std::fputs(
      "usage: pimqttd [--config FILE] [MODE] [--log-level LEVEL] [--state-dir DIR]\n"
      "\n"
      "Publishes this machine's sensors to Home Assistant over MQTT, as configured in FILE\n"
      "(default /etc/pimqttd/config.json; see pimqttd.json(5)).\n"
      "\n"
      "modes (default: run the daemon):\n"
      "  --check-config     validate the configuration and exit (0, or 78 with every error)\n"
      "  --print-config     print the effective configuration, defaults filled in, secrets hidden\n"
      "  --print-discovery  print the Home Assistant discovery message it would publish\n"
      "  --once             read every sensor once and print the readings as JSON (no MQTT)\n"
      "options:\n"
      "  --log-level LEVEL  trace, debug, info, warning, error, critical or off (overrides\n"
      "                     logging.level)\n"
      "  --state-dir DIR    where state is kept (default $STATE_DIRECTORY, else /var/lib/pimqttd)\n"
      "  --version, --help\n"
      "\n"
      "exit status: 0 success, 1 runtime failure, 64 bad command line, 78 bad configuration\n",
      stdout);
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "pimqttd: %s (see --help)\n", message.c_str());
  std::exit(kExitUsage);
}

Args parse(int argc, char** argv) {
  Args args;
  bool mode_given = false;
  auto set_mode = [&](Mode mode, std::string_view flag) {
    if (mode_given) usage_error("only one mode at a time: " + std::string(flag));
    mode_given = true;
    args.mode = mode;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(std::string(flag) + " needs a value");
      return argv[++i];
    };
    if (flag == "--help" || flag == "-h") {
      print_help();
      std::exit(kExitOk);
    } else if (flag == "--version") {
      std::fputs(pimqttd::app::version_report().c_str(), stdout);
      std::exit(kExitOk);
    } else if (flag == "--config" || flag == "-c") {
      args.config = value();
    } else if (flag == "--log-level") {
      args.log_level = value();
    } else if (flag == "--state-dir") {
      args.state_directory = value();
    } else if (flag == "--check-config") {
      set_mode(Mode::check_config, flag);
    } else if (flag == "--print-config") {
      set_mode(Mode::print_config, flag);
    } else if (flag == "--print-discovery") {
      set_mode(Mode::print_discovery, flag);
    } else if (flag == "--once") {
      set_mode(Mode::once, flag);
    } else {
      usage_error("unknown option '" + std::string(flag) + "'");
    }
  }
  return args;
}

std::optional<pimqttd::app::LogLevel> parse_level(std::string_view text) {
  using pimqttd::app::LogLevel;
  for (LogLevel level : {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warning,
                         LogLevel::error, LogLevel::critical, LogLevel::off}) {
    if (pimqttd::app::to_string(level) == text) return level;
  }
  return std::nullopt;
}

std::filesystem::path state_directory(const Args& args) {
  if (args.state_directory) return *args.state_directory;
  // systemd's StateDirectory= sets $STATE_DIRECTORY (a colon-separated list; ours has one).
  if (const char* dir = std::getenv("STATE_DIRECTORY"); dir != nullptr && *dir != '\0') {
    std::string_view text(dir);
    return std::string(text.substr(0, text.find(':')));
  }
  return kDefaultStateDirectory;
}

/// --once: every sensor's first reading of every entity, as one JSON object.
class Collector final : public pimqttd::sensors::SensorContext {
 public:
  Collector(pimqttd::core::EventLoop& loop, pimqttd::core::Worker& worker)
      : loop_(loop), worker_(worker) {}
  pimqttd::core::EventLoop& loop() override { return loop_; }
  pimqttd::core::Worker& worker() override { return worker_; }
  void publish(std::string_view entity_id, pimqttd::sensors::Value value) override {
    readings_[std::string(entity_id)] = std::move(value);
  }
  void set_available(std::string_view entity_id, bool available) override {
    if (!available) failed_[std::string(entity_id)] = true;
  }
  std::map<std::string, pimqttd::sensors::Value> readings_;
  std::map<std::string, bool> failed_;

 private:
  pimqttd::core::EventLoop& loop_;
  pimqttd::core::Worker& worker_;
};

int run_once(const pimqttd::app::Config& config) {
  pimqttd::core::EventLoop loop;
  pimqttd::core::Worker worker(loop);
  Collector collector(loop, worker);
  auto sensors = pimqttd::app::make_sensors(config);
  // Outputs are left alone: checking the wiring must not switch a relay.
  std::erase_if(sensors, [](const auto& sensor) {
    const auto& entities = sensor->entities();
    const bool output = std::any_of(entities.begin(), entities.end(),
                                    [](const auto& entity) { return entity.commandable; });
    if (output) {
      for (const auto& entity : entities) {
        std::fprintf(stderr, "pimqttd: %s is an output: --once does not drive it\n",
                     entity.id.c_str());
      }
    }
    return output;
  });
  std::size_t expected = 0;
  for (auto& sensor : sensors) {
    expected += sensor->entities().size();
    sensor->start(collector);
  }
  const auto deadline = std::chrono::steady_clock::now() + kOnceDeadline;
  while (collector.readings_.size() + collector.failed_.size() < expected &&
         std::chrono::steady_clock::now() < deadline) {
    loop.run_once(std::chrono::milliseconds(50));
  }
  for (auto& sensor : sensors) sensor->stop();

  nlohmann::json out = nlohmann::json::object();
  int missing = 0;
  for (const auto& sensor : sensors) {
    for (const auto& entity : sensor->entities()) {
      auto found = collector.readings_.find(entity.id);
      if (found == collector.readings_.end()) {
        out[entity.id] = nullptr;
        ++missing;
        continue;
      }
      std::visit([&](const auto& v) { out[entity.id] = v; }, found->second);
      if (!entity.unit.empty()) out[entity.id + "_unit"] = entity.unit;
    }
  }
  std::cout << out.dump(2) << "\n";
  if (missing > 0) {
    std::fprintf(stderr, "pimqttd: %d entities gave no reading within %lld s\n", missing,
                 static_cast<long long>(kOnceDeadline.count()));
  }
  return missing == 0 ? kExitOk : kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  std::optional<pimqttd::app::LogLevel> level_override;
  if (args.log_level) {
    level_override = parse_level(*args.log_level);
    if (!level_override) usage_error("unknown log level '" + *args.log_level + "'");
  }

  pimqttd::app::LoadOptions load_options = pimqttd::app::LoadOptions::from_environment();
  pimqttd::app::Config config;
  try {
    config = pimqttd::app::load_config(args.config, load_options);
  } catch (const pimqttd::app::ConfigError& error) {
    for (const std::string& line : error.errors()) std::fprintf(stderr, "%s\n", line.c_str());
    std::fprintf(stderr, "pimqttd: %s: configuration invalid (%zu error%s)\n",
                 args.config.c_str(), error.errors().size(), error.errors().size() == 1 ? "" : "s");
    return kExitConfig;
  }
  pimqttd::app::setup_logging(level_override.value_or(config.logging.level));

  switch (args.mode) {
    case Mode::check_config: {
      for (const std::string& warning : config.warnings) {
        std::fprintf(stderr, "warning: %s\n", warning.c_str());
      }
      std::size_t entities = 0;
      for (const auto& sensor : config.sensors) entities += sensor.entities.size();
      std::printf("%s: configuration valid: broker %s:%u, %zu sensors, %zu entities\n",
                  args.config.c_str(), config.mqtt.host.c_str(), config.mqtt.port,
                  config.sensors.size(), entities);
      return kExitOk;
    }
    case Mode::print_config:
      std::cout << pimqttd::app::to_json_text(config) << "\n";
      return kExitOk;
    case Mode::once:
      return run_once(config);
    case Mode::print_discovery:
    case Mode::run:
      break;
  }

  try {
    pimqttd::core::EventLoop loop;
    pimqttd::app::Daemon* running = nullptr;
    bool stopping = false;
    // Signals first: the worker thread must inherit them blocked.
    auto stop = [&] {
      if (stopping || running == nullptr) return;
      stopping = true;
      loop.add_timer(kStopDeadline, [&] {
        spdlog::warn("pimqttd: clean stop took too long; exiting");
        loop.stop();
      });
      running->stop([&] { loop.stop(); });
    };
    loop.on_signal(SIGTERM, [&](const signalfd_siginfo&) { stop(); });
    loop.on_signal(SIGINT, [&](const signalfd_siginfo&) { stop(); });
    loop.on_signal(SIGHUP, [&](const signalfd_siginfo&) {
      if (running != nullptr && !stopping) running->reload();
    });
    pimqttd::core::Worker worker(loop);

    pimqttd::app::DaemonOptions options;
    options.config_file = args.config;
    options.load_options = load_options;
    options.state_directory = args.mode == Mode::run ? state_directory(args) : "";
    pimqttd::app::Daemon daemon(loop, worker, std::move(config), options);
    if (args.mode == Mode::print_discovery) {
      const pimqttd::ha::Message message = daemon.discovery();
      std::cout << message.topic << "\n"
                << nlohmann::json::parse(message.payload).dump(2) << "\n";
      return kExitOk;
    }
    running = &daemon;
    daemon.start();
    loop.run();
    spdlog::info("pimqttd: stopped");
    return kExitOk;
  } catch (const pimqttd::mqtt::TlsConfigError& error) {
    std::fprintf(stderr, "mqtt.tls: %s\n", error.what());
    return kExitConfig;
  } catch (const std::exception& error) {
    spdlog::critical("pimqttd: {}", error.what());
    return kExitFailure;
  }
}
