// Client tests with a fake at the transport seam (support/fake_transport.hpp): the test plays both
// the network (the fake transport's connect results, pending output, drains and losses) and the
// broker (it decodes what the client wrote with the codec, as a server, and answers with encoded
// packets). The loop and worker are real; timers (back-off, keep-alive) run on the real clock with
// small values, and the test waits for them on conditions with a deadline, never with sleeps.
// Scenarios against a real mosquitto live in tests/integration/client_test.cpp.

#include "pimqttd/mqtt/client.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "support/fake_transport.hpp"
#include "support/loop.hpp"

#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/mqtt/codec.hpp"
#include "pimqttd/mqtt/transport.hpp"

namespace pimqttd::mqtt {
namespace {

using test::describe;
using test::FakeTransport;
using test::run_for;
using test::run_until;

using namespace std::chrono_literals;
using Clock = core::EventLoop::Clock;
using core::Errc;
using std::chrono::milliseconds;
using Lines = std::vector<std::string>;

constexpr auto kGenerous = 10s;  // a deadline for conditions, never a sleep

/// spdlog's default logger replaced by one that writes "level message" lines to a string.
class LogCapture {
 public:
  LogCapture()
      : previous_(spdlog::default_logger()),
        logger_(std::make_shared<spdlog::logger>(
            "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_))) {
    logger_->set_pattern("%l %v");
    logger_->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger_);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  /// Lines at `level` ("error", "warning", "info"...) that contain `text`.
  [[nodiscard]] Lines lines(std::string_view level, std::string_view text) const {
    Lines out;
    std::istringstream in(stream_.str());
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with(std::string(level) + " ") && line.find(text) != std::string::npos) {
        out.push_back(line);
      }
    }
    return out;
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::logger> logger_;
};

ClientOptions test_options() {
  ClientOptions options;
  options.endpoint = {"broker.test", 1883, 5s};
  options.session.client_id = "pi-test";
  options.session.keep_alive = 0s;  // no PINGREQ unless a test asks for it
  options.backoff_initial = 20ms;
  options.backoff_max = 160ms;
  options.stable_after = 1h;
  return options;
}

class ClientTest : public testing::Test {
 protected:
  Client& make_client(ClientOptions options = test_options()) {
    client_ = std::make_unique<Client>(loop_, worker_, std::move(options),
                                       [this, make = broker_.factory()] {
                                         auto transport = make();
                                         fake_ = &broker_.transport();
                                         return transport;
                                       });
    client_->on_state_change([this](ConnectionState state, std::error_code error) {
      states_.emplace_back(state, error);
    });
    return *client_;
  }

  void settle() { broker_.settle(); }
  std::vector<Packet> take_packets() { return broker_.take_packets(); }
  /// What the client wrote since the last call, one line per packet.
  Lines sent() { return broker_.sent(); }
  void reply(const Packet& packet) { broker_.reply(packet); }

  /// The pending connect succeeds; the client must write exactly one CONNECT. Returns it.
  Connect open() {
    fake_->open();
    auto packets = take_packets();
    EXPECT_EQ(packets.size(), 1u);
    if (packets.empty() || !std::holds_alternative<Connect>(packets.front())) {
      ADD_FAILURE() << "no CONNECT";
      return {};
    }
    return std::get<Connect>(packets.front());
  }

  /// Starts (if needed), opens the transport, accepts the CONNECT. Returns what the client wrote
  /// after the CONNACK.
  Lines connect_fully(bool session_present = false) {
    if (client_->state() == ConnectionState::stopped) {
      client_->start();
    }
    EXPECT_TRUE(fake_->connecting);
    open();
    reply(Connack{session_present, 0});
    EXPECT_EQ(client_->state(), ConnectionState::connected);
    return sent();
  }

  /// Waits for the client's next connect attempt (after a back-off).
  bool wait_for_connect_attempt(int attempt) {
    return run_until(loop_, [&] { return fake_->connects >= attempt; });
  }

  /// The packet ids of the QoS > 0 PUBLISH packets written since the last call.
  std::vector<std::uint16_t> publish_ids(const std::vector<Packet>& packets) {
    std::vector<std::uint16_t> ids;
    for (const auto& packet : packets) {
      if (const auto* publish = std::get_if<Publish>(&packet)) ids.push_back(publish->packet_id);
    }
    return ids;
  }

