#pragma once
// An independent MQTT peer for integration tests, made of mosquitto's own command-line clients:
// Subscriber runs `mosquitto_sub -v` as a child and reads back what it printed; mosquitto_pub()
// publishes one message and waits for the tool to exit. They check pimqttd's client against a
// client that is not ours.
//
//   Subscriber sub({.port = broker.port(), .topic = "pimqttd/#", .qos = 1});
//   ASSERT_TRUE(sub.wait_subscribed(10s));
//   ... the code under test publishes ...
//   ASSERT_TRUE(sub.wait_for_count(3, 10s));
//   EXPECT_EQ(sub.lines()[0], (ReceivedMessage{"pimqttd/a", "1"}));
//
// How "subscribed" is detected: before each start, a retained probe message is published on a
// topic unique to this Subscriber, and mosquitto_sub subscribes to the probe topic after the
// test's topic in the same SUBSCRIBE. The broker delivers a retained message only once the
// subscription exists, so when the probe line shows up in the output, the test's subscription is
// in place too. Probe lines are never returned by lines().

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pimqttd::test {

/// One message as mosquitto_sub -v printed it: "topic payload" on one line. A payload with a
/// newline in it cannot be told apart from two messages: tests use one-line payloads. mosquitto_sub
/// prints an empty payload as "(null)".
struct ReceivedMessage {
  std::string topic;
  std::string payload;
  bool operator==(const ReceivedMessage&) const = default;
};

struct SubscriberOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string topic{};  ///< a topic filter; wildcards allowed
  int qos = 0;
  /// The client id (-i). Without one, mosquitto_sub makes up its own.
  std::optional<std::string> client_id{};
  /// false: -c, a persistent session (needs client_id) that keeps subscriptions and queues QoS
  /// 1/2 messages while the subscriber is stopped.
  bool clean_session = true;
  /// -V: "mqttv311" (mosquitto_sub's default), "mqttv31" or "mqttv5".
  std::optional<std::string> protocol_version{};
  /// Arguments given to mosquitto_sub and to the probe's mosquitto_pub alike: TLS files
  /// (--cafile, --cert, --key), credentials (-u, -P).
  std::vector<std::string> connection_args{};
};

/// mosquitto_sub as a child process. Its output is appended, across stop()/start(), to a file in
/// a temporary directory of its own. Not copyable or movable.
class Subscriber {
 public:
  /// Publishes the probe and starts mosquitto_sub. Throws std::invalid_argument for inconsistent
  /// options, std::runtime_error if the probe cannot be published (no broker?).
  explicit Subscriber(SubscriberOptions options);
  ~Subscriber() = default;
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  /// Starts mosquitto_sub again after stop() (same client id, same output file).
  void start();
  /// SIGTERM, bounded wait, then SIGKILL. Returns how mosquitto_sub ended.
  ExitStatus stop();
  [[nodiscard]] bool running();

  /// True once mosquitto_sub's subscription (of its latest start) is in place; false if that did
  /// not happen within `deadline`.
  bool wait_subscribed(std::chrono::milliseconds deadline);
  /// Every message received so far, in order of arrival, probes left out.
  [[nodiscard]] std::vector<ReceivedMessage> lines() const;
  [[nodiscard]] std::size_t count() const { return lines().size(); }
  /// True once at least n messages have been received; false if not within `deadline`.
  bool wait_for_count(std::size_t n, std::chrono::milliseconds deadline);

  [[nodiscard]] std::filesystem::path output_path() const { return dir_ / "mosquitto_sub.out"; }
  /// mosquitto_sub's stderr (connection errors), for failure messages.
  [[nodiscard]] std::filesystem::path error_path() const { return dir_ / "mosquitto_sub.err"; }
  [[nodiscard]] const std::string& probe_topic() const noexcept { return probe_topic_; }
  [[nodiscard]] pid_t pid() const noexcept { return process_.pid(); }

 private:
  [[nodiscard]] std::size_t probe_count() const;

  SubscriberOptions options_;
  TempDir dir_{"pimqttd-sub"};
  std::string probe_topic_;
  std::size_t starts_ = 0;
  Process process_;
};

struct PublishOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string topic{};
  std::string payload{};
  int qos = 0;
  bool retain = false;
  std::optional<std::string> client_id{};
  std::optional<std::string> protocol_version{};  ///< -V, as for SubscriberOptions
  std::vector<std::string> connection_args{};   ///< TLS files, credentials
};

/// Runs mosquitto_pub once for one message and returns its exit status (exit 0: delivered to the
/// broker, acknowledged at QoS 1/2). Throws std::runtime_error if it has not exited by `deadline`.
ExitStatus mosquitto_pub(const PublishOptions& options,
                         std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace pimqttd::test
