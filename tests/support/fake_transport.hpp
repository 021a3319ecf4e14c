#pragma once
// The MQTT client's transport seam, played by a test: FakeTransport stands in for the network
// (connect results, pending output, drains, losses) and decodes what the client wrote as a broker
// would; ScriptedBroker adds the broker's side of the script (accept the connection, read what the
// client wrote one line per packet, reply with encoded packets). The loop is real: a test runs
// it, never sleeps.

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/mqtt/codec.hpp"
#include "pimqttd/mqtt/transport.hpp"

namespace pimqttd::test {

inline std::string qos_text(mqtt::QoS qos) { return std::to_string(static_cast<int>(qos)); }

/// One line per packet, for readable comparisons: "PUBLISH t=p q1", "SUBSCRIBE a/#:1"...
/// Packet ids are left out (tests that need them read them from the packet).
inline std::string describe(const mqtt::Packet& packet) {
  return std::visit(
      [](const auto& p) -> std::string {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, mqtt::Connect>) {
          return "CONNECT " + p.client_id;
        } else if constexpr (std::is_same_v<T, mqtt::Publish>) {
          return "PUBLISH " + p.topic + "=" + p.payload + " q" + qos_text(p.qos) +
                 (p.retain ? " r" : "") + (p.dup ? " dup" : "");
        } else if constexpr (std::is_same_v<T, mqtt::Subscribe>) {
          std::string out = "SUBSCRIBE";
          for (const auto& s : p.subscriptions) out += " " + s.filter + ":" + qos_text(s.qos);
          return out;
        } else if constexpr (std::is_same_v<T, mqtt::Unsubscribe>) {
          std::string out = "UNSUBSCRIBE";
          for (const auto& f : p.filters) out += " " + f;
          return out;
        } else if constexpr (std::is_same_v<T, mqtt::Puback>) {
          return "PUBACK " + std::to_string(p.packet_id);
        } else {
          return std::string(mqtt::packet_name(mqtt::packet_type(mqtt::Packet(p))));
        }
      },
      packet);
}

/// The transport seam. The Client owns it; the test keeps a raw observer pointer to it.
class FakeTransport final : public mqtt::Transport {
 public:
  // -- Transport -------------------------------------------------------------------------------
  void set_callbacks(Callbacks callbacks) override { callbacks_ = std::move(callbacks); }
  void connect(const mqtt::Endpoint& endpoint) override {
    ++connects;
    endpoints.push_back(endpoint);
    connected_ = false;
    connecting = true;
    wire.clear();
    decoder_.reset();
  }
  void send(mqtt::ByteSpan bytes) override {
    if (!connected_) {
      ++ignored_sends;
      return;
    }
    if (fail_in_send) {
      // As a socket transport does when the write fails: closed, and reported from inside send().
      fail_in_send = false;
      fail(std::error_code(EPIPE, std::system_category()));
      return;
    }
    ++writes;
    wire.insert(wire.end(), bytes.begin(), bytes.end());
    decoder_.feed(bytes);
    if (grow_pending) pending += bytes.size();
  }
  [[nodiscard]] std::size_t pending_output() const noexcept override { return pending; }
  void close() noexcept override {
    ++closes;
    connected_ = false;
    connecting = false;
  }
  void acknowledge_received() noexcept override { ++acknowledgements; }
  [[nodiscard]] bool connected() const noexcept override { return connected_; }
  [[nodiscard]] std::string peer() const override { return "fake-broker:1883"; }

  // -- the test's side -------------------------------------------------------------------------
  /// The pending connect succeeds.
  void open() {
    ASSERT_TRUE(connecting) << "open() without a connect() in progress";
    connecting = false;
    connected_ = true;
    callbacks_.on_connected();
  }
  /// The connect attempt fails or the connection is lost.
  void fail(std::error_code error) {
    connected_ = false;
    connecting = false;
    callbacks_.on_closed(error);
  }
  /// The broker sends these bytes.
  void deliver(const mqtt::Bytes& bytes) { callbacks_.on_data(mqtt::ByteSpan(bytes)); }
  /// Everything pending has been written.
  void drain() {
    pending = 0;
    callbacks_.on_drained();
  }
  /// The packets the client wrote since the last call (decoded as the broker would).
  std::vector<mqtt::Packet> take_packets() {
    std::vector<mqtt::Packet> out;
    for (int i = 0; i < 100'000; ++i) {
      mqtt::DecodeResult result = decoder_.next();
      if (result.status == mqtt::DecodeResult::Status::need_more) {
        break;
      }
      if (result.status == mqtt::DecodeResult::Status::error) {
        ADD_FAILURE() << "the client wrote a malformed packet: " << result.error.message();
        break;
      }
      out.push_back(std::move(*result.packet));
    }
    return out;
  }

