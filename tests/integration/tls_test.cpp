// mqtt::Client over TlsTransport against real mosquitto TLS listeners on loopback, with a CA,
// server and client certificates made at run time (support/certs.hpp). Each case is judged by
// whether the client connects and a QoS 1 message round-trips through the broker (subscribe,
// publish, receive our own message), and for refusals by the error code, the words logged, and
// the rule that each failed attempt is logged exactly once.
//
// The one listener mosquitto cannot provide: TLS 1.1 only (its `tls_version tlsv1.1` means "1.1
// or newer"), so case 10 dials `openssl s_server -tls1_1`, after checking with `openssl s_client
// -tls1_1` that the listener really speaks TLS 1.1.

#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/mqtt/client.hpp"
#include "pimqttd/mqtt/tcp_transport.hpp"
#include "pimqttd/mqtt/tls_transport.hpp"
#include "support/broker.hpp"
#include "support/loop.hpp"
#include "support/certs.hpp"
#include "support/mqtt_sub.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace pimqttd::test {
namespace {

using namespace std::chrono_literals;
using core::Errc;
using mqtt::Client;
using mqtt::ClientOptions;
using mqtt::ConnectionState;
using mqtt::QoS;
using mqtt::TlsOptions;
using Clock = std::chrono::steady_clock;
using Days = std::chrono::duration<int, std::ratio<86400>>;

constexpr auto kDeadline = 10s;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

/// Every certificate the cases need, made once for the whole suite.
struct Pki {
  TempDir dir{"pimqttd-tls-pki"};
  CertificateAuthority ca{dir.path(), "ca"};
  CertificateAuthority other_ca{dir.path(), "other-ca"};
  CertificateFiles server = ca.issue(
      "server", {.common_name = "localhost", .dns_names = {"localhost"},
                 .ip_addresses = {"127.0.0.1"}});
  CertificateFiles wrong_host =
      ca.issue("wrong-host", {.common_name = "broker.lan", .dns_names = {"broker.lan"}});
  CertificateFiles untrusted = other_ca.issue(
      "server", {.common_name = "localhost", .dns_names = {"localhost"},
                 .ip_addresses = {"127.0.0.1"}});
  CertificateFiles expired = ca.issue(
      "expired", {.common_name = "localhost", .dns_names = {"localhost"},
                  .ip_addresses = {"127.0.0.1"},
                  .not_before = std::chrono::system_clock::now() - Days(10),
                  .not_after = std::chrono::system_clock::now() - Days(1)});
  CertificateFiles not_yet_valid = ca.issue(
      "not-yet-valid", {.common_name = "localhost", .dns_names = {"localhost"},
                        .ip_addresses = {"127.0.0.1"},
                        .not_before = std::chrono::system_clock::now() + Days(1),
                        .not_after = std::chrono::system_clock::now() + Days(10)});
  CertificateFiles client =
      ca.issue("client", {.common_name = "pimqttd-client", .client = true});
  CertificateFiles foreign_client =
      other_ca.issue("client", {.common_name = "pimqttd-foreign", .client = true});
};

/// mosquitto config lines for one more TLS listener on `port`.
std::vector<std::string> tls_listener(std::uint16_t port, const CertificateFiles& server,
                                      const std::filesystem::path& cafile,
                                      const std::vector<std::string>& more = {}) {
  std::vector<std::string> lines{
      "listener " + std::to_string(port) + " 127.0.0.1",
      "cafile " + cafile.string(),
      "certfile " + server.certificate.string(),
      "keyfile " + server.key.string(),
  };
  lines.insert(lines.end(), more.begin(), more.end());
  return lines;
}

/// A spdlog sink the test reads back: every line the code under test logs.
class LogCapture {
 public:
  LogCapture()
      : previous_(spdlog::default_logger()),
        sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_)) {
    auto logger = std::make_shared<spdlog::logger>("tls-test", sink_);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  [[nodiscard]] std::string text() const {
    sink_->flush();
    return stream_.str();
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream stream_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

class TlsIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = std::make_unique<Pki>(); }
  static void TearDownTestSuite() { pki_.reset(); }

  /// Starts a broker whose extra listener on tls_port_ uses `server` and trusts `cafile` for
  /// client certificates.
  std::unique_ptr<Broker> start_broker(const CertificateFiles& server,
                                       const std::vector<std::string>& more = {}) {
    tls_port_ = free_loopback_port();
    BrokerOptions options;
    options.extra_config = tls_listener(tls_port_, server, pki_->ca.certificate(), more);
    auto broker = std::make_unique<Broker>(options);
    broker->start();
    return broker;
  }

  TlsOptions trusting_our_ca() const {
    TlsOptions tls;
    tls.ca_file = pki_->ca.certificate().string();
    return tls;
  }

  /// A client of `host`:`port` over TLS; transport_ observes its transport.
  std::unique_ptr<Client> make_client(const std::string& host, std::uint16_t port,
                                      const TlsOptions& tls, const std::string& client_id) {
    ClientOptions options;
    options.endpoint = {host, port, 2s};
    options.session.client_id = client_id;
    options.backoff_initial = 50ms;
    options.backoff_max = 200ms;
    auto client = std::make_unique<Client>(loop_, worker_, options, [this, tls] {
      auto transport = std::make_unique<mqtt::TlsTransport>(loop_, worker_, tls);
      transport_ = transport.get();
      return transport;
    });
    client->on_state_change([this](ConnectionState state, std::error_code) {
      if (state == ConnectionState::connected) ++connects_;
    });
    return client;
  }

  bool run_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline,
                 std::chrono::milliseconds step = 10ms) {
    return test::run_until(loop_, condition, deadline, step);
  }

  bool stop_client(Client& client) {
    bool done = false;
    client.stop([&] { done = true; });
    return run_until([&] { return done; }, kDeadline);
  }

  /// Subscribes to `topic`, publishes a QoS 1 message there and waits for it to come back.
  ::testing::AssertionResult round_trip(Client& client, const std::string& topic) {
    auto received = std::make_shared<std::vector<std::string>>();
    client.subscribe(topic, QoS::at_least_once,
                     [received](const mqtt::Publish& message) {
                       received->push_back(message.payload);
                     });
    const std::string payload = "over TLS to " + topic;
    if (client.publish(topic, payload, QoS::at_least_once, false)) {
      return ::testing::AssertionFailure() << "publish refused";
    }
    const bool arrived = run_until([&] { return !received->empty(); }, kDeadline);
    client.unsubscribe(topic);
    if (!arrived) {
      return ::testing::AssertionFailure()
             << "no message back on " << topic << "; state " << mqtt::to_string(client.state())
             << ", log:\n" << log_.text();
    }
    if ((*received)[0] != payload) {
      return ::testing::AssertionFailure() << "got '" << (*received)[0] << "'";
    }
    return ::testing::AssertionSuccess();
  }

  /// Connects to host:port with `tls`, round-trips a message (negotiated_: the TLS version), and
  /// stops cleanly.
  ::testing::AssertionResult connects(const std::string& host, std::uint16_t port,
                                      const TlsOptions& tls, const std::string& client_id) {
    auto client = make_client(host, port, tls, client_id);
    client->start();
    if (!run_until([&] { return client->state() == ConnectionState::connected; }, kDeadline)) {
      return ::testing::AssertionFailure()
             << "not connected to " << host << ":" << port << ": "
             << client->last_error().message() << "; log:\n" << log_.text();
    }
    auto result = round_trip(*client, "tls/" + client_id);
    if (!result) {
      return result;
    }
    negotiated_ = transport_->protocol_version();
    if (!stop_client(*client)) {
      return ::testing::AssertionFailure() << "stop() did not finish";
    }
    client.reset();
    transport_ = nullptr;
    return ::testing::AssertionSuccess();
  }

  /// Expects every attempt to fail with `error`, the failure's words to contain each of `words`,
  /// and one log line per failed attempt; the client never connects.
  void expect_refused(const std::string& host, std::uint16_t port, const TlsOptions& tls,
                      Errc error, const std::vector<std::string>& words) {
    const std::string before = log_.text();
    auto client = make_client(host, port, tls, "pimqttd-refused");
    client->start();
    client->publish("tls/refused", "must not arrive", QoS::at_least_once, false);
    ASSERT_TRUE(run_until([&] { return client->counters().connect_failures >= 2; }, kDeadline))
        << "failures " << client->counters().connect_failures << "; log:\n" << log_.text();
    EXPECT_EQ(connects_, 0);
    EXPECT_EQ(client->counters().completed, 0u);
    EXPECT_EQ(client->last_error(), make_error_code(error)) << client->last_error().message();
    ASSERT_NE(transport_, nullptr);
    for (const auto& word : words) {
      EXPECT_NE(transport_->last_failure().find(word), std::string::npos)
          << "'" << word << "' not in: " << transport_->last_failure();
    }
    const std::string logged = log_.text().substr(before.size());
    EXPECT_EQ(count_of(logged, "mqtt: TLS with "), client->counters().connect_failures)
        << logged;
    EXPECT_NE(logged.find(transport_->last_failure()), std::string::npos) << logged;
    client.reset();
    transport_ = nullptr;
  }

  static std::unique_ptr<Pki> pki_;
  LogCapture log_;
  core::EventLoop loop_;
  core::Worker worker_{loop_};
  std::uint16_t tls_port_ = 0;
  mqtt::TlsTransport* transport_ = nullptr;  // observer: the client owns it
  std::string negotiated_;
  int connects_ = 0;
};

