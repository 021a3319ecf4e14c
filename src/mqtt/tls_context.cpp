#include "pimqttd/mqtt/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <spdlog/spdlog.h>

#include <cstring>
#include <filesystem>

#include "pimqttd/core/file.hpp"
#include "pimqttd/core/log.hpp"
#include "pimqttd/mqtt/tls_errors.hpp"

namespace pimqttd::mqtt {

namespace {
constexpr core::Log kMqttLog("mqtt");

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;

/// Reads a whole (small) file; throws TlsConfigError naming `key` and `path`.
std::string read_file(const std::string& key, const std::string& path) {
  core::FileContents file = core::read_file(path);
  if (file.error) {
    throw TlsConfigError(fmt::format("{}: cannot {}: {}", quoted(key, path),
                                     file.open_failed ? "open" : "read", file.error.message()));
  }
  return std::move(file.text);
}

BioPtr memory_bio(const std::string& content) {
  return BioPtr(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
}

int parse_version(const std::string& key, const std::string& text) {
  if (text == "1.2") return TLS1_2_VERSION;
  if (text == "1.3") return TLS1_3_VERSION;
  throw TlsConfigError(fmt::format("{} '{}': must be \"1.2\" or \"1.3\"", key, text));
}

struct PasswordRequest {
  const std::string* password = nullptr;
  bool asked = false;
};

int password_callback(char* buffer, int size, int /*rwflag*/, void* user_data) {
  auto* request = static_cast<PasswordRequest*>(user_data);
  request->asked = true;
  if (request->password == nullptr || size <= 0 ||
      request->password->size() > static_cast<std::size_t>(size)) {
    return -1;
  }
  std::memcpy(buffer, request->password->data(), request->password->size());
  return static_cast<int>(request->password->size());
}

}  // namespace

TlsContext::TlsContext(const TlsOptions& options) {
  const int min_version = parse_version("min_version", options.min_version);
  const int max_version =
      options.max_version.empty() ? 0 : parse_version("max_version", options.max_version);
  if (max_version != 0 && max_version < min_version) {
    throw TlsConfigError(fmt::format("max_version '{}' is older than min_version '{}'",
                                     options.max_version, options.min_version));
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    throw TlsConfigError(options.cert_file.empty() ? "key_file is set without cert_file"
                                                   : "cert_file is set without key_file");
  }
  if (!options.key_password_file.empty() && options.key_file.empty()) {
    throw TlsConfigError("key_password_file is set without key_file");
  }
  for (const auto& protocol : options.alpn) {
    if (protocol.empty() || protocol.size() > 255) {
      throw TlsConfigError(fmt::format("alpn '{}': a protocol name is 1 to 255 bytes long",
                                       protocol));
    }
  }

  context_.reset(SSL_CTX_new(TLS_client_method()));
  if (!context_) {
    throw TlsConfigError("cannot create a TLS context: " + openssl_errors());
  }
  SSL_CTX* ctx = context_.get();
  SSL_CTX_set_min_proto_version(ctx, min_version);
  SSL_CTX_set_max_proto_version(ctx, max_version);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_read_ahead(ctx, 1);

  if (!options.ca_file.empty()) {
    (void)read_file("ca_file", options.ca_file);
    if (SSL_CTX_load_verify_file(ctx, options.ca_file.c_str()) != 1) {
      ERR_clear_error();
      throw TlsConfigError(fmt::format("{}: no PEM certificate in it",
                                       quoted("ca_file", options.ca_file)));
    }
  }
  if (!options.ca_path.empty()) {
    std::error_code ignored;
    if (!std::filesystem::is_directory(options.ca_path, ignored)) {
      throw TlsConfigError(fmt::format("{}: not a directory", quoted("ca_path", options.ca_path)));
    }
    if (SSL_CTX_load_verify_dir(ctx, options.ca_path.c_str()) != 1) {
      throw TlsConfigError(fmt::format("{}: cannot be used ({})",
                                       quoted("ca_path", options.ca_path), openssl_errors()));
    }
  }
  if (options.ca_file.empty() && options.ca_path.empty() &&
      SSL_CTX_set_default_verify_paths(ctx) != 1) {
    throw TlsConfigError("cannot load the system trust store: " + openssl_errors());
  }
  if (!options.insecure) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, record_verify_failure);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }

  if (!options.cert_file.empty()) {
    const std::string certificate_pem = read_file("cert_file", options.cert_file);
    if (certificate_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos ||
        SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
      throw TlsConfigError(fmt::format("{}: no PEM certificate in it",
                                       quoted("cert_file", options.cert_file)));
    }
    ERR_clear_error();
    const std::string key_pem = read_file("key_file", options.key_file);
    std::string password;
    PasswordRequest request;
    if (!options.key_password_file.empty()) {
      password = read_file("key_password_file", options.key_password_file);
      password = password.substr(0, password.find_first_of("\r\n"));
      request.password = &password;
    }
    const BioPtr bio = memory_bio(key_pem);
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, password_callback, &request));
    OPENSSL_cleanse(password.data(), password.size());
    ERR_clear_error();
    if (!key) {
      if (request.asked && request.password == nullptr) {
        throw TlsConfigError(fmt::format("{}: the key is encrypted and no key_password_file is set",
                                         quoted("key_file", options.key_file)));
      }
      if (request.asked) {
        throw TlsConfigError(fmt::format(
            "{}: cannot decrypt the key with the password in {}",
            quoted("key_file", options.key_file),
            quoted("key_password_file", options.key_password_file)));
      }
      throw TlsConfigError(fmt::format("{}: no PEM private key in it",
                                       quoted("key_file", options.key_file)));
    }
    if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      throw TlsConfigError(fmt::format("{}: does not match the certificate in {}",
                                       quoted("key_file", options.key_file),
                                       quoted("cert_file", options.cert_file)));
    }
    if (X509* certificate = SSL_CTX_get0_certificate(ctx)) {
      if (X509_cmp_current_time(X509_get0_notAfter(certificate)) < 0) {
        kMqttLog.warn("TLS {}: the client certificate expired on {}",
                      quoted("cert_file", options.cert_file),
                      format_time(X509_get0_notAfter(certificate)));
      }
    }
  }

  if (!options.alpn.empty()) {
    std::vector<unsigned char> wire;
    for (const auto& protocol : options.alpn) {
      wire.push_back(static_cast<unsigned char>(protocol.size()));
      wire.insert(wire.end(), protocol.begin(), protocol.end());
    }
    if (SSL_CTX_set_alpn_protos(ctx, wire.data(), static_cast<unsigned int>(wire.size())) != 0) {
      throw TlsConfigError("alpn: cannot be set: " + openssl_errors());
    }
  }
  ERR_clear_error();
}

}  // namespace pimqttd::mqtt