  core::EventLoop loop_;
  core::Worker worker_{loop_};
  test::ScriptedBroker broker_{loop_};
  FakeTransport* fake_ = nullptr;  // owned by client_
  std::unique_ptr<Client> client_;
  std::vector<std::pair<ConnectionState, std::error_code>> states_;
};

// -- connecting --------------------------------------------------------------------------------

TEST_F(ClientTest, ConnectCarriesTheClientOptions) {
  ClientOptions options = test_options();
  options.endpoint = {"broker.example", 8883, 3s};
  options.session.client_id = "pi-kitchen";
  options.session.clean_session = false;
  options.session.keep_alive = 30s;
  options.session.will = Will{"pimqttd/pi-kitchen/status", "offline", QoS::at_least_once, true};
  options.session.username = "user";
  options.session.password = "s3cret";
  Client& client = make_client(options);
  EXPECT_EQ(client.state(), ConnectionState::stopped);
  EXPECT_EQ(fake_->connects, 0) << "nothing happens before start()";

  client.start();
  EXPECT_EQ(client.state(), ConnectionState::connecting);
  ASSERT_EQ(fake_->connects, 1);
  EXPECT_EQ(fake_->endpoints.front().host, "broker.example");
  EXPECT_EQ(fake_->endpoints.front().port, 8883);
  EXPECT_EQ(fake_->endpoints.front().timeout, 3s);
  client.start();  // already started: nothing
  EXPECT_EQ(fake_->connects, 1);

  const Connect connect = open();
  const Connect expected{ProtocolVersion::v311, "pi-kitchen", false, 30, options.session.will,
                         std::string("user"), std::string("s3cret")};
  EXPECT_EQ(connect, expected);
  EXPECT_EQ(client.state(), ConnectionState::connecting) << "connected only after CONNACK";

  reply(Connack{true, 0});  // session present is fine for a persistent session
  EXPECT_EQ(client.state(), ConnectionState::connected);
  EXPECT_FALSE(client.last_error());
  ASSERT_GE(states_.size(), 2u);
  EXPECT_EQ(states_[0].first, ConnectionState::connecting);
  EXPECT_EQ(states_[1].first, ConnectionState::connected);
}

TEST_F(ClientTest, EverySubscriptionIsSentAfterEveryConnack) {
  Client& client = make_client();
  ASSERT_FALSE(client.subscribe("home/+/set", QoS::at_least_once, [](const Publish&) {}));
  ASSERT_FALSE(client.subscribe("homeassistant/status", QoS::at_most_once, [](const Publish&) {}));
  EXPECT_EQ(client.subscribe("bad/#/filter", QoS::at_most_once, {}), Errc::invalid_topic);
  client.start();
  open();
  EXPECT_TRUE(sent().empty()) << "nothing but CONNECT before the CONNACK";
  reply(Connack{false, 0});
  EXPECT_EQ(sent(), (Lines{"SUBSCRIBE home/+/set:1", "SUBSCRIBE homeassistant/status:0"}));

  // A subscription made while connected goes out at once; an unsubscribe too.
  ASSERT_FALSE(client.subscribe("extra/#", QoS::exactly_once, [](const Publish&) {}));
  EXPECT_EQ(sent(), (Lines{"SUBSCRIBE extra/#:2"}));
  client.unsubscribe("homeassistant/status");
  EXPECT_EQ(sent(), (Lines{"UNSUBSCRIBE homeassistant/status"}));

  // Lost and reconnected: the current set is renewed, in order.
  fake_->fail(make_error_code(Errc::connection_closed));
  EXPECT_EQ(client.state(), ConnectionState::waiting);
  ASSERT_TRUE(wait_for_connect_attempt(2));
  EXPECT_EQ(client.state(), ConnectionState::connecting);
  open();
  reply(Connack{false, 0});
  EXPECT_EQ(sent(), (Lines{"SUBSCRIBE home/+/set:1", "SUBSCRIBE extra/#:2"}));
  EXPECT_EQ(client.counters().reconnects, 1u);
}

// -- publishing --------------------------------------------------------------------------------

TEST_F(ClientTest, PublishWhileOfflineQueuesAndDrainsInOrderAfterConnack) {
  Client& client = make_client();
  ASSERT_FALSE(client.publish("t/a", "1", QoS::at_most_once, false));
  ASSERT_FALSE(client.publish("t/b", "2", QoS::at_least_once, true));
  EXPECT_EQ(client.queued(), 2u);
  client.start();
  open();
  // Still queued while waiting for the CONNACK.
  ASSERT_FALSE(client.publish("t/c", "3", QoS::exactly_once, false));
  ASSERT_FALSE(client.publish("t/d", "4", QoS::at_most_once, false));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(client.queued(), 4u);
  EXPECT_EQ(client.counters().published, 0u);

  reply(Connack{false, 0});
  EXPECT_EQ(sent(), (Lines{"PUBLISH t/a=1 q0", "PUBLISH t/b=2 q1 r", "PUBLISH t/c=3 q2",
                           "PUBLISH t/d=4 q0"}));
  EXPECT_EQ(client.queued(), 0u);
  EXPECT_EQ(client.inflight(), 2u);
  EXPECT_EQ(client.counters().published, 4u);
  EXPECT_EQ(fake_->ignored_sends, 0) << "the client wrote to a transport that was not connected";
}

TEST_F(ClientTest, TheInflightWindowHoldsBackQos1MessagesUntilPubacks) {
  ClientOptions options = test_options();
  options.session.inflight_window = 2;
  make_client(options);
  connect_fully();
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(client_->publish("m/" + std::to_string(i), std::to_string(i),
                                  QoS::at_least_once, false));
  }
  auto packets = take_packets();
  std::vector<std::uint16_t> ids = publish_ids(packets);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(describe(packets[0]), "PUBLISH m/0=0 q1");
  EXPECT_EQ(describe(packets[1]), "PUBLISH m/1=1 q1");
  EXPECT_EQ(client_->inflight(), 2u);
  EXPECT_EQ(client_->queued(), 3u);

