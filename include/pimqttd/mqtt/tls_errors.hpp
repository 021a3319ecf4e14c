#pragma once
// TLS failures put in words a user can act on.
//
// OpenSSL reports a failed handshake as an SSL_get_error() code, errno, a queue of reason codes
// and, for certificate problems, what its verify callback saw. explain_ssl_failure() turns that
// into the short code on_closed carries and the sentence TlsTransport logs, e.g.
// "certificate verify failed: hostname mismatch, certificate is for 'broker.lan', connected to
// '192.168.1.5'" or "wrong version number: the broker did not answer in TLS: is port 1883 a plain
// MQTT listener?". The helpers below it are shared by TlsContext and TlsTransport.

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <openssl/ssl.h>

#include "pimqttd/mqtt/tls_context.hpp"

namespace pimqttd::mqtt {

/// The first certificate problem the verify callback saw during a handshake.
struct TlsVerifyFailure {
  int error = 0;  ///< X509_V_OK: nothing failed
  int depth = 0;  ///< 0: the broker's own certificate; more: a CA certificate above it
  std::string subject;
  std::string issuer;
  std::vector<std::string> names;  ///< subject alternative names (or the CN when none)
  std::string not_before;
  std::string not_after;
};

/// SSL ex_data slot 0 (the "app data" slot): points at the connection's TlsVerifyFailure.
inline constexpr int kVerifyFailureSlot = 0;

/// The verify callback TlsContext installs (SSL_CTX_set_verify): records the first failure in
/// the TlsVerifyFailure that the SSL's kVerifyFailureSlot points at (if any), and fails the
/// handshake on any problem.
int record_verify_failure(int ok, X509_STORE_CTX* store);

/// What the transport knows when an SSL call fails. Refers to the transport's own state.
struct TlsFailureContext {
  const TlsOptions& options;
  /// The port dialled (hints name it) and the name verified (or the IP address).
  std::uint16_t port = 0;
  std::string_view verify_name;
  const TlsVerifyFailure& verify_failure;
  /// The handshake had not finished; application bytes had been received.
  bool handshaking = false;
  bool received_data = false;
};

/// The code for on_closed and the words to log (empty when the broker simply went away after
/// the handshake: no TLS failure to explain).
struct TlsFailure {
  std::error_code error;
  std::string detail;
};

/// Explains the failure of an SSL call: `ssl_error` from SSL_get_error, `saved_errno` errno right
/// after the call, the reasons in OpenSSL's error queue (which it empties).
[[nodiscard]] TlsFailure explain_ssl_failure(int ssl_error, int saved_errno,
                                             const TlsFailureContext& context);

/// The reasons in OpenSSL's error queue, oldest first, joined by "; "; empties the queue.
[[nodiscard]] std::string openssl_errors();
/// "key 'path'": how every message names a configured file.
[[nodiscard]] std::string quoted(const std::string& key, const std::string& path);
/// "2025-01-31 12:00:00 UTC", or "?" when absent or unreadable.
[[nodiscard]] std::string format_time(const ASN1_TIME* time);

}  // namespace pimqttd::mqtt
