#pragma once
// Session: the MQTT client protocol state machine, with no I/O of its own ("sans-I/O").
//
// The owner (mqtt::Client, or a test playing the broker) tells it what happened on the
// connection (opened, bytes received, lost) and what time it is; the session answers with bytes
// to write (take_output), protocol events (take_events) and the next moment it needs to be
// woken (next_deadline). It never reads a clock itself, so tests drive it with any time points.
//
// What the session owns across connections is the MQTT "session state" of the client: outgoing
// QoS 1 and 2 messages not yet completely acknowledged (in send order), and incoming QoS 2
// packet ids received but not yet released. Messages the application publishes while there is no
// room (offline, window full) are not the session's business: mqtt::Outbox keeps those.
//
// Reconnect rules:
// - CONNACK with Session Present = 1 (only possible with clean_session = false): every
//   unacknowledged PUBLISH is re-sent with DUP = 1 and its original packet id, and every message
//   already PUBREC'd gets its PUBREL again (never the PUBLISH), all in the original order, before
//   anything new.
// - Session Present = 0: the broker has no state for us. Incoming QoS 2 ids are forgotten;
//   every outgoing QoS 1/2 message not yet completed (PUBREC'd ones included, since the broker
//   may not have delivered them) is re-sent as a new PUBLISH with DUP = 0, in the original order:
//   nothing is lost silently, at the cost of a possible duplicate.
// Pending SUBSCRIBE/UNSUBSCRIBE are dropped when the connection is lost (the client renews its
// subscriptions after every connect).

#include <bitset>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "pimqttd/mqtt/codec.hpp"

namespace pimqttd::mqtt {

struct SessionOptions {
  ProtocolVersion version = ProtocolVersion::v311;
  std::string client_id;
  bool clean_session = true;
  /// Keep-alive interval sent in CONNECT; 0 disables PINGREQ and the PINGRESP deadline.
  std::chrono::seconds keep_alive{60};
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;
  /// Outgoing QoS 1/2 messages that may be unacknowledged at once (at least 1).
  std::size_t inflight_window = 20;
  /// Time from connection_opened() to CONNACK before the connection is declared dead.
  std::chrono::milliseconds connack_timeout{10'000};
  /// Time to wait for PINGRESP; zero means half the keep-alive (at least 1 s), so that a dead
  /// broker is detected within 1.5 x keep-alive of its last sign of life.
  std::chrono::milliseconds ping_timeout{0};
  /// Largest incoming packet accepted.
  std::size_t max_packet_size = 1024 * 1024;
};

enum class SessionState : std::uint8_t {
  disconnected,  ///< no transport
  connecting,    ///< CONNECT written, waiting for CONNACK
  connected,     ///< CONNACK accepted
};

namespace event {
/// CONNACK accepted.
struct Connected {
  bool session_present = false;
};
/// An application message from the broker, delivered once (QoS 2 duplicates are suppressed).
struct Message {
  Publish publish;
};
/// A QoS 1 PUBLISH got its PUBACK, or a QoS 2 PUBLISH its PUBCOMP: its in-flight slot is free.
struct PublishCompleted {
  std::uint16_t packet_id = 0;
};
struct Subscribed {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> return_codes;  ///< granted QoS or kSubackFailure, per filter
};
struct Unsubscribed {
  std::uint16_t packet_id = 0;
};
/// The session wants the connection closed now: a malformed or unexpected packet, a refused
/// CONNACK, a CONNACK or PINGRESP timeout. `reason` says which (core::Errc). After this event
/// the state is `disconnected`; the owner closes the transport and must not feed more bytes.
struct Closed {
  std::error_code reason;
  std::string detail;  ///< human-readable context for the log ("PUBLISH before CONNACK")
};
/// Something odd but harmless that was ignored (an ack for an unknown packet id). For the log.
struct Ignored {
  std::error_code reason;
  std::string detail;
};
}  // namespace event

using SessionEvent = std::variant<event::Connected, event::Message, event::PublishCompleted,
                                  event::Subscribed, event::Unsubscribed, event::Closed,
                                  event::Ignored>;

/// The result of an operation that may allocate a packet id.
struct SendResult {
  std::error_code error;         ///< empty on success
  std::uint16_t packet_id = 0;   ///< 0 for QoS 0
};

class Session {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  explicit Session(SessionOptions options);

  // -- what happened on the connection ---------------------------------------------------------
  /// The transport is up: writes CONNECT and starts the CONNACK deadline.
  void connection_opened(TimePoint now);
  /// Bytes arrived from the broker (any split). May produce output and events.
  void bytes_received(ByteSpan bytes, TimePoint now);
  /// The transport is gone (either side closed it). Keeps the session state for the next
  /// connection; drops unsent output and pending (un)subscribes.
  void connection_lost();
  /// Handles every deadline due at `now`: PINGREQ, PINGRESP and CONNACK timeouts.
  void tick(TimePoint now);
  /// When tick() must next be called; TimePoint::max() when nothing is pending.
  [[nodiscard]] TimePoint next_deadline() const noexcept;