  Lines later;
  std::vector<std::uint16_t> acked;
  // Acknowledge in order; each PUBACK frees one slot for the next queued message.
  for (int round = 0; round < 5; ++round) {
    ASSERT_FALSE(ids.empty()) << "round " << round;
    reply(Puback{ids.front()});
    acked.push_back(ids.front());
    ids.erase(ids.begin());
    packets = take_packets();
    for (const auto& packet : packets) later.push_back(describe(packet));
    for (auto id : publish_ids(packets)) ids.push_back(id);
    EXPECT_LE(client_->inflight(), 2u);
  }
  EXPECT_EQ(later, (Lines{"PUBLISH m/2=2 q1", "PUBLISH m/3=3 q1", "PUBLISH m/4=4 q1"}));
  EXPECT_EQ(client_->inflight(), 0u);
  EXPECT_EQ(client_->queued(), 0u);
  EXPECT_EQ(client_->counters().completed, 5u);
  EXPECT_EQ(client_->counters().published, 5u);
}

TEST_F(ClientTest, UnderLoadTheWindowRefillsInBatchesAndAsksForQuickAcks) {
  ClientOptions options = test_options();
  options.session.inflight_window = 8;  // refilled two slots at a time
  make_client(options);
  connect_fully();
  for (int i = 0; i < 12; ++i) {
    ASSERT_FALSE(client_->publish("m/" + std::to_string(i), std::to_string(i),
                                  QoS::at_least_once, false));
  }
  std::vector<std::uint16_t> ids = publish_ids(take_packets());
  ASSERT_EQ(ids.size(), 8u);
  EXPECT_EQ(fake_->acknowledgements, 0) << "nothing was received yet";

  // One slot free of eight: the queued message waits, and the broker's next PUBACKs are asked
  // for at once (a broker under Nagle's algorithm holds them until our ACK).
  reply(Puback{ids[0]});
  EXPECT_TRUE(take_packets().empty());
  EXPECT_EQ(client_->inflight(), 7u);
  EXPECT_EQ(client_->queued(), 4u);
  EXPECT_EQ(fake_->acknowledgements, 1);

  // Two free: both refilled, in order, in one write.
  const int writes_before = fake_->writes;
  reply(Puback{ids[1]});
  Lines refilled;
  for (const auto& packet : take_packets()) refilled.push_back(describe(packet));
  EXPECT_EQ(refilled, (Lines{"PUBLISH m/8=8 q1", "PUBLISH m/9=9 q1"}));
  EXPECT_EQ(fake_->writes, writes_before + 1);
  EXPECT_EQ(fake_->acknowledgements, 2);

  // A message published with one slot free waits for the batch too, and QoS 0 does not wait.
  reply(Puback{ids[2]});
  ASSERT_FALSE(client_->publish("q0", "now", QoS::at_most_once, false));
  EXPECT_TRUE(take_packets().empty()) << "the QoS 0 message keeps its place behind the queue";
  reply(Puback{ids[3]});
  refilled.clear();
  for (const auto& packet : take_packets()) refilled.push_back(describe(packet));
  EXPECT_EQ(refilled, (Lines{"PUBLISH m/10=10 q1", "PUBLISH m/11=11 q1", "PUBLISH q0=now q0"}));

  for (std::size_t i = 4; i < ids.size(); ++i) reply(Puback{ids[i]});
  settle();
  EXPECT_EQ(client_->inflight(), 4u);
  EXPECT_EQ(client_->queued(), 0u);
  EXPECT_EQ(client_->counters().completed, 8u);
}

TEST_F(ClientTest, AnIdleClientSendsAtOnceAndAsksForNoQuickAck) {
  ClientOptions options = test_options();
  options.session.inflight_window = 8;
  make_client(options);
  connect_fully();
  ASSERT_FALSE(client_->publish("m", "1", QoS::at_least_once, false));
  const std::vector<std::uint16_t> ids = publish_ids(take_packets());
  ASSERT_EQ(ids.size(), 1u);
  reply(Puback{ids[0]});
  settle();
  EXPECT_EQ(client_->inflight(), 0u);
  EXPECT_EQ(fake_->acknowledgements, 1) << "asked while the PUBACK was awaited";
  reply(Pingresp{});
  settle();
  EXPECT_EQ(fake_->acknowledgements, 1) << "nothing in flight: nothing to ask for";
}

TEST_F(ClientTest, UnacknowledgedMessagesAreResentFirstAfterAReconnect) {
  ClientOptions options = test_options();
  options.session.inflight_window = 2;
  Client& client = make_client(options);
  ASSERT_FALSE(client.subscribe("cmd/#", QoS::at_least_once, [](const Publish&) {}));
  connect_fully();
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(client.publish("m/" + std::to_string(i), "v", QoS::at_least_once, false));
  }
  const auto ids = publish_ids(take_packets());
  ASSERT_EQ(ids.size(), 2u);
  fake_->fail(make_error_code(Errc::connection_closed));
  ASSERT_FALSE(client.publish("m/3", "v", QoS::at_most_once, false));
  EXPECT_EQ(client.inflight(), 2u);
  EXPECT_EQ(client.queued(), 2u);
  ASSERT_TRUE(wait_for_connect_attempt(2));
  open();
  reply(Connack{false, 0});
  // No session on the broker: the two in flight go again as new messages (DUP 0, same ids),
  // before the subscription and anything queued (the window is still full for m/2).
  auto packets = take_packets();
  EXPECT_EQ(publish_ids(packets), (std::vector<std::uint16_t>{ids[0], ids[1]}));
  Lines lines;
  for (const auto& packet : packets) lines.push_back(describe(packet));
  EXPECT_EQ(lines, (Lines{"PUBLISH m/0=v q1", "PUBLISH m/1=v q1", "SUBSCRIBE cmd/#:1"}));
  reply(Puback{ids[0]});
  EXPECT_EQ(sent(), (Lines{"PUBLISH m/2=v q1", "PUBLISH m/3=v q0"}));
  EXPECT_EQ(client.queued(), 0u);
}

