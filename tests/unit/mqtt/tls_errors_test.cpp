// explain_ssl_failure: the words logged for each kind of TLS failure, given the verify result,
// the SSL error, errno and OpenSSL's error queue (filled here with ERR_raise, as OpenSSL would).

#include "pimqttd/mqtt/tls_errors.hpp"

#include <cerrno>
#include <string>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <gtest/gtest.h>

#include "pimqttd/core/error.hpp"

namespace pimqttd::mqtt {
namespace {

using core::Errc;

struct Fixture {
  // Reason strings are loaded with the first SSL_CTX; the explainer never runs before one exists.
  Fixture() { OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS, nullptr); }

  TlsOptions options;
  TlsVerifyFailure verify;
  std::string verify_name = "broker.lan";
  bool handshaking = true;
  bool received_data = false;

  TlsFailure explain(int ssl_error, int saved_errno = 0) const {
    return explain_ssl_failure(ssl_error, saved_errno,
                               {.options = options,
                                .port = 8883,
                                .verify_name = verify_name,
                                .verify_failure = verify,
                                .handshaking = handshaking,
                                .received_data = received_data});
  }
};

TEST(TlsErrors, HostnameMismatchNamesTheCertificatesNames) {
  ERR_clear_error();
  Fixture f;
  f.verify_name = "192.168.1.5";
  f.verify.error = X509_V_ERR_HOSTNAME_MISMATCH;
  f.verify.names = {"broker.lan", "10.0.0.1"};
  const TlsFailure failure = f.explain(SSL_ERROR_SSL);
  EXPECT_EQ(failure.error, make_error_code(Errc::certificate_verify_failed));
  EXPECT_EQ(failure.detail,
            "certificate verify failed: hostname mismatch, certificate is for 'broker.lan', "
            "'10.0.0.1', connected to '192.168.1.5'");
}

TEST(TlsErrors, ExpiredCaCertificateSaysWhen) {
  Fixture f;
  f.verify.error = X509_V_ERR_CERT_HAS_EXPIRED;
  f.verify.depth = 1;
  f.verify.subject = "CN=Test CA";
  f.verify.not_after = "2020-01-01 00:00:00 UTC";
  EXPECT_EQ(f.explain(SSL_ERROR_SSL).detail,
            "certificate verify failed: certificate has expired, CA certificate 'CN=Test CA' "
            "expired on 2020-01-01 00:00:00 UTC");
}

TEST(TlsErrors, UnknownIssuerNamesTheTrustSource) {
  Fixture f;
  f.options.ca_file = "/etc/pimqttd/ca.pem";
  f.verify.error = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
  f.verify.subject = "CN=broker.lan";
  f.verify.issuer = "CN=Other CA";
  EXPECT_EQ(f.explain(SSL_ERROR_SSL).detail,
            std::string("certificate verify failed: ") +
                X509_verify_cert_error_string(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) +
                ", 'CN=broker.lan' (issued by 'CN=Other CA') does not lead to a CA in ca_file "
                "'/etc/pimqttd/ca.pem'");
  f.options.ca_file.clear();
  const std::string detail = f.explain(SSL_ERROR_SSL).detail;
  EXPECT_EQ(detail.substr(detail.rfind(" in ")), " in the system trust store");
}

TEST(TlsErrors, PlainListenerIsRecognisedFromTheReason) {
  Fixture f;
  ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_VERSION_NUMBER);
  const TlsFailure failure = f.explain(SSL_ERROR_SSL);
  EXPECT_EQ(failure.error, make_error_code(Errc::handshake_failed));
  EXPECT_EQ(failure.detail,
            "wrong version number: the broker did not answer in TLS: is port 8883 a plain MQTT "
            "listener?");
  EXPECT_EQ(ERR_peek_error(), 0UL);  // the queue was emptied
}

TEST(TlsErrors, ClientCertificateRequired) {
  Fixture f;
  f.handshaking = false;  // TLS 1.3: the verdict comes after our side of the handshake
  ERR_raise(ERR_LIB_SSL, SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED);
  const TlsFailure failure = f.explain(SSL_ERROR_SSL);
  EXPECT_EQ(failure.error, make_error_code(Errc::handshake_failed));
  EXPECT_EQ(failure.detail,
            "tlsv13 alert certificate required: the broker requires a client certificate: set "
            "cert_file and key_file");
}

TEST(TlsErrors, FailureAfterDataIsATlsError) {
  Fixture f;
  f.handshaking = false;
  f.received_data = true;
  ERR_raise(ERR_LIB_SSL, SSL_R_WRONG_VERSION_NUMBER);
  EXPECT_EQ(f.explain(SSL_ERROR_SSL).error, make_error_code(Errc::tls_error));
}

TEST(TlsErrors, CloseDuringTheHandshakeSuggestsVersions) {
  Fixture f;
  f.options.max_version = "1.2";
  const TlsFailure failure = f.explain(SSL_ERROR_ZERO_RETURN);
  EXPECT_EQ(failure.error, make_error_code(Errc::handshake_failed));
  EXPECT_EQ(failure.detail,
            "the broker closed the connection during the TLS handshake (is port 8883 a TLS "
            "listener? does it accept TLS 1.2 to 1.2?)");
}

TEST(TlsErrors, CloseAfterTheHandshakeIsNotATlsFailure) {
  Fixture f;
  f.handshaking = false;
  f.received_data = true;
  const TlsFailure failure = f.explain(SSL_ERROR_SYSCALL, 0);
  EXPECT_EQ(failure.error, make_error_code(Errc::connection_closed));
  EXPECT_EQ(failure.detail, "");
}

TEST(TlsErrors, SystemErrorDuringAndAfterTheHandshake) {
  Fixture f;
  const TlsFailure during = f.explain(SSL_ERROR_SYSCALL, ECONNRESET);
  EXPECT_EQ(during.error, make_error_code(Errc::handshake_failed));
  EXPECT_EQ(during.detail,
            "connection failed during the TLS handshake: " +
                std::system_category().message(ECONNRESET) + " (is port 8883 a TLS listener?)");
  f.handshaking = false;
  const TlsFailure after = f.explain(SSL_ERROR_SYSCALL, ECONNRESET);
  EXPECT_EQ(after.error, std::error_code(ECONNRESET, std::system_category()));
  EXPECT_EQ(after.detail, "");
}

TEST(TlsErrors, QuotedNamesTheOptionAndTheFile) {
  EXPECT_EQ(quoted("cert_file", "/etc/pimqttd/client.crt"), "cert_file '/etc/pimqttd/client.crt'");
}

}  // namespace
}  // namespace pimqttd::mqtt