  // -- what the application asks for (state must be `connected`, else not_connected) --------
  /// Sends a PUBLISH. QoS 0 is written at once (packet_id 0). QoS 1/2 take a packet id and an
  /// in-flight slot (inflight_window_full when none is free). invalid_topic for a bad topic.
  SendResult publish(std::string topic, std::string payload, QoS qos, bool retain, TimePoint now);
  SendResult subscribe(std::vector<Subscription> subscriptions, TimePoint now);
  SendResult unsubscribe(std::vector<std::string> filters, TimePoint now);
  /// Writes DISCONNECT; the state becomes `disconnected` (the owner flushes, then closes). The
  /// session state (in-flight messages) is kept.
  void disconnect();

  // -- output -------------------------------------------------------------------------------
  /// Takes the bytes to write, in order (empties the internal buffer).
  [[nodiscard]] Bytes take_output();
  [[nodiscard]] bool has_output() const noexcept { return !output_.empty(); }
  [[nodiscard]] std::size_t output_size() const noexcept { return output_.size(); }
  /// Takes the events produced since the last call, in order.
  [[nodiscard]] std::vector<SessionEvent> take_events();

  // -- inspection ---------------------------------------------------------------------------
  [[nodiscard]] SessionState state() const noexcept { return state_; }
  [[nodiscard]] std::size_t inflight() const noexcept { return outgoing_.size(); }
  [[nodiscard]] std::size_t inflight_free() const noexcept;
  [[nodiscard]] const SessionOptions& options() const noexcept { return options_; }

 private:
  struct Outgoing {
    Publish publish;           ///< as first sent (dup = false)
    bool released = false;     ///< QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP
  };
  enum class PendingKind : std::uint8_t { subscribe, unsubscribe };
  struct Pending {
    PendingKind kind = PendingKind::subscribe;
    std::size_t filters = 0;   ///< topic filters in the request (a SUBACK must match)
  };

  void handle(Packet& packet, TimePoint now);
  void on_connack(const Connack& connack, TimePoint now);
  void on_publish(Publish& publish, TimePoint now);
  void on_puback(std::uint16_t packet_id);
  void on_pubrec(std::uint16_t packet_id, TimePoint now);
  void on_pubrel(std::uint16_t packet_id, TimePoint now);
  void on_pubcomp(std::uint16_t packet_id);
  void on_suback(Suback& suback);
  void on_unsuback(std::uint16_t packet_id);
  void resend_inflight(bool session_present, TimePoint now);
  void complete(std::deque<Outgoing>::iterator it);
  [[nodiscard]] std::deque<Outgoing>::iterator find_outgoing(std::uint16_t packet_id);
  /// Encodes a packet that cannot fail to encode (acks, PINGREQ, DISCONNECT) into output_.
  void write(const Packet& packet);
  /// Appends bytes encoded by the caller and counts them as sent at `now`.
  void write(const Bytes& bytes, TimePoint now);
  [[nodiscard]] std::optional<std::uint16_t> next_free_packet_id() const noexcept;
  void claim_packet_id(std::uint16_t packet_id) noexcept;
  void release_packet_id(std::uint16_t packet_id) noexcept;
  /// Forgets everything tied to the current connection (not the session state).
  void reset_connection() noexcept;
  void close(std::error_code reason, std::string detail);
  void ignore(std::error_code reason, std::string detail);

  SessionOptions options_;
  std::size_t window_;                          ///< inflight_window, at least 1
  std::chrono::seconds keep_alive_;             ///< clamped to 0..65,535
  std::chrono::milliseconds ping_timeout_;      ///< effective PINGRESP timeout
  SessionState state_ = SessionState::disconnected;
  Decoder decoder_;
  Bytes output_;
  std::vector<SessionEvent> events_;
  std::deque<Outgoing> outgoing_;              ///< send order
  std::set<std::uint16_t> incoming_qos2_;      ///< PUBREC sent, PUBREL not yet received
  std::map<std::uint16_t, Pending> pending_acks_;  ///< SUBSCRIBE/UNSUBSCRIBE awaiting ack
  std::bitset<65536> ids_in_use_;              ///< outgoing in-flight and pending_acks_ ids
  std::uint16_t last_packet_id_ = 0;
  TimePoint connack_deadline_ = TimePoint::max();
  TimePoint last_sent_{};
  TimePoint last_received_{};
  std::optional<TimePoint> ping_sent_;
  std::optional<std::string> last_valid_topic_;
};

}  // namespace pimqttd::mqtt