TEST_F(ClientTest, ATransportFailingInsideSendIsALostConnection) {
  Client& client = make_client();
  connect_fully();
  fake_->fail_in_send = true;
  ASSERT_FALSE(client.publish("t", "1", QoS::at_least_once, false));
  settle();
  EXPECT_EQ(client.state(), ConnectionState::waiting);
  EXPECT_EQ(client.last_error(), std::error_code(EPIPE, std::system_category()));
  EXPECT_EQ(client.inflight(), 1u) << "the QoS 1 message stays in the session";
  ASSERT_TRUE(wait_for_connect_attempt(2));
  open();
  reply(Connack{false, 0});
  EXPECT_EQ(sent(), (Lines{"PUBLISH t=1 q1"}));
}

TEST_F(ClientTest, StateMessagesReplaceOlderQueuedOnesOnTheSameTopic) {
  Client& client = make_client();
  ASSERT_FALSE(client.publish("s/temp", "20.1", QoS::at_most_once, false, true));
  ASSERT_FALSE(client.publish("s/hum", "40", QoS::at_most_once, false, true));
  ASSERT_FALSE(client.publish("event", "e1", QoS::at_least_once, false));
  ASSERT_FALSE(client.publish("s/temp", "20.4", QoS::at_most_once, false, true));
  ASSERT_FALSE(client.publish("event", "e2", QoS::at_least_once, false));  // not a state: kept
  EXPECT_EQ(client.queued(), 4u);
  EXPECT_EQ(client.counters().replaced, 1u);
  EXPECT_EQ(client.counters().dropped, 0u);
  EXPECT_EQ(connect_fully(), (Lines{"PUBLISH s/hum=40 q0", "PUBLISH event=e1 q1",
                                    "PUBLISH s/temp=20.4 q0", "PUBLISH event=e2 q1"}));
}

TEST_F(ClientTest, AFullOutboxDropsTheOldestMessage) {
  ClientOptions options = test_options();
  options.outbox_capacity = 3;
  Client& client = make_client(options);
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(client.publish("q/" + std::to_string(i), "x", QoS::at_least_once, false));
  }
  EXPECT_EQ(client.queued(), 3u);
  EXPECT_EQ(client.counters().dropped, 2u);
  EXPECT_EQ(connect_fully(), (Lines{"PUBLISH q/2=x q1", "PUBLISH q/3=x q1", "PUBLISH q/4=x q1"}));
}

TEST_F(ClientTest, PendingOutputAboveTheLimitHoldsBackTheOutboxUntilDrained) {
  ClientOptions options = test_options();
  options.max_pending_output = 1000;
  make_client(options);
  connect_fully();
  const std::string payload(600, 'p');

  // The transport's buffer is over the limit: nothing more is handed to it.
  fake_->pending = 1001;
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(client_->publish("big/" + std::to_string(i), payload, QoS::at_most_once, false));
  }
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(client_->queued(), 3u);

  // Drained: the outbox resumes, in order. Unwritten bytes count towards the limit whether the
  // session or the transport holds them, so two 600-byte messages reach it and the third waits
  // for the next drain.
  fake_->grow_pending = true;
  fake_->drain();
  EXPECT_EQ(sent(), (Lines{"PUBLISH big/0=" + payload + " q0", "PUBLISH big/1=" + payload + " q0"}));
  EXPECT_EQ(client_->queued(), 1u);
  fake_->drain();
  EXPECT_EQ(sent(), (Lines{"PUBLISH big/2=" + payload + " q0"}));
  EXPECT_EQ(client_->queued(), 0u);

  // With room, publish() goes straight to the session until the limit; the rest waits.
  fake_->pending = 0;
  ASSERT_FALSE(client_->publish("big/3", payload, QoS::at_most_once, false));
  ASSERT_FALSE(client_->publish("big/4", payload, QoS::at_most_once, false));
  ASSERT_FALSE(client_->publish("big/5", payload, QoS::at_most_once, false));
  EXPECT_EQ(sent().size(), 2u);
  EXPECT_GT(fake_->pending, 1000u);
  EXPECT_EQ(client_->queued(), 1u);
  fake_->drain();
  ASSERT_EQ(sent().size(), 1u);
  EXPECT_EQ(client_->queued(), 0u);
}