std::unique_ptr<Pki> TlsIntegrationTest::pki_;

// -- 1. a valid chain, by name and by address ----------------------------------------------------

TEST_F(TlsIntegrationTest, ValidChainConnectsByHostNameAndByIpAddress) {
  auto broker = start_broker(pki_->server);
  EXPECT_TRUE(connects("localhost", tls_port_, trusting_our_ca(), "pimqttd-by-name"));
  EXPECT_EQ(negotiated_, "TLSv1.3");
  EXPECT_TRUE(connects("127.0.0.1", tls_port_, trusting_our_ca(), "pimqttd-by-ip"));
  TlsOptions tls12 = trusting_our_ca();
  tls12.max_version = "1.2";
  EXPECT_TRUE(connects("127.0.0.1", tls_port_, tls12, "pimqttd-tls12"));
  EXPECT_EQ(negotiated_, "TLSv1.2");
  EXPECT_EQ(log_.text().find("[error]"), std::string::npos) << log_.text();
}

TEST_F(TlsIntegrationTest, AnIndependentTlsSubscriberGetsWhatWePublish) {
  auto broker = start_broker(pki_->server);
  Subscriber subscriber({.port = tls_port_, .topic = "tls/independent", .qos = 1,
                         .connection_args = {"--cafile", pki_->ca.certificate().string()}});
  ASSERT_TRUE(subscriber.wait_subscribed(kDeadline)) << read_text(subscriber.error_path());
  auto client = make_client("localhost", tls_port_, trusting_our_ca(), "pimqttd-independent");
  client->start();
  ASSERT_TRUE(run_until([&] { return client->state() == ConnectionState::connected; },
                        kDeadline));
  ASSERT_FALSE(client->publish("tls/independent", "seen by mosquitto_sub", QoS::at_least_once,
                               false));
  // The client writes on the loop: keep it running while the subscriber waits.
  ASSERT_TRUE(run_until([&] { return subscriber.count() >= 1; }, kDeadline));
  EXPECT_EQ(subscriber.lines()[0], (ReceivedMessage{"tls/independent", "seen by mosquitto_sub"}));
  ASSERT_TRUE(stop_client(*client));
}

