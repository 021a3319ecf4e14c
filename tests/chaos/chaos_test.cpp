// The network chaos tests (tests/chaos/README.md): the daemon executable and mosquitto in network,
// mount and PID namespaces of the test's own, with a bad link between them: nftables rules that
// drop packets, a DelayProxy that delays or swallows them, a broker that moves to another address.
// main() below makes the namespaces before any test runs; ctest runs each test in a process of its
// own, so each one gets fresh namespaces, and they vanish with it even when it crashes.

#include "support/daemon_harness.hpp"
#include "support/delay_proxy.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <map>
#include <random>
#include <string_view>

namespace pimqttd::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SystemClock = std::chrono::system_clock;

const std::string kRelay = "relay";

/// Keeps a bad condition up for `duration` (the scenario's length, not a wait for a result);
/// returns early, false, if the daemon exits meanwhile.
bool hold_for(Process& daemon, milliseconds duration) {
  return !wait_until([&] { return !daemon.running(); }, duration, 50ms);
}

/// Loads an nftables ruleset (nft -f) into this network namespace.
void nft(const fs::path& dir, const std::string& rules) {
  const fs::path file = dir / "rules.nft";
  write_text(file, rules);
  ProcessOptions quiet;
  quiet.stdout_path = dir / "nft.out";
  quiet.stderr_path = dir / "nft.out";
  const auto status = run_process({"nft", "-f", file.string()}, kDeadline, quiet);
  ASSERT_TRUE(status && status->success()) << rules << "\n" << read_text(dir / "nft.out");
}

/// Rules in one table, `chaos`, on the output hook: on loopback every packet passes it once.
std::string chaos_table(const std::string& rule) {
  return "table inet chaos {\n  chain out {\n    type filter hook output priority 0;\n    " + rule +
         "\n  }\n}\n";
}

/// Both directions of the connections to `port`.
std::string drop_port(std::uint16_t port, const std::string& condition = "") {
  const std::string p = std::to_string(port);
  return chaos_table("tcp dport " + p + " " + condition + " drop\n    tcp sport " + p + " " +
                     condition + " drop");
}

/// The time of a daemon log line ("2026-01-02 03:04:05.678 ..."), in the daemon's local time.
std::optional<SystemClock::time_point> line_time(const std::string& line) {
  std::tm tm{};
  std::istringstream in(line);
  in >> std::get_time(&tm, "%Y-%m-%d %H:%M:%S");
  char dot = 0;
  int millis = 0;
  if (!in || !(in >> dot >> millis) || dot != '.') return std::nullopt;
  tm.tm_isdst = -1;
  const std::time_t whole = std::mktime(&tm);
  return SystemClock::from_time_t(whole) + milliseconds{millis};
}

/// The daemon's log lines that contain `needle`.
std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

/// The index of the first message after `from` that is on `topic` with `payload`, or nullopt.
std::optional<std::size_t> find_after(const std::vector<ReceivedMessage>& messages,
                                      std::size_t from, const std::string& topic,
                                      const std::string& payload) {
  for (std::size_t i = from; i < messages.size(); ++i) {
    if (messages[i].topic == topic && messages[i].payload == payload) return i;
  }
  return std::nullopt;
}

class ChaosTest : public DaemonTest {
 protected:
  /// The system sensor (every metric but disk, each `interval`) and a command switch running
  /// /bin/true, which needs no hardware.
  [[nodiscard]] Json chaos_config(std::string host, std::uint16_t port,
                                  const std::string& keep_alive,
                                  const std::string& interval = "1s") const {
    Json json = config(port, Json::array({system_sensor("system", interval),
                                          Json{{"type", "command"},
                                               {"id", kRelay},
                                               {"name", "Relay"},
                                               {"platform", "switch"},
                                               {"on", {"/bin/true"}},
                                               {"off", {"/bin/true"}}}}));
    json["mqtt"]["host"] = std::move(host);
    json["mqtt"]["keep_alive"] = keep_alive;
    json["mqtt"]["connect_timeout"] = "10s";
    json["logging"]["level"] = "info";
    return json;
  }

