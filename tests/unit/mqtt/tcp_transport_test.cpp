// Connector and TcpTransport over real sockets on the loopback interface, driven by a real
// EventLoop and Worker. Every peer is a plain non-blocking socket the test owns; ports are chosen
// by the kernel (bind to port 0). Waits are conditions with a deadline, never sleeps.

#include "pimqttd/mqtt/tcp_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/loop.hpp"

#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/mqtt/transport.hpp"

namespace pimqttd::mqtt {
namespace {

using test::run_for;
using test::run_until;

using namespace std::chrono_literals;
using Clock = core::EventLoop::Clock;
using core::Errc;
using core::UniqueFd;

constexpr auto kGenerous = 10s;  // a deadline for conditions, never a sleep
constexpr auto kConnectTimeout = 200ms;

UniqueFd make_socket(int family) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return UniqueFd(std::move(fd));
}

sockaddr_storage loopback_address(int family, std::uint16_t port) {
  sockaddr_storage storage{};
  if (family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    in6->sin6_port = htons(port);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in4->sin_port = htons(port);
  }
  return storage;
}

socklen_t length_of(int family) {
  return family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

std::uint16_t local_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return 0;
  }
  return storage.ss_family == AF_INET6
             ? ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port)
             : ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

std::uint16_t remote_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return 0;
  }
  return storage.ss_family == AF_INET6
             ? ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port)
             : ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

/// A socket bound to a free loopback port. listen() makes it a server; left unlistening, it keeps
/// the port reserved so that a connect to it is refused (RST), with no race against other users.
struct Bound {
  UniqueFd fd;
  std::uint16_t port = 0;

  static std::optional<Bound> make(int family, std::optional<int> receive_buffer = {}) {
    Bound bound;
    bound.fd = make_socket(family);
    if (!bound.fd) {
      return std::nullopt;
    }
    if (receive_buffer) {
      const int size = *receive_buffer;
      ::setsockopt(bound.fd.get(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    const sockaddr_storage address = loopback_address(family, 0);
    if (::bind(bound.fd.get(), reinterpret_cast<const sockaddr*>(&address), length_of(family)) !=
        0) {
      return std::nullopt;
    }
    bound.port = local_port(bound.fd.get());
    return bound;
  }

  bool listen(int backlog = 16) const { return ::listen(fd.get(), backlog) == 0; }

  /// One pending connection, or an empty fd if none is there yet.
  UniqueFd accept() const {
    int accepted = ::accept4(fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return UniqueFd(std::move(accepted));
  }
};

/// A listening socket on the loopback address of `family`; fails the test if there is none.
Bound listening(int family = AF_INET, std::optional<int> receive_buffer = {}) {
  auto bound = Bound::make(family, receive_buffer);
  EXPECT_TRUE(bound.has_value());
  if (!bound) {
    return {};
  }
  EXPECT_TRUE(bound->listen()) << std::strerror(errno);
  return std::move(*bound);
}

/// Reads what is there now (non-blocking). Returns false on EOF or error.
bool read_some(int fd, std::string& into) {
  char buffer[64 * 1024];
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      into.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return true;
    }
    return false;
  }
  return true;
}

/// True once the peer has closed (recv returns 0); data before the EOF is appended to `into`.
bool saw_eof(int fd, std::string& into) {
  char buffer[64 * 1024];
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      into.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }
  return false;
}

/// Writes what the kernel takes now (non-blocking) from `data` starting at `offset`.
void write_some(int fd, const std::string& data, std::size_t& offset) {
  while (offset < data.size()) {
    const ssize_t n = ::send(fd, data.data() + offset, data.size() - offset, MSG_NOSIGNAL);
    if (n <= 0) {
      return;
    }
    offset += static_cast<std::size_t>(n);
  }
}

void write_all_now(int fd, std::string_view text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(text.size()));
}

