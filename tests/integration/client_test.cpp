// mqtt::Client against a real mosquitto broker on loopback: QoS round trips both ways, retained
// messages, the will, a broker restarted in the middle of a stream, a frozen broker, renewed
// subscriptions, a refused CONNACK and a broker that is not there yet.
//
// The client runs on a real core::EventLoop that the test drives with run_once() inside bounded
// waits on a condition (run_until); the other side is mosquitto's own command-line clients
// (support/mqtt_sub.hpp), so that what is checked is what an independent client really got.

#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/mqtt/client.hpp"
#include "support/broker.hpp"
#include "support/loop.hpp"
#include "support/mqtt_sub.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace pimqttd::test {

// Readable failure messages (GoogleTest finds it by argument-dependent lookup).
static void PrintTo(const ReceivedMessage& message, std::ostream* out) {
  *out << '"' << message.topic << ' ' << message.payload << '"';
}

namespace {

using namespace std::chrono_literals;
using core::Errc;
using mqtt::Client;
using mqtt::ClientOptions;
using mqtt::ConnectionState;
using mqtt::QoS;
using Clock = std::chrono::steady_clock;

constexpr auto kDeadline = 10s;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// "topic|payload|q1|r0": a received message in one comparable, printable string.
std::string describe(const mqtt::Publish& publish) {
  return publish.topic + "|" + publish.payload + "|q" +
         std::to_string(static_cast<int>(publish.qos)) + "|r" + (publish.retain ? "1" : "0");
}

std::string state_name(ConnectionState state) { return std::string(mqtt::to_string(state)); }

ExitStatus publish_with_mosquitto_pub(const Broker& broker, const std::string& topic,
                                      const std::string& payload, int qos, bool retain = false) {
  PublishOptions options;
  options.port = broker.port();
  options.topic = topic;
  options.payload = payload;
  options.qos = qos;
  options.retain = retain;
  return mosquitto_pub(options);
}

ClientOptions client_options(const Broker& broker, std::string client_id) {
  ClientOptions options;
  options.endpoint = {broker.host(), broker.port(), 2s};
  options.session.client_id = std::move(client_id);
  options.backoff_initial = 50ms;
  options.backoff_max = 400ms;
  return options;
}

class ClientIntegrationTest : public ::testing::Test {
 protected:
  /// Drives the loop until `condition` holds (true) or `deadline` has passed (false).
  bool run_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline,
                 std::chrono::milliseconds step = 10ms) {
    return test::run_until(loop_, condition, deadline, step);
  }

  /// Runs the loop until the client is connected.
  bool run_until_connected(const Client& client, std::chrono::milliseconds deadline = kDeadline) {
    return run_until([&] { return client.state() == ConnectionState::connected; }, deadline);
  }

  /// Runs `client.stop()` to its end.
  bool stop_client(Client& client) {
    bool done = false;
    client.stop([&] { done = true; });
    return run_until([&] { return done; }, kDeadline);
  }

  core::EventLoop loop_;
  core::Worker worker_{loop_};
};

// -- 1. QoS round trips -------------------------------------------------------------------------

