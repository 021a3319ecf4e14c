#include "pimqttd/mqtt/tls_errors.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <ctime>
#include <memory>

#include "pimqttd/core/error.hpp"

namespace pimqttd::mqtt {
namespace {

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES_free>>;

/// The first reason code in the queue (0 if none); the queue is left as it is.
int first_error_reason() {
  const unsigned long code = ERR_peek_error();
  return code == 0 ? 0 : ERR_GET_REASON(code);
}

std::string format_name(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || name == nullptr ||
      X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    return "?";
  }
  std::string text(BIO_ctrl_pending(bio.get()), '\0');
  const int n = BIO_read(bio.get(), text.data(), static_cast<int>(text.size()));
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return text;
}

std::string asn1_text(const ASN1_STRING* text) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
          static_cast<std::size_t>(ASN1_STRING_length(text))};
}

/// Subject alternative names (DNS names and IP addresses), or the common name when there are none.
std::vector<std::string> certificate_names(X509* certificate) {
  std::vector<std::string> names;
  GeneralNamesPtr alt_names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  if (alt_names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(alt_names.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt_names.get(), i);
      if (name->type == GEN_DNS) {
        names.push_back(asn1_text(name->d.dNSName));
      } else if (name->type == GEN_IPADD) {
        const int length = ASN1_STRING_length(name->d.iPAddress);
        char text[INET6_ADDRSTRLEN] = {};
        if ((length == 4 || length == 16) &&
            ::inet_ntop(length == 4 ? AF_INET : AF_INET6,
                        ASN1_STRING_get0_data(name->d.iPAddress), text, sizeof text) != nullptr) {
          names.emplace_back(text);
        }
      }
    }
  }
  if (names.empty()) {
    const X509_NAME* subject = X509_get_subject_name(certificate);
    const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index >= 0) {
      names.push_back(asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index))));
    }
  }
  return names;
}

std::string join_quoted(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += ", ";
    text += "'" + item + "'";
  }
  return text.empty() ? "no name" : text;
}

std::string trust_source(const TlsOptions& options) {
  if (!options.ca_file.empty()) return quoted("ca_file", options.ca_file);
  if (!options.ca_path.empty()) return quoted("ca_path", options.ca_path);
  return "the system trust store";
}

}  // namespace

std::string quoted(const std::string& key, const std::string& path) {
  return key + " '" + path + "'";
}

/// The reasons in OpenSSL's error queue, oldest first, joined; empties the queue.
std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    if (!text.empty()) text += "; ";
    text += reason != nullptr ? reason : fmt::format("OpenSSL error {:#x}", code);
  }
  return text;
}

std::string format_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return "?";
  }
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

int record_verify_failure(int ok, X509_STORE_CTX* store) {
  if (ok == 1) {
    return 1;
  }
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* failure = ssl == nullptr ? nullptr
                                 : static_cast<TlsVerifyFailure*>(
                                       SSL_get_ex_data(ssl, kVerifyFailureSlot));
  if (failure != nullptr && failure->error == X509_V_OK) {
    failure->error = X509_STORE_CTX_get_error(store);
    failure->depth = X509_STORE_CTX_get_error_depth(store);
    if (X509* certificate = X509_STORE_CTX_get_current_cert(store)) {
      failure->subject = format_name(X509_get_subject_name(certificate));
      failure->issuer = format_name(X509_get_issuer_name(certificate));
      failure->names = certificate_names(certificate);
      failure->not_before = format_time(X509_get0_notBefore(certificate));
      failure->not_after = format_time(X509_get0_notAfter(certificate));
    }
  }
  return 0;
}