ByteSpan as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string pattern(std::size_t size, std::uint32_t seed) {
  std::string out(size, '\0');
  std::uint32_t state = seed;
  for (char& c : out) {
    state = state * 1'103'515'245u + 12'345u;
    c = static_cast<char>(state >> 24);
  }
  return out;
}

/// What a Connector's done() reported.
struct ConnectResult {
  int calls = 0;
  UniqueFd fd;
  std::string address;
  std::error_code error;
  bool called_inside_start = false;

  Connector::Done recorder(const bool& inside_start) {
    return [this, &inside_start](UniqueFd connected, std::string from, std::error_code why) {
      ++calls;
      called_inside_start = called_inside_start || inside_start;
      fd = std::move(connected);
      address = std::move(from);
      error = why;
    };
  }
};

class ConnectorTest : public testing::Test {
 protected:
  /// Starts `connector` and records its outcome in result_, noting a call from inside start().
  void start(Connector& connector, const Endpoint& endpoint) {
    inside_start_ = true;
    connector.start(endpoint, result_.recorder(inside_start_));
    inside_start_ = false;
  }

  /// Accepts one connection on `server` (waiting for it on the loop).
  UniqueFd accept_one(const Bound& server) {
    UniqueFd peer;
    EXPECT_TRUE(run_until(loop_, [&] {
      peer = server.accept();
      return peer.valid();
    }));
    return peer;
  }

  core::EventLoop loop_;
  core::Worker worker_{loop_};
  ConnectResult result_;
  bool inside_start_ = false;
};

void expect_socket_options(int fd) {
  const int status_flags = ::fcntl(fd, F_GETFL);
  EXPECT_NE(status_flags & O_NONBLOCK, 0) << "non-blocking";
  const int fd_flags = ::fcntl(fd, F_GETFD);
  EXPECT_NE(fd_flags & FD_CLOEXEC, 0) << "close-on-exec";
  int nodelay = 0;
  socklen_t length = sizeof nodelay;
  ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length), 0);
  EXPECT_NE(nodelay, 0) << "TCP_NODELAY";
}

TEST_F(ConnectorTest, ConnectsToANumericIpv4AddressOnceAndNeverFromInsideStart) {
  const Bound server = listening(AF_INET);
  Connector connector(loop_, worker_);
  start(connector, {"127.0.0.1", server.port, 2s});
  EXPECT_EQ(result_.calls, 0) << "done() must be deferred";
  EXPECT_TRUE(connector.in_progress());
  EXPECT_EQ(worker_.pending(), 0u) << "a numeric address needs no lookup on the worker";

  ASSERT_TRUE(run_until(loop_, [&] { return result_.calls > 0; }));
  EXPECT_FALSE(result_.called_inside_start);
  EXPECT_FALSE(result_.error) << result_.error.message();
  ASSERT_TRUE(result_.fd.valid());
  EXPECT_EQ(result_.address, "127.0.0.1");
  EXPECT_EQ(remote_port(result_.fd.get()), server.port);
  expect_socket_options(result_.fd.get());
  EXPECT_FALSE(connector.in_progress());

  // The server side sees exactly this connection.
  const UniqueFd peer = accept_one(server);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(remote_port(peer.get()), local_port(result_.fd.get()));

  run_for(loop_, 50ms);
  EXPECT_EQ(result_.calls, 1);
}

TEST_F(ConnectorTest, ConnectsToIpv6Loopback) {
  auto probe = Bound::make(AF_INET6);
  if (!probe) {
    GTEST_SKIP() << "no IPv6 loopback (::1) on this machine";
  }
  const Bound server = listening(AF_INET6);
  Connector connector(loop_, worker_);
  start(connector, {"::1", server.port, 2s});
  EXPECT_EQ(result_.calls, 0);

  ASSERT_TRUE(run_until(loop_, [&] { return result_.calls > 0; }));
  EXPECT_FALSE(result_.called_inside_start);
  EXPECT_FALSE(result_.error) << result_.error.message();
  ASSERT_TRUE(result_.fd.valid());
  EXPECT_EQ(result_.address, "::1");
  EXPECT_EQ(remote_port(result_.fd.get()), server.port);
  expect_socket_options(result_.fd.get());
  const UniqueFd peer = accept_one(server);
  EXPECT_TRUE(peer.valid());

  run_for(loop_, 50ms);
  EXPECT_EQ(result_.calls, 1);
}