TEST_F(ClientIntegrationTest, PublishesAtEachQosToAnIndependentSubscriber) {
  Broker broker;
  broker.start();
  Subscriber subscriber({.port = broker.port(), .topic = "rt/out/#", .qos = 2});
  ASSERT_TRUE(subscriber.wait_subscribed(kDeadline)) << read_text(subscriber.error_path());

  Client client(loop_, worker_, client_options(broker, "pimqttd-roundtrip-out"));
  client.start();
  ASSERT_TRUE(run_until_connected(client)) << state_name(client.state()) << " "
                                           << client.last_error().message();

  std::map<std::string, std::vector<std::string>> sent;
  for (int qos = 0; qos <= 2; ++qos) {
    const std::string topic = "rt/out/q" + std::to_string(qos);
    for (int i = 0; i < 5; ++i) {
      const std::string payload = "q" + std::to_string(qos) + "-" + std::to_string(i);
      ASSERT_FALSE(client.publish(topic, payload, static_cast<QoS>(qos), false));
      sent[topic].push_back(payload);
    }
  }
  ASSERT_TRUE(run_until([&] { return client.counters().completed == 10; }, kDeadline))
      << "completed " << client.counters().completed;
  ASSERT_TRUE(subscriber.wait_for_count(15, kDeadline)) << subscriber.count();

  // Per topic in publish order (the broker may interleave QoS 0 with QoS 1/2 deliveries).
  std::map<std::string, std::vector<std::string>> received;
  for (const auto& line : subscriber.lines()) {
    received[line.topic].push_back(line.payload);
  }
  EXPECT_EQ(received, sent);
  EXPECT_EQ(client.counters().published, 15u);
  EXPECT_EQ(client.counters().completed, 10u);
  EXPECT_EQ(client.queued(), 0u);
  EXPECT_EQ(client.inflight(), 0u);
  EXPECT_EQ(client.counters().reconnects, 0u);
  EXPECT_TRUE(stop_client(client));
  EXPECT_EQ(client.state(), ConnectionState::stopped);
}

TEST_F(ClientIntegrationTest, ReceivesWhatMosquittoPubSendsAtEachQos) {
  Broker broker;
  broker.start();
  // A retained probe under the filter: once it arrives, the subscription is in place.
  ASSERT_EQ(publish_with_mosquitto_pub(broker, "rt/in/probe", "probe", 1, true),
            ExitStatus::exited(0));

  Client client(loop_, worker_, client_options(broker, "pimqttd-roundtrip-in"));
  std::vector<std::string> received;
  ASSERT_FALSE(client.subscribe("rt/in/+", QoS::exactly_once,
                                [&](const mqtt::Publish& publish) {
                                  received.push_back(describe(publish));
                                }));
  client.start();
  ASSERT_TRUE(run_until([&] { return !received.empty(); }, kDeadline))
      << state_name(client.state()) << " " << client.last_error().message();
  EXPECT_EQ(received, (std::vector<std::string>{"rt/in/probe|probe|q1|r1"}));

  for (int qos = 0; qos <= 2; ++qos) {
    ASSERT_EQ(publish_with_mosquitto_pub(broker, "rt/in/q" + std::to_string(qos),
                                         "from mosquitto_pub " + std::to_string(qos), qos),
              ExitStatus::exited(0));
  }
  ASSERT_TRUE(run_until([&] { return received.size() >= 4; }, kDeadline)) << received.size();
  EXPECT_EQ(received, (std::vector<std::string>{"rt/in/probe|probe|q1|r1",
                                                "rt/in/q0|from mosquitto_pub 0|q0|r0",
                                                "rt/in/q1|from mosquitto_pub 1|q1|r0",
                                                "rt/in/q2|from mosquitto_pub 2|q2|r0"}));
  EXPECT_EQ(client.counters().received, 4u);

  // Unsubscribed: a message on the filter no longer reaches the handler, a marker on another
  // filter (subscribed after it) does.
  client.unsubscribe("rt/in/+");
  ASSERT_FALSE(client.subscribe("rt/marker", QoS::at_least_once,
                                [&](const mqtt::Publish& publish) {
                                  received.push_back(describe(publish));
                                }));
  ASSERT_TRUE(run_until([&] { return broker.log().find("pimqttd-roundtrip-in 1 rt/marker") !=
                                     std::string::npos; },
                        kDeadline))
      << broker.log();
  ASSERT_EQ(publish_with_mosquitto_pub(broker, "rt/in/q1", "after unsubscribe", 1),
            ExitStatus::exited(0));
  ASSERT_EQ(publish_with_mosquitto_pub(broker, "rt/marker", "marker", 1), ExitStatus::exited(0));
  ASSERT_TRUE(run_until([&] { return received.size() >= 5; }, kDeadline)) << received.size();
  EXPECT_EQ(received.back(), "rt/marker|marker|q1|r0");
  EXPECT_EQ(received.size(), 5u);
}

