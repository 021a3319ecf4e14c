// Session tests read like a script of the wire: the test plays the broker, expects the exact
// bytes the session writes and answers with exact bytes. Time is a fake clock (TimePoint values
// the test chooses); nothing here reads the real clock or touches a socket.

#include "pimqttd/mqtt/session.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "pimqttd/core/error.hpp"

namespace pimqttd::mqtt {
namespace {

using namespace std::chrono_literals;
using core::Errc;
using TimePoint = Session::TimePoint;
using Events = std::vector<std::string>;

// The fake clock's origin: any value far from zero and from the maximum will do.
const TimePoint kT0 = TimePoint{} + 1000h;

// -- bytes -------------------------------------------------------------------------------------

/// One piece of a hand-written packet: a byte, the characters of a string, or encoded bytes.
struct Piece {
  Piece(int byte) : bytes{static_cast<std::uint8_t>(byte)} {}  // NOLINT: implicit on purpose
  Piece(const char* text) : bytes(text, text + std::strlen(text)) {}  // NOLINT
  Piece(Bytes encoded) : bytes(std::move(encoded)) {}                  // NOLINT
  Bytes bytes;
};

Bytes wire(std::initializer_list<Piece> pieces) {
  Bytes out;
  for (const auto& piece : pieces) {
    out.insert(out.end(), piece.bytes.begin(), piece.bytes.end());
  }
  return out;
}

std::string hex(const Bytes& bytes) {
  std::string out;
  for (const auto byte : bytes) {
    char text[4];
    std::snprintf(text, sizeof text, "%02x ", static_cast<unsigned>(byte));
    out += text;
  }
  if (!out.empty()) {
    out.pop_back();
  }
  return out;
}

/// The session wrote exactly these bytes since the last check: EXPECT_TRUE(sent(session, {...})).
testing::AssertionResult sent(Session& session, std::initializer_list<Piece> expected) {
  const std::string actual = hex(session.take_output());
  const std::string wanted = hex(wire(expected));
  if (actual == wanted) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "sent:     " << actual << "\nexpected: " << wanted;
}

testing::AssertionResult nothing_sent(Session& session) {
  const std::string actual = hex(session.take_output());
  if (actual.empty()) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "sent: " << actual << "\nexpected nothing";
}

/// The broker sends these bytes at `now`.
void reply(Session& session, std::initializer_list<Piece> bytes, TimePoint now) {
  const Bytes data = wire(bytes);
  session.bytes_received(data, now);
}

// -- events ------------------------------------------------------------------------------------

std::string reason_text(std::error_code reason) {
  return reason.category() == core::error_category() ? reason.message()
                                                     : "foreign error " + reason.message();
}

std::string describe(const SessionEvent& event) {
  struct Describer {
    std::string operator()(const event::Connected& e) const {
      return "CONNECTED sp=" + std::to_string(e.session_present ? 1 : 0);
    }
    std::string operator()(const event::Message& e) const {
      const Publish& p = e.publish;
      return "MESSAGE " + p.topic + " '" + p.payload + "' q" +
             std::to_string(static_cast<int>(p.qos)) + " r" + std::to_string(p.retain ? 1 : 0) +
             " d" + std::to_string(p.dup ? 1 : 0) + " id=" + std::to_string(p.packet_id);
    }
    std::string operator()(const event::PublishCompleted& e) const {
      return "COMPLETED " + std::to_string(e.packet_id);
    }
    std::string operator()(const event::Subscribed& e) const {
      std::string codes;
      for (const auto code : e.return_codes) {
        codes += (codes.empty() ? "" : ",") + std::to_string(code);
      }
      return "SUBSCRIBED " + std::to_string(e.packet_id) + " [" + codes + "]";
    }
    std::string operator()(const event::Unsubscribed& e) const {
      return "UNSUBSCRIBED " + std::to_string(e.packet_id);
    }
    std::string operator()(const event::Closed& e) const {
      EXPECT_FALSE(e.detail.empty()) << "a Closed event must say why";
      return "CLOSED " + reason_text(e.reason);
    }
    std::string operator()(const event::Ignored& e) const {
      EXPECT_FALSE(e.detail.empty()) << "an Ignored event must say why";
      return "IGNORED " + reason_text(e.reason);
    }
  };
  return std::visit(Describer{}, event);
}

Events events(Session& session) {
  Events out;
  for (const auto& event : session.take_events()) {
    out.push_back(describe(event));
  }
  return out;
}

std::string connected(bool session_present) {
  return "CONNECTED sp=" + std::to_string(session_present ? 1 : 0);
}
std::string closed(Errc reason) { return "CLOSED " + core::make_error_code(reason).message(); }
std::string ignored(Errc reason) { return "IGNORED " + core::make_error_code(reason).message(); }
std::string completed(int packet_id) { return "COMPLETED " + std::to_string(packet_id); }

std::string closed_detail(const std::vector<SessionEvent>& list) {
  for (const auto& event : list) {
    if (const auto* c = std::get_if<event::Closed>(&event)) {
      return c->detail;
    }
  }
  return {};
}

// -- packets written by hand from the specification --------------------------------------------

SessionOptions basic_options() {
  SessionOptions options;
  options.client_id = "pi";
  return options;
}

SessionOptions persistent_options() {
  SessionOptions options = basic_options();
  options.clean_session = false;
  return options;
}

// CONNECT, client id "pi", keep-alive 60: remaining length 10 (variable header) + 4 (id).
const std::initializer_list<Piece> kConnectClean = {0x10, 0x0E, 0x00, 0x04, "MQTT", 0x04,
                                                    0x02, 0x00, 0x3C, 0x00, 0x02, "pi"};
Bytes connect_clean() { return wire(kConnectClean); }
Bytes connect_persistent() {
  return wire({0x10, 0x0E, 0x00, 0x04, "MQTT", 0x04, 0x00, 0x00, 0x3C, 0x00, 0x02, "pi"});
}

/// PUBLISH "a/b" = "hi" at QoS 1 or 2; the first byte carries type 3, DUP, QoS and RETAIN.
Bytes publish_ab_hi(int qos, bool dup, int packet_id) {
  const int first = 0x30 | (dup ? 0x08 : 0) | (qos << 1);
  return wire({first, 0x09, 0x00, 0x03, "a/b", packet_id >> 8, packet_id & 0xFF, "hi"});
}

Bytes publish_with_codec(std::string topic, std::string payload, QoS qos, bool dup,
                         std::uint16_t packet_id) {
  return encode(Publish{std::move(topic), std::move(payload), qos, false, dup, packet_id});
}

/// Opens the connection at `now`, checks that a CONNECT went out and answers CONNACK.
void open_and_accept(Session& session, TimePoint now, bool session_present = false) {
  session.connection_opened(now);
  const Bytes sent = session.take_output();
  ASSERT_FALSE(sent.empty());
  ASSERT_EQ(sent[0], 0x10);
  ASSERT_EQ(session.state(), SessionState::connecting);
  reply(session, {0x20, 0x02, session_present ? 0x01 : 0x00, 0x00}, now);
  ASSERT_EQ(events(session), Events{connected(session_present)});
  ASSERT_EQ(session.state(), SessionState::connected);
}

// -- CONNECT and CONNACK -----------------------------------------------------------------------

TEST(SessionConnect, WritesConnectAndWaitsForConnack) {
  Session session(basic_options());
  EXPECT_EQ(session.state(), SessionState::disconnected);
  EXPECT_EQ(session.next_deadline(), TimePoint::max());

  session.connection_opened(kT0);
  EXPECT_EQ(session.state(), SessionState::connecting);
  EXPECT_TRUE(sent(session, kConnectClean));
  EXPECT_EQ(session.next_deadline(), kT0 + 10s);
  EXPECT_TRUE(events(session).empty());

  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0 + 1s);
  EXPECT_EQ(events(session), Events{connected(false)});
  EXPECT_EQ(session.state(), SessionState::connected);
  EXPECT_TRUE(nothing_sent(session));
  // Keep-alive now counts from the CONNECT, the last packet sent.
  EXPECT_EQ(session.next_deadline(), kT0 + 60s);
}

TEST(SessionConnect, EveryRefusalCodeClosesWithItsReason) {
  const std::vector<std::pair<int, Errc>> cases = {
      {1, Errc::connection_refused_protocol_version},
      {2, Errc::connection_refused_identifier_rejected},
      {3, Errc::connection_refused_server_unavailable},
      {4, Errc::connection_refused_bad_credentials},
      {5, Errc::connection_refused_not_authorized},
      {6, Errc::connection_refused_unknown},
      {0x80, Errc::connection_refused_unknown},
      {0xFF, Errc::connection_refused_unknown},
  };
  for (const auto& [code, reason] : cases) {
    SCOPED_TRACE("return code " + std::to_string(code));
    Session session(basic_options());
    session.connection_opened(kT0);
    EXPECT_TRUE(sent(session, kConnectClean));
    reply(session, {0x20, 0x02, 0x00, code}, kT0 + 1s);
    EXPECT_EQ(events(session), Events{closed(reason)});
    EXPECT_EQ(session.state(), SessionState::disconnected);
    EXPECT_EQ(session.next_deadline(), TimePoint::max());
    EXPECT_TRUE(nothing_sent(session));
    EXPECT_EQ(session.publish("a/b", "hi", QoS::at_most_once, false, kT0 + 2s).error,
              make_error_code(Errc::not_connected));
  }
}

TEST(SessionConnect, RefusalDetailNamesTheReturnCode) {
  Session session(basic_options());
  session.connection_opened(kT0);
  reply(session, {0x20, 0x02, 0x00, 0x05}, kT0);
  const std::string detail = closed_detail(session.take_events());
  EXPECT_NE(detail.find('5'), std::string::npos) << detail;
}

TEST(SessionConnect, SessionPresentForACleanSessionIsAProtocolError) {
  Session session(basic_options());
  session.connection_opened(kT0);
  reply(session, {0x20, 0x02, 0x01, 0x00}, kT0);
  EXPECT_EQ(events(session), Events{closed(Errc::protocol_error)});
  EXPECT_EQ(session.state(), SessionState::disconnected);
}

TEST(SessionConnect, WillGoesIntoConnect) {
  SessionOptions options = basic_options();
  options.will = Will{"pi/status", "offline", QoS::at_least_once, true};
  Session session(options);
  session.connection_opened(kT0);
  // Flags: clean session 0x02 | will 0x04 | will QoS 1 0x08 | will retain 0x20.
  // Remaining length: 10 + (2 + 2) + (2 + 9) + (2 + 7) = 34.
  EXPECT_TRUE(sent(session, {0x10, 0x22,                                            //
                             0x00, 0x04, "MQTT", 0x04, 0x2E, 0x00, 0x3C,            //
                             0x00, 0x02, "pi",                                      //
                             0x00, 0x09, "pi/status", 0x00, 0x07, "offline"}));
}

TEST(SessionConnect, WillAtQos2WithoutRetain) {
  SessionOptions options = basic_options();
  options.will = Will{"w", "x", QoS::exactly_once, false};
  Session session(options);
  session.connection_opened(kT0);
  // Flags: 0x02 | 0x04 | QoS 2 0x10 = 0x16. Remaining length 10 + 4 + 3 + 3 = 20.
  EXPECT_TRUE(sent(session, {0x10, 0x14,                                            //
                             0x00, 0x04, "MQTT", 0x04, 0x16, 0x00, 0x3C,            //
                             0x00, 0x02, "pi", 0x00, 0x01, "w", 0x00, 0x01, "x"}));
}

TEST(SessionConnect, UsernameAndPasswordGoIntoConnect) {
  SessionOptions options = basic_options();
  options.username = "user";
  options.password = "pass";
  Session session(options);
  session.connection_opened(kT0);
  // Flags: user name 0x80 | password 0x40 | clean session 0x02.
  EXPECT_TRUE(sent(session, {0x10, 0x1A,                                            //
                             0x00, 0x04, "MQTT", 0x04, 0xC2, 0x00, 0x3C,            //
                             0x00, 0x02, "pi", 0x00, 0x04, "user", 0x00, 0x04, "pass"}));
}

TEST(SessionConnect, UsernameAlone) {
  SessionOptions options = basic_options();
  options.username = "user";
  Session session(options);
  session.connection_opened(kT0);
  EXPECT_TRUE(sent(session, {0x10, 0x14,                                            //
                             0x00, 0x04, "MQTT", 0x04, 0x82, 0x00, 0x3C,            //
                             0x00, 0x02, "pi", 0x00, 0x04, "user"}));
}

TEST(SessionConnect, NoCleanSessionAcceptsSessionPresent) {
  Session session(persistent_options());
  session.connection_opened(kT0);
  EXPECT_TRUE(sent(session, {connect_persistent()}));
  reply(session, {0x20, 0x02, 0x01, 0x00}, kT0);
  EXPECT_EQ(events(session), Events{connected(true)});
  EXPECT_EQ(session.state(), SessionState::connected);
}

TEST(SessionConnect, KeepAliveValueIsWritten) {
  SessionOptions options = basic_options();
  options.keep_alive = 300s;  // 0x012C
  Session session(options);
  session.connection_opened(kT0);
  EXPECT_TRUE(sent(session, {0x10, 0x0E,                                            //
                             0x00, 0x04, "MQTT", 0x04, 0x02, 0x01, 0x2C,            //
                             0x00, 0x02, "pi"}));
}

TEST(SessionConnect, PasswordWithoutUsernameIsRefusedLocally) {
  SessionOptions options = basic_options();
  options.password = "pass";
  Session session(options);
  session.connection_opened(kT0);
  EXPECT_TRUE(nothing_sent(session));
  EXPECT_EQ(events(session), Events{closed(Errc::bad_connect_flags)});
  EXPECT_EQ(session.state(), SessionState::disconnected);
}

TEST(SessionConnect, InvalidWillTopicIsRefusedLocally) {
  SessionOptions options = basic_options();
  options.will = Will{"pi/#", "offline", QoS::at_least_once, true};
  Session session(options);
  session.connection_opened(kT0);
  EXPECT_TRUE(nothing_sent(session));
  EXPECT_EQ(events(session), Events{closed(Errc::invalid_topic)});
}

TEST(SessionConnect, ConnackTimeout) {
  Session session(basic_options());
  session.connection_opened(kT0);
  EXPECT_TRUE(sent(session, kConnectClean));
  EXPECT_EQ(session.next_deadline(), kT0 + 10s);

  session.tick(kT0 + 10s - 1ns);
  EXPECT_TRUE(events(session).empty());
  EXPECT_EQ(session.state(), SessionState::connecting);

  session.tick(kT0 + 10s);
  EXPECT_EQ(events(session), Events{closed(Errc::connack_timeout)});
  EXPECT_EQ(session.state(), SessionState::disconnected);
  EXPECT_EQ(session.next_deadline(), TimePoint::max());
  EXPECT_TRUE(nothing_sent(session));
}

TEST(SessionConnect, ConnackTimeoutIsConfigurable) {
  SessionOptions options = basic_options();
  options.connack_timeout = 2500ms;
  Session session(options);
  session.connection_opened(kT0);
  EXPECT_EQ(session.next_deadline(), kT0 + 2500ms);
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0 + 2499ms);
  EXPECT_EQ(events(session), Events{connected(false)});
  session.tick(kT0 + 2500ms);  // the CONNACK deadline is gone
  EXPECT_TRUE(events(session).empty());
  EXPECT_EQ(session.state(), SessionState::connected);
}

