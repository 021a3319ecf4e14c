// pimqttd: command-line parsing and exit codes only.
//
// This early version runs the MQTT client on its own: it connects to a broker, subscribes to the
// node's topics, publishes this machine's load and uptime as it goes, and prints every message
// it receives back. The configuration file, sensors and Home Assistant discovery come next.

#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/mqtt/client.hpp"

namespace {

constexpr int kExitUsage = 64;  // EX_USAGE

struct Args {
  std::string host = "localhost";
  std::uint16_t port = 1883;
  std::string node;
  int count = 0;  // readings to publish before exiting; 0 runs until SIGTERM/SIGINT
  int interval_ms = 5000;
};

void print_help() {
  std::puts(
      "usage: pimqttd [--host HOST] [--port PORT] [--node NAME] [--count N] [--interval MS]\n"
      "\n"
      "Connects to the MQTT broker at HOST:PORT (default localhost:1883), publishes this\n"
      "machine's load average and uptime to pimqttd/NODE/<metric>/state every MS milliseconds\n"
      "(default 5000), prints the messages it receives on pimqttd/NODE/#, and stops after N\n"
      "readings (default: never; SIGTERM or SIGINT stop it cleanly).\n"
      "\n"
      "  --version   print the version and exit\n"
      "  --help      print this help and exit");
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "pimqttd: %s (see --help)\n", message.c_str());
  std::exit(kExitUsage);
}

long number(std::string_view flag, const char* text, long min, long max) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < min || value > max) {
    usage_error(fmt::format("{} expects a number from {} to {}, got '{}'", flag, min, max, text));
  }
  return value;
}

std::string default_node() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  std::string node;
  for (const char* p = name; *p != '\0'; ++p) {
    const char c = *p;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (ok) node.push_back(c);
  }
  return node.empty() ? "pimqttd" : node;
}

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      print_help();
      std::exit(0);
    }
    if (flag == "--version") {
      std::puts("pimqttd " PIMQTTD_VERSION);
      std::exit(0);
    }
    if (i + 1 >= argc) usage_error(fmt::format("unknown option or missing value: '{}'", flag));
    const char* value = argv[++i];
    if (flag == "--host") args.host = value;
    else if (flag == "--port") args.port = static_cast<std::uint16_t>(number(flag, value, 1, 65535));
    else if (flag == "--node") args.node = value;
    else if (flag == "--count") args.count = static_cast<int>(number(flag, value, 0, 1'000'000));
    else if (flag == "--interval") args.interval_ms = static_cast<int>(number(flag, value, 10, 3'600'000));
    else usage_error(fmt::format("unknown option '{}'", flag));
  }
  if (args.node.empty()) args.node = default_node();
  return args;
}

std::string first_word(const char* path) {
  std::ifstream in(path);
  std::string word;
  in >> word;
  return word;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

  pimqttd::core::EventLoop loop;
  pimqttd::core::Worker worker(loop);
  const std::string base = "pimqttd/" + args.node;

  pimqttd::mqtt::ClientOptions options;
  options.endpoint.host = args.host;
  options.endpoint.port = args.port;
  options.session.client_id = "pimqttd-" + args.node;
  options.session.will = pimqttd::mqtt::Will{base + "/status", "offline",
                                             pimqttd::mqtt::QoS::at_least_once, true};
  pimqttd::mqtt::Client client(loop, worker, options);

  int published = 0;
  int received = 0;
  bool stopping = false;
  auto stop = [&] {
    if (stopping) return;
    stopping = true;
    client.publish(base + "/status", "offline", pimqttd::mqtt::QoS::at_least_once, true);
    // Give the offline message a moment to be acknowledged, then disconnect.
    loop.add_timer(std::chrono::milliseconds(500), [&] { client.stop([&] { loop.stop(); }); });
  };

  client.on_state_change([&](pimqttd::mqtt::ConnectionState state, std::error_code) {
    if (state == pimqttd::mqtt::ConnectionState::connected) {
      client.publish(base + "/status", "online", pimqttd::mqtt::QoS::at_least_once, true);
    }
  });
  client.subscribe(base + "/#", pimqttd::mqtt::QoS::at_least_once,
                   [&](const pimqttd::mqtt::Publish& message) {
                     ++received;
                     std::printf("received %s %s\n", message.topic.c_str(),
                                 message.payload.c_str());
                     std::fflush(stdout);
                     if (args.count > 0 && published >= args.count && !stopping &&
                         message.topic == base + "/uptime/state") {
                       stop();
                     }
                   });
  loop.add_periodic(std::chrono::milliseconds(args.interval_ms), [&] {
    if (stopping || (args.count > 0 && published >= args.count)) return;
    ++published;
    client.publish(base + "/load/state", first_word("/proc/loadavg"),
                   pimqttd::mqtt::QoS::at_least_once, false, true);
    client.publish(base + "/uptime/state", first_word("/proc/uptime"),
                   pimqttd::mqtt::QoS::at_least_once, false, true);
  });
  loop.on_signal(SIGTERM, [&](const signalfd_siginfo&) { stop(); });
  loop.on_signal(SIGINT, [&](const signalfd_siginfo&) { stop(); });

  spdlog::info("pimqttd {}: publishing to {}/... on {}:{}", PIMQTTD_VERSION, base, args.host,
               args.port);
  client.start();
  loop.run();
  spdlog::info("pimqttd: stopped after {} readings, {} messages received", published, received);
  return 0;
}