TEST_F(ClientTest, InvalidTopicsAndQosAreRejected) {
  Client& client = make_client();
  EXPECT_EQ(client.publish("a/+/b", "x", QoS::at_most_once, false), Errc::invalid_topic);
  EXPECT_EQ(client.publish("a/#", "x", QoS::at_most_once, false), Errc::invalid_topic);
  EXPECT_EQ(client.publish("", "x", QoS::at_most_once, false), Errc::invalid_topic);
  EXPECT_EQ(client.publish("ok", "x", static_cast<QoS>(3), false), Errc::invalid_qos);
  EXPECT_EQ(client.queued(), 0u);
  EXPECT_TRUE(connect_fully().empty());
}

// -- back-off ----------------------------------------------------------------------------------

testing::AssertionResult within(milliseconds delay, milliseconds base) {
  if (delay >= base * 3 / 4 && delay <= base) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << delay.count() << " ms is not in [" << (base * 3 / 4).count()
                                     << ", " << base.count() << "] ms";
}

TEST_F(ClientTest, ConnectFailuresBackOffExponentiallyWithJitterUpToTheMaximum) {
  Client& client = make_client();
  const std::error_code refused(ECONNREFUSED, std::system_category());
  client.start();
  const std::vector<milliseconds> bases{20ms, 40ms, 80ms, 160ms, 160ms, 160ms};
  for (std::size_t i = 0; i < bases.size(); ++i) {
    ASSERT_TRUE(fake_->connecting) << "attempt " << i + 1;
    const auto failed_at = Clock::now();
    fake_->fail(refused);
    EXPECT_EQ(client.state(), ConnectionState::waiting);
    EXPECT_EQ(client.last_error(), refused);
    EXPECT_TRUE(within(client.retry_delay(), bases[i])) << "attempt " << i + 1;
    EXPECT_EQ(client.counters().connect_failures, i + 1);
    ASSERT_TRUE(wait_for_connect_attempt(static_cast<int>(i) + 2));
    EXPECT_GE(Clock::now() - failed_at, client.retry_delay()) << "retried early";
  }
  ASSERT_FALSE(states_.empty());
  // Every failure was reported as `waiting` with its reason.
  int waiting = 0;
  for (const auto& [state, error] : states_) {
    if (state == ConnectionState::waiting) {
      ++waiting;
      EXPECT_EQ(error, refused);
    }
  }
  EXPECT_EQ(waiting, static_cast<int>(bases.size()));
}

TEST_F(ClientTest, AShortConnectionDoesNotResetTheBackOff) {
  Client& client = make_client();  // stable_after = 1 h
  client.start();
  fake_->fail(make_error_code(Errc::connect_timeout));  // base 20
  ASSERT_TRUE(wait_for_connect_attempt(2));
  fake_->fail(make_error_code(Errc::connect_timeout));  // base 40
  ASSERT_TRUE(wait_for_connect_attempt(3));
  open();
  reply(Connack{false, 0});
  ASSERT_EQ(client.state(), ConnectionState::connected);
  fake_->fail(make_error_code(Errc::connection_closed));
  EXPECT_TRUE(within(client.retry_delay(), 80ms));
  EXPECT_EQ(client.counters().connect_failures, 2u) << "a lost connection is not a failed connect";
}

TEST_F(ClientTest, AStableConnectionResetsTheBackOff) {
  ClientOptions options = test_options();
  options.stable_after = 50ms;
  Client& client = make_client(options);
  client.start();
  fake_->fail(make_error_code(Errc::connect_timeout));  // base 20
  ASSERT_TRUE(wait_for_connect_attempt(2));
  fake_->fail(make_error_code(Errc::connect_timeout));  // base 40
  ASSERT_TRUE(wait_for_connect_attempt(3));
  open();
  reply(Connack{false, 0});
  ASSERT_EQ(client.state(), ConnectionState::connected);
  const auto connected_by = Clock::now();
  ASSERT_TRUE(run_until(loop_, [&] { return Clock::now() - connected_by >= 60ms; }));
  fake_->fail(make_error_code(Errc::connection_closed));
  EXPECT_TRUE(within(client.retry_delay(), 20ms));
  // And it grows again from there.
  ASSERT_TRUE(wait_for_connect_attempt(4));
  fake_->fail(make_error_code(Errc::connect_timeout));
  EXPECT_TRUE(within(client.retry_delay(), 40ms));
}

TEST_F(ClientTest, ARefusedConnackClosesRetriesAtTheMaximumAndIsLoggedOnce) {
  LogCapture log;
  Client& client = make_client();
  client.start();
  open();
  const int closes_before = fake_->closes;
  reply(Connack{false, 5});
  EXPECT_EQ(fake_->closes, closes_before + 1) << "a refused connection must be closed";
  EXPECT_EQ(client.state(), ConnectionState::waiting);
  EXPECT_EQ(client.last_error(), Errc::connection_refused_not_authorized);
  EXPECT_TRUE(within(client.retry_delay(), 160ms));
  EXPECT_EQ(client.counters().connect_failures, 1u);

  // Refused again the same way: retried at the maximum again, not logged again.
  ASSERT_TRUE(wait_for_connect_attempt(2));
  open();
  reply(Connack{false, 5});
  EXPECT_EQ(client.state(), ConnectionState::waiting);
  EXPECT_TRUE(within(client.retry_delay(), 160ms));
  EXPECT_EQ(log.lines("error", "refused").size(), 1u);

  // A different refusal is news.
  ASSERT_TRUE(wait_for_connect_attempt(3));
  open();
  reply(Connack{false, 4});
  EXPECT_EQ(client.last_error(), Errc::connection_refused_bad_credentials);
  EXPECT_EQ(log.lines("error", "refused").size(), 2u);

  // Accepted at last; a later refusal after that is logged again.
  ASSERT_TRUE(wait_for_connect_attempt(4));
  open();
  reply(Connack{false, 0});
  EXPECT_EQ(client.state(), ConnectionState::connected);
  fake_->fail(make_error_code(Errc::connection_closed));
  ASSERT_TRUE(wait_for_connect_attempt(5));
  open();
  reply(Connack{false, 4});
  EXPECT_EQ(log.lines("error", "refused").size(), 3u);
  EXPECT_EQ(client.counters().connect_failures, 4u);
}