  int connects = 0;
  int closes = 0;
  int ignored_sends = 0;
  /// send() calls that wrote bytes, and acknowledge_received() calls.
  int writes = 0;
  int acknowledgements = 0;
  bool connecting = false;
  std::vector<mqtt::Endpoint> endpoints;
  /// Raw bytes written on the current connection.
  mqtt::Bytes wire;
  /// What pending_output() reports; with grow_pending, every send() adds to it.
  std::size_t pending = 0;
  bool grow_pending = false;
  /// The next send() fails (on_closed from inside send()).
  bool fail_in_send = false;

 private:
  Callbacks callbacks_;
  bool connected_ = false;
  mqtt::Decoder decoder_{mqtt::DecoderOptions{mqtt::Role::server}};
};

/// The broker's side of a script against one mqtt::Client built with factory(): the test accepts
/// the client's connection, reads what the client wrote and replies.
class ScriptedBroker {
 public:
  explicit ScriptedBroker(core::EventLoop& loop) : loop_(loop) {}
  ScriptedBroker(const ScriptedBroker&) = delete;
  ScriptedBroker& operator=(const ScriptedBroker&) = delete;

  /// Makes the client's transport (a client makes one and reconnects with it).
  [[nodiscard]] mqtt::TransportFactory factory() {
    return [this] {
      auto transport = std::make_unique<FakeTransport>();
      transport_ = transport.get();
      return transport;
    };
  }

  /// The client's transport (owned by the client). Fails the test when there is none.
  [[nodiscard]] FakeTransport& transport() {
    EXPECT_NE(transport_, nullptr) << "the client has not made a transport yet";
    return *transport_;
  }

  /// Runs what the loop has due now: the client writes its publishes at the end of the current
  /// loop iteration, not inside publish().
  void settle() {
    for (int i = 0; i < 4; ++i) loop_.run_once(std::chrono::milliseconds(0));
  }
  /// The packets the client wrote since the last call.
  [[nodiscard]] std::vector<mqtt::Packet> take_packets() {
    settle();
    return transport().take_packets();
  }
  /// What the client wrote since the last call, one line per packet (see describe()).
  [[nodiscard]] std::vector<std::string> sent() {
    std::vector<std::string> out;
    for (const auto& packet : take_packets()) out.push_back(describe(packet));
    return out;
  }
  /// Like sent(), and every QoS 1 PUBLISH among it is acknowledged (PUBACK), so that the client
  /// does not send it again after a reconnect.
  [[nodiscard]] std::vector<std::string> sent_acknowledged() {
    std::vector<std::string> out;
    for (const auto& packet : take_packets()) {
      out.push_back(describe(packet));
      const auto* publish = std::get_if<mqtt::Publish>(&packet);
      if (publish != nullptr && publish->qos == mqtt::QoS::at_least_once) {
        reply(mqtt::Puback{publish->packet_id});
      }
    }
    return out;
  }
  /// The broker sends `packet`.
  void reply(const mqtt::Packet& packet) { transport().deliver(mqtt::encode(packet)); }

  /// The client's pending connect succeeds and its CONNECT is answered with a CONNACK. Returns
  /// what it wrote after the CONNACK.
  std::vector<std::string> accept(bool session_present = false) {
    transport().open();
    const auto packets = take_packets();
    EXPECT_TRUE(packets.size() == 1 && std::holds_alternative<mqtt::Connect>(packets.front()))
        << "expected exactly one CONNECT";
    reply(mqtt::Connack{session_present, 0});
    return sent();
  }

 private:
  core::EventLoop& loop_;
  FakeTransport* transport_ = nullptr;
};

}  // namespace pimqttd::test
