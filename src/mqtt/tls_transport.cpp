#include "pimqttd/mqtt/tls_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::mqtt {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
/// SSL_read calls per readiness event before yielding to the rest of the loop.
constexpr int kMaxReadsPerEvent = 16;
/// SSL ex_data slot 0 (the "app data" slot) points at the connection's VerifyFailure.
constexpr int kVerifyFailureSlot = 0;

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslDeleter<EVP_PKEY_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES_free>>;

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

/// The first reason code in the queue (0 if none); the queue is left as it is.
int first_error_reason() {
  const unsigned long code = ERR_peek_error();
  return code == 0 ? 0 : ERR_GET_REASON(code);
}

/// Reads a whole (small) file; throws TlsConfigError naming `key` and `path`.
std::string read_file(const std::string& key, const std::string& path) {
  int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) {
    throw TlsConfigError(fmt::format("{}: cannot open: {}", quoted(key, path),
                                     std::strerror(errno)));
  }
  const core::UniqueFd fd(std::move(raw));
  std::string content;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n > 0) {
      content.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    throw TlsConfigError(fmt::format("{}: cannot read: {}", quoted(key, path),
                                     std::strerror(errno)));
  }
  return content;
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

std::string format_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return "?";
  }
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
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

int verify_callback(int ok, X509_STORE_CTX* store) {
  if (ok == 1) {
    return 1;
  }
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* failure = ssl == nullptr ? nullptr
                                 : static_cast<TlsTransport::VerifyFailure*>(
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

bool is_ip_address(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::string join_quoted(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += ", ";
    text += "'" + item + "'";
  }
  return text.empty() ? "no name" : text;
}

// -- a socket BIO that never raises SIGPIPE (send with MSG_NOSIGNAL) ---------------------------

int socket_of(BIO* bio) {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
}

int socket_bio_write(BIO* bio, const char* data, std::size_t length, std::size_t* written) {
  BIO_clear_retry_flags(bio);
  ssize_t n = 0;
  do {
    n = ::send(socket_of(bio), data, length, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) {
    *written = static_cast<std::size_t>(n);
    return 1;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    BIO_set_retry_write(bio);
  }
  return 0;
}

int socket_bio_read(BIO* bio, char* data, std::size_t length, std::size_t* read) {
  BIO_clear_retry_flags(bio);
  ssize_t n = 0;
  do {
    n = ::recv(socket_of(bio), data, length, 0);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    *read = static_cast<std::size_t>(n);
    return 1;
  }
  if (n == 0) {
    BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
  } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
    BIO_set_retry_read(bio);
  }
  return 0;
}

long socket_bio_ctrl(BIO* bio, int command, long /*number*/, void* /*pointer*/) {
  switch (command) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_EOF: return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    default: return 0;
  }
}

const BIO_METHOD* socket_bio_method() {
  static const std::unique_ptr<BIO_METHOD, OpenSslDeleter<BIO_meth_free>> method = [] {
    std::unique_ptr<BIO_METHOD, OpenSslDeleter<BIO_meth_free>> made(
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "pimqttd socket"));
    if (made) {
      BIO_meth_set_write_ex(made.get(), socket_bio_write);
      BIO_meth_set_read_ex(made.get(), socket_bio_read);
      BIO_meth_set_ctrl(made.get(), socket_bio_ctrl);
    }
    return made;
  }();
  return method.get();
}

std::string seconds_text(std::chrono::milliseconds delay) {
  return fmt::format("{:.1f} s", static_cast<double>(delay.count()) / 1000.0);
}

}  // namespace