/// The addresses getaddrinfo gives for `host`, formatted, in order.
std::vector<std::string> resolve_for_test(const char* host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  std::vector<std::string> out;
  if (::getaddrinfo(host, "1883", &hints, &list) != 0) {
    return out;
  }
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    sockaddr_storage storage{};
    std::memcpy(&storage, ai->ai_addr, ai->ai_addrlen);
    out.push_back(format_address(storage));
  }
  ::freeaddrinfo(list);
  return out;
}

// "localhost" is not numeric: it is resolved on the worker. The server listens on 127.0.0.1
// only, so where localhost also resolves to ::1 (first, as on most systems), the connector has
// to fall back from the refused ::1 to the next address.
TEST_F(ConnectorTest, ResolvesANameOnTheWorkerAndTriesEachAddress) {
  const std::vector<std::string> addresses = resolve_for_test("localhost");
  ASSERT_FALSE(addresses.empty()) << "localhost does not resolve here";
  std::string list;
  for (const auto& address : addresses) list += address + " ";
  RecordProperty("localhost_resolves_to", list);

  const Bound server = listening(AF_INET);
  Connector connector(loop_, worker_);
  start(connector, {"localhost", server.port, 2s});
  EXPECT_EQ(result_.calls, 0);
  EXPECT_GE(worker_.pending(), 1u) << "the lookup must run on the worker";

  ASSERT_TRUE(run_until(loop_, [&] { return result_.calls > 0; }));
  EXPECT_FALSE(result_.called_inside_start);
  EXPECT_FALSE(result_.error) << result_.error.message() << " (localhost is " << list << ")";
  ASSERT_TRUE(result_.fd.valid());
  EXPECT_EQ(result_.address, "127.0.0.1");
  EXPECT_EQ(remote_port(result_.fd.get()), server.port);
  EXPECT_TRUE(accept_one(server).valid());
  EXPECT_EQ(worker_.pending(), 0u);
  EXPECT_EQ(result_.calls, 1);
}

TEST_F(ConnectorTest, AnUnknownNameFailsWithResolveFailed) {
  Connector connector(loop_, worker_);
  // RFC 6761: names under .invalid never resolve.
  start(connector, {"no-such-host.invalid", 1883, 2s});
  ASSERT_TRUE(run_until(loop_, [&] { return result_.calls > 0; }));
  EXPECT_FALSE(result_.fd.valid());
  EXPECT_EQ(result_.error, Errc::resolve_failed) << result_.error.message();
  EXPECT_TRUE(result_.address.empty());
}

TEST_F(ConnectorTest, RefusedConnectionReportsEconnrefused) {
  // Bound but not listening: the port is ours and any SYN to it gets a RST.
  auto closed_port = Bound::make(AF_INET);
  ASSERT_TRUE(closed_port.has_value());
  Connector connector(loop_, worker_);
  start(connector, {"127.0.0.1", closed_port->port, 2s});
  EXPECT_EQ(result_.calls, 0);
  ASSERT_TRUE(run_until(loop_, [&] { return result_.calls > 0; }));
  EXPECT_FALSE(result_.called_inside_start);
  EXPECT_FALSE(result_.fd.valid());
  EXPECT_EQ(result_.error, std::error_code(ECONNREFUSED, std::system_category()))
      << result_.error.message();
  EXPECT_TRUE(result_.address.empty());
  EXPECT_FALSE(connector.in_progress());
  run_for(loop_, 50ms);
  EXPECT_EQ(result_.calls, 1);
}