  /// Home Assistant switching the relay.
  void command(const std::string& payload) const { send_command(kRelay, payload); }

  /// The daemon's connections the broker accepted so far.
  [[nodiscard]] std::size_t broker_connects() const {
    return count_of(broker_.log(), " as " + std::string(kClientId) + " ");
  }

  void write_load(int load) const {
    write_text(root() / "proc/loadavg", std::to_string(load) + " 0.5 0.125 3/99 19400\n");
  }

  /// The loads received, in order, and whether each one is at least the one before.
  static ::testing::AssertionResult loads_never_go_back(const Subscriber& subscriber) {
    double last = -1;
    for (const std::string& payload : payloads(subscriber, state_topic("system_load_1m"))) {
      const double value = std::stod(payload);
      if (value < last) {
        return ::testing::AssertionFailure()
               << "system_load_1m went back from " << last << " to " << value;
      }
      last = value;
    }
    return ::testing::AssertionSuccess();
  }
};

// 1. Two seconds of latency each way and 20 % of the packets between the daemon and the link's
// far end lost, for two minutes from before the daemon starts: it connects once, its pings in the
// quiet moments are answered in time, Home Assistant's commands all reach the switch, and the
// switch's states all reach Home Assistant, in order (each one is published once, and nothing
// newer supersedes it before the next command).
TEST_F(ChaosTest, SlowLossyLinkForTwoMinutes) {
  constexpr auto kLength = 120s;
  constexpr auto kLatency = 2s;
  // The ping timeout is half of it, 10 s: 6 s more than the round trip, for TCP's retransmits.
  constexpr auto kKeepAlive = 20s;
  constexpr std::size_t kMaxReconnects = 1;
  DelayProxy proxy(broker_.host(), broker_.port(), kLatency);
  nft(dir_.path(), drop_port(proxy.port(), "numgen random mod 100 < 20"));
  // The system sensor only once a minute, so that the link has quiet moments for pings.
  write_config(chaos_config("127.0.0.1", proxy.port(), "20s", "60s"));
  auto all = subscribe();
  const auto end = std::chrono::steady_clock::now() + kLength;
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_for_payload(*all, kStatus, "online", 1, 60s)) << logs();

  std::size_t commands = 0;
  // One command at a time, each after the state of the one before came back; after every other
  // one the link stays quiet for longer than the keep-alive, so that the daemon pings. Bounded
  // by the scenario's length and by a count no 4 s round trip can reach.
  for (int round = 0; round < 100 && std::chrono::steady_clock::now() < end; ++round) {
    const std::string payload = round % 2 == 0 ? "ON" : "OFF";
    ASSERT_NO_FATAL_FAILURE(command(payload));
    ++commands;
    ASSERT_TRUE(wait_for_payload(*all, state_topic(kRelay), payload,
                                 static_cast<std::size_t>(round / 2 + 1), 60s))
        << "command " << round << " (" << payload << ") got no state" << logs();
    if (round % 2 == 1) {
      ASSERT_TRUE(hold_for(daemon, kKeepAlive + 5s)) << logs();
    }
  }

  const auto relay = payloads(*all, state_topic(kRelay));
  ASSERT_EQ(relay.size(), commands) << logs();
  for (std::size_t i = 0; i < commands; ++i) {
    EXPECT_EQ(relay[i], i % 2 == 0 ? "ON" : "OFF") << i;
  }
  const auto lost = lines_with(daemon_log(), "mqtt: connection to");
  const std::size_t pings =
      count_of(broker_.log(), "Received PINGREQ from " + std::string(kClientId));
  std::printf("slow lossy link: %zu commands, %zu pings, %zu reconnects, %zu bytes through the "
              "proxy\n",
              commands, pings, lost.size(), proxy.forwarded());
  EXPECT_LE(lost.size(), kMaxReconnects) << logs();
  EXPECT_LE(broker_connects(), 1 + kMaxReconnects) << logs();
  EXPECT_GE(commands, 5u) << "a command round trip took far longer than 4 s" << logs();
  EXPECT_GE(pings, 1u) << "the link was never quiet long enough for a ping" << logs();
  nft(dir_.path(), "delete table inet chaos\n");
  proxy.set_delay(0ms);
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