TEST_F(ClientTest, AMalformedPacketFromTheBrokerClosesAndReconnects) {
  Client& client = make_client();
  connect_fully();
  const int closes_before = fake_->closes;
  fake_->deliver(Bytes{0x00, 0x00});  // packet type 0 is reserved
  EXPECT_EQ(fake_->closes, closes_before + 1);
  EXPECT_EQ(client.state(), ConnectionState::waiting);
  EXPECT_EQ(client.last_error(), Errc::reserved_packet_type);
  ASSERT_TRUE(wait_for_connect_attempt(2));
  open();
  reply(Connack{false, 0});
  EXPECT_EQ(client.state(), ConnectionState::connected);
}

TEST_F(ClientTest, NoConnackWithinTheEndpointTimeoutClosesAndRetries) {
  ClientOptions options = test_options();
  options.endpoint.timeout = 100ms;  // also the CONNACK timeout, left at its default
  Client& client = make_client(options);
  client.start();
  const auto opened_at = Clock::now();
  open();
  ASSERT_TRUE(run_until(loop_, [&] { return client.state() == ConnectionState::waiting; }));
  EXPECT_GE(Clock::now() - opened_at, 100ms);
  EXPECT_EQ(client.last_error(), Errc::connack_timeout);
  EXPECT_EQ(fake_->closes, 1);
  EXPECT_EQ(client.counters().connect_failures, 1u);
  EXPECT_TRUE(wait_for_connect_attempt(2));
}

TEST_F(ClientTest, APacketBeforeConnackIsAProtocolError) {
  Client& client = make_client();
  client.start();
  open();
  reply(Publish{"t", "x", QoS::at_most_once, false, false, 0});
  EXPECT_EQ(client.state(), ConnectionState::waiting);
  EXPECT_EQ(client.last_error(), Errc::protocol_error);
  EXPECT_EQ(fake_->closes, 1);
}

// -- keep-alive (real time: about 1.5 s) ------------------------------------------------------

TEST_F(ClientTest, KeepAliveSendsPingreqAndClosesWithoutPingresp) {
  ClientOptions options = test_options();
  options.session.keep_alive = 1s;
  options.session.ping_timeout = 500ms;
  Client& client = make_client(options);
  client.start();
  const auto opened_at = Clock::now();
  EXPECT_EQ(open().keep_alive, 1);
  reply(Connack{false, 0});
  Lines lines;
  ASSERT_TRUE(run_until(loop_, [&] {
    for (auto& line : sent()) lines.push_back(line);
    return !lines.empty();
  }, 5s));
  const auto ping_seen_at = Clock::now();
  EXPECT_EQ(lines, (Lines{"PINGREQ"}));
  EXPECT_GE(ping_seen_at - opened_at, 1s) << "PINGREQ before the keep-alive interval";
  EXPECT_EQ(client.state(), ConnectionState::connected);

  ASSERT_TRUE(run_until(loop_, [&] { return client.state() != ConnectionState::connected; }, 5s));
  EXPECT_GE(Clock::now() - opened_at, 1500ms);
  EXPECT_EQ(client.state(), ConnectionState::waiting);
  EXPECT_EQ(client.last_error(), Errc::keepalive_timeout);
  EXPECT_EQ(fake_->closes, 1);
  EXPECT_TRUE(sent().empty());
}

// -- stopping ----------------------------------------------------------------------------------

TEST_F(ClientTest, StopWhenConnectedSendsDisconnectAndRunsDone) {
  Client& client = make_client();
  connect_fully();
  fake_->wire.clear();
  bool done = false;
  client.stop([&] { done = true; });
  EXPECT_EQ(fake_->wire, (Bytes{0xE0, 0x00}));
  // The client waits for the broker to close the connection after DISCONNECT.
  EXPECT_FALSE(done);
  EXPECT_EQ(client.state(), ConnectionState::stopping);
  EXPECT_EQ(fake_->closes, 0);
  fake_->fail(make_error_code(Errc::connection_closed));
  EXPECT_TRUE(done);
  EXPECT_EQ(client.state(), ConnectionState::stopped);
  EXPECT_EQ(fake_->closes, 1);
  // Nothing reconnects.
  run_for(loop_, 200ms);
  EXPECT_EQ(fake_->connects, 1);
  // stop() again is harmless and runs its callback at once.
  bool again = false;
  client.stop([&] { again = true; });
  EXPECT_TRUE(again);
}