/// A listener whose accept queue is full: listen(fd, 0) admits one connection (Linux), which is
/// never accepted; the kernel then drops further SYNs, so a connect stays pending (the SYN is
/// retransmitted only after a second). Empty if the filler connection could not be made.
struct SilentListener {
  Bound server;
  UniqueFd filler;

  static std::optional<SilentListener> make() {
    SilentListener silent;
    auto bound = Bound::make(AF_INET);
    if (!bound || ::listen(bound->fd.get(), 0) != 0) {
      return std::nullopt;
    }
    silent.server = std::move(*bound);
    silent.filler = make_socket(AF_INET);
    const sockaddr_storage address = loopback_address(AF_INET, silent.server.port);
    const int rc = ::connect(silent.filler.get(), reinterpret_cast<const sockaddr*>(&address),
                             length_of(AF_INET));
    if (rc != 0 && errno != EINPROGRESS) {
      return std::nullopt;
    }
    pollfd poll_fd{silent.filler.get(), POLLOUT, 0};
    if (::poll(&poll_fd, 1, static_cast<int>(std::chrono::milliseconds(kGenerous).count())) != 1) {
      return std::nullopt;
    }
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(silent.filler.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      return std::nullopt;
    }
    return silent;
  }
};

TEST_F(ConnectorTest, AnUnansweredConnectTimesOutAfterTheEndpointTimeout) {
  auto silent = SilentListener::make();
  ASSERT_TRUE(silent.has_value()) << "could not fill the accept queue";
  Connector connector(loop_, worker_);
  const auto started = Clock::now();
  start(connector, {"127.0.0.1", silent->server.port, kConnectTimeout});
  ASSERT_TRUE(run_until(loop_, [&] { return result_.calls > 0; }));
  const auto elapsed = Clock::now() - started;
  if (result_.fd.valid()) {
    GTEST_SKIP() << "this kernel answered a SYN beyond a full accept queue (listen backlog 0), "
                    "so an unanswered connect cannot be provoked on loopback";
  }
  EXPECT_EQ(result_.error, Errc::connect_timeout) << result_.error.message();
  EXPECT_GE(elapsed, kConnectTimeout);
  EXPECT_LT(elapsed, kConnectTimeout + 2s);
  EXPECT_TRUE(result_.address.empty());
  EXPECT_FALSE(result_.called_inside_start);
  EXPECT_FALSE(connector.in_progress());
}

TEST_F(ConnectorTest, CancelDuringResolutionRunsNoCallback) {
  Connector connector(loop_, worker_);
  start(connector, {"localhost", 1, 2s});
  ASSERT_GE(worker_.pending(), 1u);
  connector.cancel();
  EXPECT_FALSE(connector.in_progress());
  // The lookup finishes on the worker and its completion runs on the loop: it must be ignored.
  ASSERT_TRUE(run_until(loop_, [&] { return worker_.pending() == 0; }));
  run_for(loop_, 20ms);
  EXPECT_EQ(result_.calls, 0);
}

TEST_F(ConnectorTest, DestroyingTheConnectorDuringResolutionRunsNoCallback) {
  auto connector = std::make_unique<Connector>(loop_, worker_);
  start(*connector, {"localhost", 1, 2s});
  ASSERT_GE(worker_.pending(), 1u);
  connector.reset();
  ASSERT_TRUE(run_until(loop_, [&] { return worker_.pending() == 0; }));
  run_for(loop_, 20ms);
  EXPECT_EQ(result_.calls, 0);
}

TEST_F(ConnectorTest, CancelBeforeTheDeferredStartRunsNoCallback) {
  const Bound server = listening(AF_INET);
  Connector connector(loop_, worker_);
  start(connector, {"127.0.0.1", server.port, 2s});
  connector.cancel();
  run_for(loop_, 50ms);
  EXPECT_EQ(result_.calls, 0);
  EXPECT_FALSE(server.accept().valid()) << "no connect may be attempted after cancel()";
}