TEST(SessionConnect, ConnackSplitInTwo) {
  Session session(basic_options());
  session.connection_opened(kT0);
  reply(session, {0x20, 0x02}, kT0);
  EXPECT_TRUE(events(session).empty());
  EXPECT_EQ(session.state(), SessionState::connecting);
  reply(session, {0x00, 0x00}, kT0);
  EXPECT_EQ(events(session), Events{connected(false)});
}

// -- keep-alive --------------------------------------------------------------------------------

TEST(SessionKeepAlive, IdleConnectionPingsAtKeepAlive) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.next_deadline(), kT0 + 60s);

  session.tick(kT0 + 60s - 1ns);
  EXPECT_TRUE(nothing_sent(session));

  session.tick(kT0 + 60s);
  EXPECT_TRUE(sent(session, {0xC0, 0x00}));
  // Waiting for PINGRESP: half the keep-alive.
  EXPECT_EQ(session.next_deadline(), kT0 + 90s);

  reply(session, {0xD0, 0x00}, kT0 + 61s);
  EXPECT_TRUE(events(session).empty());
  EXPECT_EQ(session.state(), SessionState::connected);
  EXPECT_EQ(session.next_deadline(), kT0 + 120s);  // the PINGREQ was the last packet sent

  session.tick(kT0 + 90s);  // the former PINGRESP deadline is gone
  EXPECT_TRUE(nothing_sent(session));
  EXPECT_TRUE(events(session).empty());
  session.tick(kT0 + 120s - 1ns);
  EXPECT_TRUE(nothing_sent(session));
  session.tick(kT0 + 120s);
  EXPECT_TRUE(sent(session, {0xC0, 0x00}));
}

