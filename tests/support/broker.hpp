#pragma once
// Broker: a real mosquitto process for integration tests, listening on 127.0.0.1 on a port chosen
// at run time, with its config, log and persistence database in a temporary directory of its own.
//
//   pimqttd::test::Broker broker;                      // nothing runs yet
//   broker.start();                                    // up and accepting connections
//   connect_to(broker.host(), broker.port());
//   broker.restart();                                  // same port, same persistence directory
//
// The broker runs as the current user (`user root` in its config: as root, mosquitto would
// otherwise switch to the user `mosquitto`, which cannot read the test's files). It logs
// everything (`log_type all`) to log_path(), which a failing start() quotes in its exception.

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pimqttd::test {

struct BrokerOptions {
  /// The IPv4 address of the main listener: any 127.0.0.0/8 address works on loopback.
  std::string address = "127.0.0.1";
  /// The main listener's port; 0: a free one, picked at the first start().
  std::uint16_t port = 0;
  /// Keep the database (retained messages, persistent sessions, queued QoS 1/2 messages) in
  /// dir()/persistence/. mosquitto writes it on a clean stop (SIGTERM, stop()) and every
  /// autosave_interval, so restart() keeps everything; kill() keeps the last autosave.
  bool persistence = false;
  std::chrono::seconds autosave_interval{1};
  bool allow_anonymous = true;
  /// mosquitto's defaults (20 and 1000) when unset. A test that queues thousands of messages for
  /// an offline persistent session must raise max_queued_messages (e.g. 100000).
  std::optional<unsigned> max_inflight_messages{};
  std::optional<unsigned> max_queued_messages{};
  /// Raw lines appended to the generated config after the main listener: more listeners (TLS
  /// with cafile/certfile/keyfile, a password_file...). Files they name can live in dir().
  std::vector<std::string> extra_config{};
};

/// host:port as a socket address; throws std::invalid_argument unless host is an IPv4 address.
[[nodiscard]] sockaddr_in ipv4_address(const std::string& host, std::uint16_t port);

/// A free TCP port on 127.0.0.1 at the time of the call: bound to port 0, read back, closed.
/// Another process may take it before it is used; callers that bind it retry on failure.
[[nodiscard]] std::uint16_t free_loopback_port();

/// True if a TCP connection to host:port is accepted right now (connected, then closed).
[[nodiscard]] bool tcp_connectable(const std::string& host, std::uint16_t port);

/// One mosquitto broker. Not copyable or movable (it owns its directory and its process).
class Broker {
 public:
  /// Prepares the directory; does not start the broker.
  explicit Broker(BrokerOptions options = {});
  /// Stops the broker if it runs (SIGTERM, then SIGKILL after a bounded wait).
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  /// Starts mosquitto and waits (up to `deadline`) until a TCP connect to its port, and to the
  /// port of every `listener` line in extra_config, succeeds (mosquitto opens its listeners one
  /// after the other: a TLS listener loading its certificates comes up a little later). Unless
  /// the options name a port, the first start picks a free port (retrying with another if
  /// mosquitto cannot bind it); every later start uses the same one. Throws std::runtime_error,
  /// quoting the log, on failure and std::logic_error if it already runs.
  void start(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  /// SIGTERM (a frozen broker is thawed so that it can act on it), waits up to `grace`, then
  /// SIGKILL. Returns how mosquitto ended (exit 0 on a clean stop). If it no longer runs, returns
  /// how it had ended (signal 9 after kill()), or exit 0 if it never started.
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  /// SIGKILL: a crash, nothing is saved beyond the last autosave.
  void kill();
  /// stop() then start(): same port, same directory.
  void restart();
  /// SIGSTOP: the kernel still accepts TCP connections into the listen backlog, but no MQTT packet
  /// is read or answered until thaw() (SIGCONT).
  void freeze();
  void thaw();
  [[nodiscard]] bool running();

  /// 0 before the first start().
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::string host() const { return options_.address; }
  /// mosquitto's pid while it runs, -1 otherwise.
  [[nodiscard]] pid_t pid() const noexcept { return process_.pid(); }
  /// The broker's own temporary directory (config, log, persistence/); removed with the Broker.
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_.path(); }
  [[nodiscard]] std::filesystem::path config_path() const { return dir_ / "mosquitto.conf"; }
  /// The broker's log (all log types, appended across restarts).
  [[nodiscard]] std::filesystem::path log_path() const { return dir_ / "mosquitto.log"; }
  /// The whole log, for assertions and failure messages.
  [[nodiscard]] std::string log() const;

 private:
  void write_config() const;
  bool try_start(std::chrono::milliseconds deadline);

  BrokerOptions options_;
  TempDir dir_{"pimqttd-broker"};
  std::uint16_t port_ = 0;
  Process process_;
};

}  // namespace pimqttd::test
