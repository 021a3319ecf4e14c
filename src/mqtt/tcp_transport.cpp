#include "pimqttd/mqtt/tcp_transport.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::mqtt {
namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
/// Reads per readiness event before yielding to the rest of the loop.
constexpr int kMaxReadsPerEvent = 16;
}  // namespace

TcpTransport::TcpTransport(core::EventLoop& loop, core::Worker& worker)
    : loop_(loop), connector_(loop, worker), read_buffer_(kReadChunk) {}

TcpTransport::~TcpTransport() { close(); }

void TcpTransport::connect(const Endpoint& endpoint) {
  close();
  peer_ = endpoint.host + ":" + std::to_string(endpoint.port);
  connector_.start(endpoint, [this, endpoint](core::UniqueFd fd, std::string address,
                                              std::error_code error) {
    if (error) {
      if (callbacks_.on_closed) callbacks_.on_closed(error);
      return;
    }
    socket_ = std::move(fd);
    if (address != endpoint.host) {
      peer_ = endpoint.host + ":" + std::to_string(endpoint.port) + " (" + address + ")";
    }
    watch_ = loop_.start_watch(socket_.get(), core::kReadable,
                               [this](std::uint32_t events) { on_io(events); });
    if (callbacks_.on_connected) callbacks_.on_connected();
  });
}

void TcpTransport::send(ByteSpan bytes) {
  if (!socket_ || bytes.empty()) {
    return;
  }
  output_.append(bytes);
  if (!(watch_.interest() & core::kWritable)) {
    // Nothing was waiting: try to write now, and ask for writability only for the rest.
    if (write_pending()) {
      update_interest();
    }
  }
}

void TcpTransport::acknowledge_received() noexcept { acknowledge_received_now(socket_.get()); }

void TcpTransport::close() noexcept {
  ++generation_;
  connector_.cancel();
  watch_.reset();
  socket_.reset();
  output_.clear();
}

void TcpTransport::on_io(std::uint32_t events) {
  const std::uint64_t generation = generation_;
  if (events & (core::kReadable | core::kError)) {
    if (!read_available() || generation != generation_) {
      return;
    }
  }
  if (events & core::kWritable) {
    if (!write_pending() || generation != generation_) {
      return;
    }
    update_interest();
    if (pending_output() == 0 && callbacks_.on_drained) {
      callbacks_.on_drained();
    }
  }
}

bool TcpTransport::read_available() {
  const std::uint64_t generation = generation_;
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    const ssize_t n = ::recv(socket_.get(), read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      if (callbacks_.on_data) {
        callbacks_.on_data(ByteSpan(read_buffer_.data(), static_cast<std::size_t>(n)));
      }
      if (generation != generation_) {
        return false;  // the owner closed us from inside on_data
      }
      if (static_cast<std::size_t>(n) < read_buffer_.size()) {
        return true;
      }
      continue;
    }
    if (n == 0) {
      fail(make_error_code(core::Errc::connection_closed));
      return false;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return true;
    }
    fail({errno, std::system_category()});
    return false;
  }
  return true;
}

bool TcpTransport::write_pending() {
  while (!output_.empty()) {
    const ByteSpan pending = output_.readable();
    const ssize_t n = ::send(socket_.get(), pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      output_.consume(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    }
    fail({errno, std::system_category()});
    return false;
  }
  return true;
}

void TcpTransport::update_interest() {
  watch_.set_interest(core::kReadable | (pending_output() > 0 ? core::kWritable : 0u));
}

void TcpTransport::fail(std::error_code error) {
  close();
  if (callbacks_.on_closed) {
    callbacks_.on_closed(error);
  }
}

}  // namespace pimqttd::mqtt