TEST_F(ClientTest, StopWaitsForTheDisconnectToBeWrittenAndTheBrokersClose) {
  Client& client = make_client();
  connect_fully();
  fake_->grow_pending = true;
  bool done = false;
  client.stop([&] { done = true; });
  EXPECT_EQ(client.state(), ConnectionState::stopping);
  EXPECT_FALSE(done);
  EXPECT_EQ(fake_->closes, 0);
  // Published meanwhile: kept for later, not written.
  ASSERT_FALSE(client.publish("late", "x", QoS::at_least_once, false));
  EXPECT_EQ(sent(), (Lines{"DISCONNECT"}));
  fake_->drain();
  EXPECT_FALSE(done);  // written; now the broker's close ends the stop
  fake_->fail(make_error_code(Errc::connection_closed));
  EXPECT_TRUE(done);
  EXPECT_EQ(client.state(), ConnectionState::stopped);
  EXPECT_EQ(fake_->closes, 1);
  EXPECT_EQ(client.queued(), 1u);
}

TEST_F(ClientTest, StopGivesUpAfterTheStopTimeout) {
  ClientOptions options = test_options();
  options.stop_timeout = 50ms;
  Client& client = make_client(options);
  connect_fully();
  fake_->grow_pending = true;
  bool done = false;
  client.stop([&] { done = true; });
  EXPECT_FALSE(done);
  ASSERT_TRUE(run_until(loop_, [&] { return done; }));
  EXPECT_EQ(client.state(), ConnectionState::stopped);
  EXPECT_EQ(fake_->closes, 1);
}

TEST_F(ClientTest, ALossWhileStoppingFinishesTheStop) {
  Client& client = make_client();
  connect_fully();
  fake_->grow_pending = true;
  bool done = false;
  client.stop([&] { done = true; });
  ASSERT_EQ(client.state(), ConnectionState::stopping);
  fake_->fail(make_error_code(Errc::connection_closed));
  EXPECT_TRUE(done);
  EXPECT_EQ(client.state(), ConnectionState::stopped);
  run_for(loop_, 200ms);
  EXPECT_EQ(fake_->connects, 1);
}