// -- 2. wrong host name --------------------------------------------------------------------------

TEST_F(TlsIntegrationTest, WrongHostNameIsRefused) {
  auto broker = start_broker(pki_->wrong_host);
  expect_refused("127.0.0.1", tls_port_, trusting_our_ca(), Errc::certificate_verify_failed,
                 {"certificate verify failed: IP address mismatch, certificate is for "
                  "'broker.lan', connected to '127.0.0.1'"});
  expect_refused("localhost", tls_port_, trusting_our_ca(), Errc::certificate_verify_failed,
                 {"certificate verify failed: hostname mismatch, certificate is for "
                  "'broker.lan', connected to 'localhost'"});
}

TEST_F(TlsIntegrationTest, ServerNameOverrideIsWhatIsVerified) {
  auto broker = start_broker(pki_->wrong_host);
  TlsOptions tls = trusting_our_ca();
  tls.server_name = "broker.lan";
  EXPECT_TRUE(connects("127.0.0.1", tls_port_, tls, "pimqttd-server-name"));
}

// -- 3. untrusted CA -----------------------------------------------------------------------------

TEST_F(TlsIntegrationTest, UntrustedCaIsRefused) {
  auto broker = start_broker(pki_->untrusted);
  expect_refused("localhost", tls_port_, trusting_our_ca(), Errc::certificate_verify_failed,
                 {"certificate verify failed: unable to get local issuer certificate",
                  "issued by 'CN=other-ca,O=pimqttd tests'",
                  "does not lead to a CA in ca_file '" + pki_->ca.certificate().string() + "'"});
}

