// The test fixture tested: Process, Broker (a real mosquitto) and Subscriber (mosquitto_sub), so
// that a failing client test can be trusted to be about the client.

#include "pimqttd/core/unique_fd.hpp"
#include "support/broker.hpp"
#include "support/delay_proxy.hpp"
#include "support/mqtt_sub.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pimqttd::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kDeadline = 10s;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// True if /proc says pid is gone or a zombie (a reparented child that init has not reaped yet).
bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) {
    return true;
  }
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z';
}

ExitStatus publish(const Broker& broker, const std::string& topic, const std::string& payload,
                   int qos) {
  PublishOptions options;
  options.port = broker.port();
  options.topic = topic;
  options.payload = payload;
  options.qos = qos;
  return mosquitto_pub(options);
}

core::UniqueFd connect_tcp(std::uint16_t port) {
  core::UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  EXPECT_TRUE(fd.valid());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0)
      << "connect: " << std::strerror(errno);
  return fd;
}

/// Reads up to `want` bytes, waiting at most `deadline` in all.
std::vector<std::uint8_t> read_bytes(int fd, std::size_t want, std::chrono::milliseconds deadline) {
  std::vector<std::uint8_t> bytes;
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (bytes.size() < want && std::chrono::steady_clock::now() < end) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(end -
                                                                    std::chrono::steady_clock::now());
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(std::max<std::chrono::milliseconds::rep>(
                              left.count(), 0))) <= 0) {
      break;
    }
    std::array<std::uint8_t, 64> chunk{};
    const auto n = ::read(fd, chunk.data(), std::min(chunk.size(), want - bytes.size()));
    if (n <= 0) {
      break;
    }
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
  }
  return bytes;
}

// -- DelayProxy ---------------------------------------------------------------------------------

/// A listening socket on 127.0.0.1 (a free port) for the proxy to forward to.
struct Target {
  core::UniqueFd listener{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  std::uint16_t port = 0;

  Target() {
    sockaddr_in address = ipv4_address("127.0.0.1", 0);
    EXPECT_EQ(::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address),
              0);
    EXPECT_EQ(::listen(listener.get(), 4), 0);
    socklen_t length = sizeof address;
    EXPECT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
    port = ntohs(address.sin_port);
  }
  [[nodiscard]] core::UniqueFd accept_one() const {
    return core::UniqueFd{::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)};
  }
};

void send_text(int fd, const std::string& text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(text.size()));
}

std::string received(int fd, std::size_t want, std::chrono::milliseconds deadline) {
  const auto bytes = read_bytes(fd, want, deadline);
  return {bytes.begin(), bytes.end()};
}

TEST(DelayProxyTest, DelaysEachDirectionWithoutReordering) {
  Target target;
  DelayProxy proxy("127.0.0.1", target.port, 300ms);
  const auto client = connect_tcp(proxy.port());
  const auto server = target.accept_one();
  ASSERT_TRUE(server.valid());
  EXPECT_EQ(proxy.accepted(), 1u);

  const auto sent_at = std::chrono::steady_clock::now();
  send_text(client.get(), "first ");
  ASSERT_TRUE(wait_until([&] { return proxy.received() == 6; }, kDeadline));
  proxy.set_delay(0ms);  // later bytes must still wait for the earlier ones
  send_text(client.get(), "second");
  EXPECT_EQ(received(server.get(), 12, kDeadline), "first second");
  EXPECT_GE(std::chrono::steady_clock::now() - sent_at, 300ms);

  proxy.set_delay(200ms);
  const auto answered_at = std::chrono::steady_clock::now();
  send_text(server.get(), "answer");
  EXPECT_EQ(received(client.get(), 6, kDeadline), "answer");
  EXPECT_GE(std::chrono::steady_clock::now() - answered_at, 200ms);
  EXPECT_TRUE(wait_until([&] { return proxy.forwarded() == 18; }, kDeadline)) << proxy.forwarded();
}