// -- TlsContext ---------------------------------------------------------------------------------

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
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_callback);
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
        spdlog::warn("mqtt: TLS {}: the client certificate expired on {}",
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

// -- TlsTransport -------------------------------------------------------------------------------

TlsTransport::TlsTransport(core::EventLoop& loop, core::Worker& worker, TlsOptions options)
    : loop_(loop),
      connector_(loop, worker),
      options_(std::move(options)),
      context_(std::make_unique<TlsContext>(options_)),
      read_buffer_(kReadChunk) {}

TlsTransport::~TlsTransport() { close(); }

void TlsTransport::connect(const Endpoint& endpoint) {
  close();
  endpoint_ = endpoint;
  last_failure_.clear();
  protocol_version_.clear();
  alpn_selected_.clear();
  peer_ = endpoint.host + ":" + std::to_string(endpoint.port);
  verify_name_ = options_.server_name.value_or(endpoint.host);
  if (verify_name_.size() > 2 && verify_name_.front() == '[' && verify_name_.back() == ']') {
    verify_name_ = verify_name_.substr(1, verify_name_.size() - 2);
  }
  if (options_.insecure) {
    spdlog::warn("mqtt: TLS certificate verification is OFF for {} (insecure: true): anyone on "
                 "the path can pose as the broker; use this for testing only",
                 peer_);
  }
  phase_ = Phase::connecting;
  connector_.start(endpoint, [this](core::UniqueFd fd, std::string address,
                                    std::error_code error) {
    if (error) {
      phase_ = Phase::idle;
      if (callbacks_.on_closed) callbacks_.on_closed(error);
      return;
    }
    on_tcp_connected(std::move(fd), address);
  });
}

void TlsTransport::on_tcp_connected(core::UniqueFd fd, const std::string& address) {
  socket_ = std::move(fd);
  if (address != endpoint_.host) {
    peer_ = endpoint_.host + ":" + std::to_string(endpoint_.port) + " (" + address + ")";
  }
  phase_ = Phase::handshaking;
  try {
    context_ = std::make_unique<TlsContext>(options_);
  } catch (const TlsConfigError& error) {
    fail(make_error_code(core::Errc::tls_config_failed), error.what());
    return;
  }
  ERR_clear_error();
  ssl_.reset(SSL_new(context_->get()));
  BIO* bio = ssl_ ? BIO_new(socket_bio_method()) : nullptr;
  if (bio == nullptr) {
    fail(make_error_code(core::Errc::handshake_failed),
         "cannot create a TLS session: " + openssl_errors());
    return;
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(socket_.get())));
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_.get(), bio, bio);
  SSL_set_ex_data(ssl_.get(), kVerifyFailureSlot, &verify_failure_);
  const bool numeric = is_ip_address(verify_name_);
  bool named = true;
  if (!numeric) {
    // SSL_set_tlsext_host_name, without the macro's C cast.
    named = SSL_ctrl(ssl_.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                     verify_name_.data()) == 1;
  }
  if (!options_.insecure) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    named = named && (numeric ? X509_VERIFY_PARAM_set1_ip_asc(param, verify_name_.c_str())
                              : X509_VERIFY_PARAM_set1_host(param, verify_name_.c_str(), 0)) == 1;
  }
  if (!named) {
    fail(make_error_code(core::Errc::handshake_failed),
         fmt::format("'{}' cannot be used as the broker's name for TLS ({})", verify_name_,
                     openssl_errors()));
    return;
  }
  SSL_set_connect_state(ssl_.get());
  interest_ = core::kReadable;
  loop_.watch(socket_.get(), interest_, [this](std::uint32_t events) { on_io(events); });
  handshake_timer_ = loop_.add_timer(endpoint_.timeout, [this] { on_handshake_timeout(); });
  continue_handshake();
}

void TlsTransport::continue_handshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  const int saved_errno = errno;
  if (result == 1) {
    loop_.cancel(handshake_timer_);
    handshake_timer_ = 0;
    phase_ = Phase::open;
    protocol_version_ = SSL_get_version(ssl_.get());
    const unsigned char* alpn = nullptr;
    unsigned int alpn_length = 0;
    SSL_get0_alpn_selected(ssl_.get(), &alpn, &alpn_length);
    alpn_selected_ = alpn == nullptr ? std::string()
                                     : std::string(reinterpret_cast<const char*>(alpn),
                                                   alpn_length);
    spdlog::debug("mqtt: TLS with {}: {} {}{}", peer_, protocol_version_,
                  SSL_get_cipher_name(ssl_.get()),
                  alpn_selected_.empty() ? "" : ", ALPN " + alpn_selected_);
    update_interest();
    if (callbacks_.on_connected) callbacks_.on_connected();
    return;
  }
  const int ssl_error = SSL_get_error(ssl_.get(), result);
  if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE) {
    const std::uint32_t wanted = ssl_error == SSL_ERROR_WANT_READ ? core::kReadable
                                                                  : core::kWritable;
    if (wanted != interest_) {
      interest_ = wanted;
      loop_.modify(socket_.get(), interest_);
    }
    return;
  }
  fail_ssl(ssl_error, saved_errno);
}

void TlsTransport::on_handshake_timeout() {
  handshake_timer_ = 0;
  fail(make_error_code(core::Errc::handshake_timeout),
       fmt::format("no TLS handshake within {}: the broker did not answer the TLS hello (is port "
                   "{} a TLS listener?)",
                   seconds_text(endpoint_.timeout), endpoint_.port));
}

void TlsTransport::send(ByteSpan bytes) {
  if (phase_ != Phase::open || bytes.empty()) {
    return;
  }
  output_.append(bytes);
  if (!(interest_ & core::kWritable) && !write_wants_read_) {
    if (write_pending()) {
      update_interest();
    }
  }
}

