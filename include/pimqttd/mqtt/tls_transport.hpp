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
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "pimqttd/core/buffer.hpp"
#include "pimqttd/core/timer_queue.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/mqtt/transport.hpp"

namespace pimqttd::mqtt {

/// What the `tls` section of the config says. Empty strings mean "not set".
struct TlsOptions {
  /// PEM file with the CA certificate(s) that may sign the broker's certificate.
  std::string ca_file{};
  /// Directory of CA certificates in OpenSSL's hashed layout (c_rehash / openssl rehash).
  /// With neither ca_file nor ca_path, the system trust store is used (/etc/ssl/certs on Debian;
  /// SSL_CERT_FILE and SSL_CERT_DIR override it, as for every OpenSSL program).
  std::string ca_path{};
  /// Mutual TLS: the client certificate (PEM; intermediate certificates may follow it) and its
  /// private key (PEM). Both or neither.
  std::string cert_file{};
  std::string key_file{};
  /// A file whose first line is the password of an encrypted key_file.
  std::string key_password_file{};
  /// Turns verification off (chain and host name). For testing only: every connect logs a
  /// warning.
  bool insecure = false;
  /// ALPN protocols to offer, in order of preference (e.g. {"mqtt"} for brokers on port 443).
  std::vector<std::string> alpn{};
  /// Oldest TLS version accepted: "1.2" (default) or "1.3".
  std::string min_version = "1.2";
  /// Newest TLS version offered: "1.2", "1.3", or empty for the newest OpenSSL knows (1.3).
  std::string max_version{};
  /// The name to verify and to send as SNI, when it differs from the host dialled (e.g. a broker
  /// reached by IP address whose certificate names only its DNS name).
  std::optional<std::string> server_name{};
};

/// A TLS configuration that cannot be used: a missing, unreadable or malformed file, a key that
/// does not match its certificate, an invalid version. what() names the option and the file, e.g.
/// "key_file '/etc/pimqttd/client.key': does not match the certificate in cert_file
/// '/etc/pimqttd/client.crt'". The daemon reports it and exits with status 78 (EX_CONFIG).
class TlsConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One-line deleter for OpenSSL handles: std::unique_ptr<SSL, OpenSslDeleter<SSL_free>>.
template <auto Free>
struct OpenSslDeleter {
  template <typename T>
  void operator()(T* handle) const noexcept { Free(handle); }
};

/// An SSL_CTX built from TlsOptions, with every file loaded and checked. Cheap enough to build
/// for every connection attempt (a few small files). Move-only.
class TlsContext {
 public:
  /// Loads and checks everything `options` names. Throws TlsConfigError.
  explicit TlsContext(const TlsOptions& options);

  [[nodiscard]] SSL_CTX* get() const noexcept { return context_.get(); }

 private:
  std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX_free>> context_;
};

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

  /// The first certificate problem the verify callback saw during a handshake. Filled through
  /// SSL ex_data; public only so that the callback (a free function) can name it.
  struct VerifyFailure {
    int error = 0;  ///< X509_V_OK: nothing failed
    int depth = 0;
    std::string subject;
    std::string issuer;
    std::vector<std::string> names;  ///< subject alternative names (or the CN when none)
    std::string not_before;
    std::string not_after;
  };

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
  [[nodiscard]] std::string trust_source() const;

  core::EventLoop& loop_;
  Connector connector_;
  TlsOptions options_;
  std::unique_ptr<TlsContext> context_;
  Callbacks callbacks_;
  Endpoint endpoint_;
  std::string verify_name_;
  core::UniqueFd socket_;
  std::unique_ptr<SSL, OpenSslDeleter<SSL_free>> ssl_;
  Phase phase_ = Phase::idle;
  std::string peer_;
  std::string last_failure_;
  std::string protocol_version_;
  std::string alpn_selected_;
  VerifyFailure verify_failure_;
  core::Buffer output_;
  std::uint32_t interest_ = 0;
  std::vector<std::uint8_t> read_buffer_;
  core::TimerId handshake_timer_ = 0;
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
