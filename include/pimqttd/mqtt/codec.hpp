#pragma once
// The MQTT codec: pure functions from packets to bytes and back. No sockets, no clocks, no state
// beyond the bytes a Decoder has buffered.
//
// Every one of MQTT 3.1.1's fourteen control packets has a struct here; `Packet` is their variant.
// The protocol version travels with the encoder and decoder options so that MQTT 5.0 (properties,
// reason codes) can be added as fields and branches without changing the shape of the API.
//
// Decoding is strict: any deviation from the specification's "MUST" rules that a receiver can
// see yields a precise core::Errc (see core/error.hpp) and no packet. A client treats any such
// error as fatal for the connection ([MQTT-4.8.0-1]): it closes the network connection.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace pimqttd::mqtt {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

enum class ProtocolVersion : std::uint8_t { v311 = 4, v5 = 5 };

enum class QoS : std::uint8_t { at_most_once = 0, at_least_once = 1, exactly_once = 2 };

enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
};

/// The largest value the variable-length "remaining length" can carry.
inline constexpr std::size_t kMaxRemainingLength = 268'435'455;

struct Will {
  std::string topic;
  std::string payload;  ///< binary-safe
  QoS qos = QoS::at_most_once;
  bool retain = false;
  friend bool operator==(const Will&, const Will&) = default;
};

struct Connect {
  ProtocolVersion version = ProtocolVersion::v311;
  std::string client_id;
  bool clean_session = true;
  std::uint16_t keep_alive = 60;  ///< seconds; 0 turns keep-alive off
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  ///< binary-safe
  friend bool operator==(const Connect&, const Connect&) = default;
};

/// CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3).
enum class ConnectReturnCode : std::uint8_t {
  accepted = 0,
  unacceptable_protocol_version = 1,
  identifier_rejected = 2,
  server_unavailable = 3,
  bad_username_or_password = 4,
  not_authorized = 5,
};

struct Connack {
  bool session_present = false;
  /// Kept as a raw byte: a broker may send a code this client does not know (values 6-255 are
  /// reserved); the session maps it to connection_refused_unknown.
  std::uint8_t return_code = 0;
  friend bool operator==(const Connack&, const Connack&) = default;
};

struct Publish {
  std::string topic;
  std::string payload;  ///< binary-safe
  QoS qos = QoS::at_most_once;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  ///< present on the wire only for QoS 1 and 2
  friend bool operator==(const Publish&, const Publish&) = default;
};

struct Puback {
  std::uint16_t packet_id = 0;
  friend bool operator==(const Puback&, const Puback&) = default;
};
struct Pubrec {
  std::uint16_t packet_id = 0;
  friend bool operator==(const Pubrec&, const Pubrec&) = default;
};
struct Pubrel {
  std::uint16_t packet_id = 0;
  friend bool operator==(const Pubrel&, const Pubrel&) = default;
};
struct Pubcomp {
  std::uint16_t packet_id = 0;
  friend bool operator==(const Pubcomp&, const Pubcomp&) = default;
};

struct Subscription {
  std::string filter;
  QoS qos = QoS::at_most_once;
  friend bool operator==(const Subscription&, const Subscription&) = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<Subscription> subscriptions;  ///< at least one
  friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

/// A SUBACK return code: the granted QoS (0, 1, 2) or this failure value.
inline constexpr std::uint8_t kSubackFailure = 0x80;

struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> return_codes;  ///< one per requested filter, in order
  friend bool operator==(const Suback&, const Suback&) = default;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;  ///< at least one
  friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  friend bool operator==(const Unsuback&, const Unsuback&) = default;
};

struct Pingreq {
  friend bool operator==(const Pingreq&, const Pingreq&) = default;
};
struct Pingresp {
  friend bool operator==(const Pingresp&, const Pingresp&) = default;
};
struct Disconnect {
  friend bool operator==(const Disconnect&, const Disconnect&) = default;
};

/// Alternatives in packet type order: index() + 1 == the packet type number.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect>;

[[nodiscard]] PacketType packet_type(const Packet& packet) noexcept;
/// "CONNECT", "PUBLISH"... for logs.
[[nodiscard]] std::string_view packet_name(PacketType type) noexcept;

// ---------------------------------------------------------------------------------------------
// Encoding