TEST(DelayProxyTest, BlackholeSwallowsBothWaysAndClosesNothing) {
  Target target;
  DelayProxy proxy("127.0.0.1", target.port);
  const auto client = connect_tcp(proxy.port());
  const auto server = target.accept_one();
  ASSERT_TRUE(server.valid());
  send_text(client.get(), "before");
  ASSERT_EQ(received(server.get(), 6, kDeadline), "before");

  proxy.set_blackhole(true);
  send_text(client.get(), "lost up");
  send_text(server.get(), "lost down");
  ASSERT_TRUE(wait_until([&] { return proxy.received() == 6 + 7 + 9; }, kDeadline));
  // Nothing arrives, and neither side sees an end of stream or a reset.
  EXPECT_EQ(received(server.get(), 1, 300ms), "");
  EXPECT_EQ(received(client.get(), 1, 300ms), "");

  proxy.set_blackhole(false);
  send_text(client.get(), "after");
  send_text(server.get(), "back");
  EXPECT_EQ(received(server.get(), 5, kDeadline), "after");
  EXPECT_EQ(received(client.get(), 4, kDeadline), "back");
}

TEST(DelayProxyTest, EndOfStreamIsPassedOnAfterTheBytesBeforeIt) {
  Target target;
  DelayProxy proxy("127.0.0.1", target.port, 100ms);
  auto client = connect_tcp(proxy.port());
  const auto server = target.accept_one();
  ASSERT_TRUE(server.valid());
  send_text(client.get(), "bye");
  ::shutdown(client.get(), SHUT_WR);
  EXPECT_EQ(received(server.get(), 3, kDeadline), "bye");
  std::array<char, 8> rest{};
  pollfd entry{server.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&entry, 1, 10'000), 1);
  EXPECT_EQ(::read(server.get(), rest.data(), rest.size()), 0);
}


// -- Process ------------------------------------------------------------------------------------

TEST(ProcessTest, ReportsExitCodeAndSignal) {
  EXPECT_EQ(run_process({"sh", "-c", "exit 3"}, kDeadline), ExitStatus::exited(3));
  EXPECT_EQ(run_process({"true"}, kDeadline), ExitStatus::exited(0));
  EXPECT_EQ(run_process({"sh", "-c", "kill -USR1 $$"}, kDeadline), ExitStatus::killed_by(SIGUSR1));
}

TEST(ProcessTest, ThrowsWhenTheProgramDoesNotExist) {
  EXPECT_THROW(Process({"pimqttd-no-such-program"}), std::system_error);
}

TEST(ProcessTest, RedirectsStdoutAndStderrToFiles) {
  TempDir dir;
  ProcessOptions options;
  options.stdout_path = dir / "out";
  options.stderr_path = dir / "err";
  Process process({"sh", "-c", "echo to-out; echo to-err >&2; exit 0"}, options);
  EXPECT_EQ(process.wait_exit(kDeadline), ExitStatus::exited(0));
  EXPECT_EQ(read_text(dir / "out"), "to-out\n");
  EXPECT_EQ(read_text(dir / "err"), "to-err\n");
}

TEST(ProcessTest, EnvironmentAddsAndReplacesVariables) {
  TempDir dir;
  ProcessOptions options;
  options.stdout_path = dir / "out";
  options.environment = {"PIMQTTD_TEST_ADDED=one two", "HOME=/replaced"};
  Process process({"sh", "-c", "echo \"$PIMQTTD_TEST_ADDED|$HOME|${PATH:+path}\""}, options);
  EXPECT_EQ(process.wait_exit(kDeadline), ExitStatus::exited(0));
  EXPECT_EQ(read_text(dir / "out"), "one two|/replaced|path\n");
}

TEST(ProcessTest, WaitExitTimesOutThenTerminateEndsIt) {
  Process process({"sleep", "60"});
  EXPECT_EQ(process.wait_exit(20ms), std::nullopt);
  EXPECT_TRUE(process.running());
  EXPECT_EQ(process.terminate(kDeadline), ExitStatus::killed_by(SIGTERM));
  EXPECT_FALSE(process.running());
  EXPECT_EQ(process.exit_status(), ExitStatus::killed_by(SIGTERM));
}

TEST(ProcessTest, ChildDoesNotInheritBlockedSignals) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigset_t old;
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  Process process({"sleep", "60"});
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, &old, nullptr), 0);
  process.signal(SIGTERM);
  EXPECT_EQ(process.wait_exit(kDeadline), ExitStatus::killed_by(SIGTERM));
}