// -- 2. Retained messages -----------------------------------------------------------------------

TEST_F(ClientIntegrationTest, RetainedMessageReachesLateSubscribersUntilCleared) {
  Broker broker;
  broker.start();
  Client client(loop_, worker_, client_options(broker, "pimqttd-retain"));
  client.start();
  ASSERT_TRUE(run_until_connected(client));

  ASSERT_FALSE(client.publish("ret/a", "kept", QoS::at_least_once, true));
  ASSERT_TRUE(run_until([&] { return client.counters().completed == 1; }, kDeadline));

  Subscriber late({.port = broker.port(), .topic = "ret/#", .qos = 1});
  ASSERT_TRUE(late.wait_for_count(1, kDeadline)) << read_text(late.error_path());
  EXPECT_EQ(late.lines(), (std::vector<ReceivedMessage>{{"ret/a", "kept"}}));

  // An empty retained payload clears it.
  ASSERT_FALSE(client.publish("ret/a", "", QoS::at_least_once, true));
  ASSERT_TRUE(run_until([&] { return client.counters().completed == 2; }, kDeadline));

  Subscriber later({.port = broker.port(), .topic = "ret/#", .qos = 1});
  ASSERT_TRUE(later.wait_subscribed(kDeadline)) << read_text(later.error_path());
  // The broker delivers retained messages before anything published after the subscription, so
  // once the marker is in, nothing retained is coming.
  ASSERT_FALSE(client.publish("ret/marker", "m", QoS::at_least_once, false));
  ASSERT_TRUE(run_until([&] { return client.counters().completed == 3; }, kDeadline));
  ASSERT_TRUE(later.wait_for_count(1, kDeadline));
  EXPECT_EQ(later.lines(), (std::vector<ReceivedMessage>{{"ret/marker", "m"}}));

  // The first subscriber saw the clearing message live (mosquitto_sub prints an empty payload
  // as "(null)"), then the marker.
  ASSERT_TRUE(late.wait_for_count(3, kDeadline)) << late.count();
  EXPECT_EQ(late.lines(), (std::vector<ReceivedMessage>{
                              {"ret/a", "kept"}, {"ret/a", "(null)"}, {"ret/marker", "m"}}));
}

// -- 3. The will --------------------------------------------------------------------------------

TEST_F(ClientIntegrationTest, WillIsPublishedWhenTheConnectionDiesWithoutDisconnect) {
  Broker broker;
  broker.start();
  Subscriber subscriber({.port = broker.port(), .topic = "will/#", .qos = 1});
  ASSERT_TRUE(subscriber.wait_subscribed(kDeadline));

  auto options = client_options(broker, "pimqttd-will-dies");
  options.session.will = mqtt::Will{"will/dies", "offline", QoS::at_least_once, true};
  {
    Client client(loop_, worker_, options);
    client.start();
    ASSERT_TRUE(run_until_connected(client));
    // Destroyed while connected, without stop(): its socket closes without DISCONNECT.
  }
  ASSERT_TRUE(subscriber.wait_for_count(1, kDeadline)) << broker.log();
  EXPECT_EQ(subscriber.lines(), (std::vector<ReceivedMessage>{{"will/dies", "offline"}}));

  // Retained, as asked.
  Subscriber late({.port = broker.port(), .topic = "will/dies", .qos = 1});
  ASSERT_TRUE(late.wait_for_count(1, kDeadline));
  EXPECT_EQ(late.lines(), (std::vector<ReceivedMessage>{{"will/dies", "offline"}}));
}

