#pragma once
// Certificates made at run time for TLS tests, with the openssl command-line tool: a CA, and
// server or client certificates it signs, each with a fresh EC P-256 key, any validity window
// (in the past, in the future) and any subject alternative names. Nothing is ever committed.
//
//   TempDir dir;
//   CertificateAuthority ca(dir.path(), "ca");
//   auto server = ca.issue("server", {.common_name = "localhost",
//                                     .dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}});
//   // server.certificate, server.key: PEM files for mosquitto's certfile / keyfile
//
// `openssl ca` signs (it takes -startdate/-enddate, which `openssl x509 -req` cannot backdate),
// with a minimal configuration of its own: nothing depends on the system's openssl.cnf.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace pimqttd::test {

struct CertificateRequest {
  using Clock = std::chrono::system_clock;

  std::string common_name = "pimqttd-test";
  std::vector<std::string> dns_names{};
  std::vector<std::string> ip_addresses{};
  /// extendedKeyUsage clientAuth instead of serverAuth.
  bool client = false;
  /// Validity: by default from an hour ago to two days from now.
  Clock::time_point not_before = Clock::now() - std::chrono::hours(1);
  Clock::time_point not_after = Clock::now() + std::chrono::hours(48);
};

/// A certificate and its unencrypted private key, both PEM.
struct CertificateFiles {
  std::filesystem::path certificate;
  std::filesystem::path key;
};

/// A self-signed CA in a directory of its own (`parent`/`name`/). Not copyable.
class CertificateAuthority {
 public:
  /// Creates the directory, the CA's key and its certificate (valid for ten years, from now).
  /// Throws std::runtime_error with openssl's own error output if a command fails.
  CertificateAuthority(const std::filesystem::path& parent, const std::string& name);
  CertificateAuthority(const CertificateAuthority&) = delete;
  CertificateAuthority& operator=(const CertificateAuthority&) = delete;

  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }
  /// The CA certificate (PEM): what a peer puts in its cafile.
  [[nodiscard]] std::filesystem::path certificate() const { return dir_ / "ca.crt"; }
  [[nodiscard]] std::filesystem::path key() const { return dir_ / "ca.key"; }

  /// Issues a certificate with a new key: dir()/`stem`.crt and dir()/`stem`.key (an existing pair
  /// of that stem is replaced). Throws std::runtime_error as the constructor does.
  CertificateFiles issue(const std::string& stem, const CertificateRequest& request);

 private:
  std::filesystem::path dir_;
};

/// Writes `key` encrypted with `password` (AES-256, PKCS#8) to `out`.
void encrypt_key(const std::filesystem::path& key, const std::string& password,
                 const std::filesystem::path& out);

/// Runs `openssl` with `arguments`; throws std::runtime_error quoting its error output unless it
/// exits 0 within a bounded time.
void run_openssl(const std::vector<std::string>& arguments, const std::filesystem::path& work_dir);

}  // namespace pimqttd::test