TEST_F(TlsIntegrationTest, VerificationIsOnByDefaultAgainstTheSystemTrustStore) {
  auto broker = start_broker(pki_->server);
  expect_refused("localhost", tls_port_, TlsOptions{}, Errc::certificate_verify_failed,
                 {"certificate verify failed: self-signed certificate in certificate chain, "
                  "'CN=ca,O=pimqttd tests' is self-signed and is not a CA in the system trust "
                  "store"});
}

// -- 4, 5. validity ------------------------------------------------------------------------------

TEST_F(TlsIntegrationTest, ExpiredServerCertificateIsRefused) {
  auto broker = start_broker(pki_->expired);
  expect_refused("localhost", tls_port_, trusting_our_ca(), Errc::certificate_verify_failed,
                 {"certificate verify failed: certificate has expired, the broker's certificate "
                  "'CN=localhost' expired on "});
}

TEST_F(TlsIntegrationTest, NotYetValidServerCertificateIsRefused) {
  auto broker = start_broker(pki_->not_yet_valid);
  expect_refused("localhost", tls_port_, trusting_our_ca(), Errc::certificate_verify_failed,
                 {"certificate verify failed: certificate is not yet valid, the broker's "
                  "certificate 'CN=localhost' is valid only from "});
}

// -- 6, 7, 8. client certificates ----------------------------------------------------------------

TEST_F(TlsIntegrationTest, ListenerRequiringAClientCertificateRefusesUsWithoutOne) {
  auto broker = start_broker(pki_->server, {"require_certificate true"});
  expect_refused("localhost", tls_port_, trusting_our_ca(), Errc::handshake_failed,
                 {"certificate required",
                  "the broker requires a client certificate: set cert_file and key_file"});
  TlsOptions tls12 = trusting_our_ca();
  tls12.max_version = "1.2";  // TLS 1.2: the refusal comes inside the handshake
  expect_refused("localhost", tls_port_, tls12, Errc::handshake_failed,
                 {"the broker refused the handshake"});
}

TEST_F(TlsIntegrationTest, ClientCertificateIsAcceptedAndIdentifiesUs) {
  auto broker = start_broker(pki_->server,
                             {"require_certificate true", "use_identity_as_username true"});
  TlsOptions tls = trusting_our_ca();
  tls.cert_file = pki_->client.certificate.string();
  tls.key_file = pki_->client.key.string();
  EXPECT_TRUE(connects("localhost", tls_port_, tls, "pimqttd-mtls"));
  EXPECT_NE(broker->log().find("as pimqttd-mtls (p2, c1, k60, u'pimqttd-client')"),
            std::string::npos)
      << broker->log();
}

TEST_F(TlsIntegrationTest, ClientCertificateFromAnotherCaIsRefused) {
  auto broker = start_broker(pki_->server, {"require_certificate true"});
  TlsOptions tls = trusting_our_ca();
  tls.cert_file = pki_->foreign_client.certificate.string();
  tls.key_file = pki_->foreign_client.key.string();
  expect_refused("localhost", tls_port_, tls, Errc::handshake_failed,
                 {"unknown ca", "the broker rejected the client certificate in cert_file '" +
                                    tls.cert_file + "'"});
}

// -- 9. insecure ---------------------------------------------------------------------------------

TEST_F(TlsIntegrationTest, InsecureConnectsToAWrongHostNameAndWarnsAtEveryConnect) {
  auto broker = start_broker(pki_->wrong_host);
  TlsOptions tls = trusting_our_ca();
  tls.insecure = true;
  const std::string warning = "[warning] mqtt: TLS certificate verification is OFF for";
  EXPECT_TRUE(connects("localhost", tls_port_, tls, "pimqttd-insecure"));
  EXPECT_EQ(count_of(log_.text(), warning), 1u) << log_.text();
  EXPECT_TRUE(connects("localhost", tls_port_, tls, "pimqttd-insecure"));
  EXPECT_EQ(count_of(log_.text(), warning), 2u) << log_.text();
}

// -- 10. TLS 1.1 only ----------------------------------------------------------------------------