TEST_F(ClientIntegrationTest, WillIsNotPublishedAfterACleanStop) {
  Broker broker;
  broker.start();
  Subscriber subscriber({.port = broker.port(), .topic = "will/#", .qos = 1});
  ASSERT_TRUE(subscriber.wait_subscribed(kDeadline));

  auto options = client_options(broker, "pimqttd-will-stops");
  options.session.will = mqtt::Will{"will/stops", "offline", QoS::at_least_once, true};
  Client client(loop_, worker_, options);
  client.start();
  ASSERT_TRUE(run_until_connected(client));
  ASSERT_TRUE(stop_client(client));
  EXPECT_EQ(client.state(), ConnectionState::stopped);
  // mosquitto logs "disconnected" after a DISCONNECT and "closed its connection" without one.
  ASSERT_TRUE(wait_until(
      [&] {
        const auto log = broker.log();
        return log.find("pimqttd-will-stops disconnected") != std::string::npos ||
               log.find("pimqttd-will-stops closed its connection") != std::string::npos;
      },
      kDeadline))
      << broker.log();
  EXPECT_NE(broker.log().find("Received DISCONNECT from pimqttd-will-stops"), std::string::npos);

  // The broker has handled the end of the connection; a will would have been sent before a
  // message published after that.
  ASSERT_EQ(publish_with_mosquitto_pub(broker, "will/marker", "after", 1), ExitStatus::exited(0));
  ASSERT_TRUE(subscriber.wait_for_count(1, kDeadline));
  EXPECT_EQ(subscriber.lines(), (std::vector<ReceivedMessage>{{"will/marker", "after"}}));
}

// -- 4. Broker restarted in the middle of a stream ----------------------------------------------

struct StreamResult {
  std::size_t distinct = 0;
  std::size_t duplicates = 0;
  bool end_seen = false;
  /// The first messages of the stream ("m<n>") not received, at most ten: which ones went
  /// missing tells a lost in-flight message from a lost queued one.
  std::vector<std::string> missing;
};

StreamResult count_stream(const Subscriber& subscriber, const std::string& topic,
                          const std::string& end_topic, std::size_t messages) {
  StreamResult result;
  std::map<std::string, int> seen;
  for (const auto& line : subscriber.lines()) {
    if (line.topic == topic) {
      if (++seen[line.payload] > 1) {
        ++result.duplicates;
      }
    } else if (line.topic == end_topic) {
      result.end_seen = true;
    }
  }
  result.distinct = seen.size();
  for (std::size_t n = 0; n < messages && result.missing.size() < 10; ++n) {
    const std::string payload = "m" + std::to_string(n);
    if (!seen.contains(payload)) result.missing.push_back(payload);
  }
  return result;
}