TEST_F(ConnectorTest, CancelAndDestroyDuringConnectRunNoCallbackAndStopTheTimer) {
  auto silent = SilentListener::make();
  ASSERT_TRUE(silent.has_value()) << "could not fill the accept queue";
  Connector cancelled(loop_, worker_);
  auto destroyed = std::make_unique<Connector>(loop_, worker_);
  start(cancelled, {"127.0.0.1", silent->server.port, kConnectTimeout});
  start(*destroyed, {"127.0.0.1", silent->server.port, kConnectTimeout});
  // One iteration runs the deferred starts: both sockets are now connecting (SYN unanswered).
  static_cast<void>(loop_.run_once(0ms));
  ASSERT_EQ(result_.calls, 0);
  ASSERT_TRUE(cancelled.in_progress());
  cancelled.cancel();
  destroyed.reset();
  // Past the connect timeout: neither the watch nor the timer may call back.
  run_for(loop_, kConnectTimeout + 200ms);
  EXPECT_EQ(result_.calls, 0);
}

TEST_F(ConnectorTest, StartAgainCancelsTheAttemptUnderWay) {
  const Bound first = listening(AF_INET);
  const Bound second = listening(AF_INET);
  Connector connector(loop_, worker_);
  ConnectResult first_result;
  bool never = false;
  connector.start({"127.0.0.1", first.port, 2s}, first_result.recorder(never));
  start(connector, {"127.0.0.1", second.port, 2s});
  ASSERT_TRUE(run_until(loop_, [&] { return result_.calls > 0; }));
  EXPECT_EQ(remote_port(result_.fd.get()), second.port);
  run_for(loop_, 50ms);
  EXPECT_EQ(first_result.calls, 0);
  EXPECT_EQ(result_.calls, 1);
  EXPECT_FALSE(first.accept().valid());
}

TEST(FormatAddress, FormatsIpv4AndIpv6) {
  EXPECT_EQ(format_address(loopback_address(AF_INET, 1883)), "127.0.0.1");
  EXPECT_EQ(format_address(loopback_address(AF_INET6, 1883)), "::1");
}

// -- TcpTransport ------------------------------------------------------------------------------

class TcpTransportTest : public testing::Test {
 protected:
  TcpTransportTest() {
    transport_.set_callbacks(Transport::Callbacks{
        [this] { ++connected_; },
        [this](ByteSpan bytes) {
          ++data_calls_;
          received_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
          if (on_data_hook_) on_data_hook_();
        },
        [this](std::error_code error) { closed_.push_back(error); },
        [this] { ++drained_; },
    });
  }

  /// Connects the transport to server_ and accepts the peer.
  UniqueFd connect_and_accept(const Bound& server) {
    const int before = connected_;
    transport_.connect({"127.0.0.1", server.port, 2s});
    EXPECT_TRUE(run_until(loop_, [&] { return connected_ > before; }));
    EXPECT_TRUE(transport_.connected());
    UniqueFd peer;
    EXPECT_TRUE(run_until(loop_, [&] {
      peer = server.accept();
      return peer.valid();
    }));
    return peer;
  }

  /// Runs the loop until the peer has read `size` bytes into `into`.
  bool peer_reads(int peer, std::string& into, std::size_t size) {
    return run_until(loop_, [&] {
      read_some(peer, into);
      return into.size() >= size;
    });
  }

  core::EventLoop loop_;
  core::Worker worker_{loop_};
  TcpTransport transport_{loop_, worker_};
  int connected_ = 0;
  int data_calls_ = 0;
  std::string received_;
  std::vector<std::error_code> closed_;
  int drained_ = 0;
  std::function<void()> on_data_hook_;
};