TlsFailure explain_ssl_failure(int ssl_error, int saved_errno,
                               const TlsFailureContext& context) {
  using core::Errc;
  const bool handshaking = context.handshaking;
  const bool before_data = handshaking || !context.received_data;
  const std::error_code early = make_error_code(handshaking || before_data
                                                    ? Errc::handshake_failed
                                                    : Errc::tls_error);

  if (handshaking && context.verify_failure.error != X509_V_OK) {
    const TlsVerifyFailure& failure = context.verify_failure;
    std::string detail = std::string("certificate verify failed: ") +
                         X509_verify_cert_error_string(failure.error);
    const std::string which = failure.depth == 0 ? "the broker's certificate" : "CA certificate";
    switch (failure.error) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        detail += fmt::format(", certificate is for {}, connected to '{}'",
                              join_quoted(failure.names), context.verify_name);
        break;
      case X509_V_ERR_CERT_HAS_EXPIRED:
        detail += fmt::format(", {} '{}' expired on {}", which, failure.subject,
                              failure.not_after);
        break;
      case X509_V_ERR_CERT_NOT_YET_VALID:
        detail += fmt::format(", {} '{}' is valid only from {} (is this machine's clock right?)",
                              which, failure.subject, failure.not_before);
        break;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        detail += fmt::format(", '{}' (issued by '{}') does not lead to a CA in {}",
                              failure.subject, failure.issuer, trust_source(context.options));
        break;
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        detail += fmt::format(", '{}' is self-signed and is not a CA in {}", failure.subject,
                              trust_source(context.options));
        break;
      default:
        detail += fmt::format(" ({} '{}')", which, failure.subject);
        break;
    }
    ERR_clear_error();
    return {make_error_code(Errc::certificate_verify_failed), std::move(detail)};
  }

  const int reason = first_error_reason();
  std::string words = openssl_errors();
  const bool eof = (ssl_error == SSL_ERROR_SYSCALL && saved_errno == 0 && words.empty()) ||
                   reason == SSL_R_UNEXPECTED_EOF_WHILE_READING;
  if (ssl_error == SSL_ERROR_ZERO_RETURN || eof) {
    if (!handshaking) {
      return {make_error_code(Errc::connection_closed), {}};  // the broker went away

    }
    return {early, fmt::format("the broker closed the connection during the TLS handshake (is port "
                            "{} a TLS listener? does it accept TLS {} to {}?)",
                            context.port, context.options.min_version,
                            context.options.max_version.empty() ? "1.3" : context.options.max_version)};
  }
  if (ssl_error == SSL_ERROR_SYSCALL && words.empty()) {
    const std::error_code system(saved_errno, std::system_category());
    if (!handshaking) {
      return {system, {}};
    }
    return {early, fmt::format("connection failed during the TLS handshake: {} (is port {} a "
                               "TLS listener?)",
                               system.message(), context.port)};
  }
  if (words.empty()) {
    words = fmt::format("OpenSSL error {}", ssl_error);
  }
  std::string hint;
  switch (reason) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_HTTP_REQUEST:
      hint = fmt::format("the broker did not answer in TLS: is port {} a plain MQTT listener?",
                         context.port);
      break;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
      hint = fmt::format("no TLS version in common with the broker: pimqttd accepts TLS {} to {} "
                         "(min_version, max_version)",
                         context.options.min_version,
                         context.options.max_version.empty() ? "1.3" : context.options.max_version);
      break;
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      hint = "the broker requires a client certificate: set cert_file and key_file";
      break;
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
      hint = context.options.cert_file.empty()
                 ? "the broker refused the handshake; it may require a client certificate "
                   "(cert_file, key_file)"
                 : fmt::format("the broker rejected the client certificate in {}",
                               quoted("cert_file", context.options.cert_file));
      break;
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      hint = context.options.cert_file.empty()
                 ? "the broker refused the handshake: it may require a client certificate "
                   "(cert_file, key_file), or a TLS version or cipher pimqttd does not offer"
                 : "the broker refused the handshake: it may not accept the client certificate, "
                   "or want a TLS version or cipher pimqttd does not offer";
      break;
    case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
    case SSL_R_NO_APPLICATION_PROTOCOL:
      hint = fmt::format("the broker accepts none of the ALPN protocols offered ({})",
                         join_quoted(context.options.alpn));
      break;
    default:
      break;
  }
  return {early, hint.empty() ? words : words + ": " + hint};
}

}  // namespace pimqttd::mqtt