TEST(SessionKeepAlive, PublishingResetsTheSendTimer) {
  Session session(basic_options());
  open_and_accept(session, kT0);

  // The broker talks at +30 s and +80 s, so only the sending side decides.
  reply(session, {0x30, 0x05, 0x00, 0x03, "x/y"}, kT0 + 30s);
  EXPECT_EQ(events(session), Events{"MESSAGE x/y '' q0 r0 d0 id=0"});
  EXPECT_EQ(session.next_deadline(), kT0 + 60s);

  ASSERT_FALSE(session.publish("a/b", "hi", QoS::at_most_once, false, kT0 + 40s).error);
  EXPECT_TRUE(sent(session, {0x30, 0x07, 0x00, 0x03, "a/b", "hi"}));
  EXPECT_EQ(session.next_deadline(), kT0 + 90s);  // now the receiving side is the earlier

  session.tick(kT0 + 60s);  // without the PUBLISH this would have been the PINGREQ
  EXPECT_TRUE(nothing_sent(session));

  reply(session, {0x30, 0x05, 0x00, 0x03, "x/y"}, kT0 + 80s);
  (void)events(session);
  EXPECT_EQ(session.next_deadline(), kT0 + 100s);

  session.tick(kT0 + 100s - 1ns);
  EXPECT_TRUE(nothing_sent(session));
  session.tick(kT0 + 100s);
  EXPECT_TRUE(sent(session, {0xC0, 0x00}));
}

TEST(SessionKeepAlive, AcksWeSendCountAsSent) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  reply(session, {publish_ab_hi(1, false, 3)}, kT0 + 50s);
  (void)events(session);
  EXPECT_TRUE(sent(session, {0x40, 0x02, 0x00, 0x03}));
  EXPECT_EQ(session.next_deadline(), kT0 + 110s);
}

TEST(SessionKeepAlive, SilentBrokerGetsPingedEvenWhileWeSend) {
  Session session(basic_options());
  open_and_accept(session, kT0);

  for (const auto at : {20s, 40s, 59s}) {
    ASSERT_FALSE(session.publish("a/b", "hi", QoS::at_most_once, false, kT0 + at).error);
    EXPECT_TRUE(sent(session, {0x30, 0x07, 0x00, 0x03, "a/b", "hi"}));
    EXPECT_EQ(session.next_deadline(), kT0 + 60s);  // last sign of life from the broker + 60 s
  }
  session.tick(kT0 + 60s - 1ns);
  EXPECT_TRUE(nothing_sent(session));
  session.tick(kT0 + 60s);
  EXPECT_TRUE(sent(session, {0xC0, 0x00}));
  EXPECT_EQ(session.next_deadline(), kT0 + 90s);

  // At most one PINGREQ outstanding, however long the silence.
  ASSERT_FALSE(session.publish("a/b", "hi", QoS::at_most_once, false, kT0 + 75s).error);
  EXPECT_TRUE(sent(session, {0x30, 0x07, 0x00, 0x03, "a/b", "hi"}));
  session.tick(kT0 + 75s);
  session.tick(kT0 + 89s);
  EXPECT_TRUE(nothing_sent(session));

  reply(session, {0xD0, 0x00}, kT0 + 80s);
  EXPECT_EQ(session.next_deadline(), kT0 + 135s);  // sent at 75 s, received at 80 s
}

TEST(SessionKeepAlive, PingrespTimeoutCloses) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  session.tick(kT0 + 60s);
  EXPECT_TRUE(sent(session, {0xC0, 0x00}));

  // Other traffic from the broker is not a PINGRESP.
  reply(session, {0x30, 0x05, 0x00, 0x03, "x/y"}, kT0 + 70s);
  (void)events(session);
  EXPECT_EQ(session.next_deadline(), kT0 + 90s);

  session.tick(kT0 + 90s - 1ns);
  EXPECT_TRUE(events(session).empty());
  session.tick(kT0 + 90s);
  EXPECT_EQ(events(session), Events{closed(Errc::keepalive_timeout)});
  EXPECT_EQ(session.state(), SessionState::disconnected);
  EXPECT_EQ(session.next_deadline(), TimePoint::max());
  EXPECT_TRUE(nothing_sent(session));
}

TEST(SessionKeepAlive, PingTimeoutIsHalfTheKeepAliveAndAtLeastOneSecond) {
  const std::vector<std::pair<std::chrono::seconds, std::chrono::milliseconds>> cases = {
      {1s, 1000ms}, {2s, 1000ms}, {3s, 1500ms}, {10s, 5000ms}};
  for (const auto& [keep_alive, timeout] : cases) {
    SCOPED_TRACE("keep-alive " + std::to_string(keep_alive.count()) + " s");
    SessionOptions options = basic_options();
    options.keep_alive = keep_alive;
    Session session(options);
    open_and_accept(session, kT0);
    EXPECT_EQ(session.next_deadline(), kT0 + keep_alive);
    session.tick(kT0 + keep_alive);
    EXPECT_TRUE(sent(session, {0xC0, 0x00}));
    EXPECT_EQ(session.next_deadline(), kT0 + keep_alive + timeout);
    session.tick(kT0 + keep_alive + timeout - 1ns);
    EXPECT_TRUE(events(session).empty());
    session.tick(kT0 + keep_alive + timeout);
    EXPECT_EQ(events(session), Events{closed(Errc::keepalive_timeout)});
  }
}

TEST(SessionKeepAlive, ConfiguredPingTimeout) {
  SessionOptions options = basic_options();
  options.ping_timeout = 5s;
  Session session(options);
  open_and_accept(session, kT0);
  session.tick(kT0 + 60s);
  EXPECT_TRUE(sent(session, {0xC0, 0x00}));
  EXPECT_EQ(session.next_deadline(), kT0 + 65s);
  session.tick(kT0 + 65s);
  EXPECT_EQ(events(session), Events{closed(Errc::keepalive_timeout)});
}

TEST(SessionKeepAlive, OutstandingPingIsForgottenOnReconnect) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  session.tick(kT0 + 60s);
  EXPECT_TRUE(sent(session, {0xC0, 0x00}));
  session.connection_lost();
  EXPECT_EQ(session.next_deadline(), TimePoint::max());

  open_and_accept(session, kT0 + 100s);
  EXPECT_EQ(session.next_deadline(), kT0 + 160s);
  session.tick(kT0 + 159s);
  EXPECT_TRUE(nothing_sent(session));
  EXPECT_TRUE(events(session).empty());
  session.tick(kT0 + 160s);
  EXPECT_TRUE(sent(session, {0xC0, 0x00}));
}

TEST(SessionKeepAlive, ZeroDisablesKeepAlive) {
  SessionOptions options = basic_options();
  options.keep_alive = 0s;
  Session session(options);
  session.connection_opened(kT0);
  EXPECT_TRUE(sent(session, {0x10, 0x0E,                                            //
                             0x00, 0x04, "MQTT", 0x04, 0x02, 0x00, 0x00,            //
                             0x00, 0x02, "pi"}));
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0);
  (void)events(session);
  EXPECT_EQ(session.next_deadline(), TimePoint::max());
  session.tick(kT0 + 1000h);
  EXPECT_TRUE(nothing_sent(session));
  EXPECT_TRUE(events(session).empty());
  EXPECT_EQ(session.state(), SessionState::connected);
}

TEST(SessionKeepAlive, UnsolicitedPingrespIsHarmless) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  reply(session, {0xD0, 0x00}, kT0 + 5s);
  EXPECT_TRUE(events(session).empty());
  EXPECT_TRUE(nothing_sent(session));
  EXPECT_EQ(session.state(), SessionState::connected);
}

// -- outgoing PUBLISH --------------------------------------------------------------------------

TEST(SessionPublish, Qos0IsWrittenAtOnce) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  const SendResult result = session.publish("a/b", "hi", QoS::at_most_once, true, kT0);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.packet_id, 0);
  EXPECT_TRUE(sent(session, {0x31, 0x07, 0x00, 0x03, "a/b", "hi"}));
  EXPECT_EQ(session.inflight(), 0U);
}

TEST(SessionPublish, Qos1CompletesOnPuback) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  const SendResult result = session.publish("a/b", "hi", QoS::at_least_once, false, kT0);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.packet_id, 1);
  EXPECT_TRUE(sent(session, {0x32, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));
  EXPECT_EQ(session.inflight(), 1U);

  reply(session, {0x40, 0x02, 0x00, 0x01}, kT0);
  EXPECT_EQ(events(session), Events{completed(1)});
  EXPECT_EQ(session.inflight(), 0U);
  EXPECT_TRUE(nothing_sent(session));

  // A second PUBACK for the same id is an ack for an unknown id.
  reply(session, {0x40, 0x02, 0x00, 0x01}, kT0);
  EXPECT_EQ(events(session), Events{ignored(Errc::unknown_packet_id)});
  EXPECT_EQ(session.state(), SessionState::connected);
}