TEST_F(TcpTransportTest, ExchangesBytesBothWays) {
  const Bound server = listening();
  UniqueFd peer = connect_and_accept(server);
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(transport_.peer(), "127.0.0.1:" + std::to_string(server.port));

  transport_.send(as_bytes("\x10\x0c hello, broker"));
  EXPECT_EQ(transport_.pending_output(), 0u);
  std::string at_peer;
  ASSERT_TRUE(peer_reads(peer.get(), at_peer, 16));
  EXPECT_EQ(at_peer, std::string("\x10\x0c hello, broker"));

  const std::string reply("\x20\x02\x00\x00 and more", 13);  // NULs included
  write_all_now(peer.get(), reply);
  ASSERT_TRUE(run_until(loop_, [&] { return received_.size() >= reply.size(); }));
  EXPECT_EQ(received_, reply);
  EXPECT_TRUE(closed_.empty());
  EXPECT_EQ(connected_, 1);
}

TEST_F(TcpTransportTest, ThePeerNameIncludesTheResolvedAddress) {
  const Bound server = listening();
  transport_.connect({"localhost", server.port, 2s});
  ASSERT_TRUE(run_until(loop_, [&] { return connected_ > 0 || !closed_.empty(); }));
  ASSERT_EQ(connected_, 1) << (closed_.empty() ? "" : closed_.front().message());
  EXPECT_EQ(transport_.peer(), "localhost:" + std::to_string(server.port) + " (127.0.0.1)");
}

// 8 MiB each way. The peer's receive buffer is kept small so that the kernel cannot take the
// whole payload at once (Linux's default send buffer limit, tcp_wmem, is 4 MiB): the transport
// must queue the rest (pending_output() > 0), write it as the peer reads, and say so once with
// on_drained.
TEST_F(TcpTransportTest, LargePayloadsBothWaysWithBackPressure) {
  constexpr std::size_t kSize = 8 * 1024 * 1024;
  const std::string outgoing = pattern(kSize, 1);
  const std::string incoming = pattern(kSize, 2);
  const Bound server = listening(AF_INET, 4096);
  UniqueFd peer = connect_and_accept(server);
  ASSERT_TRUE(peer.valid());

  transport_.send(as_bytes(outgoing));
  EXPECT_GT(transport_.pending_output(), 0u) << "the kernel took 8 MiB at once";
  // While the peer does not read, the transport keeps the rest and reports no drain.
  run_for(loop_, 50ms);
  EXPECT_GT(transport_.pending_output(), 0u);
  EXPECT_EQ(drained_, 0);

  std::string at_peer;
  std::size_t peer_sent = 0;
  ASSERT_TRUE(run_until(loop_, [&] {
    read_some(peer.get(), at_peer);
    write_some(peer.get(), incoming, peer_sent);
    return at_peer.size() >= kSize && received_.size() >= kSize;
  })) << "peer read " << at_peer.size() << ", transport received " << received_.size()
      << ", pending " << transport_.pending_output();
  EXPECT_EQ(at_peer.size(), kSize);
  EXPECT_TRUE(at_peer == outgoing) << "the peer read other bytes than were sent";
  EXPECT_EQ(received_.size(), kSize);
  EXPECT_TRUE(received_ == incoming) << "on_data delivered other bytes than the peer sent";
  EXPECT_EQ(transport_.pending_output(), 0u);
  EXPECT_EQ(drained_, 1);
  EXPECT_TRUE(closed_.empty());
}

TEST_F(TcpTransportTest, PeerCloseReportsConnectionClosed) {
  const Bound server = listening();
  UniqueFd peer = connect_and_accept(server);
  ASSERT_TRUE(peer.valid());
  write_all_now(peer.get(), "last words");
  peer.reset();
  ASSERT_TRUE(run_until(loop_, [&] { return !closed_.empty(); }));
  EXPECT_EQ(received_, "last words");
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_.front(), Errc::connection_closed) << closed_.front().message();
  EXPECT_FALSE(transport_.connected());
  run_for(loop_, 30ms);
  EXPECT_EQ(closed_.size(), 1u);
}