TEST(ProcessTest, KillReapsAndMoveTransfersOwnership) {
  Process first({"sleep", "60"});
  const pid_t pid = first.pid();
  Process second = std::move(first);
  EXPECT_EQ(first.pid(), -1);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(second.pid(), pid);
  EXPECT_TRUE(second.running());
  EXPECT_EQ(second.kill(), ExitStatus::killed_by(SIGKILL));
  EXPECT_TRUE(process_gone(pid));
}

TEST(ProcessTest, DestructorKillsTheWholeProcessGroup) {
  TempDir dir;
  const auto pid_file = dir / "grandchild.pid";
  pid_t child = -1;
  pid_t grandchild = -1;
  {
    Process process({"sh", "-c", "sleep 60 & echo $! > " + pid_file.string() + "; wait"});
    child = process.pid();
    ASSERT_TRUE(wait_until([&] { return read_text(pid_file).find('\n') != std::string::npos; },
                           kDeadline));
    grandchild = std::stoi(read_text(pid_file));
    EXPECT_FALSE(process_gone(grandchild));
  }
  EXPECT_TRUE(process_gone(child));
  EXPECT_TRUE(wait_until([&] { return process_gone(grandchild); }, kDeadline));
}

// -- Broker and Subscriber ----------------------------------------------------------------------

TEST(BrokerTest, SubscriberReceivesWhatMosquittoPubSends) {
  Broker broker;
  broker.start();
  ASSERT_NE(broker.port(), 0);
  EXPECT_EQ(broker.host(), "127.0.0.1");
  EXPECT_TRUE(tcp_connectable(broker.host(), broker.port()));

  Subscriber subscriber({.port = broker.port(), .topic = "support/+", .qos = 1});
  ASSERT_TRUE(subscriber.wait_subscribed(kDeadline)) << read_text(subscriber.error_path());
  EXPECT_TRUE(subscriber.lines().empty());

  EXPECT_EQ(publish(broker, "support/a", "hello world", 1), ExitStatus::exited(0));
  EXPECT_EQ(publish(broker, "support/b", "2", 0), ExitStatus::exited(0));
  EXPECT_EQ(publish(broker, "elsewhere", "not for us", 0), ExitStatus::exited(0));
  ASSERT_TRUE(subscriber.wait_for_count(2, kDeadline));
  EXPECT_EQ(subscriber.lines(), (std::vector<ReceivedMessage>{{"support/a", "hello world"},
                                                              {"support/b", "2"}}));
  EXPECT_NE(broker.log().find("Received SUBSCRIBE"), std::string::npos);
}

TEST(BrokerTest, RestartKeepsThePortAndKillThenStartWorks) {
  Broker broker;
  broker.start();
  const auto port = broker.port();
  const auto first_pid = broker.pid();

  broker.restart();
  EXPECT_EQ(broker.port(), port);
  EXPECT_NE(broker.pid(), first_pid);
  EXPECT_TRUE(broker.running());

  broker.kill();
  EXPECT_FALSE(broker.running());
  EXPECT_FALSE(tcp_connectable(broker.host(), port));
  broker.start();
  EXPECT_EQ(broker.port(), port);

  Subscriber subscriber({.port = broker.port(), .topic = "after/restart", .qos = 0});
  ASSERT_TRUE(subscriber.wait_subscribed(kDeadline));
  EXPECT_EQ(publish(broker, "after/restart", "ok", 0), ExitStatus::exited(0));
  ASSERT_TRUE(subscriber.wait_for_count(1, kDeadline));
  EXPECT_EQ(subscriber.lines().front(), (ReceivedMessage{"after/restart", "ok"}));

  EXPECT_EQ(broker.stop(), ExitStatus::exited(0));
  EXPECT_FALSE(tcp_connectable(broker.host(), port));
}