TEST(SessionPublish, Qos2CompletesOnPubcomp) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  const SendResult result = session.publish("a/b", "hi", QoS::exactly_once, false, kT0);
  EXPECT_EQ(result.packet_id, 1);
  EXPECT_TRUE(sent(session, {0x34, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));

  reply(session, {0x50, 0x02, 0x00, 0x01}, kT0);
  EXPECT_TRUE(sent(session, {0x62, 0x02, 0x00, 0x01}));
  EXPECT_TRUE(events(session).empty());
  EXPECT_EQ(session.inflight(), 1U);

  // A repeated PUBREC is answered with PUBREL again.
  reply(session, {0x50, 0x02, 0x00, 0x01}, kT0);
  EXPECT_TRUE(sent(session, {0x62, 0x02, 0x00, 0x01}));

  reply(session, {0x70, 0x02, 0x00, 0x01}, kT0);
  EXPECT_EQ(events(session), Events{completed(1)});
  EXPECT_EQ(session.inflight(), 0U);
  EXPECT_TRUE(nothing_sent(session));
}

TEST(SessionPublish, InvalidInputIsRefusedWithoutSendingOrUsingAnId) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  for (const char* topic : {"", "a/+", "a/#", "+", "#"}) {
    SCOPED_TRACE(topic);
    EXPECT_EQ(session.publish(topic, "x", QoS::at_least_once, false, kT0).error,
              make_error_code(Errc::invalid_topic));
    EXPECT_EQ(session.publish(topic, "x", QoS::at_most_once, false, kT0).error,
              make_error_code(Errc::invalid_topic));
  }
  EXPECT_EQ(session.publish(std::string("a\0b", 3), "x", QoS::at_most_once, false, kT0).error,
            make_error_code(Errc::invalid_topic));
  EXPECT_EQ(session.publish("a/\xC0\x80", "x", QoS::at_most_once, false, kT0).error,
            make_error_code(Errc::invalid_topic));
  EXPECT_EQ(session.publish(std::string(70'000, 'a'), "x", QoS::at_most_once, false, kT0).error,
            make_error_code(Errc::invalid_topic));
  EXPECT_EQ(session.publish("a/b", "x", static_cast<QoS>(3), false, kT0).error,
            make_error_code(Errc::invalid_qos));

  EXPECT_EQ(session.subscribe({{"a/#/b", QoS::at_most_once}}, kT0).error,
            make_error_code(Errc::invalid_topic));
  EXPECT_EQ(session.subscribe({{"a", QoS::at_most_once}, {"a+", QoS::at_most_once}}, kT0).error,
            make_error_code(Errc::invalid_topic));
  EXPECT_EQ(session.subscribe({{"", QoS::at_most_once}}, kT0).error,
            make_error_code(Errc::invalid_topic));
  EXPECT_EQ(session.subscribe({{"a", static_cast<QoS>(3)}}, kT0).error,
            make_error_code(Errc::invalid_qos));
  EXPECT_EQ(session.subscribe({}, kT0).error, make_error_code(Errc::empty_subscription_list));
  EXPECT_EQ(session.unsubscribe({""}, kT0).error, make_error_code(Errc::invalid_topic));
  EXPECT_EQ(session.unsubscribe({"a/#/b"}, kT0).error, make_error_code(Errc::invalid_topic));
  EXPECT_EQ(session.unsubscribe({}, kT0).error, make_error_code(Errc::empty_subscription_list));

  EXPECT_TRUE(nothing_sent(session));
  EXPECT_EQ(session.inflight(), 0U);
  EXPECT_TRUE(events(session).empty());
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 1);
}

TEST(SessionPublish, OperationsNeedAConnectedSession) {
  Session session(basic_options());
  const auto expect_refused = [&session](TimePoint now) {
    EXPECT_EQ(session.publish("a/b", "hi", QoS::at_most_once, false, now).error,
              make_error_code(Errc::not_connected));
    EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, now).error,
              make_error_code(Errc::not_connected));
    EXPECT_EQ(session.subscribe({{"a/#", QoS::at_least_once}}, now).error,
              make_error_code(Errc::not_connected));
    EXPECT_EQ(session.unsubscribe({"a/#"}, now).error, make_error_code(Errc::not_connected));
  };
  expect_refused(kT0);  // never connected
  session.connection_opened(kT0);
  EXPECT_TRUE(sent(session, kConnectClean));
  expect_refused(kT0);  // waiting for CONNACK
  EXPECT_TRUE(nothing_sent(session));
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0);
  (void)events(session);
  session.connection_lost();
  expect_refused(kT0);  // connection lost
  EXPECT_TRUE(nothing_sent(session));
  EXPECT_EQ(session.inflight(), 0U);
}

TEST(SessionPublish, WindowIsNeverExceededAndRefillsAsAcksArrive) {
  SessionOptions options = basic_options();
  options.inflight_window = 3;
  Session session(options);
  open_and_accept(session, kT0);

  for (int id = 1; id <= 3; ++id) {
    EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, id);
    EXPECT_TRUE(sent(session, {publish_ab_hi(1, false, id)}));
  }
  EXPECT_EQ(session.inflight(), 3U);
  EXPECT_EQ(session.inflight_free(), 0U);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).error,
            make_error_code(Errc::inflight_window_full));
  EXPECT_EQ(session.publish("a/b", "hi", QoS::exactly_once, false, kT0).error,
            make_error_code(Errc::inflight_window_full));
  EXPECT_TRUE(nothing_sent(session));
  // QoS 0 takes no slot.
  EXPECT_FALSE(session.publish("a/b", "hi", QoS::at_most_once, false, kT0).error);
  EXPECT_TRUE(sent(session, {0x30, 0x07, 0x00, 0x03, "a/b", "hi"}));

  reply(session, {0x40, 0x02, 0x00, 0x02}, kT0);
  EXPECT_EQ(events(session), Events{completed(2)});
  EXPECT_EQ(session.inflight_free(), 1U);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 4);
  EXPECT_TRUE(sent(session, {publish_ab_hi(1, false, 4)}));
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).error,
            make_error_code(Errc::inflight_window_full));

  // Many rounds: never more than three unacknowledged at once.
  std::vector<std::uint16_t> unacked = {1, 3, 4};
  for (int round = 0; round < 200; ++round) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      const SendResult result = session.publish("a/b", "hi", QoS::at_least_once, false, kT0);
      if (!result.error) {
        unacked.push_back(result.packet_id);
      } else {
        EXPECT_EQ(result.error, make_error_code(Errc::inflight_window_full));
      }
      ASSERT_LE(session.inflight(), 3U);
    }
    EXPECT_EQ(session.inflight(), 3U);
    ASSERT_EQ(unacked.size(), 3U);
    const std::uint16_t oldest = unacked.front();
    unacked.erase(unacked.begin());
    session.bytes_received(encode(Puback{oldest}), kT0);
    ASSERT_EQ(events(session), Events{completed(oldest)});
  }
  (void)session.take_output();
}

TEST(SessionPublish, WindowOfZeroMeansOne) {
  SessionOptions options = basic_options();
  options.inflight_window = 0;
  Session session(options);
  open_and_accept(session, kT0);
  EXPECT_EQ(session.inflight_free(), 1U);
  EXPECT_FALSE(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).error);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).error,
            make_error_code(Errc::inflight_window_full));
}

TEST(SessionPublish, PacketIdsWrapFrom65535To1SkippingIdsInUse) {
  Session session(basic_options());
  open_and_accept(session, kT0);

  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 1);
  EXPECT_EQ(session.subscribe({{"s", QoS::at_most_once}}, kT0).packet_id, 2);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::exactly_once, false, kT0).packet_id, 3);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 4);
  // Complete 3; keep 1 (PUBLISH), 2 (SUBSCRIBE) and 4 (PUBLISH) in use.
  reply(session, {0x50, 0x02, 0x00, 0x03}, kT0);
  reply(session, {0x70, 0x02, 0x00, 0x03}, kT0);
  EXPECT_EQ(events(session), Events{completed(3)});

  std::uint16_t last = 4;
  for (int i = 0; i < 70'000 && last != 65'535; ++i) {
    const SendResult result = session.publish("a/b", "hi", QoS::at_least_once, false, kT0);
    ASSERT_FALSE(result.error);
    ASSERT_EQ(result.packet_id, last + 1);
    last = result.packet_id;
    session.bytes_received(encode(Puback{last}), kT0);
    (void)session.take_output();
    (void)session.take_events();
  }
  ASSERT_EQ(last, 65'535);

  // Wraps to 1, which is in use, as is 2: the next free is 3; then 4 is in use, so 5.
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 3);
  EXPECT_TRUE(sent(session, {publish_ab_hi(1, false, 3)}));
  EXPECT_EQ(session.unsubscribe({"u"}, kT0).packet_id, 5);
  EXPECT_TRUE(sent(session, {0xA2, 0x05, 0x00, 0x05, 0x00, 0x01, "u"}));
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 6);
  EXPECT_TRUE(sent(session, {publish_ab_hi(1, false, 6)}));
}

