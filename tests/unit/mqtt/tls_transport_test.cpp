// TlsContext: every file problem becomes a TlsConfigError whose exact message names the option
// and the file. TlsTransport on a real event loop against a small TLS server in a thread of this
// test (OpenSSL's own server side): bytes both ways, a transfer larger than the socket buffers
// (WANT_WRITE), close_notify on close(), the peer's close_notify, SNI only for names, ALPN.
// Certificates are made at run time (support/certs.hpp).

#include "pimqttd/mqtt/tls_transport.hpp"

#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/core/worker.hpp"
#include "support/certs.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pimqttd::mqtt {
namespace {

using namespace std::chrono_literals;
using test::CertificateAuthority;
using test::CertificateFiles;
using test::TempDir;
using Clock = std::chrono::steady_clock;

constexpr auto kDeadline = 10s;

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

/// Certificates shared by every test of this file.
struct Pki {
  TempDir dir{"pimqttd-tls-unit"};
  CertificateAuthority ca{dir.path(), "ca"};
  CertificateFiles server = ca.issue(
      "server", {.common_name = "localhost", .dns_names = {"localhost"},
                 .ip_addresses = {"127.0.0.1"}});
  CertificateFiles client = ca.issue("client", {.common_name = "client", .client = true});
  CertificateFiles other_client =
      ca.issue("other-client", {.common_name = "other", .client = true});
};

Pki& pki() {
  static Pki instance;
  return instance;
}

/// The message of the TlsConfigError that building a context from `options` throws ("" if none).
std::string config_error(const TlsOptions& options) {
  try {
    TlsContext context(options);
  } catch (const TlsConfigError& error) {
    return error.what();
  }
  return "";
}

TlsOptions with_client_files(const std::string& cert, const std::string& key) {
  TlsOptions options;
  options.cert_file = cert;
  options.key_file = key;
  return options;
}

// -- TlsContext: loading and checking files ------------------------------------------------------

TEST(TlsContextTest, DefaultsUseTheSystemTrustStore) {
  EXPECT_EQ(config_error(TlsOptions{}), "");
  TlsOptions ca;
  ca.ca_file = pki().ca.certificate().string();
  ca.ca_path = pki().ca.dir().string();
  EXPECT_EQ(config_error(ca), "");
}

TEST(TlsContextTest, MatchingCertificateAndKeyLoad) {
  EXPECT_EQ(config_error(with_client_files(pki().client.certificate.string(),
                                           pki().client.key.string())),
            "");
}

TEST(TlsContextTest, MissingCertificateFileIsNamed) {
  const std::string missing = (pki().dir / "nowhere.crt").string();
  EXPECT_EQ(config_error(with_client_files(missing, pki().client.key.string())),
            "cert_file '" + missing + "': cannot open: No such file or directory");
}

TEST(TlsContextTest, UnreadableCertificateFileIsNamed) {
  const std::string directory = pki().dir.path().string();
  EXPECT_EQ(config_error(with_client_files(directory, pki().client.key.string())),
            "cert_file '" + directory + "': cannot read: Is a directory");
}

TEST(TlsContextTest, CertificateFileWithoutACertificateIsNamed) {
  TempDir dir;
  write_text(dir / "garbage.crt", "not a certificate\n");
  EXPECT_EQ(config_error(with_client_files((dir / "garbage.crt").string(),
                                           pki().client.key.string())),
            "cert_file '" + (dir / "garbage.crt").string() + "': no PEM certificate in it");
  // A key where the certificate should be.
  EXPECT_EQ(config_error(with_client_files(pki().client.key.string(), pki().client.key.string())),
            "cert_file '" + pki().client.key.string() + "': no PEM certificate in it");
}

TEST(TlsContextTest, KeyFileWithoutAKeyIsNamed) {
  EXPECT_EQ(config_error(with_client_files(pki().client.certificate.string(),
                                           pki().client.certificate.string())),
            "key_file '" + pki().client.certificate.string() + "': no PEM private key in it");
}

TEST(TlsContextTest, KeyThatDoesNotMatchTheCertificateIsNamed) {
  EXPECT_EQ(config_error(with_client_files(pki().client.certificate.string(),
                                           pki().other_client.key.string())),
            "key_file '" + pki().other_client.key.string() +
                "': does not match the certificate in cert_file '" +
                pki().client.certificate.string() + "'");
}

TEST(TlsContextTest, EncryptedKeysNeedTheRightPassword) {
  TempDir dir;
  const auto encrypted = dir / "client.key.enc";
  test::encrypt_key(pki().client.key, "s3cret pass", encrypted);
  TlsOptions options = with_client_files(pki().client.certificate.string(), encrypted.string());
  EXPECT_EQ(config_error(options), "key_file '" + encrypted.string() +
                                       "': the key is encrypted and no key_password_file is set");

  options.key_password_file = (dir / "wrong").string();
  write_text(dir / "wrong", "not it\n");
  EXPECT_EQ(config_error(options), "key_file '" + encrypted.string() +
                                       "': cannot decrypt the key with the password in "
                                       "key_password_file '" +
                                       (dir / "wrong").string() + "'");

  options.key_password_file = (dir / "right").string();
  write_text(dir / "right", "s3cret pass\n");  // the first line is the password
  EXPECT_EQ(config_error(options), "");

  options.key_password_file = (dir / "absent").string();
  EXPECT_EQ(config_error(options), "key_password_file '" + (dir / "absent").string() +
                                       "': cannot open: No such file or directory");
}

TEST(TlsContextTest, CertificateAndKeyComeTogether) {
  EXPECT_EQ(config_error(with_client_files(pki().client.certificate.string(), "")),
            "cert_file is set without key_file");
  EXPECT_EQ(config_error(with_client_files("", pki().client.key.string())),
            "key_file is set without cert_file");
  TlsOptions password_only;
  password_only.key_password_file = "/dev/null";
  EXPECT_EQ(config_error(password_only), "key_password_file is set without key_file");
}

TEST(TlsContextTest, CaFileAndCaPathProblemsAreNamed) {
  TempDir dir;
  TlsOptions options;
  options.ca_file = (dir / "missing-ca.crt").string();
  EXPECT_EQ(config_error(options),
            "ca_file '" + options.ca_file + "': cannot open: No such file or directory");
  write_text(dir / "empty-ca.crt", "");
  options.ca_file = (dir / "empty-ca.crt").string();
  EXPECT_EQ(config_error(options), "ca_file '" + options.ca_file + "': no PEM certificate in it");

  TlsOptions path;
  path.ca_path = pki().ca.certificate().string();
  EXPECT_EQ(config_error(path), "ca_path '" + path.ca_path + "': not a directory");
}

TEST(TlsContextTest, VersionsAndAlpnAreChecked) {
  TlsOptions options;
  options.min_version = "1.1";
  EXPECT_EQ(config_error(options), "min_version '1.1': must be \"1.2\" or \"1.3\"");
  options.min_version = "1.3";
  options.max_version = "1.2";
  EXPECT_EQ(config_error(options), "max_version '1.2' is older than min_version '1.3'");
  options.max_version = "1.4";
  EXPECT_EQ(config_error(options), "max_version '1.4': must be \"1.2\" or \"1.3\"");

  TlsOptions alpn;
  alpn.alpn = {"mqtt", ""};
  EXPECT_EQ(config_error(alpn), "alpn '': a protocol name is 1 to 255 bytes long");
  alpn.alpn = {std::string(256, 'x')};
  EXPECT_NE(config_error(alpn), "");
}

TEST(TlsContextTest, TransportChecksTheFilesAtConstruction) {
  core::EventLoop loop;
  core::Worker worker(loop);
  const std::string missing = (pki().dir / "nowhere.key").string();
  try {
    TlsTransport transport(loop, worker,
                           with_client_files(pki().client.certificate.string(), missing));
    FAIL() << "no exception";
  } catch (const TlsConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              "key_file '" + missing + "': cannot open: No such file or directory");
  }
}

