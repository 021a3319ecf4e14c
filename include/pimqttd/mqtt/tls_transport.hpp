#pragma once
// TlsTransport: MQTT over TLS (OpenSSL 3) on the event loop, without ever blocking it.
//
// It starts from the connected, non-blocking TCP socket that the shared Connector hands over, and
// runs the TLS handshake on the loop: every SSL call is non-blocking, and OpenSSL's WANT_READ /
// WANT_WRITE become the loop's interest set for the socket. The handshake is bounded by the
// endpoint's timeout. close() sends close_notify (best effort: one non-blocking write) when the
// connection is established and has not failed, so the broker sees a clean TLS shutdown after
// DISCONNECT. OpenSSL reads and writes the socket through a small BIO of our own that sends with
// MSG_NOSIGNAL, so a broker that resets the connection never raises SIGPIPE.
//
// Verification is on unless `insecure` is set: the broker's chain must lead to a trusted CA (the
// system trust store, unless ca_file or ca_path name other CAs), and the broker's host name or IP
// address (or server_name when given) must be in the certificate's subject alternative names.
// SNI carries the host name (never an IP address, which SNI does not allow).
//
// Files: TlsContext loads and checks every file that TlsOptions names, and throws TlsConfigError
// with a message naming the file and the problem. TlsTransport's constructor builds one (so a bad
// file fails start-up) and every connect builds a fresh one, so a certificate renewed on disk is
// used from the next connection on, without a restart; a reload that fails then ends that
// attempt (Errc::tls_config_failed, message logged) and the client retries with its back-off.
//
// Failures: each TLS failure is logged once per connection attempt (spdlog error) with OpenSSL's
// reason put in words a user can act on, e.g. "certificate verify failed: hostname mismatch,
// certificate is for 'broker.lan', connected to '192.168.1.5'"; on_closed then carries a short
// code: certificate_verify_failed, handshake_timeout, handshake_failed (any other failure before
// the first application bytes arrive; with TLS 1.3 the broker's verdict on a client certificate
// comes after the client's side of the handshake), tls_error (later), or connection_closed /
// a system error when the broker simply went away.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "pimqttd/core/buffer.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/mqtt/tls_context.hpp"
#include "pimqttd/mqtt/tls_errors.hpp"
#include "pimqttd/mqtt/transport.hpp"

namespace pimqttd::mqtt {

class TlsTransport final : public Transport {
 public:
  /// Builds a TlsContext from `options` at once: throws TlsConfigError when a file is missing,
  /// unreadable or inconsistent. The loop and worker must outlive the transport.
  TlsTransport(core::EventLoop& loop, core::Worker& worker, TlsOptions options);
  ~TlsTransport() override;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  void set_callbacks(Callbacks callbacks) override { callbacks_ = std::move(callbacks); }
  /// Logs the `insecure` warning (when set), reloads the files once the TCP connection is up,
  /// then runs the handshake; on_connected follows it.
  void connect(const Endpoint& endpoint) override;
  /// Ignored until the handshake has finished (on_connected).
  void send(ByteSpan bytes) override;
  [[nodiscard]] std::size_t pending_output() const noexcept override {
    return output_.size();
  }
  /// Sends close_notify if the connection is established, then closes at once.
  void close() noexcept override;
  void acknowledge_received() noexcept override;
  [[nodiscard]] bool connected() const noexcept override { return phase_ == Phase::open; }
  [[nodiscard]] std::string peer() const override { return peer_; }

  /// The words logged for the last TLS failure (empty when the last attempt had none): for
  /// tests and status lines.
  [[nodiscard]] const std::string& last_failure() const noexcept { return last_failure_; }
  /// The TLS version ("TLSv1.3") and the ALPN protocol the broker chose (empty if none) of the
  /// current or last established connection; cleared by connect().
  [[nodiscard]] const std::string& protocol_version() const noexcept { return protocol_version_; }
  [[nodiscard]] const std::string& alpn_selected() const noexcept { return alpn_selected_; }

 private:
  enum class Phase : std::uint8_t { idle, connecting, handshaking, open };

  void on_tcp_connected(core::UniqueFd fd, const std::string& address);
  void on_io(std::uint32_t events);
  void continue_handshake();
  void on_handshake_timeout();
  /// Reads and delivers what OpenSSL can decrypt now; false when the connection ended.
  bool read_available();
  /// Encrypts and writes what the socket takes now; false when the connection ended.
  bool write_pending();
  /// Reports the failure of an SSL call (SSL_get_error's `ssl_error`, errno right after the call)
  /// in words, and closes.
  void fail_ssl(int ssl_error, int saved_errno);
  /// Logs `detail` (when not empty; once per attempt) and reports `error`.
  void fail(std::error_code error, std::string detail = {});
  /// Finds more decrypted bytes after a read burst that stopped early (OpenSSL may hold bytes it
  /// read ahead, which epoll cannot report).
  void schedule_read();
  void update_interest();

  core::EventLoop& loop_;
  Connector connector_;
  TlsOptions options_;
  std::unique_ptr<TlsContext> context_;
  Callbacks callbacks_;
  Endpoint endpoint_;
  std::string verify_name_;
  core::UniqueFd socket_;
  /// Of socket_: WANT_READ/WANT_WRITE during the handshake, then readable and, while output is
  /// pending (or a read needs a write), writable.
  core::WatchHandle watch_;
  std::unique_ptr<SSL, OpenSslDeleter<SSL_free>> ssl_;
  Phase phase_ = Phase::idle;
  std::string peer_;
  std::string last_failure_;
  std::string protocol_version_;
  std::string alpn_selected_;
  TlsVerifyFailure verify_failure_;
  core::Buffer output_;
  std::vector<std::uint8_t> read_buffer_;
  core::TimerHandle handshake_timer_;
  /// SSL_read is blocked until the socket is writable, SSL_write until it is readable (TLS may
  /// need to write to read and the other way round).
  bool read_wants_write_ = false;
  bool write_wants_read_ = false;
  /// Set once a fatal TLS or socket error happened: no close_notify may follow it.
  bool fatal_ = false;
  /// Application bytes received on this connection (until then failures count as handshake
  /// failures).
  bool received_data_ = false;
  bool read_scheduled_ = false;
  /// Bumped by every close(): a callback that closed the transport stops the caller's loop.
  std::uint64_t generation_ = 0;
  /// Weakly held by deferred callbacks, which must not run after the transport is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pimqttd::mqtt