TEST(SessionPublish, NoPacketIdAvailable) {
  SessionOptions options = basic_options();
  options.inflight_window = 70'000;
  Session session(options);
  open_and_accept(session, kT0);
  for (int id = 1; id <= 65'534; ++id) {
    const SendResult result = session.publish("t", "", QoS::at_least_once, false, kT0);
    ASSERT_FALSE(result.error) << id;
    ASSERT_EQ(result.packet_id, id);
  }
  EXPECT_EQ(session.subscribe({{"s", QoS::at_most_once}}, kT0).packet_id, 65'535);
  (void)session.take_output();

  EXPECT_EQ(session.publish("t", "", QoS::at_least_once, false, kT0).error,
            make_error_code(Errc::no_packet_id_available));
  EXPECT_EQ(session.subscribe({{"s", QoS::at_most_once}}, kT0).error,
            make_error_code(Errc::no_packet_id_available));
  EXPECT_EQ(session.unsubscribe({"s"}, kT0).error, make_error_code(Errc::no_packet_id_available));
  EXPECT_FALSE(session.publish("t", "", QoS::at_most_once, false, kT0).error);  // needs no id
  (void)session.take_output();

  reply(session, {0x40, 0x02, 0x00, 0x07}, kT0);
  EXPECT_EQ(events(session), Events{completed(7)});
  EXPECT_EQ(session.publish("t", "", QoS::at_least_once, false, kT0).packet_id, 7);
}

// -- reconnecting ------------------------------------------------------------------------------

TEST(SessionReconnect, Qos1ResentWithDupAndSameIdWhenSessionPresent) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0 + 1s).packet_id, 1);
  EXPECT_TRUE(sent(session, {0x32, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));

  session.connection_lost();
  EXPECT_EQ(session.state(), SessionState::disconnected);
  EXPECT_EQ(session.next_deadline(), TimePoint::max());
  EXPECT_EQ(session.inflight(), 1U);

  session.connection_opened(kT0 + 5s);
  EXPECT_TRUE(sent(session, {connect_persistent()}));
  reply(session, {0x20, 0x02, 0x01, 0x00}, kT0 + 6s);
  EXPECT_EQ(events(session), Events{connected(true)});
  EXPECT_TRUE(sent(session, {0x3A, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));

  reply(session, {0x40, 0x02, 0x00, 0x01}, kT0 + 7s);
  EXPECT_EQ(events(session), Events{completed(1)});
  EXPECT_EQ(session.inflight(), 0U);
}

TEST(SessionReconnect, Qos1ResentWithoutDupWhenSessionAbsent) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 1);
  EXPECT_TRUE(sent(session, {0x32, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));
  session.connection_lost();

  session.connection_opened(kT0 + 5s);
  EXPECT_TRUE(sent(session, {connect_persistent()}));
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0 + 5s);
  EXPECT_EQ(events(session), Events{connected(false)});
  EXPECT_TRUE(sent(session, {0x32, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));
  reply(session, {0x40, 0x02, 0x00, 0x01}, kT0 + 5s);
  EXPECT_EQ(events(session), Events{completed(1)});
}

TEST(SessionReconnect, CleanSessionResendsAsNewPublish) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, true, kT0).packet_id, 1);
  EXPECT_TRUE(sent(session, {0x33, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));
  session.connection_lost();
  session.connection_opened(kT0 + 5s);
  EXPECT_TRUE(sent(session, kConnectClean));
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0 + 5s);
  (void)events(session);
  EXPECT_TRUE(sent(session, {0x33, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));  // retain kept
}

TEST(SessionReconnect, Qos2LostBeforePubrecResendsPublishWithDup) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::exactly_once, false, kT0).packet_id, 1);
  EXPECT_TRUE(sent(session, {0x34, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));
  session.connection_lost();

  session.connection_opened(kT0 + 5s);
  EXPECT_TRUE(sent(session, {connect_persistent()}));
  reply(session, {0x20, 0x02, 0x01, 0x00}, kT0 + 5s);
  EXPECT_EQ(events(session), Events{connected(true)});
  EXPECT_TRUE(sent(session, {0x3C, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));

  reply(session, {0x50, 0x02, 0x00, 0x01}, kT0 + 5s);
  EXPECT_TRUE(sent(session, {0x62, 0x02, 0x00, 0x01}));
  reply(session, {0x70, 0x02, 0x00, 0x01}, kT0 + 5s);
  EXPECT_EQ(events(session), Events{completed(1)});
}

TEST(SessionReconnect, Qos2LostAfterPubrecResendsPubrelNotPublish) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::exactly_once, false, kT0).packet_id, 1);
  EXPECT_TRUE(sent(session, {0x34, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));
  reply(session, {0x50, 0x02, 0x00, 0x01}, kT0);
  EXPECT_TRUE(sent(session, {0x62, 0x02, 0x00, 0x01}));
  session.connection_lost();

  session.connection_opened(kT0 + 5s);
  EXPECT_TRUE(sent(session, {connect_persistent()}));
  reply(session, {0x20, 0x02, 0x01, 0x00}, kT0 + 5s);
  EXPECT_EQ(events(session), Events{connected(true)});
  EXPECT_TRUE(sent(session, {0x62, 0x02, 0x00, 0x01}));

  reply(session, {0x70, 0x02, 0x00, 0x01}, kT0 + 5s);
  EXPECT_EQ(events(session), Events{completed(1)});
  EXPECT_EQ(session.inflight(), 0U);
}

TEST(SessionReconnect, Qos2AfterPubrecWithoutSessionStartsOver) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::exactly_once, false, kT0).packet_id, 1);
  reply(session, {0x50, 0x02, 0x00, 0x01}, kT0);
  (void)session.take_output();
  session.connection_lost();

  session.connection_opened(kT0 + 5s);
  EXPECT_TRUE(sent(session, {connect_persistent()}));
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0 + 5s);
  (void)events(session);
  EXPECT_TRUE(sent(session, {0x34, 0x09, 0x00, 0x03, "a/b", 0x00, 0x01, "hi"}));
  // Not released any more: PUBCOMP before the new PUBREC is wrong, PUBREC then PUBCOMP is right.
  reply(session, {0x50, 0x02, 0x00, 0x01}, kT0 + 5s);
  EXPECT_TRUE(sent(session, {0x62, 0x02, 0x00, 0x01}));
  reply(session, {0x70, 0x02, 0x00, 0x01}, kT0 + 5s);
  EXPECT_EQ(events(session), Events{completed(1)});
}

/// Five messages: 1 QoS 1, 2 QoS 2 PUBREC'd, 3 QoS 2, 4 QoS 1 acknowledged, 5 QoS 1.
void publish_five(Session& session) {
  EXPECT_EQ(session.publish("m/1", "one", QoS::at_least_once, false, kT0).packet_id, 1);
  EXPECT_EQ(session.publish("m/2", "two", QoS::exactly_once, false, kT0).packet_id, 2);
  EXPECT_EQ(session.publish("m/3", "three", QoS::exactly_once, false, kT0).packet_id, 3);
  EXPECT_EQ(session.publish("m/4", "four", QoS::at_least_once, false, kT0).packet_id, 4);
  EXPECT_EQ(session.publish("m/5", "five", QoS::at_least_once, false, kT0).packet_id, 5);
  (void)session.take_output();
  reply(session, {0x50, 0x02, 0x00, 0x02, 0x40, 0x02, 0x00, 0x04}, kT0);
  EXPECT_TRUE(sent(session, {0x62, 0x02, 0x00, 0x02}));
  EXPECT_EQ(events(session), Events{completed(4)});
  EXPECT_EQ(session.inflight(), 4U);
}

TEST(SessionReconnect, SeveralInFlightResentInOriginalOrderWithSession) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  publish_five(session);
  session.connection_lost();

  session.connection_opened(kT0 + 1s);
  EXPECT_TRUE(sent(session, {connect_persistent()}));
  reply(session, {0x20, 0x02, 0x01, 0x00}, kT0 + 1s);
  EXPECT_EQ(events(session), Events{connected(true)});
  EXPECT_TRUE(sent(session, {publish_with_codec("m/1", "one", QoS::at_least_once, true, 1),
                             0x62, 0x02, 0x00, 0x02,
                             publish_with_codec("m/3", "three", QoS::exactly_once, true, 3),
                             publish_with_codec("m/5", "five", QoS::at_least_once, true, 5)}));
  // New messages come after the resent ones and take fresh ids.
  EXPECT_EQ(session.publish("m/6", "six", QoS::at_least_once, false, kT0 + 1s).packet_id, 6);
  EXPECT_TRUE(sent(session, {publish_with_codec("m/6", "six", QoS::at_least_once, false, 6)}));
}