TEST_F(TlsIntegrationTest, Tls11OnlyListenerIsRefused) {
  TempDir dir("pimqttd-tls11");
  const std::uint16_t port = free_loopback_port();
  ProcessOptions quiet;
  quiet.stdout_path = dir / "s_server.out";
  quiet.stderr_path = dir / "s_server.out";
  Process server({"openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port), "-cert",
                  pki_->server.certificate.string(), "-key", pki_->server.key.string(), "-tls1_1",
                  "-cipher", "DEFAULT@SECLEVEL=0", "-quiet"},
                 quiet);
  ASSERT_TRUE(wait_until([&] { return tcp_connectable("127.0.0.1", port); }, kDeadline))
      << read_text(dir / "s_server.out");

  // The control: a client that allows TLS 1.1 gets through, so the listener works and speaks 1.1.
  ProcessOptions capture;
  capture.stdout_path = dir / "s_client.out";
  capture.stderr_path = dir / "s_client.out";
  const auto control = run_process(
      {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-CAfile",
       pki_->ca.certificate().string(), "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-brief"},
      kDeadline, capture);
  ASSERT_TRUE(control.has_value());
  const std::string control_output = read_text(dir / "s_client.out");
  ASSERT_NE(control_output.find("Protocol version: TLSv1.1"), std::string::npos)
      << control_output;

  // TLS 1.3-capable: we offer 1.2 and 1.3 only (supported_versions), the broker finds nothing it
  // speaks and says so.
  expect_refused("localhost", port, trusting_our_ca(), Errc::handshake_failed,
                 {"tlsv1 alert protocol version: no TLS version in common with the broker: "
                  "pimqttd accepts TLS 1.2 to 1.3"});
  // Up to 1.2 only: the broker answers with 1.1 and our minimum refuses it.
  TlsOptions tls12 = trusting_our_ca();
  tls12.max_version = "1.2";
  expect_refused("localhost", port, tls12, Errc::handshake_failed,
                 {"unsupported protocol: no TLS version in common with the broker: pimqttd "
                  "accepts TLS 1.2 to 1.2"});
}

// -- 11. the wrong kind of port: clean failures, no hang ------------------------------------------

TEST_F(TlsIntegrationTest, TlsToAPlainListenerFailsCleanly) {
  Broker broker;
  broker.start();
  auto client = make_client("127.0.0.1", broker.port(), trusting_our_ca(), "pimqttd-tls-plain");
  const auto started = Clock::now();
  client->start();
  ASSERT_TRUE(run_until([&] { return client->counters().connect_failures >= 1; }, kDeadline))
      << log_.text();
  EXPECT_LT(Clock::now() - started, 2s + 1s) << "the handshake timeout is the endpoint's 2 s";
  EXPECT_EQ(connects_, 0);
  const auto error = client->last_error();
  EXPECT_TRUE(error == make_error_code(Errc::handshake_failed) ||
              error == make_error_code(Errc::handshake_timeout))
      << error.message();
  EXPECT_FALSE(transport_->last_failure().empty());
  ASSERT_TRUE(stop_client(*client));
}

TEST_F(TlsIntegrationTest, PlainToATlsListenerFailsCleanly) {
  auto broker = start_broker(pki_->server);
  ClientOptions options;
  options.endpoint = {"127.0.0.1", tls_port_, 2s};
  options.session.client_id = "pimqttd-plain-tls";
  options.backoff_initial = 50ms;
  Client client(loop_, worker_, options);  // plain TCP
  bool connected = false;
  client.on_state_change([&](ConnectionState state, std::error_code) {
    connected = connected || state == ConnectionState::connected;
  });
  const auto started = Clock::now();
  client.start();
  ASSERT_TRUE(run_until([&] { return client.counters().connect_failures >= 1; }, kDeadline));
  EXPECT_LT(Clock::now() - started, 2s + 1s);
  EXPECT_FALSE(connected);
  const auto error = client.last_error();
  EXPECT_TRUE(error == make_error_code(Errc::connection_closed) ||
              error == make_error_code(Errc::connack_timeout) ||
              error == std::error_code(ECONNRESET, std::system_category()))
      << error.message();
  ASSERT_TRUE(stop_client(client));
}