void TlsTransport::acknowledge_received() noexcept { acknowledge_received_now(socket_.get()); }

void TlsTransport::close() noexcept {
  ++generation_;
  connector_.cancel();
  if (handshake_timer_ != 0) {
    loop_.cancel(handshake_timer_);
    handshake_timer_ = 0;
  }
  if (ssl_ && phase_ == Phase::open && !fatal_) {
    // close_notify: one non-blocking attempt, the broker's reply is not awaited.
    ERR_clear_error();
    (void)SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  ssl_.reset();
  if (socket_) {
    loop_.unwatch(socket_.get());
    socket_.reset();
  }
  phase_ = Phase::idle;
  output_.clear();
  interest_ = 0;
  read_wants_write_ = false;
  write_wants_read_ = false;
  fatal_ = false;
  received_data_ = false;
  read_scheduled_ = false;
  verify_failure_ = {};
}

void TlsTransport::on_io(std::uint32_t events) {
  if (phase_ == Phase::handshaking) {
    continue_handshake();
    return;
  }
  if (phase_ != Phase::open) {
    return;
  }
  const std::uint64_t generation = generation_;
  const bool readable = (events & (core::kReadable | core::kError)) != 0;
  const bool writable = (events & core::kWritable) != 0;
  if (readable || (writable && read_wants_write_)) {
    if (!read_available() || generation != generation_) {
      return;
    }
  }
  if (pending_output() > 0 && (writable || (readable && write_wants_read_))) {
    if (!write_pending() || generation != generation_) {
      return;
    }
    update_interest();
    if (pending_output() == 0 && callbacks_.on_drained) {
      callbacks_.on_drained();
    }
    return;
  }
  update_interest();
}

bool TlsTransport::read_available() {
  const std::uint64_t generation = generation_;
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    std::size_t n = 0;
    ERR_clear_error();
    const int result = SSL_read_ex(ssl_.get(), read_buffer_.data(), read_buffer_.size(), &n);
    const int saved_errno = errno;
    if (result == 1) {
      read_wants_write_ = false;
      received_data_ = true;
      if (callbacks_.on_data) {
        callbacks_.on_data(ByteSpan(read_buffer_.data(), n));
      }
      if (generation != generation_) {
        return false;  // the owner closed us from inside on_data
      }
      continue;
    }
    const int ssl_error = SSL_get_error(ssl_.get(), result);
    if (ssl_error == SSL_ERROR_WANT_READ) {
      read_wants_write_ = false;
      return true;
    }
    if (ssl_error == SSL_ERROR_WANT_WRITE) {
      read_wants_write_ = true;
      return true;
    }
    fail_ssl(ssl_error, saved_errno);
    return false;
  }
  if (SSL_has_pending(ssl_.get()) == 1) {
    schedule_read();
  }
  return true;
}

void TlsTransport::schedule_read() {
  if (read_scheduled_) {
    return;
  }
  read_scheduled_ = true;
  loop_.defer([this, generation = generation_, alive = std::weak_ptr(alive_)] {
    if (alive.expired() || generation != generation_) {
      return;
    }
    read_scheduled_ = false;
    if (phase_ == Phase::open && read_available() && generation == generation_) {
      update_interest();
    }
  });
}

bool TlsTransport::write_pending() {
  while (!output_.empty()) {
    const ByteSpan pending = output_.readable();
    std::size_t written = 0;
    ERR_clear_error();
    const int result = SSL_write_ex(ssl_.get(), pending.data(), pending.size(), &written);
    const int saved_errno = errno;
    if (result == 1) {
      output_.consume(written);
      write_wants_read_ = false;
      continue;
    }
    const int ssl_error = SSL_get_error(ssl_.get(), result);
    if (ssl_error == SSL_ERROR_WANT_WRITE) {
      write_wants_read_ = false;
      break;
    }
    if (ssl_error == SSL_ERROR_WANT_READ) {
      write_wants_read_ = true;
      break;
    }
    if (ssl_error == SSL_ERROR_SYSCALL && (saved_errno == EPIPE || saved_errno == ECONNRESET)) {
      // The broker may have said why before it closed (a TLS alert, e.g. about our client
      // certificate, which TLS 1.3 sends after our side of the handshake): read that first.
      const std::uint64_t generation = generation_;
      if (!read_available() || generation != generation_) {
        return false;
      }
    }
    fail_ssl(ssl_error, saved_errno);
    return false;
  }
  return true;
}