// 2. A blackhole (every packet dropped both ways, no RST) for three keep-alive periods: the daemon
// gives the connection up within 1.5 keep-alives, reconnects once the link heals, and Home
// Assistant sees `online` and every entity's state again.
TEST_F(ChaosTest, BlackholeIsDetectedWithinOneAndAHalfKeepAlives) {
  constexpr auto kKeepAlive = 4s;
  DelayProxy proxy(broker_.host(), broker_.port());
  write_config(chaos_config("127.0.0.1", proxy.port(), "4s"));
  auto all = subscribe();
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_for_payload(*all, kStatus, "online")) << logs();
  ASSERT_TRUE(wait_on(*all, kDiscovery, 1)) << logs();
  // cpu_usage needs a second sample with ticks in between; the relay, an optimistic switch, has a
  // state once it has been switched.
  ASSERT_TRUE(wait_on(*all, state_topic("system_load_1m"), 1)) << logs();
  write_text(root() / "proc/stat", kStat2);
  ASSERT_NO_FATAL_FAILURE(command("ON"));
  ASSERT_TRUE(wait_for_payload(*all, state_topic(kRelay), "ON")) << logs();
  const auto entities = component_ids(discoveries(*all).back());
  for (const auto& id : entities) {
    ASSERT_TRUE(wait_on(*all, state_topic(id), 1)) << id << logs();
  }

  nft(dir_.path(), drop_port(proxy.port()));
  // Taken once the rules are in place: nothing the daemon received came later (and the last
  // thing it received came only milliseconds earlier: the test just saw the states go out). The
  // 100 ms allow for a late wake-up of the loop's timer on a busy machine and the log's
  // millisecond timestamps.
  const auto blackholed_at = SystemClock::now();
  const std::string lost_line = "mqtt: connection to 127.0.0.1:" + std::to_string(proxy.port()) +
                                " lost";
  ASSERT_TRUE(wait_until([&] { return !lines_with(daemon_log(), lost_line).empty(); },
                         2 * kKeepAlive, 10ms))
      << "no connection loss logged within 2 keep-alives" << logs();
  const auto lost_at = line_time(lines_with(daemon_log(), lost_line).front());
  ASSERT_TRUE(lost_at.has_value()) << lines_with(daemon_log(), lost_line).front();
  const auto detected = std::chrono::duration_cast<milliseconds>(*lost_at - blackholed_at);
  std::printf("blackhole: declared dead after %lld ms (keep-alive %lld ms)\n",
              static_cast<long long>(detected.count()),
              static_cast<long long>(milliseconds{kKeepAlive}.count()));
  EXPECT_LE(detected, milliseconds{kKeepAlive} * 3 / 2 + 100ms) << logs();
  ASSERT_TRUE(wait_for_payload(*all, kStatus, "offline", 1, 3 * kKeepAlive))
      << "the broker never published the will" << logs();

  const auto held = std::chrono::duration_cast<milliseconds>(SystemClock::now() - blackholed_at);
  ASSERT_TRUE(hold_for(daemon, milliseconds{kKeepAlive} * 3 - held)) << logs();
  const std::size_t healed_at = all->count();
  nft(dir_.path(), "delete table inet chaos\n");
  ASSERT_TRUE(wait_until(
      [&] { return find_after(all->lines(), healed_at, kStatus, "online").has_value(); },
      kDeadline))
      << "no `online` after the link healed" << logs();
  // Every entity's state comes again after the reconnect (the relay's is the one it was set to).
  for (const auto& id : entities) {
    ASSERT_TRUE(wait_until(
        [&] {
          const auto lines = all->lines();
          for (std::size_t i = healed_at; i < lines.size(); ++i) {
            if (lines[i].topic == state_topic(id)) return true;
          }
          return false;
        },
        kDeadline))
        << "no state of " << id << " after the link healed" << logs();
  }
  EXPECT_TRUE(find_after(all->lines(), healed_at, state_topic(kRelay), "ON").has_value());
  EXPECT_EQ(broker_connects(), 2u) << logs();
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