TEST(SessionReconnect, SeveralInFlightResentInOriginalOrderWithoutSession) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  publish_five(session);
  session.connection_lost();

  session.connection_opened(kT0 + 1s);
  EXPECT_TRUE(sent(session, {connect_persistent()}));
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0 + 1s);
  EXPECT_EQ(events(session), Events{connected(false)});
  EXPECT_TRUE(sent(session, {publish_with_codec("m/1", "one", QoS::at_least_once, false, 1),
                             publish_with_codec("m/2", "two", QoS::exactly_once, false, 2),
                             publish_with_codec("m/3", "three", QoS::exactly_once, false, 3),
                             publish_with_codec("m/5", "five", QoS::at_least_once, false, 5)}));
}

TEST(SessionReconnect, UnsentOutputIsDroppedAndResentOnReconnect) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 1);
  EXPECT_TRUE(session.has_output());
  session.connection_lost();
  EXPECT_FALSE(session.has_output());
  EXPECT_TRUE(nothing_sent(session));
  session.connection_opened(kT0 + 1s);
  EXPECT_TRUE(sent(session, {connect_persistent()}));
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0 + 1s);
  EXPECT_TRUE(sent(session, {publish_ab_hi(1, false, 1)}));
}

TEST(SessionReconnect, PendingSubscribeIsDroppedOnConnectionLoss) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.subscribe({{"a/#", QoS::at_least_once}}, kT0).packet_id, 1);
  session.connection_lost();
  session.connection_opened(kT0 + 1s);
  (void)session.take_output();
  reply(session, {0x20, 0x02, 0x01, 0x00, 0x90, 0x03, 0x00, 0x01, 0x01}, kT0 + 1s);
  EXPECT_EQ(events(session), (Events{connected(true), ignored(Errc::unknown_packet_id)}));
  EXPECT_EQ(session.state(), SessionState::connected);
}

TEST(SessionReconnect, RefusedReconnectKeepsTheSessionState) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 1);
  session.connection_lost();
  session.connection_opened(kT0 + 1s);
  (void)session.take_output();
  reply(session, {0x20, 0x02, 0x00, 0x03}, kT0 + 1s);
  EXPECT_EQ(events(session), Events{closed(Errc::connection_refused_server_unavailable)});
  EXPECT_EQ(session.inflight(), 1U);
  session.connection_opened(kT0 + 2s);
  (void)session.take_output();
  reply(session, {0x20, 0x02, 0x01, 0x00}, kT0 + 2s);
  EXPECT_TRUE(sent(session, {publish_ab_hi(1, true, 1)}));
}

TEST(SessionReconnect, DisconnectKeepsTheSessionState) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 1);
  session.disconnect();
  // The PUBLISH not yet written still goes out before the DISCONNECT.
  EXPECT_TRUE(sent(session, {publish_ab_hi(1, false, 1), 0xE0, 0x00}));
  EXPECT_EQ(session.state(), SessionState::disconnected);
  EXPECT_EQ(session.next_deadline(), TimePoint::max());
  EXPECT_EQ(session.inflight(), 1U);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_most_once, false, kT0).error,
            make_error_code(Errc::not_connected));
  reply(session, {0x40, 0x02, 0x00, 0x01}, kT0);  // bytes after the end are not processed
  EXPECT_TRUE(events(session).empty());
  session.disconnect();  // twice is harmless
  EXPECT_TRUE(nothing_sent(session));

  session.connection_lost();
  session.connection_opened(kT0 + 1s);
  EXPECT_TRUE(sent(session, {connect_persistent()}));
  reply(session, {0x20, 0x02, 0x01, 0x00}, kT0 + 1s);
  EXPECT_TRUE(sent(session, {publish_ab_hi(1, true, 1)}));
}

// -- incoming PUBLISH --------------------------------------------------------------------------

TEST(SessionIncoming, Qos0IsDelivered) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  reply(session, {0x31, 0x07, 0x00, 0x03, "a/b", "hi"}, kT0);
  EXPECT_EQ(events(session), Events{"MESSAGE a/b 'hi' q0 r1 d0 id=0"});
  EXPECT_TRUE(nothing_sent(session));
}

TEST(SessionIncoming, Qos1IsDeliveredAndAcknowledged) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  reply(session, {0x32, 0x09, 0x00, 0x03, "a/b", 0x00, 0x07, "hi"}, kT0);
  EXPECT_EQ(events(session), Events{"MESSAGE a/b 'hi' q1 r0 d0 id=7"});
  EXPECT_TRUE(sent(session, {0x40, 0x02, 0x00, 0x07}));
  // A QoS 1 duplicate is delivered again (at least once) and acknowledged again.
  reply(session, {0x3A, 0x09, 0x00, 0x03, "a/b", 0x00, 0x07, "hi"}, kT0);
  EXPECT_EQ(events(session), Events{"MESSAGE a/b 'hi' q1 r0 d1 id=7"});
  EXPECT_TRUE(sent(session, {0x40, 0x02, 0x00, 0x07}));
}

TEST(SessionIncoming, Qos2DuplicateIsNotDeliveredTwice) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  reply(session, {0x34, 0x09, 0x00, 0x03, "a/b", 0x01, 0x02, "hi"}, kT0);
  EXPECT_EQ(events(session), Events{"MESSAGE a/b 'hi' q2 r0 d0 id=258"});
  EXPECT_TRUE(sent(session, {0x50, 0x02, 0x01, 0x02}));

  // The broker did not get the PUBREC and sends the PUBLISH again, with or without DUP.
  reply(session, {0x3C, 0x09, 0x00, 0x03, "a/b", 0x01, 0x02, "hi"}, kT0);
  EXPECT_TRUE(events(session).empty());
  EXPECT_TRUE(sent(session, {0x50, 0x02, 0x01, 0x02}));
  reply(session, {0x34, 0x09, 0x00, 0x03, "a/b", 0x01, 0x02, "hi"}, kT0);
  EXPECT_TRUE(events(session).empty());
  EXPECT_TRUE(sent(session, {0x50, 0x02, 0x01, 0x02}));

  reply(session, {0x62, 0x02, 0x01, 0x02}, kT0);
  EXPECT_TRUE(events(session).empty());
  EXPECT_TRUE(sent(session, {0x70, 0x02, 0x01, 0x02}));

  // A PUBREL for an id we do not know still gets its PUBCOMP.
  reply(session, {0x62, 0x02, 0x01, 0x02}, kT0);
  EXPECT_TRUE(sent(session, {0x70, 0x02, 0x01, 0x02}));
  reply(session, {0x62, 0x02, 0x00, 0x63}, kT0);
  EXPECT_TRUE(sent(session, {0x70, 0x02, 0x00, 0x63}));
  EXPECT_TRUE(events(session).empty());

  // Once released, the id is free: the same id is a new message.
  reply(session, {0x34, 0x09, 0x00, 0x03, "a/b", 0x01, 0x02, "ho"}, kT0);
  EXPECT_EQ(events(session), Events{"MESSAGE a/b 'ho' q2 r0 d0 id=258"});
  EXPECT_TRUE(sent(session, {0x50, 0x02, 0x01, 0x02}));
  EXPECT_EQ(session.state(), SessionState::connected);
}

TEST(SessionIncoming, Qos2IdsSurviveReconnectOnlyWithTheSession) {
  Session session(persistent_options());
  open_and_accept(session, kT0);
  reply(session, {publish_ab_hi(2, false, 9)}, kT0);
  EXPECT_EQ(events(session), Events{"MESSAGE a/b 'hi' q2 r0 d0 id=9"});
  EXPECT_TRUE(sent(session, {0x50, 0x02, 0x00, 0x09}));
  session.connection_lost();

  // Session present: the broker resends, the session remembers the id.
  session.connection_opened(kT0 + 1s);
  (void)session.take_output();
  reply(session, {0x20, 0x02, 0x01, 0x00, publish_ab_hi(2, true, 9)}, kT0 + 1s);
  EXPECT_EQ(events(session), Events{connected(true)});
  EXPECT_TRUE(sent(session, {0x50, 0x02, 0x00, 0x09}));
  session.connection_lost();

  // No session: the id is forgotten and the same id is a new message.
  session.connection_opened(kT0 + 2s);
  (void)session.take_output();
  reply(session, {0x20, 0x02, 0x00, 0x00, publish_ab_hi(2, false, 9)}, kT0 + 2s);
  EXPECT_EQ(events(session), (Events{connected(false), "MESSAGE a/b 'hi' q2 r0 d0 id=9"}));
  EXPECT_TRUE(sent(session, {0x50, 0x02, 0x00, 0x09}));
}

TEST(SessionIncoming, BinaryPayloadIsKept) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  reply(session, {0x30, 0x07, 0x00, 0x01, "t", 0x00, 0xFF, 0x0A, 0x00}, kT0);
  const auto list = session.take_events();
  ASSERT_EQ(list.size(), 1U);
  const auto* message = std::get_if<event::Message>(&list[0]);
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->publish.payload, std::string("\x00\xFF\x0A\x00", 4));
}

