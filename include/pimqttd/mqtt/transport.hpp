#pragma once
// Transport: the byte stream under an MQTT session (plain TCP now, TLS next, a fake in tests).
//
// A transport lives on the event loop and never blocks it. It is reusable: after a failure or
// close() the owner may connect() it again. It calls back on the loop thread; a callback may call
// close() or send() on the same transport.
//
// Connector: the part every socket transport shares: resolve the broker's name (off the loop,
// on the core::Worker, unless it is a numeric address), then try each resolved address in turn
// (IPv4 and IPv6) with a non-blocking connect and a per-address timeout, and hand over the first
// socket that connects.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <sys/socket.h>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/mqtt/codec.hpp"

namespace pimqttd::core {
class EventLoop;
class Worker;
}  // namespace pimqttd::core

namespace pimqttd::mqtt {

struct Endpoint {
  std::string host;
  std::uint16_t port = 1883;
  /// Per-address connect timeout (TCP, and for TLS the handshake too).
  std::chrono::milliseconds timeout{10'000};
};

class Transport {
 public:
  struct Callbacks {
    /// The stream is ready for MQTT bytes.
    std::function<void()> on_connected;
    /// Bytes from the peer. The span is valid during the call only.
    std::function<void(ByteSpan)> on_data;
    /// Connecting failed or the connection was lost (EOF, reset, timeout). Not called for the
    /// owner's own close(). After this the transport is closed.
    std::function<void(std::error_code)> on_closed;
    /// Everything passed to send() has been handed to the kernel.
    std::function<void()> on_drained;
  };

  virtual ~Transport() = default;

  virtual void set_callbacks(Callbacks callbacks) = 0;
  /// Starts connecting; the result arrives as on_connected or on_closed. Closes any previous
  /// connection first (without callbacks).
  virtual void connect(const Endpoint& endpoint) = 0;
  /// Queues bytes and writes what the socket takes now. Ignored when not connected.
  virtual void send(ByteSpan bytes) = 0;
  /// Bytes accepted by send() and not yet handed to the kernel.
  [[nodiscard]] virtual std::size_t pending_output() const noexcept = 0;
  /// Closes at once, dropping unsent bytes; no callback follows.
  virtual void close() noexcept = 0;
  /// Asks for the bytes received so far to be acknowledged now rather than after the kernel's
  /// delayed-ACK timer (TCP_QUICKACK). A broker that writes under Nagle's algorithm (mosquitto
  /// does) holds its next small packet until that acknowledgement arrives; the client asks for it
  /// while it waits for acknowledgements of its own and has nothing to send that would carry it.
  /// Best effort: a transport without such a knob ignores it.
  virtual void acknowledge_received() noexcept {}
  [[nodiscard]] virtual bool connected() const noexcept = 0;
  /// "host:port (address)" of the current or last connection, for logs.
  [[nodiscard]] virtual std::string peer() const = 0;
};

/// Makes the transport a Client uses; lets tests and the TLS issue plug in their own.
using TransportFactory = std::function<std::unique_ptr<Transport>()>;

/// Resolves and connects a non-blocking TCP socket (see the file comment).
class Connector {
 public:
  /// `fd` is connected (non-blocking, close-on-exec, TCP_NODELAY), or `error` says why not (the
  /// last address's error when all failed). `address` is the numeric address that answered.
  using Done = std::function<void(core::UniqueFd fd, std::string address, std::error_code error)>;

  Connector(core::EventLoop& loop, core::Worker& worker);
  ~Connector();
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  /// Starts a connect; `done` runs exactly once on the loop thread unless cancel() comes first.
  /// Cancels any attempt already under way.
  void start(const Endpoint& endpoint, Done done);
  /// Abandons the attempt in progress (no callback).
  void cancel() noexcept;
  [[nodiscard]] bool in_progress() const noexcept { return static_cast<bool>(done_); }

 private:
  void on_resolved(std::vector<sockaddr_storage> addresses, std::error_code error);
  void try_next();
  void on_writable();
  void finish(core::UniqueFd fd, std::error_code error);

  core::EventLoop& loop_;
  core::Worker& worker_;
  Endpoint endpoint_;
  Done done_;
  std::vector<sockaddr_storage> addresses_;
  std::size_t next_address_ = 0;
  std::string current_address_;
  core::UniqueFd socket_;
  core::WatchHandle watch_;  ///< of socket_ while it connects
  core::TimerHandle timer_;
  std::error_code last_error_;
  /// Shared with worker jobs so that a result arriving after cancel() or destruction is ignored.
  std::shared_ptr<std::uint64_t> generation_;
};

/// TCP_QUICKACK on a connected socket: the pending acknowledgement goes out now (best effort).
void acknowledge_received_now(int fd) noexcept;

/// "192.0.2.1" or "2001:db8::1" for a resolved address.
[[nodiscard]] std::string format_address(const sockaddr_storage& address);

}  // namespace pimqttd::mqtt