#ifdef PIMQTTD_FAKE_GPIOD
// 3. 50 broker restarts, kill -9 and clean stops alternating, at random moments, while a counter
// receives pulses and the system sensor publishes every second: the counter's last total on the
// broker is the number of pulses sent, and neither it nor the load (a new value before each
// restart) ever goes back on the broker.
TEST_F(ChaosTest, FiftyBrokerRestartsLoseNoPulseAndNeverGoBack) {
  constexpr int kRestarts = 50;
  const fs::path fifo = dir_ / "pulses";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  // 1 s, the shortest interval the configuration allows.
  Json json = chaos_config("127.0.0.1", broker_.port(), "4s", "1s");
  json["sensors"].push_back(Json{{"type", "gpio_counter"},
                                 {"id", "meter"},
                                 {"name", "Meter"},
                                 {"chip", fifo.string()},
                                 {"line", 0},
                                 {"interval", "1s"}});
  write_config(json);
  write_load(0);
  auto states = subscribe("pimqttd/testpi/+/state");
  auto daemon = start_daemon({"LD_PRELOAD=" PIMQTTD_FAKE_GPIOD});
  ASSERT_TRUE(wait_for_payload(*states, state_topic("meter"), "0")) << logs();
  core::UniqueFd pulses{::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)};
  ASSERT_TRUE(pulses.valid()) << std::strerror(errno);

  std::random_device device;
  const unsigned seed = device();
  std::printf("broker restarts: seed %u\n", seed);
  std::mt19937 random(seed);
  const auto between = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  int sent = 0;
  const auto pulse = [&](int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_EQ(::write(pulses.get(), "f", 1), 1) << std::strerror(errno);
      ++sent;
    }
  };
  for (int restart = 0; restart < kRestarts; ++restart) {
    SCOPED_TRACE(restart);
    write_load(restart + 1);
    ASSERT_NO_FATAL_FAILURE(pulse(between(0, 5)));
    // States go out a second after a connect (StateCache): some restarts come before that.
    ASSERT_TRUE(hold_for(daemon, milliseconds{between(0, 2000)})) << logs();
    ASSERT_NO_FATAL_FAILURE(pulse(between(0, 3)));
    if (restart % 2 == 0) {
      broker_.kill();
    } else {
      broker_.stop();
    }
    // At least one pulse while the broker is away: the last total reaches it only because the
    // daemon keeps it and publishes it again after reconnecting.
    ASSERT_NO_FATAL_FAILURE(pulse(between(1, 3)));
    ASSERT_TRUE(hold_for(daemon, milliseconds{between(0, 300)})) << logs();
    broker_.start();
    // mosquitto_sub reconnects on its own only after a back-off of its own: a new one now.
    states->stop();
    states->start();
    ASSERT_TRUE(states->wait_subscribed(kDeadline));
  }
  ASSERT_TRUE(wait_for_payload(*states, state_topic("meter"), std::to_string(sent), 1, 30s))
      << sent << " pulses sent, the broker never saw that total" << logs();
  std::printf("broker restarts: %d pulses, %zu totals and %zu loads received\n", sent,
              payloads(*states, state_topic("meter")).size(),
              payloads(*states, state_topic("system_load_1m")).size());
  long last = -1;
  for (const std::string& total : payloads(*states, state_topic("meter"))) {
    EXPECT_GE(std::stol(total), last) << "the total went back";
    last = std::max(last, std::stol(total));
  }
  EXPECT_EQ(last, sent);
  EXPECT_TRUE(loads_never_go_back(*states));
  std::printf("broker restarts: the daemon connected %zu times and published %zu totals\n",
              count_of(broker_.log(), " as " + std::string(kClientId) + " "),
              count_lines(broker_.log(), "Received PUBLISH from " + std::string(kClientId),
                          "meter/state"));
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}
#endif