TEST_F(TcpTransportTest, CloseFromInsideOnDataStopsFurtherCallbacks) {
  const Bound server = listening();
  UniqueFd peer = connect_and_accept(server);
  ASSERT_TRUE(peer.valid());
  on_data_hook_ = [this] { transport_.close(); };
  // Data and then EOF: after close() neither more data nor on_closed may be reported.
  write_all_now(peer.get(), "first");
  ::shutdown(peer.get(), SHUT_WR);
  ASSERT_TRUE(run_until(loop_, [&] { return data_calls_ > 0; }));
  EXPECT_FALSE(transport_.connected());
  // The transport closed its socket: the peer sees EOF, while the loop keeps running.
  std::string ignored;
  ASSERT_TRUE(run_until(loop_, [&] { return saw_eof(peer.get(), ignored); }));
  EXPECT_EQ(data_calls_, 1);
  EXPECT_EQ(received_, "first");
  EXPECT_TRUE(closed_.empty());
  EXPECT_EQ(drained_, 0);
}

TEST_F(TcpTransportTest, CloseThenConnectAgainReusesTheTransport) {
  const Bound server = listening();
  UniqueFd first = connect_and_accept(server);
  ASSERT_TRUE(first.valid());
  transport_.send(as_bytes("one"));
  std::string at_first;
  ASSERT_TRUE(peer_reads(first.get(), at_first, 3));

  transport_.close();
  EXPECT_FALSE(transport_.connected());
  EXPECT_EQ(transport_.pending_output(), 0u);
  std::string rest;
  ASSERT_TRUE(run_until(loop_, [&] { return saw_eof(first.get(), rest); }));
  EXPECT_TRUE(rest.empty());

  UniqueFd second = connect_and_accept(server);
  ASSERT_TRUE(second.valid());
  transport_.send(as_bytes("two"));
  std::string at_second;
  ASSERT_TRUE(peer_reads(second.get(), at_second, 3));
  EXPECT_EQ(at_second, "two");
  write_all_now(second.get(), "back");
  ASSERT_TRUE(run_until(loop_, [&] { return received_.size() >= 4; }));
  EXPECT_EQ(received_, "back");
  EXPECT_EQ(connected_, 2);
  EXPECT_TRUE(closed_.empty()) << "close() is the owner's own: no on_closed";
}

TEST_F(TcpTransportTest, ConnectWhileConnectedClosesTheOldConnectionSilently) {
  const Bound server = listening();
  UniqueFd first = connect_and_accept(server);
  ASSERT_TRUE(first.valid());
  UniqueFd second = connect_and_accept(server);
  ASSERT_TRUE(second.valid());
  std::string rest;
  ASSERT_TRUE(run_until(loop_, [&] { return saw_eof(first.get(), rest); }));
  EXPECT_TRUE(closed_.empty());
  transport_.send(as_bytes("x"));
  std::string at_second;
  ASSERT_TRUE(peer_reads(second.get(), at_second, 1));
  EXPECT_EQ(at_second, "x");
}

TEST_F(TcpTransportTest, SendWhenNotConnectedIsIgnored) {
  transport_.send(as_bytes("before connect"));
  EXPECT_EQ(transport_.pending_output(), 0u);
  EXPECT_FALSE(transport_.connected());

  const Bound server = listening();
  transport_.connect({"127.0.0.1", server.port, 2s});
  transport_.send(as_bytes("while connecting"));
  EXPECT_EQ(transport_.pending_output(), 0u);
  ASSERT_TRUE(run_until(loop_, [&] { return connected_ > 0; }));
  UniqueFd peer;
  ASSERT_TRUE(run_until(loop_, [&] {
    peer = server.accept();
    return peer.valid();
  }));
  transport_.send(as_bytes("now"));
  std::string at_peer;
  ASSERT_TRUE(peer_reads(peer.get(), at_peer, 3));
  EXPECT_EQ(at_peer, "now");

  transport_.close();
  transport_.send(as_bytes("after close"));
  EXPECT_EQ(transport_.pending_output(), 0u);
  std::string rest;
  ASSERT_TRUE(run_until(loop_, [&] { return saw_eof(peer.get(), rest); }));
  EXPECT_TRUE(rest.empty());
}

