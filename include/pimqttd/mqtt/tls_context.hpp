#pragma once
// TlsContext: the OpenSSL client context that TlsOptions describe, with every file loaded and
// checked up front.
//
// It reads the CA file or directory (or the system trust store), the client certificate and key
// (decrypting the key with the password file's first line), sets the accepted TLS versions, the
// ALPN protocols and peer verification, and turns every problem into a TlsConfigError whose
// message names the option and the file. TlsTransport builds one at construction (so a bad file
// fails start-up) and a fresh one for every connection (so renewed files are picked up).

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <openssl/ssl.h>

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

}  // namespace pimqttd::mqtt