class StreamTest : public ClientIntegrationTest {
 protected:
  /// Streams 5,000 messages at `qos` from a persistent-session client to a persistent-session
  /// mosquitto_sub, and restarts the broker (persistence on) when about half are acknowledged.
  void stream_across_restart(QoS qos) {
    constexpr std::size_t kMessages = 5'000;
    constexpr std::size_t kFeedAhead = 200;  // kept in the outbox; its capacity is 1,000
    const int qos_number = static_cast<int>(qos);
    const std::string suffix = "q" + std::to_string(qos_number);
    const std::string topic = "stream/" + suffix;
    // Under the same filter, published after the stream: the broker delivers a session's
    // messages in order, so once it is in, no redelivery of the stream is still coming.
    const std::string end_topic = "stream/end";

    // max_inflight_messages above anything the broker can have in flight to the subscriber:
    // mosquitto 2.0 returns a QoS 2 message's in-flight slot at PUBREC, so hundreds may wait for
    // PUBCOMP, but when it restores its database it treats only the first max_inflight_messages
    // of them as in flight and puts the rest back in its queue, which it then re-sends as new
    // PUBLISH packets (after the subscriber had them released: duplicates at the subscriber that
    // no client can prevent). A limit above the stream's length keeps every one in flight, so the
    // restored broker re-sends PUBREL, as MQTT requires.
    Broker broker({.persistence = true,
                   .max_inflight_messages = 10'000,
                   .max_queued_messages = 100'000});
    broker.start();
    const std::string subscriber_id = "pimqttd-stream-sub-" + suffix;
    Subscriber subscriber({.port = broker.port(),
                           .topic = "stream/#",
                           .qos = qos_number,
                           .client_id = subscriber_id,
                           .clean_session = false});
    ASSERT_TRUE(subscriber.wait_subscribed(kDeadline)) << read_text(subscriber.error_path());

    const std::string publisher_id = "pimqttd-stream-pub-" + suffix;
    auto options = client_options(broker, publisher_id);
    options.session.clean_session = false;
    options.backoff_initial = 50ms;
    options.backoff_max = 200ms;
    Client client(loop_, worker_, options);
    std::size_t next = 0;
    const auto feed = [&] {
      while (next < kMessages && client.queued() < kFeedAhead) {
        ASSERT_FALSE(client.publish(topic, "m" + std::to_string(next), qos, false));
        ++next;
      }
    };
    client.on_progress(feed);
    feed();
    client.start();

    ASSERT_TRUE(run_until([&] { return client.counters().completed >= kMessages / 2; }, 30s))
        << "completed " << client.counters().completed << ", state "
        << state_name(client.state()) << " " << client.last_error().message();
    const auto completed_before = client.counters().completed;
    EXPECT_LT(completed_before, kMessages * 3 / 4);
    // The restart hits messages the client has sent and not seen acknowledged.
    EXPECT_GT(client.inflight(), 0u);
    // SIGTERM: mosquitto saves its database (sessions, queued and in-flight messages) and exits.
    // A SIGKILL would lose whatever arrived after the last autosave (autosave_interval 1 s): QoS
    // 1/2 messages the broker had acknowledged to us would be gone, which no client can repair,
    // so the guaranteed case is the clean stop.
    EXPECT_EQ(broker.stop(), ExitStatus::exited(0));
    broker.start();

    ASSERT_TRUE(run_until(
        [&] {
          return client.counters().completed == kMessages && client.queued() == 0 &&
                 client.inflight() == 0;
        },
        40s))
        << "completed " << client.counters().completed << " next " << next << " queued "
        << client.queued() << " inflight " << client.inflight() << ", state "
        << state_name(client.state()) << " " << client.last_error().message();
    ASSERT_FALSE(client.publish(end_topic, "end", qos, false));
    ASSERT_TRUE(run_until([&] { return client.counters().completed == kMessages + 1; }, kDeadline));

    EXPECT_EQ(client.counters().published, kMessages + 1);
    EXPECT_EQ(client.counters().reconnects, 1u);
    EXPECT_EQ(client.counters().dropped, 0u);
    EXPECT_EQ(client.state(), ConnectionState::connected);
    // The broker kept the publisher's session, and the client re-sent what was in flight.
    EXPECT_NE(broker.log().find("Sending CONNACK to " + publisher_id + " (1, 0)"),
              std::string::npos);
    if (qos == QoS::at_least_once) {
      EXPECT_NE(broker.log().find("Received PUBLISH from " + publisher_id + " (d1, q1"),
                std::string::npos);
    }

    // The subscriber's session survived too: mosquitto_sub reconnected by itself (it retries
    // every second) and got a CONNACK with Session Present.
    StreamResult result;
    const bool complete = run_until(
        [&] {
          result = count_stream(subscriber, topic, end_topic, kMessages);
          return result.distinct == kMessages && result.end_seen;
        },
        30s, 50ms);
    std::string missing;
    for (const std::string& payload : result.missing) missing += " " + payload;
    EXPECT_TRUE(complete) << "distinct " << result.distinct << " duplicates " << result.duplicates
                          << " end " << result.end_seen << " missing" << missing
                          << " (completed before the restart: " << completed_before << ")";
    EXPECT_TRUE(subscriber.running()) << read_text(subscriber.error_path());
    EXPECT_NE(broker.log().find("Sending CONNACK to " + subscriber_id + " (1, 0)"),
              std::string::npos);
    EXPECT_EQ(result.distinct, kMessages);
    if (qos == QoS::exactly_once) {
      EXPECT_EQ(result.duplicates, 0u);
    } else {
      // At least once: duplicates are allowed, and said.
      RecordProperty("duplicates", static_cast<int>(result.duplicates));
    }
    EXPECT_TRUE(stop_client(client));
  }
};

TEST_F(StreamTest, BrokerRestartMidStreamLosesNoQos1Message) {
  stream_across_restart(QoS::at_least_once);
}

TEST_F(StreamTest, BrokerRestartMidStreamDeliversEachQos2MessageExactlyOnce) {
  stream_across_restart(QoS::exactly_once);
}

// -- 5. Frozen broker ---------------------------------------------------------------------------

TEST_F(ClientIntegrationTest, FrozenBrokerIsDetectedWithinOneAndAHalfKeepAlives) {
  Broker broker;
  broker.start();
  auto options = client_options(broker, "pimqttd-frozen");
  options.session.keep_alive = 2s;
  options.endpoint.timeout = 1s;  // bounds the CONNACK wait of attempts made while frozen
  Client client(loop_, worker_, options);

  bool was_connected = false;
  std::optional<Clock::time_point> left_at;
  ConnectionState left_to = ConnectionState::connected;
  std::error_code left_reason;
  client.on_state_change([&](ConnectionState state, std::error_code error) {
    if (state == ConnectionState::connected) {
      was_connected = true;
    } else if (was_connected && !left_at) {
      left_at = Clock::now();
      left_to = state;
      left_reason = error;
    }
  });
  client.start();
  ASSERT_TRUE(run_until_connected(client));
  // One keep-alive exchange first, so that the deadline being checked is a renewed one.
  ASSERT_TRUE(run_until(
      [&] { return broker.log().find("Sending PINGRESP to pimqttd-frozen") != std::string::npos; },
      kDeadline));
  ASSERT_EQ(client.state(), ConnectionState::connected);

  const auto frozen_at = Clock::now();
  broker.freeze();
  ASSERT_TRUE(run_until([&] { return left_at.has_value(); }, kDeadline));
  const auto detected_after = std::chrono::duration_cast<std::chrono::milliseconds>(*left_at -
                                                                                   frozen_at);
  // 1.5 x keep-alive from the last sign of life (PINGREQ after 2 s, PINGRESP awaited 1 s), plus
  // a margin for scheduling on a busy machine.
  EXPECT_LE(detected_after, 3'000ms + 500ms) << detected_after.count() << " ms";
  EXPECT_EQ(left_reason, make_error_code(Errc::keepalive_timeout)) << left_reason.message();
  EXPECT_EQ(state_name(left_to), "waiting");

  broker.thaw();
  ASSERT_TRUE(run_until(
      [&] {
        return client.state() == ConnectionState::connected && client.counters().reconnects == 1;
      },
      kDeadline))
      << state_name(client.state()) << " " << client.last_error().message();
  EXPECT_EQ(client.counters().reconnects, 1u);
}

// -- 6. Subscriptions renewed after a reconnect -------------------------------------------------

TEST_F(ClientIntegrationTest, SubscriptionsAreRenewedAfterABrokerRestart) {
  Broker broker;  // no persistence: the restarted broker knows nothing of the client
  broker.start();
  ASSERT_EQ(publish_with_mosquitto_pub(broker, "re/probe", "before", 1, true),
            ExitStatus::exited(0));

  Client client(loop_, worker_, client_options(broker, "pimqttd-resubscribe"));
  std::vector<std::string> received;
  ASSERT_FALSE(client.subscribe("re/+", QoS::at_least_once, [&](const mqtt::Publish& publish) {
    received.push_back(describe(publish));
  }));
  client.start();
  ASSERT_TRUE(run_until([&] { return received.size() == 1; }, kDeadline));
  EXPECT_EQ(received, (std::vector<std::string>{"re/probe|before|q1|r1"}));

  broker.restart();
  ASSERT_TRUE(run_until(
      [&] {
        return client.state() == ConnectionState::connected && client.counters().reconnects == 1;
      },
      kDeadline))
      << state_name(client.state()) << " " << client.last_error().message();
  EXPECT_FALSE(broker.log().find("Sending CONNACK to pimqttd-resubscribe (1, 0)") !=
               std::string::npos);

  // Retained: it reaches the handler whether the renewed SUBSCRIBE lands before or after it.
  ASSERT_EQ(publish_with_mosquitto_pub(broker, "re/after", "renewed", 1, true),
            ExitStatus::exited(0));
  ASSERT_TRUE(run_until([&] { return received.size() >= 2; }, kDeadline))
      << broker.log().substr(broker.log().size() > 3000 ? broker.log().size() - 3000 : 0);
  ASSERT_TRUE(received[1] == "re/after|renewed|q1|r1" || received[1] == "re/after|renewed|q1|r0")
      << received[1];
  // Now the subscription is certainly in place: a live message.
  ASSERT_EQ(publish_with_mosquitto_pub(broker, "re/live", "live", 1), ExitStatus::exited(0));
  ASSERT_TRUE(run_until([&] { return received.size() >= 3; }, kDeadline));
  EXPECT_EQ(received.size(), 3u);
  EXPECT_EQ(received.back(), "re/live|live|q1|r0");
}

// -- 7. Refused CONNACK -------------------------------------------------------------------------

TEST_F(ClientIntegrationTest, RefusedConnackWaitsTheLongestBackoffThenRightPasswordConnects) {
  TempDir secrets{"pimqttd-passwd"};
  const auto password_file = secrets / "passwd";
  ASSERT_EQ(run_process({"mosquitto_passwd", "-c", "-b", password_file.string(), "pimqttd",
                         "right-password"},
                        kDeadline),
            ExitStatus::exited(0));
  Broker broker({.allow_anonymous = false,
                 .extra_config = {"password_file " + password_file.string()}});
  broker.start();

  auto options = client_options(broker, "pimqttd-refused");
  options.backoff_initial = 50ms;
  options.backoff_max = 400ms;
  options.session.username = "pimqttd";
  options.session.password = "wrong-password";
  Client refused(loop_, worker_, options);
  std::vector<std::error_code> reasons;
  std::vector<std::chrono::milliseconds> delays;
  std::vector<Clock::time_point> refused_at;
  std::vector<Clock::time_point> attempt_at;
  refused.on_state_change([&](ConnectionState state, std::error_code error) {
    if (state == ConnectionState::waiting) {
      reasons.push_back(error);
      delays.push_back(refused.retry_delay());
      refused_at.push_back(Clock::now());
    } else if (state == ConnectionState::connecting) {
      attempt_at.push_back(Clock::now());
    }
  });
  refused.start();
  ASSERT_TRUE(run_until([&] { return reasons.size() >= 2; }, kDeadline))
      << reasons.size() << " " << state_name(refused.state());
  EXPECT_EQ(refused.counters().connect_failures, reasons.size());
  EXPECT_EQ(refused.counters().reconnects, 0u);
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    // mosquitto 2.0 answers a wrong password on MQTT 3.1.1 with return code 5 (not authorised),
    // not 4 (bad user name or password).
    EXPECT_EQ(reasons[i], make_error_code(Errc::connection_refused_not_authorized))
        << i << ": " << reasons[i].message();
    // Not hammered: the longest back-off (less its jitter), whatever the initial one.
    EXPECT_GE(delays[i], options.backoff_max * 3 / 4) << i;
    EXPECT_LE(delays[i], options.backoff_max) << i;
  }
  // The retry really waited that long (a timer never fires early).
  ASSERT_GE(attempt_at.size(), reasons.size());
  EXPECT_GE(attempt_at[1] - refused_at[0], delays[0]);
  EXPECT_EQ(refused.last_error(), make_error_code(Errc::connection_refused_not_authorized));
  EXPECT_NE(refused.state(), ConnectionState::connected);

  options.session.client_id = "pimqttd-accepted";
  options.session.password = "right-password";
  Client accepted(loop_, worker_, options);
  accepted.start();
  ASSERT_TRUE(run_until_connected(accepted)) << accepted.last_error().message();
  EXPECT_EQ(accepted.counters().connect_failures, 0u);
}

// -- 8. No broker yet ---------------------------------------------------------------------------

TEST_F(ClientIntegrationTest, RetriesWithGrowingDelaysThenDrainsTheOutboxInOrder) {
  // A persistent broker whose port is then left with nothing listening on it; a persistent
  // subscriber session waits in its database for what the client will publish.
  Broker broker({.persistence = true});
  broker.start();
  Subscriber subscriber({.port = broker.port(),
                         .topic = "offline/#",
                         .qos = 1,
                         .client_id = "pimqttd-offline-sub",
                         .clean_session = false});
  ASSERT_TRUE(subscriber.wait_subscribed(kDeadline));
  subscriber.stop();
  EXPECT_EQ(broker.stop(), ExitStatus::exited(0));
  ASSERT_FALSE(tcp_connectable(broker.host(), broker.port()));

  auto options = client_options(broker, "pimqttd-offline");
  options.backoff_initial = 50ms;
  options.backoff_max = 800ms;
  Client client(loop_, worker_, options);
  std::vector<std::chrono::milliseconds> delays;
  std::vector<std::error_code> reasons;
  std::vector<Clock::time_point> failed_at;
  std::vector<Clock::time_point> attempt_at;
  client.on_state_change([&](ConnectionState state, std::error_code error) {
    if (state == ConnectionState::waiting) {
      delays.push_back(client.retry_delay());
      reasons.push_back(error);
      failed_at.push_back(Clock::now());
    } else if (state == ConnectionState::connecting) {
      attempt_at.push_back(Clock::now());
    }
  });
  std::vector<std::string> sent;
  for (int i = 0; i < 10; ++i) {
    sent.push_back("offline-" + std::to_string(i));
    ASSERT_FALSE(client.publish("offline/data", sent.back(), QoS::at_least_once, false));
  }
  client.start();
  // The back-off doubles from 50 ms up to 800 ms; each delay is drawn from [3/4, 1] of it.
  ASSERT_TRUE(run_until([&] { return delays.size() >= 6; }, kDeadline)) << delays.size();
  EXPECT_EQ(client.queued(), sent.size());
  EXPECT_EQ(client.counters().connect_failures, delays.size());
  for (const auto& reason : reasons) {
    EXPECT_EQ(reason, std::errc::connection_refused) << reason.message();
  }
  auto backoff = options.backoff_initial;
  for (std::size_t i = 0; i < delays.size(); ++i) {
    EXPECT_GE(delays[i], backoff * 3 / 4) << "attempt " << i;
    EXPECT_LE(delays[i], backoff) << "attempt " << i;
    backoff = std::min(backoff * 2, options.backoff_max);
  }
  EXPECT_GT(delays[5], delays[0]);
  // Each attempt came after the delay announced for it.
  for (std::size_t i = 0; i + 1 < attempt_at.size() && i < failed_at.size(); ++i) {
    EXPECT_GE(attempt_at[i + 1] - failed_at[i], delays[i]) << "attempt " << i + 1;
  }

  broker.start();
  ASSERT_TRUE(run_until([&] { return client.counters().completed == sent.size(); }, kDeadline))
      << state_name(client.state()) << " " << client.last_error().message();
  EXPECT_EQ(client.queued(), 0u);
  EXPECT_EQ(client.counters().reconnects, 0u);  // the first successful connect

  subscriber.start();
  ASSERT_TRUE(subscriber.wait_for_count(sent.size(), kDeadline)) << subscriber.count();
  std::vector<ReceivedMessage> expected;
  for (const auto& payload : sent) {
    expected.push_back({"offline/data", payload});
  }
  EXPECT_EQ(subscriber.lines(), expected);
}

}  // namespace
}  // namespace pimqttd::test