TEST_F(TlsIntegrationTest, SilentListenerEndsInTheHandshakeTimeout) {
  // The kernel completes the TCP handshake into the backlog; nothing ever answers.
  core::UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener.valid());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address),
            0);
  ASSERT_EQ(::listen(listener.get(), 8), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);

  auto client = make_client("127.0.0.1", ntohs(address.sin_port), trusting_our_ca(),
                            "pimqttd-silent");
  const auto started = Clock::now();
  client->start();
  ASSERT_TRUE(run_until([&] { return client->counters().connect_failures >= 1; }, kDeadline));
  const auto elapsed = Clock::now() - started;
  EXPECT_GE(elapsed, 2s - 100ms);
  EXPECT_LT(elapsed, 2s + 1s);
  EXPECT_EQ(client->last_error(), make_error_code(Errc::handshake_timeout));
  EXPECT_EQ(transport_->last_failure(),
            "no TLS handshake within 2.0 s: the broker did not answer the TLS hello (is port " +
                std::to_string(ntohs(address.sin_port)) + " a TLS listener?)");
  ASSERT_TRUE(stop_client(*client));
}

// -- 12. renewed certificates --------------------------------------------------------------------

TEST_F(TlsIntegrationTest, RenewedClientCertificateIsUsedFromTheNextConnection) {
  auto broker = start_broker(pki_->server,
                             {"require_certificate true", "use_identity_as_username true"});
  auto first = pki_->ca.issue("renewing", {.common_name = "client-v1", .client = true});
  TlsOptions tls = trusting_our_ca();
  tls.cert_file = first.certificate.string();
  tls.key_file = first.key.string();
  auto client = make_client("localhost", tls_port_, tls, "pimqttd-renewal");
  client->start();
  ASSERT_TRUE(run_until([&] { return client->state() == ConnectionState::connected; },
                        kDeadline)) << log_.text();
  ASSERT_TRUE(round_trip(*client, "tls/renewal/1"));
  EXPECT_NE(broker->log().find("u'client-v1'"), std::string::npos);

  // Renewed on disk (new key, new certificate, same file names) while connected.
  const auto renewed = pki_->ca.issue("renewing", {.common_name = "client-v2", .client = true});
  ASSERT_EQ(renewed.certificate, first.certificate);

  // The broker drops us; the reconnect reloads the files.
  broker->restart();
  ASSERT_TRUE(run_until([&] { return client->counters().reconnects >= 1 &&
                                     client->state() == ConnectionState::connected; },
                        kDeadline)) << log_.text();
  ASSERT_TRUE(round_trip(*client, "tls/renewal/2"));
  EXPECT_NE(broker->log().find("u'client-v2'"), std::string::npos) << broker->log();

  // A reload that fails (the key gone) fails that attempt, logged, and is retried.
  std::filesystem::rename(renewed.key, renewed.key.string() + ".away");
  broker->restart();
  ASSERT_TRUE(run_until([&] { return client->last_error() == make_error_code(
                                         Errc::tls_config_failed); },
                        kDeadline)) << log_.text();
  EXPECT_EQ(transport_->last_failure(),
            "key_file '" + renewed.key.string() + "': cannot open: No such file or directory");
  std::filesystem::rename(renewed.key.string() + ".away", renewed.key);
  ASSERT_TRUE(run_until([&] { return client->state() == ConnectionState::connected; },
                        kDeadline)) << log_.text();
  ASSERT_TRUE(round_trip(*client, "tls/renewal/3"));
  ASSERT_TRUE(stop_client(*client));
}

// -- survives a broker restart -------------------------------------------------------------------

TEST_F(TlsIntegrationTest, TlsConnectionSurvivesABrokerRestart) {
  auto broker = start_broker(pki_->server);
  auto client = make_client("localhost", tls_port_, trusting_our_ca(), "pimqttd-restart");
  client->start();
  ASSERT_TRUE(run_until([&] { return client->state() == ConnectionState::connected; },
                        kDeadline));
  ASSERT_TRUE(round_trip(*client, "tls/restart/before"));
  broker->restart();
  ASSERT_TRUE(run_until([&] { return client->counters().reconnects >= 1 &&
                                     client->state() == ConnectionState::connected; },
                        kDeadline)) << log_.text();
  ASSERT_TRUE(round_trip(*client, "tls/restart/after"));
  // The broker going away is a lost connection, not a TLS failure.
  EXPECT_EQ(log_.text().find("mqtt: TLS with"), std::string::npos) << log_.text();
  ASSERT_TRUE(stop_client(*client));
}

}  // namespace
}  // namespace pimqttd::test