// -- SUBSCRIBE and UNSUBSCRIBE -----------------------------------------------------------------

TEST(SessionSubscribe, SubackWithAFailure) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  const SendResult result =
      session.subscribe({{"a/#", QoS::at_least_once}, {"b", QoS::at_most_once}}, kT0);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.packet_id, 1);
  // Remaining length: 2 (id) + (2 + 3 + 1) + (2 + 1 + 1) = 12.
  EXPECT_TRUE(
      sent(session, {0x82, 0x0C, 0x00, 0x01, 0x00, 0x03, "a/#", 0x01, 0x00, 0x01, "b", 0x00}));
  reply(session, {0x90, 0x04, 0x00, 0x01, 0x01, 0x80}, kT0);
  EXPECT_EQ(events(session), Events{"SUBSCRIBED 1 [1,128]"});
  EXPECT_EQ(session.state(), SessionState::connected);
  // The id is free again and a repeated SUBACK is for an unknown id.
  reply(session, {0x90, 0x04, 0x00, 0x01, 0x01, 0x80}, kT0);
  EXPECT_EQ(events(session), Events{ignored(Errc::unknown_packet_id)});
}

TEST(SessionSubscribe, GrantedQos2) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  EXPECT_EQ(session.subscribe({{"+/x", QoS::exactly_once}}, kT0).packet_id, 1);
  EXPECT_TRUE(sent(session, {0x82, 0x08, 0x00, 0x01, 0x00, 0x03, "+/x", 0x02}));
  reply(session, {0x90, 0x03, 0x00, 0x01, 0x02}, kT0);
  EXPECT_EQ(events(session), Events{"SUBSCRIBED 1 [2]"});
}

TEST(SessionSubscribe, Unsubscribe) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  const SendResult result = session.unsubscribe({"a/#", "b"}, kT0);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.packet_id, 1);
  EXPECT_TRUE(sent(session, {0xA2, 0x0A, 0x00, 0x01, 0x00, 0x03, "a/#", 0x00, 0x01, "b"}));
  reply(session, {0xB0, 0x02, 0x00, 0x01}, kT0);
  EXPECT_EQ(events(session), Events{"UNSUBSCRIBED 1"});
  reply(session, {0xB0, 0x02, 0x00, 0x01}, kT0);
  EXPECT_EQ(events(session), Events{ignored(Errc::unknown_packet_id)});
}

TEST(SessionSubscribe, SubackCountMismatchIsAProtocolError) {
  for (const Bytes& suback : {wire({0x90, 0x03, 0x00, 0x01, 0x00}),
                              wire({0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0x02})}) {
    SCOPED_TRACE(hex(suback));
    Session session(basic_options());
    open_and_accept(session, kT0);
    EXPECT_EQ(session.subscribe({{"a", QoS::at_most_once}, {"b", QoS::at_most_once}}, kT0)
                  .packet_id,
              1);
    (void)session.take_output();
    session.bytes_received(suback, kT0);
    const auto list = session.take_events();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(describe(list[0]), closed(Errc::protocol_error));
    EXPECT_NE(closed_detail(list).find("SUBACK"), std::string::npos) << closed_detail(list);
    EXPECT_EQ(session.state(), SessionState::disconnected);
  }
}

TEST(SessionSubscribe, AcksForUnknownIdsAreIgnoredAndAPubrecIsStillReleased) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  reply(session,
        {0x40, 0x02, 0x00, 0x09, 0x50, 0x02, 0x00, 0x09, 0x70, 0x02, 0x00, 0x09, 0x90, 0x03,
         0x00, 0x09, 0x00, 0xB0, 0x02, 0x00, 0x09},
        kT0);
  EXPECT_EQ(events(session), Events(5, ignored(Errc::unknown_packet_id)));
  EXPECT_EQ(session.state(), SessionState::connected);
  // PUBACK, PUBCOMP, SUBACK and UNSUBACK need no answer; the PUBREC gets its PUBREL.
  EXPECT_TRUE(sent(session, {0x62, 0x02, 0x00, 0x09}));
}

// -- bad input from the broker -----------------------------------------------------------------

struct BadInput {
  const char* name;
  bool connected;                               ///< CONNACK first
  std::function<void(Session&)> setup;          ///< while connected, before the bad bytes
  Bytes bytes;
  Errc reason;
};

std::vector<BadInput> bad_inputs() {
  const auto none = [](Session&) {};
  const auto publish_qos = [](QoS qos) {
    return [qos](Session& session) {
      EXPECT_EQ(session.publish("a/b", "hi", qos, false, kT0).packet_id, 1);
    };
  };
  return {
      {"PUBLISH before CONNACK", false, none, wire({0x30, 0x05, 0x00, 0x03, "a/b"}),
       Errc::protocol_error},
      {"PINGRESP before CONNACK", false, none, wire({0xD0, 0x00}), Errc::protocol_error},
      {"SUBACK before CONNACK", false, none, wire({0x90, 0x03, 0x00, 0x01, 0x00}),
       Errc::protocol_error},
      {"second CONNACK", true, none, wire({0x20, 0x02, 0x00, 0x00}), Errc::protocol_error},
      {"bad remaining length", true, none, wire({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}),
       Errc::malformed_remaining_length},
      {"bad remaining length before CONNACK", false, none,
       wire({0x20, 0x80, 0x80, 0x80, 0x80, 0x01}), Errc::malformed_remaining_length},
      {"PINGREQ from the broker", true, none, wire({0xC0, 0x00}), Errc::unexpected_packet_type},
      {"CONNECT from the broker", true, none, connect_clean(), Errc::unexpected_packet_type},
      {"SUBSCRIBE from the broker", true, none,
       wire({0x82, 0x06, 0x00, 0x01, 0x00, 0x01, "a", 0x00}), Errc::unexpected_packet_type},
      {"DISCONNECT from the broker", true, none, wire({0xE0, 0x00}),
       Errc::unexpected_packet_type},
      {"reserved packet type 15", true, none, wire({0xF0, 0x00}), Errc::reserved_packet_type},
      {"reserved packet type 0", true, none, wire({0x00, 0x00}), Errc::reserved_packet_type},
      {"PUBLISH with a wildcard topic", true, none, wire({0x30, 0x05, 0x00, 0x03, "a/#"}),
       Errc::wildcard_in_topic},
      {"PUBLISH at QoS 3", true, none, wire({0x36, 0x07, 0x00, 0x03, "a/b", 0x00, 0x01}),
       Errc::invalid_qos},
      {"DUP on QoS 0", true, none, wire({0x38, 0x05, 0x00, 0x03, "a/b"}), Errc::dup_on_qos0},
      {"PUBLISH with packet id 0", true, none, wire({0x32, 0x07, 0x00, 0x03, "a/b", 0x00, 0x00}),
       Errc::zero_packet_id},
      {"PUBREL with wrong flags", true, none, wire({0x60, 0x02, 0x00, 0x01}),
       Errc::bad_fixed_header_flags},
      {"CONNACK with reserved flags", false, none, wire({0x20, 0x02, 0x02, 0x00}),
       Errc::bad_connack_flags},
      {"CONNACK too short", false, none, wire({0x20, 0x01, 0x00}), Errc::truncated_packet},
      {"PUBACK too long", true, none, wire({0x40, 0x03, 0x00, 0x01, 0x00}),
       Errc::trailing_bytes},
      {"SUBACK with return code 3", true, none, wire({0x90, 0x03, 0x00, 0x01, 0x03}),
       Errc::bad_suback_return_code},
      {"PUBREC for a QoS 1 id", true, publish_qos(QoS::at_least_once),
       wire({0x50, 0x02, 0x00, 0x01}), Errc::protocol_error},
      {"PUBCOMP for a QoS 1 id", true, publish_qos(QoS::at_least_once),
       wire({0x70, 0x02, 0x00, 0x01}), Errc::protocol_error},
      {"PUBACK for a QoS 2 id", true, publish_qos(QoS::exactly_once),
       wire({0x40, 0x02, 0x00, 0x01}), Errc::protocol_error},
      {"PUBCOMP before PUBREC", true, publish_qos(QoS::exactly_once),
       wire({0x70, 0x02, 0x00, 0x01}), Errc::protocol_error},
      {"SUBACK for an UNSUBSCRIBE", true,
       [](Session& session) { EXPECT_EQ(session.unsubscribe({"a"}, kT0).packet_id, 1); },
       wire({0x90, 0x03, 0x00, 0x01, 0x00}), Errc::protocol_error},
      {"UNSUBACK for a SUBSCRIBE", true,
       [](Session& session) {
         EXPECT_EQ(session.subscribe({{"a", QoS::at_most_once}}, kT0).packet_id, 1);
       },
       wire({0xB0, 0x02, 0x00, 0x01}), Errc::protocol_error},
  };
}

