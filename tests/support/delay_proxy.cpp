#include "support/delay_proxy.hpp"

#include "support/broker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <deque>
#include <list>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace pimqttd::test {
namespace {

using Clock = std::chrono::steady_clock;
/// Bytes a direction holds before it stops reading its source (TCP then pushes back).
constexpr std::size_t kMaxQueued = 4 * 1024 * 1024;
/// The longest poll: settings changes wake the thread anyway, this only bounds a missed wake.
constexpr std::chrono::milliseconds kMaxPoll{500};

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct Chunk {
  Clock::time_point due;
  std::vector<char> bytes;
};

/// One way through the proxy: what was read from `from` and waits to be written to `to`.
struct Direction {
  std::deque<Chunk> queue;
  std::size_t offset = 0;  ///< of the first chunk, already written
  std::size_t queued = 0;
  Clock::time_point last_due{};
  bool source_ended = false;  ///< `from` sent FIN
  bool shut = false;          ///< the FIN was passed on to `to`

  [[nodiscard]] bool head_due(Clock::time_point now) const {
    return !queue.empty() && queue.front().due <= now;
  }
  void clear() {
    queue.clear();
    offset = 0;
    queued = 0;
  }
};

struct Link {
  core::UniqueFd client;
  core::UniqueFd server;
  Direction up;    ///< client -> server
  Direction down;  ///< server -> client
  bool dead = false;
};

/// Reads what `fd` has into `direction` (or throws it away). Returns false on an error; adds to
/// `read`.
bool read_into(int fd, Direction& direction, Clock::time_point due, bool discard,
               std::atomic<std::size_t>& read) {
  std::array<char, 16 * 1024> buffer{};
  const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (got < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  if (got == 0) {
    direction.source_ended = true;
    return true;
  }
  read += static_cast<std::size_t>(got);
  if (discard) return true;
  due = std::max(due, direction.last_due);
  direction.last_due = due;
  direction.queue.push_back(
      Chunk{due, std::vector<char>(buffer.begin(), buffer.begin() + got)});
  direction.queued += static_cast<std::size_t>(got);
  return true;
}

/// Writes the due chunks of `direction` to `fd`. Returns false on an error; adds to `written`.
bool write_due(int fd, Direction& direction, Clock::time_point now,
               std::atomic<std::size_t>& written) {
  while (direction.head_due(now)) {
    Chunk& head = direction.queue.front();
    const std::size_t left = head.bytes.size() - direction.offset;
    const ssize_t sent =
        ::send(fd, head.bytes.data() + direction.offset, left, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    written += static_cast<std::size_t>(sent);
    direction.queued -= static_cast<std::size_t>(sent);
    direction.offset += static_cast<std::size_t>(sent);
    if (direction.offset < head.bytes.size()) return true;
    direction.queue.pop_front();
    direction.offset = 0;
  }
  if (direction.queue.empty() && direction.source_ended && !direction.shut) {
    ::shutdown(fd, SHUT_WR);
    direction.shut = true;
  }
  return true;
}

/// As a router would, the proxy passes each write on at once, without Nagle's wait for the
/// acknowledgement of the one before (which a lost ACK can stretch to a retransmit timeout).
void no_delay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::optional<core::UniqueFd> connect_to(const sockaddr_in& target) {
  core::UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!fd) return std::nullopt;
  int rc = 0;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&target), sizeof target);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return std::nullopt;
  no_delay(fd.get());
  return fd;
}

}  // namespace

DelayProxy::DelayProxy(std::string target_host, std::uint16_t target_port,
                       std::chrono::milliseconds delay)
    : target_host_(std::move(target_host)), target_port_(target_port), delay_ms_(delay.count()) {
  // An invalid address throws here, not on the thread.
  (void)ipv4_address(target_host_, target_port_);
  listener_ = core::UniqueFd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
  if (!listener_) fail("socket");
  sockaddr_in address = ipv4_address("127.0.0.1", 0);
  if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    fail("bind 127.0.0.1:0");
  }
  if (::listen(listener_.get(), 16) != 0) fail("listen");
  socklen_t length = sizeof address;
  if (::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    fail("getsockname");
  }
  port_ = ntohs(address.sin_port);
  wake_ = core::UniqueFd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  if (!wake_) fail("eventfd");
  thread_ = std::thread([this] { run(); });
}

DelayProxy::~DelayProxy() {
  stopping_ = true;
  wake();
  thread_.join();
}

void DelayProxy::set_delay(std::chrono::milliseconds delay) noexcept {
  delay_ms_ = delay.count();
  wake();
}

void DelayProxy::set_blackhole(bool on) noexcept {
  blackhole_ = on;
  wake();
}

void DelayProxy::wake() const noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_.get(), &one, sizeof one);
}

void DelayProxy::run() {
  const sockaddr_in target = ipv4_address(target_host_, target_port_);
  std::list<Link> links;
  std::vector<pollfd> fds;
  while (!stopping_) {
    const bool blackhole = blackhole_;
    auto now = Clock::now();
    fds.clear();
    fds.push_back({wake_.get(), POLLIN, 0});
    fds.push_back({listener_.get(), POLLIN, 0});
    auto wait = kMaxPoll;
    for (Link& link : links) {
      if (blackhole) {
        link.up.clear();
        link.down.clear();
      }
      const auto events = [&](const Direction& in, const Direction& out) {
        short mask = 0;
        if (!in.source_ended && in.queued < kMaxQueued) mask |= POLLIN;
        if (out.head_due(now)) mask |= POLLOUT;
        return mask;
      };
      fds.push_back({link.client.get(), events(link.up, link.down), 0});
      fds.push_back({link.server.get(), events(link.down, link.up), 0});
      for (const Direction* direction : {&link.up, &link.down}) {
        if (!direction->queue.empty() && direction->queue.front().due > now) {
          wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(
                                    direction->queue.front().due - now));
        }
      }
    }
    if (::poll(fds.data(), fds.size(), static_cast<int>(wait.count())) < 0 && errno != EINTR) {
      return;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t got = ::read(wake_.get(), &count, sizeof count);
    }
    // The settings as they are now, not as they were before the poll: a change wakes it.
    const bool swallow = blackhole_;
    now = Clock::now();
    const auto due = now + std::chrono::milliseconds{delay_ms_.load()};
    std::size_t at = 2;
    for (Link& link : links) {
      const pollfd& client = fds[at++];
      const pollfd& server = fds[at++];
      const auto side = [&](const pollfd& polled, int to, Direction& in) {
        if ((polled.revents & POLLERR) != 0) return false;
        if ((polled.revents & POLLIN) != 0 && !read_into(polled.fd, in, due, swallow, read_)) {
          return false;
        }
        if ((polled.revents & POLLHUP) != 0 && in.source_ended) return false;
        return write_due(to, in, now, forwarded_);
      };
      if (!side(client, link.server.get(), link.up) ||
          !side(server, link.client.get(), link.down) || (link.up.shut && link.down.shut)) {
        link.dead = true;
      }
    }
    links.remove_if([](const Link& link) { return link.dead; });
    if ((fds[1].revents & POLLIN) != 0) {
      core::UniqueFd accepted{::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC)};
      if (accepted) {
        ++accepted_;
        no_delay(accepted.get());
        if (auto server = connect_to(target)) {
          links.push_back(Link{std::move(accepted), std::move(*server), {}, {}, false});
        }
      }
    }
  }
}

}  // namespace pimqttd::test