TEST_F(TcpTransportTest, RefusedConnectReportsOnClosed) {
  auto closed_port = Bound::make(AF_INET);
  ASSERT_TRUE(closed_port.has_value());
  transport_.connect({"127.0.0.1", closed_port->port, 2s});
  EXPECT_TRUE(closed_.empty()) << "on_closed must not run inside connect()";
  ASSERT_TRUE(run_until(loop_, [&] { return !closed_.empty(); }));
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_.front(), std::error_code(ECONNREFUSED, std::system_category()));
  EXPECT_EQ(connected_, 0);
  EXPECT_FALSE(transport_.connected());
}

TEST_F(TcpTransportTest, ConnectAgainFromInsideOnClosed) {
  auto closed_port = Bound::make(AF_INET);
  ASSERT_TRUE(closed_port.has_value());
  const Bound server = listening();
  transport_.set_callbacks(Transport::Callbacks{
      [this] { ++connected_; }, {},
      [&](std::error_code error) {
        closed_.push_back(error);
        transport_.connect({"127.0.0.1", server.port, 2s});
      },
      {}});
  transport_.connect({"127.0.0.1", closed_port->port, 2s});
  ASSERT_TRUE(run_until(loop_, [&] { return connected_ > 0; }));
  ASSERT_EQ(closed_.size(), 1u);
  EXPECT_EQ(closed_.front(), std::error_code(ECONNREFUSED, std::system_category()));
  EXPECT_TRUE(transport_.connected());
  EXPECT_EQ(transport_.peer(), "127.0.0.1:" + std::to_string(server.port));
}

TEST_F(TcpTransportTest, CloseWhileConnectingRunsNoCallback) {
  const Bound server = listening();
  transport_.connect({"localhost", server.port, 2s});
  transport_.close();
  ASSERT_TRUE(run_until(loop_, [&] { return worker_.pending() == 0; }));
  run_for(loop_, 30ms);
  EXPECT_EQ(connected_, 0);
  EXPECT_TRUE(closed_.empty());
  EXPECT_FALSE(server.accept().valid());
}

TEST(TcpTransportLifetime, DestroyingAConnectingTransportRunsNoCallback) {
  core::EventLoop loop;
  core::Worker worker(loop);
  const Bound server = listening();
  int callbacks = 0;
  auto transport = std::make_unique<TcpTransport>(loop, worker);
  transport->set_callbacks(Transport::Callbacks{
      [&] { ++callbacks; }, [&](ByteSpan) { ++callbacks; },
      [&](std::error_code) { ++callbacks; }, [&] { ++callbacks; }});
  transport->connect({"localhost", server.port, 2s});
  transport.reset();
  ASSERT_TRUE(run_until(loop, [&] { return worker.pending() == 0; }));
  run_for(loop, 30ms);
  EXPECT_EQ(callbacks, 0);
}

TEST(TcpTransportLifetime, DestroyingAConnectedTransportClosesThePeer) {
  core::EventLoop loop;
  core::Worker worker(loop);
  const Bound server = listening();
  bool connected = false;
  auto transport = std::make_unique<TcpTransport>(loop, worker);
  transport->set_callbacks(Transport::Callbacks{[&] { connected = true; }, {}, {}, {}});
  transport->connect({"127.0.0.1", server.port, 2s});
  ASSERT_TRUE(run_until(loop, [&] { return connected; }));
  UniqueFd peer;
  ASSERT_TRUE(run_until(loop, [&] {
    peer = server.accept();
    return peer.valid();
  }));
  transport.reset();
  std::string rest;
  ASSERT_TRUE(run_until(loop, [&] { return saw_eof(peer.get(), rest); }));
}

}  // namespace
}  // namespace pimqttd::mqtt
