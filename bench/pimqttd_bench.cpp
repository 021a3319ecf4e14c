// pimqttd-bench: publishes N messages through pimqttd's MQTT client and returns once every one is
// acknowledged (QoS 1/2) or written (QoS 0). Prints one line:
//   messages=N seconds=S messages_per_second=R
// The clock starts at CONNACK. Message i carries i as 10 zero-padded digits, padded with 'x' to
// --size bytes, so a subscriber can check that every message arrived (see bench/compare).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/mqtt/client.hpp"
#include "pimqttd/mqtt/tls_transport.hpp"

namespace {

struct Args {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  int qos = 1;
  std::uint64_t count = 10'000;
  std::size_t size = 64;
  std::size_t inflight = 20;
  std::string topic = "bench/pimqttd";
  /// TLS when set: the CA that signed the broker's certificate.
  std::string tls_ca{};
};

[[noreturn]] void usage(const char* error) {
  std::fprintf(stderr,
               "pimqttd-bench: %s\n"
               "usage: pimqttd-bench --host H --port P --qos Q --count N --size BYTES "
               "--inflight W [--topic T] [--tls-ca FILE]\n",
               error);
  std::exit(2);
}

std::uint64_t number(const char* text, const char* name) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0') usage(fmt::format("{} takes a number", name).c_str());
  return value;
}

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage("every option takes a value");
    const char* value = argv[++i];
    if (flag == "--host") args.host = value;
    else if (flag == "--port") args.port = static_cast<std::uint16_t>(number(value, "--port"));
    else if (flag == "--qos") args.qos = static_cast<int>(number(value, "--qos"));
    else if (flag == "--count") args.count = number(value, "--count");
    else if (flag == "--size") args.size = static_cast<std::size_t>(number(value, "--size"));
    else if (flag == "--inflight") args.inflight = static_cast<std::size_t>(number(value, "--inflight"));
    else if (flag == "--topic") args.topic = value;
    else if (flag == "--tls-ca") args.tls_ca = value;
    else usage(fmt::format("unknown option '{}'", flag).c_str());
  }
  if (args.qos < 0 || args.qos > 2) usage("--qos must be 0, 1 or 2");
  if (args.size < 10) usage("--size must be at least 10");
  if (args.inflight < 1) usage("--inflight must be at least 1");
  return args;
}

std::string payload(std::uint64_t index, std::size_t size) {
  std::string text = fmt::format("{:010}", index);
  text.resize(size, 'x');
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  spdlog::set_level(spdlog::level::warn);

  pimqttd::core::EventLoop loop;
  pimqttd::core::Worker worker(loop);
  pimqttd::mqtt::ClientOptions options;
  options.endpoint.host = args.host;
  options.endpoint.port = args.port;
  options.session.client_id = fmt::format("pimqttd-bench-{}", ::getpid());
  options.session.inflight_window = args.inflight;
  // A small outbox is the back-pressure: the publisher adds messages only as room frees up.
  options.outbox_capacity = std::max<std::size_t>(2 * args.inflight, 256);
  pimqttd::mqtt::TransportFactory make_transport;
  if (!args.tls_ca.empty()) {
    pimqttd::mqtt::TlsOptions tls;
    tls.ca_file = args.tls_ca;
    try {
      (void)pimqttd::mqtt::TlsContext(tls);  // a bad file is a usage error, not a crash
    } catch (const pimqttd::mqtt::TlsConfigError& error) {
      usage(error.what());
    }
    make_transport = [&loop, &worker, tls] {
      return std::make_unique<pimqttd::mqtt::TlsTransport>(loop, worker, tls);
    };
  }
  pimqttd::mqtt::Client client(loop, worker, options, make_transport);

  const auto qos = static_cast<pimqttd::mqtt::QoS>(args.qos);
  std::uint64_t next = 0;
  bool started = false;
  bool finished = false;
  std::chrono::steady_clock::time_point start;
  std::chrono::steady_clock::time_point stop;

  auto done = [&] {
    return next == args.count &&
           (qos == pimqttd::mqtt::QoS::at_most_once
                ? client.queued() == 0 && client.pending_output() == 0
                : client.counters().completed >= args.count);
  };
  auto feed = [&] {
    if (!started || finished) return;
    // Keep the outbox at most half full so a reconnect never makes it drop anything.
    while (next < args.count && client.queued() < options.outbox_capacity / 2) {
      client.publish(args.topic, payload(next, args.size), qos, false);
      ++next;
    }
    if (done()) {
      finished = true;
      // Every message acknowledged (QoS 1/2) or handed to the kernel (QoS 0): the clock stops
      // here, as for the other publishers; the clean disconnect that follows is not timed.
      stop = std::chrono::steady_clock::now();
      client.stop([&] { loop.stop(); });
    }
  };
  client.on_progress(feed);
  client.on_state_change([&](pimqttd::mqtt::ConnectionState state, std::error_code error) {
    if (state == pimqttd::mqtt::ConnectionState::connected && !started) {
      started = true;
      start = std::chrono::steady_clock::now();
      feed();
    } else if (state == pimqttd::mqtt::ConnectionState::waiting && !started) {
      std::fprintf(stderr, "pimqttd-bench: cannot connect: %s\n", error.message().c_str());
      std::exit(1);
    }
  });
  client.start();
  loop.run();

  const double seconds = std::chrono::duration<double>(stop - start).count();
  std::printf("messages=%llu seconds=%.3f messages_per_second=%.0f\n",
              static_cast<unsigned long long>(args.count), seconds,
              seconds > 0 ? static_cast<double>(args.count) / seconds : 0.0);
  return 0;
}
