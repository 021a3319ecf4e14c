#include "support/mqtt_sub.hpp"

#include "support/wait.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace pimqttd::test {
namespace {

std::string unique_probe_topic() {
  static std::atomic<unsigned> counter{0};
  return "pimqttd-test/probe/" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

std::vector<ReceivedMessage> read_messages(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  std::vector<ReceivedMessage> messages;
  std::size_t start = 0;
  // Only complete lines: the last one may still be being written.
  for (auto end = text.find('\n', start); end != std::string::npos;
       start = end + 1, end = text.find('\n', start)) {
    const std::string_view line{text.data() + start, end - start};
    const auto space = line.find(' ');
    if (space == std::string_view::npos) {
      messages.push_back({std::string(line), {}});
    } else {
      messages.push_back({std::string(line.substr(0, space)), std::string(line.substr(space + 1))});
    }
  }
  return messages;
}

void add_common_args(std::vector<std::string>& argv, const std::string& host, std::uint16_t port,
                     const std::optional<std::string>& protocol_version,
                     const std::vector<std::string>& connection_args) {
  argv.insert(argv.end(), {"-h", host, "-p", std::to_string(port)});
  if (protocol_version) {
    argv.insert(argv.end(), {"-V", *protocol_version});
  }
  argv.insert(argv.end(), connection_args.begin(), connection_args.end());
}

}  // namespace

Subscriber::Subscriber(SubscriberOptions options)
    : options_(std::move(options)), probe_topic_(unique_probe_topic()) {
  if (options_.topic.empty()) {
    throw std::invalid_argument("Subscriber: empty topic");
  }
  if (options_.port == 0) {
    throw std::invalid_argument("Subscriber: no port");
  }
  if (options_.qos < 0 || options_.qos > 2) {
    throw std::invalid_argument("Subscriber: QoS must be 0, 1 or 2");
  }
  if (!options_.clean_session && !options_.client_id) {
    throw std::invalid_argument("Subscriber: a persistent session needs a client id");
  }
  start();
}

void Subscriber::start() {
  if (running()) {
    throw std::logic_error("Subscriber::start: already running");
  }
  PublishOptions probe;
  probe.host = options_.host;
  probe.port = options_.port;
  probe.topic = probe_topic_;
  probe.payload = "probe";
  probe.qos = 1;
  probe.retain = true;
  probe.protocol_version = options_.protocol_version;
  probe.connection_args = options_.connection_args;
  if (const auto status = mosquitto_pub(probe); !status.success()) {
    throw std::runtime_error("Subscriber: cannot publish the probe to " + options_.host + ":" +
                             std::to_string(options_.port) + " (mosquitto_pub " +
                             to_string(status) + ")");
  }

  std::vector<std::string> argv{"mosquitto_sub"};
  add_common_args(argv, options_.host, options_.port, options_.protocol_version,
                  options_.connection_args);
  argv.insert(argv.end(), {"-q", std::to_string(options_.qos), "-v", "-t", options_.topic, "-t",
                           probe_topic_});
  if (options_.client_id) {
    argv.insert(argv.end(), {"-i", *options_.client_id});
  }
  if (!options_.clean_session) {
    argv.emplace_back("-c");
  }
  ProcessOptions redirect;
  redirect.stdout_path = output_path();
  redirect.stderr_path = error_path();
  redirect.append = true;
  process_ = Process(std::move(argv), redirect);
  ++starts_;
}

ExitStatus Subscriber::stop() { return process_.terminate(std::chrono::seconds(5)); }

bool Subscriber::running() { return process_.running(); }

std::size_t Subscriber::probe_count() const {
  std::size_t probes = 0;
  for (const auto& message : read_messages(output_path())) {
    if (message.topic == probe_topic_) {
      ++probes;
    }
  }
  return probes;
}

bool Subscriber::wait_subscribed(std::chrono::milliseconds deadline) {
  return wait_until([this] { return probe_count() >= starts_; }, deadline);
}

std::vector<ReceivedMessage> Subscriber::lines() const {
  auto messages = read_messages(output_path());
  std::erase_if(messages, [this](const ReceivedMessage& m) { return m.topic == probe_topic_; });
  return messages;
}

bool Subscriber::wait_for_count(std::size_t n, std::chrono::milliseconds deadline) {
  return wait_until([this, n] { return count() >= n; }, deadline);
}

ExitStatus mosquitto_pub(const PublishOptions& options, std::chrono::milliseconds deadline) {
  std::vector<std::string> argv{"mosquitto_pub"};
  add_common_args(argv, options.host, options.port, options.protocol_version,
                  options.connection_args);
  argv.insert(argv.end(), {"-t", options.topic, "-q", std::to_string(options.qos)});
  if (options.payload.empty()) {
    argv.emplace_back("-n");
  } else {
    argv.insert(argv.end(), {"-m", options.payload});
  }
  if (options.retain) {
    argv.emplace_back("-r");
  }
  if (options.client_id) {
    argv.insert(argv.end(), {"-i", *options.client_id});
  }
  auto status = run_process(std::move(argv), deadline);
  if (!status) {
    throw std::runtime_error("mosquitto_pub to " + options.host + ":" +
                             std::to_string(options.port) + " did not exit in time");
  }
  return *status;
}

}  // namespace pimqttd::test