/// Appends the wire form of `packet` to `out`. Fails (leaving `out` unchanged) only for what
/// cannot be represented or what no receiver may accept whatever the context: a string over
/// 65,535 bytes (string_too_long), a packet over the remaining-length limit (packet_too_large),
/// packet id 0 on a QoS > 0 PUBLISH or on any packet that always carries an id (zero_packet_id),
/// a QoS value above 2 (invalid_qos), DUP on a QoS 0 PUBLISH (dup_on_qos0), a CONNECT with a
/// password but no username (bad_connect_flags), or a version other than v311 or a
/// Connect::version that differs from `version` (unsupported_protocol_level: MQTT 5.0 is not
/// implemented yet). It does not police semantics a sender chooses (wildcards, empty client id,
/// empty subscription lists); the session validates what an application hands it.
[[nodiscard]] std::error_code encode(const Packet& packet, Bytes& out,
                                     ProtocolVersion version = ProtocolVersion::v311);

/// Convenience for tests: the wire form of `packet`; throws std::system_error on failure.
[[nodiscard]] Bytes encode(const Packet& packet, ProtocolVersion version = ProtocolVersion::v311);

// ---------------------------------------------------------------------------------------------
// Decoding

/// Who is decoding: decides which packet types are legal to receive. A client never receives
/// CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ or (in 3.1.1) DISCONNECT; a server never receives
/// CONNACK, SUBACK, UNSUBACK or PINGRESP. (Test fakes of a broker decode as `server`.)
enum class Role : std::uint8_t { client, server };

struct DecoderOptions {
  Role role = Role::client;
  ProtocolVersion version = ProtocolVersion::v311;
  /// Largest whole packet (fixed header included) accepted; larger ones fail with
  /// packet_too_large as soon as the remaining length is known, before the body arrives.
  std::size_t max_packet_size = 1024 * 1024;
};

/// The outcome of decoding one packet from the front of a byte span.
struct DecodeResult {
  enum class Status : std::uint8_t { packet, need_more, error };
  Status status = Status::need_more;
  std::optional<Packet> packet;  ///< set when status == packet
  std::error_code error;         ///< set when status == error
  std::size_t consumed = 0;      ///< bytes of the span that the packet used (status == packet)
};

/// Decodes the first packet in `bytes`. `need_more` means the bytes are a valid prefix of a
/// packet (errors in the fixed header are reported as soon as they are visible; errors in the
/// rest once the whole packet has arrived). A decoder for MQTT 5.0 is not implemented yet:
/// options.version == v5 fails with unsupported_protocol_level.
///
/// Error precedence: the fixed header is checked first (reserved type, then the role, then the
/// flags, then the remaining length, then the maximum size), then the body in wire order, the
/// first problem found winning; trailing bytes are reported last. A remaining length in a
/// non-minimal form (0x80 0x00 for 0) is accepted: MQTT 3.1.1 does not forbid it.
[[nodiscard]] DecodeResult decode(ByteSpan bytes, const DecoderOptions& options = {});

/// Incremental decoder: feed bytes as they arrive, take packets out. A packet split anywhere
/// across feeds decodes exactly as if it had arrived whole. After an error the decoder stays in
/// the error state (the connection is to be closed) until reset().
class Decoder {
 public:
  explicit Decoder(DecoderOptions options = {}) : options_(options) {}

  /// Appends `bytes` to the buffer (they are dropped while the decoder is in the error state).
  void feed(ByteSpan bytes);
  /// The next complete packet; need_more when the buffer holds only part of one.
  [[nodiscard]] DecodeResult next();
  /// Forgets buffered bytes and any error (for a new connection).
  void reset() noexcept;
  [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size() - start_; }
  [[nodiscard]] const DecoderOptions& options() const noexcept { return options_; }

 private:
  DecoderOptions options_;
  Bytes buffer_;
  std::size_t start_ = 0;
  std::error_code error_;
};

// ---------------------------------------------------------------------------------------------
// Validation helpers shared by the codec and the session.

/// Well-formed UTF-8 per RFC 3629 and MQTT 1.5.3: no overlongs, no surrogates, nothing above
/// U+10FFFF; U+0000 is reported separately as null_character. Returns {} when valid.
[[nodiscard]] std::error_code validate_utf8(std::string_view text) noexcept;
/// A topic name a client may PUBLISH to: valid UTF-8, 1-65,535 bytes, no '+' or '#'.
/// Errors: empty_topic, string_too_long, malformed_utf8, null_character, wildcard_in_topic.
[[nodiscard]] std::error_code validate_topic_name(std::string_view topic) noexcept;
/// A topic filter: valid UTF-8, 1-65,535 bytes, '#' only last and alone in its level, '+' alone
/// in its level. Errors: empty_topic, string_too_long, malformed_utf8, null_character,
/// bad_topic_filter.
[[nodiscard]] std::error_code validate_topic_filter(std::string_view filter) noexcept;
/// Whether `topic` matches `filter` (wildcards; '$' topics do not match a leading wildcard;
/// "a/#" matches "a"; '+' matches an empty level). Both are assumed valid.
[[nodiscard]] bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

}  // namespace pimqttd::mqtt
