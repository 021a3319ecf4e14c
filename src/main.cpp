// pimqttd: the command line (options, modes, what each mode prints) and the exit codes. Loading
// the configuration, running the daemon, --once and --print-discovery live in the app layer.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "pimqttd/app/config.hpp"
#include "pimqttd/app/daemon.hpp"
#include "pimqttd/app/logging.hpp"
#include "pimqttd/app/once.hpp"
#include "pimqttd/app/version.hpp"
#include "pimqttd/mqtt/tls_transport.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 64;   // EX_USAGE
constexpr int kExitConfig = 78;  // EX_CONFIG
constexpr const char* kDefaultConfig = "/etc/pimqttd/config.json";
constexpr const char* kDefaultStateDirectory = "/var/lib/pimqttd";

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

int print_once(const pimqttd::app::Config& config) {
  const pimqttd::app::OnceResult result = pimqttd::app::read_once(config);
  for (const std::string& id : result.outputs) {
    std::fprintf(stderr, "pimqttd: %s is an output: --once does not drive it\n", id.c_str());
  }
  std::cout << result.readings.dump(2) << "\n";
  if (result.missing > 0) {
    std::fprintf(stderr, "pimqttd: %d entities gave no reading within %lld s\n", result.missing,
                 static_cast<long long>(pimqttd::app::kOnceDeadline.count()));
  }
  return result.missing == 0 ? kExitOk : kExitFailure;
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
      return print_once(config);
    case Mode::print_discovery:
    case Mode::run:
      break;
  }

  pimqttd::app::DaemonOptions options;
  options.config_file = args.config;
  options.load_options = load_options;
  options.state_directory = args.mode == Mode::run ? state_directory(args) : "";
  try {
    if (args.mode == Mode::print_discovery) {
      const pimqttd::ha::Message message =
          pimqttd::app::discovery_for(std::move(config), std::move(options));
      std::cout << message.topic << "\n"
                << nlohmann::json::parse(message.payload).dump(2) << "\n";
      return kExitOk;
    }
    pimqttd::app::run_daemon(std::move(config), std::move(options));
    return kExitOk;
  } catch (const pimqttd::mqtt::TlsConfigError& error) {
    std::fprintf(stderr, "mqtt.tls: %s\n", error.what());
    return kExitConfig;
  } catch (const std::exception& error) {
    spdlog::critical("pimqttd: {}", error.what());
    return kExitFailure;
  }
}
