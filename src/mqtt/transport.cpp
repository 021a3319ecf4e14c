#include "pimqttd/mqtt/transport.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"

namespace pimqttd::mqtt {
namespace {

struct Resolved {
  std::vector<sockaddr_storage> addresses;
  std::error_code error;
};

Resolved resolve(const std::string& host, std::uint16_t port, bool numeric_only) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (numeric_only ? AI_NUMERICHOST : 0);
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  Resolved result;
  if (rc != 0) {
    result.error = (rc == EAI_SYSTEM) ? std::error_code(errno, std::system_category())
                                      : make_error_code(core::Errc::resolve_failed);
    return result;
  }
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    sockaddr_storage storage{};
    std::memcpy(&storage, ai->ai_addr, ai->ai_addrlen);
    result.addresses.push_back(storage);
  }
  ::freeaddrinfo(list);
  if (result.addresses.empty()) {
    result.error = make_error_code(core::Errc::resolve_failed);
  }
  return result;
}

socklen_t address_length(const sockaddr_storage& address) {
  return address.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

}  // namespace

void acknowledge_received_now(int fd) noexcept {
  if (fd < 0) {
    return;
  }
  // Linux leaves quick-ACK mode again on its own once we send; setting it is a one-shot request.
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

std::string format_address(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw = nullptr;
  if (address.ss_family == AF_INET6) {
    raw = &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
  } else {
    raw = &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr;
  }
  if (::inet_ntop(address.ss_family, raw, text, sizeof text) == nullptr) {
    return "?";
  }
  return text;
}

Connector::Connector(core::EventLoop& loop, core::Worker& worker)
    : loop_(loop), worker_(worker), generation_(std::make_shared<std::uint64_t>(0)) {}

Connector::~Connector() { cancel(); }

void Connector::start(const Endpoint& endpoint, Done done) {
  cancel();
  endpoint_ = endpoint;
  done_ = std::move(done);
  last_error_ = {};
  // A numeric address resolves without a lookup: no need to leave the loop.
  Resolved numeric = resolve(endpoint_.host, endpoint_.port, true);
  if (!numeric.error) {
    const std::uint64_t generation = *generation_;
    // Deferred so that `done` never runs inside start().
    loop_.defer([this, generation, weak = std::weak_ptr(generation_),
                 addresses = std::move(numeric.addresses)]() mutable {
      if (auto alive = weak.lock(); alive && *alive == generation) {
        on_resolved(std::move(addresses), {});
      }
    });
    return;
  }
  const std::uint64_t generation = *generation_;
  worker_.submit([host = endpoint_.host, port = endpoint_.port, generation,
                  weak = std::weak_ptr(generation_), this]() -> core::Worker::Completion {
    Resolved resolved = resolve(host, port, false);
    return [this, generation, weak, resolved = std::move(resolved)]() mutable {
      if (auto alive = weak.lock(); alive && *alive == generation) {
        on_resolved(std::move(resolved.addresses), resolved.error);
      }
    };
  });
}

void Connector::cancel() noexcept {
  ++*generation_;
  watch_.reset();
  socket_.reset();
  timer_.reset();
  addresses_.clear();
  next_address_ = 0;
  done_ = nullptr;
}

void Connector::on_resolved(std::vector<sockaddr_storage> addresses, std::error_code error) {
  if (error) {
    finish({}, error);
    return;
  }
  addresses_ = std::move(addresses);
  next_address_ = 0;
  try_next();
}

void Connector::try_next() {
  while (next_address_ < addresses_.size()) {
    const sockaddr_storage& address = addresses_[next_address_++];
    current_address_ = format_address(address);
    int raw = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (raw < 0) {
      last_error_ = {errno, std::system_category()};
      continue;
    }
    core::UniqueFd fd(std::move(raw));
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = 0;
    do {
      rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address),
                     address_length(address));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      finish(std::move(fd), {});
      return;
    }
    if (errno != EINPROGRESS) {
      last_error_ = {errno, std::system_category()};
      continue;
    }
    socket_ = std::move(fd);
    watch_ = loop_.start_watch(socket_.get(), core::kWritable,
                               [this](std::uint32_t) { on_writable(); });
    timer_ = loop_.start_timer(endpoint_.timeout, [this] {
      watch_.reset();
      socket_.reset();
      last_error_ = make_error_code(core::Errc::connect_timeout);
      try_next();
    });
    return;
  }
  finish({}, last_error_ ? last_error_ : make_error_code(core::Errc::resolve_failed));
}

void Connector::on_writable() {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(socket_.get(), SOL_SOCKET, SO_ERROR, &error, &length) < 0) {
    error = errno;
  }
  watch_.reset();
  timer_.reset();
  core::UniqueFd fd = std::move(socket_);
  if (error != 0) {
    last_error_ = {error, std::system_category()};
    try_next();
    return;
  }
  finish(std::move(fd), {});
}

void Connector::finish(core::UniqueFd fd, std::error_code error) {
  Done done = std::move(done_);
  done_ = nullptr;
  addresses_.clear();
  if (done) {
    done(std::move(fd), error ? std::string() : current_address_, error);
  }
}

}  // namespace pimqttd::mqtt
