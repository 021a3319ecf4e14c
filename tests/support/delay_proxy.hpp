#pragma once
// DelayProxy: a TCP proxy for the chaos tests that makes a slow or dead link between the daemon
// and the broker, where the kernel has no netem qdisc to do it.
//
//   DelayProxy proxy("127.0.0.1", broker.port());    // listens on 127.0.0.1:proxy.port()
//   proxy.set_delay(std::chrono::seconds{2});          // each direction, from now on
//   proxy.set_blackhole(true);                         // nothing gets through, nothing is closed
//
// Every connection accepted on port() gets a connection of its own to the target. Each byte read
// from one side is written to the other `delay` after it was read, and never before a byte read
// earlier in the same direction: a shorter delay set later does not reorder anything. A blackhole
// reads and throws away what both sides send (and what was still waiting to be forwarded), and
// keeps every connection open: the peers see no reply, no FIN and no RST, as behind a router that
// lost its route. An end of stream (FIN) is passed on once the bytes before it have been; a reset
// or error on either side closes both.
//
// The proxy runs on a thread of its own, polling its sockets; the setters are thread-safe.

#include "pimqttd/core/unique_fd.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

namespace pimqttd::test {

class DelayProxy {
 public:
  /// Listens on 127.0.0.1 on a free port and starts forwarding to target_host:target_port (an
  /// IPv4 address). Throws std::system_error when it cannot listen.
  DelayProxy(std::string target_host, std::uint16_t target_port,
             std::chrono::milliseconds delay = std::chrono::milliseconds{0});
  /// Stops the thread and closes every connection.
  ~DelayProxy();
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// Applies to bytes read from now on, in both directions.
  void set_delay(std::chrono::milliseconds delay) noexcept;
  void set_blackhole(bool on) noexcept;
  /// Connections accepted so far.
  [[nodiscard]] std::size_t accepted() const noexcept { return accepted_.load(); }
  /// Bytes read from either side so far (swallowed ones too).
  [[nodiscard]] std::size_t received() const noexcept { return read_.load(); }
  /// Bytes written to either side so far.
  [[nodiscard]] std::size_t forwarded() const noexcept { return forwarded_.load(); }

 private:
  void run();
  void wake() const noexcept;

  std::string target_host_;
  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  core::UniqueFd listener_;
  core::UniqueFd wake_;  ///< an eventfd: stop or a setting changed
  std::atomic<std::int64_t> delay_ms_;
  std::atomic<bool> blackhole_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> read_{0};
  std::atomic<std::size_t> forwarded_{0};
  std::thread thread_;
};

}  // namespace pimqttd::test