// 4. The broker's name answers with another address (a private /etc/hosts, bind-mounted in this
// test's mount namespace, is rewritten) and the broker moves there: the next connect goes to the
// new address.
TEST_F(ChaosTest, NextConnectUsesTheBrokersNewAddress) {
  const std::string name = "broker.chaos.test";
  const fs::path hosts = dir_ / "hosts";
  write_text(hosts, "127.0.0.1 localhost\n127.0.0.2 " + name + "\n");
  // A bind mount follows the inode: the file is rewritten in place from now on, never replaced.
  ASSERT_EQ(::mount(hosts.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr), 0)
      << std::strerror(errno);
  const auto rewrite_hosts = [&](const std::string& text) {
    std::ofstream out(hosts, std::ios::binary | std::ios::trunc);
    out << text;
  };

  Broker first({.address = "127.0.0.2"});
  first.start();
  write_config(chaos_config(name, first.port(), "4s"));
  auto daemon = start_daemon();
  const std::string via_first = "(127.0.0.2)";
  ASSERT_TRUE(wait_until([&] { return !lines_with(daemon_log(), via_first).empty(); }, kDeadline,
                         10ms))
      << logs();

  rewrite_hosts("127.0.0.1 localhost\n127.0.0.3 " + name + "\n");
  first.stop();
  Broker second({.address = "127.0.0.3", .port = first.port()});
  second.start();
  SubscriberOptions options{.host = "127.0.0.3", .port = second.port(), .topic = kStatus, .qos = 1};
  Subscriber status(options);
  ASSERT_TRUE(status.wait_subscribed(kDeadline));
  ASSERT_TRUE(wait_for_payload(status, kStatus, "online")) << logs() << second.log();
  const std::string via_second = "(127.0.0.3)";
  EXPECT_EQ(lines_with(daemon_log(), via_second).size(), 1u) << logs();
  EXPECT_EQ(count_of(second.log(), " as " + std::string(kClientId) + " "), 1u) << second.log();
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

}  // namespace
}  // namespace pimqttd::test

namespace {

/// Runs `command` (argv) and returns whether it exited 0.
bool run_quietly(const char* const* argv) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::execvp(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  int status = 0;
  return child > 0 && ::waitpid(child, &status, 0) == child && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

}  // namespace

/// Makes the namespaces, then runs the tests in a child that is PID 1 of the new PID namespace:
/// when it ends, however it ends, the kernel kills every process left in it (brokers, daemons,
/// subscribers), and the network namespace goes with the last of them. Exits 77 (skipped) when
/// this is not root, the only one allowed to make them.
int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (::geteuid() != 0) {
    std::fprintf(stderr, "chaos tests: skipped, they need root (network namespaces, nftables)\n");
    return 77;
  }
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID) != 0) {
    std::fprintf(stderr, "chaos tests: unshare: %s\n", std::strerror(errno));
    return 1;
  }
  const pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "chaos tests: fork: %s\n", std::strerror(errno));
    return 1;
  }
  if (child > 0) {
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
      std::fprintf(stderr, "chaos tests: killed by signal %d\n", WTERMSIG(status));
      return 1;
    }
    return WEXITSTATUS(status);
  }
  // PID 1 of the new namespace; it dies with the process that waits for it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    std::fprintf(stderr, "chaos tests: making / private: %s\n", std::strerror(errno));
    return 1;
  }
  const char* const lo_up[] = {"ip", "link", "set", "lo", "up", nullptr};
  if (!run_quietly(lo_up)) {
    std::fprintf(stderr, "chaos tests: cannot bring up lo in the new network namespace\n");
    return 1;
  }
  return RUN_ALL_TESTS();
}
