#include "pimqttd/mqtt/tls_transport.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <spdlog/spdlog.h>

#include <cerrno>

#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/log.hpp"

namespace pimqttd::mqtt {

namespace {
constexpr core::Log kMqttLog("mqtt");

constexpr std::size_t kReadChunk = 64 * 1024;
/// SSL_read calls per readiness event before yielding to the rest of the loop.
constexpr int kMaxReadsPerEvent = 16;

bool is_ip_address(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
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
    kMqttLog.warn("TLS certificate verification is OFF for {} (insecure: true): anyone on "
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
  watch_ = loop_.start_watch(socket_.get(), core::kReadable,
                             [this](std::uint32_t events) { on_io(events); });
  handshake_timer_ = loop_.start_timer(endpoint_.timeout, [this] { on_handshake_timeout(); });
  continue_handshake();
}

void TlsTransport::continue_handshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  const int saved_errno = errno;
  if (result == 1) {
    handshake_timer_.reset();
    phase_ = Phase::open;
    protocol_version_ = SSL_get_version(ssl_.get());
    const unsigned char* alpn = nullptr;
    unsigned int alpn_length = 0;
    SSL_get0_alpn_selected(ssl_.get(), &alpn, &alpn_length);
    alpn_selected_ = alpn == nullptr ? std::string()
                                     : std::string(reinterpret_cast<const char*>(alpn),
                                                   alpn_length);
    kMqttLog.debug("TLS with {}: {} {}{}", peer_, protocol_version_,
                   SSL_get_cipher_name(ssl_.get()),
                   alpn_selected_.empty() ? "" : ", ALPN " + alpn_selected_);
    update_interest();
    if (callbacks_.on_connected) callbacks_.on_connected();
    return;
  }
  const int ssl_error = SSL_get_error(ssl_.get(), result);
  if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE) {
    watch_.set_interest(ssl_error == SSL_ERROR_WANT_READ ? core::kReadable : core::kWritable);
    return;
  }
  fail_ssl(ssl_error, saved_errno);
}

void TlsTransport::on_handshake_timeout() {
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
  if (!(watch_.interest() & core::kWritable) && !write_wants_read_) {
    if (write_pending()) {
      update_interest();
    }
  }
}

void TlsTransport::acknowledge_received() noexcept { acknowledge_received_now(socket_.get()); }

void TlsTransport::close() noexcept {
  ++generation_;
  connector_.cancel();
  handshake_timer_.reset();
  if (ssl_ && phase_ == Phase::open && !fatal_) {
    // close_notify: one non-blocking attempt, the broker's reply is not awaited.
    ERR_clear_error();
    (void)SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  ssl_.reset();
  watch_.reset();
  socket_.reset();
  phase_ = Phase::idle;
  output_.clear();
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
  if (!watch_) {
    return;
  }
  const bool want_write = (pending_output() > 0 && !write_wants_read_) || read_wants_write_;
  watch_.set_interest(core::kReadable | (want_write ? core::kWritable : 0u));
}

void TlsTransport::fail_ssl(int ssl_error, int saved_errno) {
  fatal_ = true;
  TlsFailure failure = explain_ssl_failure(ssl_error, saved_errno,
                                           {.options = options_,
                                            .port = endpoint_.port,
                                            .verify_name = verify_name_,
                                            .verify_failure = verify_failure_,
                                            .handshaking = phase_ == Phase::handshaking,
                                            .received_data = received_data_});
  fail(failure.error, std::move(failure.detail));
}

void TlsTransport::fail(std::error_code error, std::string detail) {
  if (!detail.empty()) {
    kMqttLog.error("TLS with {} failed: {}", peer_, detail);
    last_failure_ = std::move(detail);
  }
  fatal_ = true;
  close();
  if (callbacks_.on_closed) {
    callbacks_.on_closed(error);
  }
}

}  // namespace pimqttd::mqtt