TEST(BrokerTest, FrozenBrokerLeavesConnectUnansweredUntilThawed) {
  Broker broker;
  broker.start();
  broker.freeze();

  // CONNECT, MQTT 3.1.1, clean session, keep-alive 60 s, client id "frozen".
  const std::array<std::uint8_t, 20> connect{0x10, 18,  0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                             0x00, 60, 0x00, 0x06, 'f', 'r', 'o', 'z', 'e', 'n'};
  auto fd = connect_tcp(broker.port());  // the kernel completes the handshake on its own
  ASSERT_EQ(::write(fd.get(), connect.data(), connect.size()),
            static_cast<ssize_t>(connect.size()));
  EXPECT_TRUE(read_bytes(fd.get(), 4, 300ms).empty());

  broker.thaw();
  EXPECT_EQ(read_bytes(fd.get(), 4, kDeadline), (std::vector<std::uint8_t>{0x20, 0x02, 0x00, 0x00}));
}

TEST(BrokerTest, PersistentSessionGetsQos1MessagesPublishedWhileItWasStopped) {
  Broker broker;
  broker.start();
  Subscriber subscriber({.port = broker.port(),
                         .topic = "queued/#",
                         .qos = 1,
                         .client_id = "support-persistent",
                         .clean_session = false});
  ASSERT_TRUE(subscriber.wait_subscribed(kDeadline));
  subscriber.stop();
  ASSERT_TRUE(wait_until([&] { return broker.log().find("support-persistent disconnected") !=
                                      std::string::npos; },
                         kDeadline))
      << broker.log();

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(publish(broker, "queued/" + std::to_string(i), "m" + std::to_string(i), 1),
              ExitStatus::exited(0));
  }
  EXPECT_TRUE(subscriber.lines().empty());

  subscriber.start();
  ASSERT_TRUE(subscriber.wait_for_count(3, kDeadline));
  EXPECT_EQ(subscriber.lines(), (std::vector<ReceivedMessage>{
                                    {"queued/0", "m0"}, {"queued/1", "m1"}, {"queued/2", "m2"}}));
  EXPECT_TRUE(subscriber.wait_subscribed(kDeadline));
}

TEST(BrokerTest, PersistenceKeepsQueuedMessagesAcrossARestart) {
  Broker broker({.persistence = true, .max_queued_messages = 100000});
  broker.start();
  Subscriber subscriber({.port = broker.port(),
                         .topic = "kept",
                         .qos = 1,
                         .client_id = "support-kept",
                         .clean_session = false});
  ASSERT_TRUE(subscriber.wait_subscribed(kDeadline));
  subscriber.stop();
  ASSERT_TRUE(wait_until(
      [&] { return broker.log().find("support-kept disconnected") != std::string::npos; },
      kDeadline));
  EXPECT_EQ(publish(broker, "kept", "before-restart", 1), ExitStatus::exited(0));

  EXPECT_EQ(broker.stop(), ExitStatus::exited(0));
  EXPECT_TRUE(std::filesystem::exists(broker.dir() / "persistence" / "mosquitto.db"));
  broker.start();

  subscriber.start();
  ASSERT_TRUE(subscriber.wait_for_count(1, kDeadline)) << broker.log();
  EXPECT_EQ(subscriber.lines(), (std::vector<ReceivedMessage>{{"kept", "before-restart"}}));
}

TEST(BrokerTest, ExtraConfigLinesAreAppliedAndLimitsWritten) {
  const auto second_port = free_loopback_port();
  Broker broker({.max_inflight_messages = 7,
                 .max_queued_messages = 100000,
                 .extra_config = {"listener " + std::to_string(second_port) + " 127.0.0.1"}});
  broker.start();
  EXPECT_TRUE(tcp_connectable("127.0.0.1", second_port));
  const auto config = read_text(broker.config_path());
  EXPECT_NE(config.find("max_inflight_messages 7\n"), std::string::npos);
  EXPECT_NE(config.find("max_queued_messages 100000\n"), std::string::npos);
  EXPECT_NE(config.find("user root\n"), std::string::npos);
}

TEST(BrokerTest, StartFailureThrowsWithTheBrokersOutput) {
  Broker broker({.extra_config = {"pimqttd_no_such_option true"}});
  try {
    broker.start(2s);
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("pimqttd_no_such_option"), std::string::npos)
        << error.what();
  }
  EXPECT_FALSE(broker.running());
}

}  // namespace
}  // namespace pimqttd::test