// -- TlsTransport against an in-process TLS server ------------------------------------------------

/// A TLS server for one connection, in a thread of its own, with blocking OpenSSL calls bounded
/// by socket timeouts: it echoes what it reads, and records how the client ended the connection.
class TestTlsServer {
 public:
  struct Options {
    CertificateFiles certificate;
    /// ALPN protocols it accepts (none: it ignores ALPN).
    std::vector<std::string> alpn{};
    /// After echoing this many bytes it sends close_notify and closes (0: never).
    std::size_t close_after = 0;
    /// Reads nothing after the handshake until release(): the client's writes back up.
    bool hold = false;
  };

  explicit TestTlsServer(Options options)
      : options_(std::move(options)), hold_(options_.hold) {
    context_.reset(SSL_CTX_new(TLS_server_method()));
    if (!context_ ||
        SSL_CTX_use_certificate_chain_file(context_.get(),
                                           options_.certificate.certificate.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(context_.get(), options_.certificate.key.c_str(),
                                    SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error("TestTlsServer: cannot load the certificate");
    }
    if (!options_.alpn.empty()) {
      SSL_CTX_set_alpn_select_cb(context_.get(), select_alpn, this);
    }
    listener_ = core::UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_.get(), 4) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("TestTlsServer: cannot listen");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }

  ~TestTlsServer() { thread_.join(); }
  TestTlsServer(const TestTlsServer&) = delete;
  TestTlsServer& operator=(const TestTlsServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  void release() {
    {
      std::lock_guard lock(mutex_);
      hold_ = false;
    }
    released_.notify_all();
  }
  [[nodiscard]] bool finished() const { return finished_; }
  /// "close_notify", "eof" (no close_notify), "accept failed: ...", "error: ...".
  [[nodiscard]] std::string ending() const {
    std::lock_guard lock(mutex_);
    return ending_;
  }
  [[nodiscard]] std::string sni() const {
    std::lock_guard lock(mutex_);
    return sni_;
  }

 private:
  static int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                         const unsigned char* in, unsigned int in_length, void* self) {
    const auto& accepted = static_cast<TestTlsServer*>(self)->options_.alpn;
    for (unsigned int at = 0; at < in_length; at += 1u + in[at]) {
      const std::string offered(reinterpret_cast<const char*>(in + at + 1), in[at]);
      for (const auto& protocol : accepted) {
        if (protocol == offered) {
          *out = in + at + 1;
          *out_length = in[at];
          return SSL_TLSEXT_ERR_OK;
        }
      }
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }

  void finish(const std::string& ending) {
    {
      std::lock_guard lock(mutex_);
      ending_ = ending;
    }
    finished_ = true;
  }

  void run() {
    // A client that closed first makes OpenSSL's plain socket writes raise SIGPIPE.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    pollfd ready{listener_.get(), POLLIN, 0};
    if (::poll(&ready, 1, 10'000) != 1) {
      finish("no connection");
      return;
    }
    core::UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    const timeval timeout{10, 0};
    ::setsockopt(connection.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(connection.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    std::unique_ptr<SSL, OpenSslDeleter<SSL_free>> ssl(SSL_new(context_.get()));
    SSL_set_fd(ssl.get(), connection.get());
    if (SSL_accept(ssl.get()) != 1) {
      const unsigned long code = ERR_get_error();
      finish(std::string("accept failed: ") +
             (code != 0 ? ERR_reason_error_string(code) : "?"));
      return;
    }
    if (const char* name = SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name)) {
      std::lock_guard lock(mutex_);
      sni_ = name;
    }
    {
      std::unique_lock lock(mutex_);
      released_.wait_for(lock, kDeadline, [this] { return !hold_; });
    }
    std::vector<char> buffer(16 * 1024);
    std::size_t echoed = 0;
    while (true) {
      const int n = SSL_read(ssl.get(), buffer.data(), static_cast<int>(buffer.size()));
      if (n <= 0) {
        const int error = SSL_get_error(ssl.get(), n);
        const unsigned long code = ERR_peek_error();
        if (error == SSL_ERROR_ZERO_RETURN) {
          finish("close_notify");
        } else if ((error == SSL_ERROR_SSL &&
                    ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) ||
                   (error == SSL_ERROR_SYSCALL && code == 0)) {
          finish("eof");
        } else {
          finish("error: " + std::to_string(error) + " " +
                 (code != 0 ? ERR_reason_error_string(code) : "?"));
        }
        ERR_clear_error();
        return;
      }
      if (SSL_write(ssl.get(), buffer.data(), n) != n) {
        finish("write failed");
        return;
      }
      echoed += static_cast<std::size_t>(n);
      if (options_.close_after != 0 && echoed >= options_.close_after) {
        SSL_shutdown(ssl.get());
        finish("server closed");
        return;
      }
    }
  }

  Options options_;
  std::unique_ptr<SSL_CTX, OpenSslDeleter<SSL_CTX_free>> context_;
  core::UniqueFd listener_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::string ending_;
  std::string sni_;
  bool hold_;
  std::condition_variable released_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

class TlsTransportTest : public ::testing::Test {
 protected:
  TlsOptions trusting_ca() const {
    TlsOptions options;
    options.ca_file = pki().ca.certificate().string();
    return options;
  }

  void attach(TlsTransport& transport) {
    transport.set_callbacks({
        [this] { ++connected_; },
        [this](ByteSpan bytes) { received_.insert(received_.end(), bytes.begin(), bytes.end()); },
        [this](std::error_code error) { closed_.push_back(error); },
        [this] { ++drained_; },
    });
  }

  bool run_until(const std::function<bool()>& condition,
                 std::chrono::milliseconds deadline = kDeadline) {
    const auto end = Clock::now() + deadline;
    while (!condition()) {
      if (Clock::now() >= end) return false;
      loop_.run_once(10ms);
    }
    return true;
  }

  core::EventLoop loop_;
  core::Worker worker_{loop_};
  int connected_ = 0;
  int drained_ = 0;
  Bytes received_;
  std::vector<std::error_code> closed_;
};

TEST_F(TlsTransportTest, CarriesBytesBothWaysAndSendsCloseNotifyOnClose) {
  TestTlsServer server({.certificate = pki().server});
  TlsTransport transport(loop_, worker_, trusting_ca());
  attach(transport);
  transport.send(Bytes{1, 2, 3});  // not connected yet: ignored
  transport.connect({"localhost", server.port(), 5s});
  ASSERT_TRUE(run_until([&] { return connected_ == 1 || !closed_.empty(); }))
      << transport.last_failure();
  ASSERT_TRUE(transport.connected());
  EXPECT_EQ(transport.protocol_version(), "TLSv1.3");

  const Bytes hello{'h', 'e', 'l', 'l', 'o'};
  transport.send(hello);
  ASSERT_TRUE(run_until([&] { return received_.size() >= hello.size(); }));
  EXPECT_EQ(received_, hello);

  transport.close();
  EXPECT_FALSE(transport.connected());
  ASSERT_TRUE(test::wait_until([&] { return server.finished(); }, kDeadline));
  EXPECT_EQ(server.ending(), "close_notify");
  EXPECT_EQ(server.sni(), "localhost");
  EXPECT_TRUE(closed_.empty()) << "close() is silent";
}

TEST_F(TlsTransportTest, LargeTransferThroughFullSocketBuffers) {
  TestTlsServer server({.certificate = pki().server, .hold = true});
  TlsTransport transport(loop_, worker_, trusting_ca());
  attach(transport);
  transport.connect({"127.0.0.1", server.port(), 5s});
  ASSERT_TRUE(run_until([&] { return connected_ == 1 || !closed_.empty(); }))
      << transport.last_failure();

  Bytes big(4 * 1024 * 1024);
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
  }
  transport.send(big);
  // The server reads nothing yet: the socket buffers fill, OpenSSL says WANT_WRITE, and the rest
  // waits in the transport while the loop keeps running.
  for (int i = 0; i < 10; ++i) loop_.run_once(5ms);
  EXPECT_GT(transport.pending_output(), 0u);
  EXPECT_LT(transport.pending_output(), big.size());
  EXPECT_EQ(drained_, 0);
  server.release();
  ASSERT_TRUE(run_until([&] { return received_.size() >= big.size() || !closed_.empty(); }, 30s))
      << received_.size();
  EXPECT_TRUE(received_ == big);
  EXPECT_EQ(transport.pending_output(), 0u);
  EXPECT_GE(drained_, 1);
  EXPECT_EQ(server.sni(), "") << "no SNI for an IP address";
  transport.close();
  ASSERT_TRUE(test::wait_until([&] { return server.finished(); }, kDeadline));
  EXPECT_EQ(server.ending(), "close_notify");
}

TEST_F(TlsTransportTest, PeerCloseNotifyIsAClosedConnection) {
  TestTlsServer server({.certificate = pki().server, .close_after = 3});
  TlsTransport transport(loop_, worker_, trusting_ca());
  attach(transport);
  transport.connect({"localhost", server.port(), 5s});
  ASSERT_TRUE(run_until([&] { return connected_ == 1 || !closed_.empty(); }));
  transport.send(Bytes{'a', 'b', 'c'});
  ASSERT_TRUE(run_until([&] { return !closed_.empty(); }));
  EXPECT_EQ(received_, (Bytes{'a', 'b', 'c'}));
  EXPECT_EQ(closed_[0], make_error_code(core::Errc::connection_closed));
  EXPECT_FALSE(transport.connected());
  EXPECT_EQ(transport.last_failure(), "") << "a clean close is not a TLS failure";
}

TEST_F(TlsTransportTest, AlpnProtocolIsNegotiated) {
  TestTlsServer server({.certificate = pki().server, .alpn = {"mqtt"}});
  TlsOptions options = trusting_ca();
  options.alpn = {"x-other", "mqtt"};
  TlsTransport transport(loop_, worker_, options);
  attach(transport);
  transport.connect({"localhost", server.port(), 5s});
  ASSERT_TRUE(run_until([&] { return connected_ == 1 || !closed_.empty(); }))
      << transport.last_failure();
  EXPECT_EQ(transport.alpn_selected(), "mqtt");
  transport.close();
}

TEST_F(TlsTransportTest, AlpnRefusalIsExplained) {
  TestTlsServer server({.certificate = pki().server, .alpn = {"mqtt"}});
  TlsOptions options = trusting_ca();
  options.alpn = {"x-other"};
  TlsTransport transport(loop_, worker_, options);
  attach(transport);
  transport.connect({"localhost", server.port(), 5s});
  ASSERT_TRUE(run_until([&] { return connected_ == 1 || !closed_.empty(); }));
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_[0], make_error_code(core::Errc::handshake_failed));
  EXPECT_EQ(transport.last_failure(),
            "tlsv1 alert no application protocol: the broker accepts none of the ALPN protocols "
            "offered ('x-other')");
  EXPECT_EQ(connected_, 0);
}

}  // namespace
}  // namespace pimqttd::mqtt