TEST(SessionBadInput, EachClosesWithItsReason) {
  for (const auto& bad : bad_inputs()) {
    SCOPED_TRACE(bad.name);
    Session session(basic_options());
    if (bad.connected) {
      open_and_accept(session, kT0);
      bad.setup(session);
    } else {
      session.connection_opened(kT0);
    }
    (void)session.take_output();
    (void)session.take_events();

    // A valid packet first, then the bad one and more bytes after it, all in one read.
    Bytes data = bad.connected ? wire({0xD0, 0x00}) : Bytes{};
    data.insert(data.end(), bad.bytes.begin(), bad.bytes.end());
    const Bytes after = wire({0x30, 0x05, 0x00, 0x03, "x/y"});
    data.insert(data.end(), after.begin(), after.end());
    session.bytes_received(data, kT0 + 1s);

    const auto list = session.take_events();
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(describe(list[0]), closed(bad.reason));
    EXPECT_EQ(session.state(), SessionState::disconnected);
    EXPECT_EQ(session.next_deadline(), TimePoint::max());
    EXPECT_TRUE(nothing_sent(session));

    // The owner must not feed more bytes, but if it does nothing happens.
    session.bytes_received(after, kT0 + 2s);
    session.tick(kT0 + 1000h);
    EXPECT_TRUE(events(session).empty());
    EXPECT_TRUE(nothing_sent(session));
  }
}

TEST(SessionBadInput, UnwrittenOutputIsDroppedOnError) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  session.tick(kT0 + 60s);  // a PINGREQ is outstanding
  // A QoS 1 message (delivered, PUBACK queued) and then a bad packet in the same read: the
  // connection is to be closed, so nothing more is written on it.
  reply(session, {publish_ab_hi(1, false, 7), 0xC0, 0x00}, kT0 + 61s);
  EXPECT_EQ(events(session),
            (Events{"MESSAGE a/b 'hi' q1 r0 d0 id=7", closed(Errc::unexpected_packet_type)}));
  EXPECT_FALSE(session.has_output());
  EXPECT_TRUE(nothing_sent(session));
  EXPECT_EQ(session.next_deadline(), TimePoint::max());
}

TEST(SessionBadInput, DetailSaysWhatHappened) {
  Session session(basic_options());
  session.connection_opened(kT0);
  reply(session, {0x30, 0x05, 0x00, 0x03, "a/b"}, kT0);
  EXPECT_EQ(closed_detail(session.take_events()), "PUBLISH before CONNACK");

  open_and_accept(session, kT0);
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0);
  EXPECT_EQ(closed_detail(session.take_events()), "second CONNACK");
}

TEST(SessionBadInput, PacketTooLargeIsRefusedBeforeItsBody) {
  SessionOptions options = basic_options();
  options.max_packet_size = 64;
  Session session(options);
  open_and_accept(session, kT0);
  reply(session, {0x30, 0x3F}, kT0);  // 2 + 63 bytes: one too many
  EXPECT_EQ(events(session), Events{closed(Errc::packet_too_large)});

  open_and_accept(session, kT0);
  const Bytes fits = publish_with_codec("t", std::string(59, 'x'), QoS::at_most_once, false, 0);
  ASSERT_EQ(fits.size(), 64U);
  session.bytes_received(fits, kT0);
  ASSERT_EQ(session.take_events().size(), 1U);
  EXPECT_EQ(session.state(), SessionState::connected);
}

TEST(SessionBadInput, ReconnectAfterAnErrorStartsWithAFreshDecoder) {
  Session session(basic_options());
  open_and_accept(session, kT0);
  reply(session, {0x30, 0x0A, 0x00}, kT0);  // half a PUBLISH
  session.connection_lost();
  session.connection_opened(kT0 + 1s);
  EXPECT_TRUE(sent(session, kConnectClean));
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0 + 1s);
  EXPECT_EQ(events(session), Events{connected(false)});
}

// -- any split of the input gives the same result -----------------------------------------------

struct Outcome {
  Events events;
  std::string sent;
};

/// A persistent session with QoS 1 message id 1 and QoS 2 message id 2 (PUBREC'd) in flight,
/// reconnected and waiting for CONNACK.
Session reconnecting_session() {
  Session session(persistent_options());
  session.connection_opened(kT0);
  reply(session, {0x20, 0x02, 0x00, 0x00}, kT0);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::at_least_once, false, kT0).packet_id, 1);
  EXPECT_EQ(session.publish("a/b", "hi", QoS::exactly_once, false, kT0).packet_id, 2);
  reply(session, {0x50, 0x02, 0x00, 0x02}, kT0);
  session.connection_lost();
  (void)session.take_events();
  session.connection_opened(kT0 + 1s);
  EXPECT_EQ(hex(session.take_output()), hex(connect_persistent()));
  return session;
}

Outcome feed_in_pieces(const Bytes& script, const std::vector<std::size_t>& cuts) {
  Session session = reconnecting_session();
  Outcome outcome;
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t to = i < cuts.size() ? cuts[i] : script.size();
    session.bytes_received(ByteSpan(script).subspan(from, to - from), kT0 + 1s);
    from = to;
  }
  outcome.events = events(session);
  outcome.sent = hex(session.take_output());
  return outcome;
}

Bytes broker_script() {
  return wire({
      0x20, 0x02, 0x01, 0x00,                                   // CONNACK, session present
      0x40, 0x02, 0x00, 0x01,                                   // PUBACK 1
      0x30, 0x07, 0x00, 0x03, "x/y", "q0",                      // PUBLISH QoS 0
      0x32, 0x09, 0x00, 0x03, "x/y", 0x00, 0x07, "q1",          // PUBLISH QoS 1, id 7
      0x34, 0x09, 0x00, 0x03, "x/y", 0x00, 0x09, "q2",          // PUBLISH QoS 2, id 9
      0x3C, 0x09, 0x00, 0x03, "x/y", 0x00, 0x09, "q2",          // the same, DUP
      0x62, 0x02, 0x00, 0x09,                                   // PUBREL 9
      0xD0, 0x00,                                               // PINGRESP
      0x70, 0x02, 0x00, 0x02,                                   // PUBCOMP 2
      0xB0, 0x02, 0x00, 0x05,                                   // UNSUBACK for nothing
  });
}

TEST(SessionSplit, EveryOffsetGivesTheSameResult) {
  const Bytes script = broker_script();
  const Outcome whole = feed_in_pieces(script, {});
  const Events expected_events = {
      connected(true),
      completed(1),
      "MESSAGE x/y 'q0' q0 r0 d0 id=0",
      "MESSAGE x/y 'q1' q1 r0 d0 id=7",
      "MESSAGE x/y 'q2' q2 r0 d0 id=9",
      completed(2),
      ignored(Errc::unknown_packet_id),
  };
  EXPECT_EQ(whole.events, expected_events);
  // Resent first (PUBLISH 1 with DUP, PUBREL 2), then the answers to the broker's packets.
  EXPECT_EQ(whole.sent, hex(wire({publish_ab_hi(1, true, 1), 0x62, 0x02, 0x00, 0x02,  //
                                  0x40, 0x02, 0x00, 0x07, 0x50, 0x02, 0x00, 0x09,     //
                                  0x50, 0x02, 0x00, 0x09, 0x70, 0x02, 0x00, 0x09})));

  for (std::size_t cut = 1; cut < script.size(); ++cut) {
    SCOPED_TRACE("split at " + std::to_string(cut));
    const Outcome split = feed_in_pieces(script, {cut});
    EXPECT_EQ(split.events, whole.events);
    EXPECT_EQ(split.sent, whole.sent);
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t cut = 1; cut < script.size(); ++cut) {
    every_byte.push_back(cut);
  }
  const Outcome bytewise = feed_in_pieces(script, every_byte);
  EXPECT_EQ(bytewise.events, whole.events);
  EXPECT_EQ(bytewise.sent, whole.sent);
}

TEST(SessionSplit, AnErrorAtTheEndIsFoundAtEveryOffset) {
  Bytes script = broker_script();
  const Bytes bad = wire({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  script.insert(script.end(), bad.begin(), bad.end());
  const Outcome whole = feed_in_pieces(script, {});
  ASSERT_FALSE(whole.events.empty());
  EXPECT_EQ(whole.events.back(), closed(Errc::malformed_remaining_length));
  EXPECT_EQ(whole.events.size(), 8U);
  for (std::size_t cut = 1; cut < script.size(); ++cut) {
    SCOPED_TRACE("split at " + std::to_string(cut));
    EXPECT_EQ(feed_in_pieces(script, {cut}).events, whole.events);
  }
}

}  // namespace
}  // namespace pimqttd::mqtt