TEST_F(ClientTest, StopWhileWaitingCancelsTheRetry) {
  Client& client = make_client();
  client.start();
  fake_->fail(std::error_code(ECONNREFUSED, std::system_category()));
  ASSERT_EQ(client.state(), ConnectionState::waiting);
  bool done = false;
  client.stop([&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_EQ(client.state(), ConnectionState::stopped);
  run_for(loop_, 200ms);  // longer than any back-off here
  EXPECT_EQ(fake_->connects, 1);
  // start() after stop() connects again, with a fresh back-off.
  client.start();
  EXPECT_EQ(fake_->connects, 2);
  fake_->fail(std::error_code(ECONNREFUSED, std::system_category()));
  EXPECT_TRUE(within(client.retry_delay(), 20ms));
}

TEST_F(ClientTest, StopWhileConnectingClosesTheTransport) {
  Client& client = make_client();
  client.start();
  bool done = false;
  client.stop([&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_EQ(client.state(), ConnectionState::stopped);
  EXPECT_EQ(fake_->closes, 1);
  EXPECT_FALSE(fake_->connecting);
}

TEST_F(ClientTest, StopFromTheStateHandlerWhenWaitingStaysStopped) {
  Client& client = make_client();
  bool done = false;
  client.on_state_change([&](ConnectionState state, std::error_code) {
    if (state == ConnectionState::waiting) client.stop([&] { done = true; });
  });
  client.start();
  fake_->fail(std::error_code(ECONNREFUSED, std::system_category()));
  EXPECT_TRUE(done);
  EXPECT_EQ(client.state(), ConnectionState::stopped);
  run_for(loop_, 200ms);
  EXPECT_EQ(fake_->connects, 1) << "a retry was scheduled after stop()";
  EXPECT_EQ(client.state(), ConnectionState::stopped);
}

TEST_F(ClientTest, StopFromTheStateHandlerWhenConnectingDoesNotConnect) {
  Client& client = make_client();
  client.on_state_change([&](ConnectionState state, std::error_code) {
    if (state == ConnectionState::connecting) client.stop();
  });
  client.start();
  EXPECT_EQ(client.state(), ConnectionState::stopped);
  EXPECT_FALSE(fake_->connecting) << "the transport connects although the client is stopped";
}

// -- receiving ---------------------------------------------------------------------------------

TEST_F(ClientTest, MessagesReachEveryHandlerWhoseFilterMatches) {
  Client& client = make_client();
  Lines got;
  ASSERT_FALSE(client.subscribe("home/+/temp", QoS::at_least_once,
                                [&](const Publish& p) { got.push_back("plus " + p.topic); }));
  ASSERT_FALSE(client.subscribe("home/#", QoS::at_most_once,
                                [&](const Publish& p) { got.push_back("hash " + p.topic); }));
  ASSERT_FALSE(client.subscribe("garden/temp", QoS::at_most_once,
                                [&](const Publish& p) { got.push_back("garden " + p.topic); }));
  connect_fully();
  reply(Publish{"home/kitchen/temp", "21.5", QoS::at_least_once, false, false, 7});
  EXPECT_EQ(got, (Lines{"plus home/kitchen/temp", "hash home/kitchen/temp"}));
  EXPECT_EQ(sent(), (Lines{"PUBACK 7"}));
  got.clear();
  reply(Publish{"garden/temp", "12", QoS::at_most_once, false, false, 0});
  reply(Publish{"elsewhere", "0", QoS::at_most_once, false, false, 0});
  EXPECT_EQ(got, (Lines{"garden garden/temp"}));
  EXPECT_EQ(client.counters().received, 3u);
}

TEST_F(ClientTest, AHandlerMaySubscribeAndUnsubscribeFromInsideItsCallback) {
  Client& client = make_client();
  Lines got;
  ASSERT_FALSE(client.subscribe("a/#", QoS::at_most_once, [&](const Publish& p) {
    got.push_back("a-handler " + p.topic + " " + p.payload);
    client.unsubscribe("a/#");  // destroys this very handler's stored copy
    ASSERT_FALSE(client.subscribe("b/#", QoS::at_least_once, [&](const Publish& q) {
      got.push_back("b-handler " + q.topic);
    }));
    ASSERT_FALSE(client.subscribe("a/#", QoS::at_most_once, [&](const Publish& q) {
      got.push_back("new a-handler " + q.topic + " " + q.payload);
    }));
  }));
  connect_fully();
  // Two messages in one read: the first one's handler replaces itself before the second.
  Bytes both = encode(Publish{"a/1", "first", QoS::at_most_once, false, false, 0});
  const Bytes second = encode(Publish{"a/2", "second", QoS::at_most_once, false, false, 0});
  both.insert(both.end(), second.begin(), second.end());
  fake_->deliver(both);
  EXPECT_EQ(got, (Lines{"a-handler a/1 first", "new a-handler a/2 second"}));
  EXPECT_EQ(sent(), (Lines{"UNSUBSCRIBE a/#", "SUBSCRIBE b/#:1", "SUBSCRIBE a/#:0"}));
  got.clear();
  reply(Publish{"b/x", "1", QoS::at_most_once, false, false, 0});
  EXPECT_EQ(got, (Lines{"b-handler b/x"}));
}

// -- progress ----------------------------------------------------------------------------------

TEST_F(ClientTest, ProgressFollowsPubackAndIsNeverReentrantFromPublish) {
  Client& client = make_client();
  bool inside_publish = false;
  int progress = 0;
  int reentrant = 0;
  client.on_progress([&] {
    ++progress;
    if (inside_publish) ++reentrant;
    // A bulk publisher publishes its next message from here.
    if (progress < 3) {
      inside_publish = true;
      ASSERT_FALSE(client.publish("bulk", std::to_string(progress), QoS::at_most_once, false));
      inside_publish = false;
    }
  });
  connect_fully();
  inside_publish = true;
  ASSERT_FALSE(client.publish("q1", "x", QoS::at_least_once, false));
  inside_publish = false;
  auto packets = take_packets();
  const auto ids = publish_ids(packets);
  ASSERT_EQ(ids.size(), 1u);
  run_for(loop_, 30ms);
  EXPECT_EQ(progress, 0) << "no progress before the PUBACK";

  reply(Puback{ids.front()});
  EXPECT_EQ(progress, 0) << "progress runs from the loop, not inside on_data";
  // Progress -> publishes bulk=1 (QoS 0, written) -> progress again -> bulk=2 -> progress.
  ASSERT_TRUE(run_until(loop_, [&] { return progress >= 3; }));
  EXPECT_EQ(reentrant, 0);
  EXPECT_EQ(sent(), (Lines{"PUBLISH bulk=1 q0", "PUBLISH bulk=2 q0"}));
  run_for(loop_, 30ms);
  EXPECT_EQ(progress, 3);
}

TEST_F(ClientTest, ProgressForQos0ComesOnceTheBytesReachedTheTransport) {
  Client& client = make_client();
  connect_fully();
  std::vector<std::size_t> wire_at_progress;
  std::vector<std::size_t> pending_at_progress;
  client.on_progress([&] {
    wire_at_progress.push_back(fake_->wire.size());
    pending_at_progress.push_back(client.pending_output());
  });
  const std::size_t before = fake_->wire.size();
  ASSERT_FALSE(client.publish("last", "message", QoS::at_most_once, false));
  ASSERT_TRUE(run_until(loop_, [&] { return !wire_at_progress.empty(); }));
  // The last message of a bulk run: its publisher sees an empty pipeline and can stop.
  EXPECT_GT(wire_at_progress.front(), before) << "progress ran before the flush";
  EXPECT_EQ(pending_at_progress.front(), 0u);
  EXPECT_EQ(sent(), (Lines{"PUBLISH last=message q0"}));
}

TEST_F(ClientTest, DestroyingTheClientWithProgressPendingIsSafe) {
  make_client();
  int progress = 0;
  client_->on_progress([&] { ++progress; });
  connect_fully();
  ASSERT_FALSE(client_->publish("q0", "x", QoS::at_most_once, false));
  client_.reset();
  run_for(loop_, 30ms);
  EXPECT_EQ(progress, 0);
}

}  // namespace
}  // namespace pimqttd::mqtt