void TlsTransport::update_interest() {
  if (!socket_) {
    return;
  }
  const bool want_write = (pending_output() > 0 && !write_wants_read_) || read_wants_write_;
  const std::uint32_t wanted = core::kReadable | (want_write ? core::kWritable : 0u);
  if (wanted != interest_) {
    interest_ = wanted;
    loop_.modify(socket_.get(), interest_);
  }
}

std::string TlsTransport::trust_source() const {
  if (!options_.ca_file.empty()) return quoted("ca_file", options_.ca_file);
  if (!options_.ca_path.empty()) return quoted("ca_path", options_.ca_path);
  return "the system trust store";
}

void TlsTransport::fail_ssl(int ssl_error, int saved_errno) {
  using core::Errc;
  const bool handshaking = phase_ == Phase::handshaking;
  const bool before_data = handshaking || !received_data_;
  const std::error_code early = make_error_code(handshaking || before_data
                                                    ? Errc::handshake_failed
                                                    : Errc::tls_error);
  fatal_ = true;

  if (handshaking && verify_failure_.error != X509_V_OK) {
    const VerifyFailure& failure = verify_failure_;
    std::string detail = std::string("certificate verify failed: ") +
                         X509_verify_cert_error_string(failure.error);
    const std::string which = failure.depth == 0 ? "the broker's certificate" : "CA certificate";
    switch (failure.error) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        detail += fmt::format(", certificate is for {}, connected to '{}'",
                              join_quoted(failure.names), verify_name_);
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
                              failure.subject, failure.issuer, trust_source());
        break;
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        detail += fmt::format(", '{}' is self-signed and is not a CA in {}", failure.subject,
                              trust_source());
        break;
      default:
        detail += fmt::format(" ({} '{}')", which, failure.subject);
        break;
    }
    ERR_clear_error();
    fail(make_error_code(Errc::certificate_verify_failed), std::move(detail));
    return;
  }

  const int reason = first_error_reason();
  std::string words = openssl_errors();
  const bool eof = (ssl_error == SSL_ERROR_SYSCALL && saved_errno == 0 && words.empty()) ||
                   reason == SSL_R_UNEXPECTED_EOF_WHILE_READING;
  if (ssl_error == SSL_ERROR_ZERO_RETURN || eof) {
    if (!handshaking) {
      fail(make_error_code(Errc::connection_closed));  // the broker went away: not a TLS failure
      return;
    }
    fail(early, fmt::format("the broker closed the connection during the TLS handshake (is port "
                            "{} a TLS listener? does it accept TLS {} to {}?)",
                            endpoint_.port, options_.min_version,
                            options_.max_version.empty() ? "1.3" : options_.max_version));
    return;
  }
  if (ssl_error == SSL_ERROR_SYSCALL && words.empty()) {
    const std::error_code system(saved_errno, std::system_category());
    if (!handshaking) {
      fail(system);
      return;
    }
    fail(early, fmt::format("connection failed during the TLS handshake: {} (is port {} a TLS "
                            "listener?)",
                            system.message(), endpoint_.port));
    return;
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
                         endpoint_.port);
      break;
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
      hint = fmt::format("no TLS version in common with the broker: pimqttd accepts TLS {} to {} "
                         "(min_version, max_version)",
                         options_.min_version,
                         options_.max_version.empty() ? "1.3" : options_.max_version);
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
      hint = options_.cert_file.empty()
                 ? "the broker refused the handshake; it may require a client certificate "
                   "(cert_file, key_file)"
                 : fmt::format("the broker rejected the client certificate in {}",
                               quoted("cert_file", options_.cert_file));
      break;
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      hint = options_.cert_file.empty()
                 ? "the broker refused the handshake: it may require a client certificate "
                   "(cert_file, key_file), or a TLS version or cipher pimqttd does not offer"
                 : "the broker refused the handshake: it may not accept the client certificate, "
                   "or want a TLS version or cipher pimqttd does not offer";
      break;
    case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
    case SSL_R_NO_APPLICATION_PROTOCOL:
      hint = fmt::format("the broker accepts none of the ALPN protocols offered ({})",
                         join_quoted(options_.alpn));
      break;
    default:
      break;
  }
  fail(early, hint.empty() ? words : words + ": " + hint);
}

void TlsTransport::fail(std::error_code error, std::string detail) {
  if (!detail.empty()) {
    spdlog::error("mqtt: TLS with {} failed: {}", peer_, detail);
    last_failure_ = std::move(detail);
  }
  fatal_ = true;
  close();
  if (callbacks_.on_closed) {
    callbacks_.on_closed(error);
  }
}

}  // namespace pimqttd::mqtt
