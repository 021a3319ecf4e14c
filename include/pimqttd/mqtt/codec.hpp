#pragma once
// The MQTT codec: pure functions from packets to bytes and back. No sockets, no clocks, no state
// beyond the bytes a Decoder has buffered.
//
// Every control packet of MQTT 3.1.1 and 5.0 has a struct here; `Packet` is their variant. The
// protocol version travels with the encoder and decoder options; the MQTT 5.0 parts of a packet
// (properties, reason codes, subscription options, AUTH) are fields that MQTT 3.1.1 leaves at
// their defaults: a 3.1.1 decoder never sets them and a 3.1.1 encoder refuses a packet that sets
// them (v5_field_in_v311), so nothing is dropped silently.
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
  auth = 15,  ///< MQTT 5.0 only
};

/// The largest value the variable-length "remaining length" can carry.
inline constexpr std::size_t kMaxRemainingLength = 268'435'455;

// ---------------------------------------------------------------------------------------------
// MQTT 5.0 reason codes and properties

/// Every MQTT 5.0 reason code (section 2.4). One value has several names in the specification
/// (0x00 is Success, Normal disconnection and Granted QoS 0); the enum keeps the first.
/// Which codes a packet may carry is checked by the codec (bad_reason_code).
enum class ReasonCode : std::uint8_t {
  success = 0x00,  ///< also "normal disconnection" (DISCONNECT) and "granted QoS 0" (SUBACK)
  granted_qos_1 = 0x01,
  granted_qos_2 = 0x02,
  disconnect_with_will_message = 0x04,
  no_matching_subscribers = 0x10,
  no_subscription_existed = 0x11,
  continue_authentication = 0x18,
  re_authenticate = 0x19,
  unspecified_error = 0x80,
  malformed_packet = 0x81,
  protocol_error = 0x82,
  implementation_specific_error = 0x83,
  unsupported_protocol_version = 0x84,
  client_identifier_not_valid = 0x85,
  bad_user_name_or_password = 0x86,
  not_authorized = 0x87,
  server_unavailable = 0x88,
  server_busy = 0x89,
  banned = 0x8A,
  server_shutting_down = 0x8B,
  bad_authentication_method = 0x8C,
  keep_alive_timeout = 0x8D,
  session_taken_over = 0x8E,
  topic_filter_invalid = 0x8F,
  topic_name_invalid = 0x90,
  packet_identifier_in_use = 0x91,
  packet_identifier_not_found = 0x92,
  receive_maximum_exceeded = 0x93,
  topic_alias_invalid = 0x94,
  packet_too_large = 0x95,
  message_rate_too_high = 0x96,
  quota_exceeded = 0x97,
  administrative_action = 0x98,
  payload_format_invalid = 0x99,
  retain_not_supported = 0x9A,
  qos_not_supported = 0x9B,
  use_another_server = 0x9C,
  server_moved = 0x9D,
  shared_subscriptions_not_supported = 0x9E,
  connection_rate_exceeded = 0x9F,
  maximum_connect_time = 0xA0,
  subscription_identifiers_not_supported = 0xA1,
  wildcard_subscriptions_not_supported = 0xA2,
};

/// "success", "not authorized", ... for logs; "reason code 0xNN" is not returned: an unknown
/// value gives "unknown reason code".
[[nodiscard]] std::string_view reason_name(ReasonCode code) noexcept;
/// Whether `code` is one of the reason codes MQTT 5.0 allows in a packet of `type` (CONNACK,
/// PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH; false for the others).
[[nodiscard]] bool reason_allowed(PacketType type, std::uint8_t code) noexcept;

/// The reason code a client puts in the DISCONNECT it sends before closing, for an error the
/// decoder reported: 0x81 (malformed packet) for what cannot be parsed or breaks the encoding
/// rules (a bad remaining length, a truncated field, ill-formed UTF-8, an unknown property or one
/// not valid in this packet, reserved bits), 0x82 (protocol error) for a well-formed packet that
/// breaks a rule of the protocol (a duplicate property, a property value out of range, a reason
/// code this packet may not carry, retain handling 3, a packet this role never receives), 0x95
/// for packet_too_large, and 0x80 (unspecified error) for anything else.
[[nodiscard]] ReasonCode disconnect_reason(std::error_code error) noexcept;

struct UserProperty {
  std::string name;
  std::string value;
  friend bool operator==(const UserProperty&, const UserProperty&) = default;
};

/// The properties of one MQTT 5.0 packet (or of a will), each typed and absent unless sent.
/// Every property of the specification has a field; which of them a packet may carry is checked
/// when encoding and decoding (property_not_allowed). Only User Property (any packet) and
/// Subscription Identifier (PUBLISH from a server) may repeat; their order is kept. An empty
/// Properties allocates nothing, so a PUBLISH without properties costs what it does in 3.1.1.
struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;         ///< 0x01: 0 bytes, 1 UTF-8
  std::optional<std::uint32_t> message_expiry_interval;         ///< 0x02: seconds
  std::optional<std::string> content_type;                      ///< 0x03
  std::optional<std::string> response_topic;                    ///< 0x08
  std::optional<std::string> correlation_data;                  ///< 0x09: binary
  std::vector<std::uint32_t> subscription_identifiers;          ///< 0x0B: 1 to 268,435,455
  std::optional<std::uint32_t> session_expiry_interval;         ///< 0x11: seconds
  std::optional<std::string> assigned_client_identifier;        ///< 0x12
  std::optional<std::uint16_t> server_keep_alive;               ///< 0x13: seconds
  std::optional<std::string> authentication_method;             ///< 0x15
  std::optional<std::string> authentication_data;               ///< 0x16: binary, needs 0x15
  std::optional<std::uint8_t> request_problem_information;      ///< 0x17: 0 or 1
  std::optional<std::uint32_t> will_delay_interval;             ///< 0x18: seconds
  std::optional<std::uint8_t> request_response_information;     ///< 0x19: 0 or 1
  std::optional<std::string> response_information;              ///< 0x1A
  std::optional<std::string> server_reference;                  ///< 0x1C
  std::optional<std::string> reason_string;                     ///< 0x1F
  std::optional<std::uint16_t> receive_maximum;                 ///< 0x21: not 0
  std::optional<std::uint16_t> topic_alias_maximum;             ///< 0x22
  std::optional<std::uint16_t> topic_alias;                     ///< 0x23: not 0
  std::optional<std::uint8_t> maximum_qos;                      ///< 0x24: 0 or 1
  std::optional<std::uint8_t> retain_available;                 ///< 0x25: 0 or 1
  std::vector<UserProperty> user_properties;                    ///< 0x26
  std::optional<std::uint32_t> maximum_packet_size;             ///< 0x27: not 0
  std::optional<std::uint8_t> wildcard_subscription_available;  ///< 0x28: 0 or 1
  std::optional<std::uint8_t> subscription_identifier_available;  ///< 0x29: 0 or 1
  std::optional<std::uint8_t> shared_subscription_available;    ///< 0x2A: 0 or 1

  /// True when no property is set.
  [[nodiscard]] bool empty() const noexcept;
  friend bool operator==(const Properties&, const Properties&) = default;
};

// ---------------------------------------------------------------------------------------------
// Packets

struct Will {
  std::string topic;
  std::string payload;  ///< binary-safe
  QoS qos = QoS::at_most_once;
  bool retain = false;
  Properties properties{};  ///< 5.0 will properties
  friend bool operator==(const Will&, const Will&) = default;
};

struct Connect {
  ProtocolVersion version = ProtocolVersion::v311;
  std::string client_id;
  bool clean_session = true;  ///< 5.0 calls it Clean Start
  std::uint16_t keep_alive = 60;  ///< seconds; 0 turns keep-alive off
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  ///< binary-safe; 5.0 allows it without a username
  Properties properties{};                ///< 5.0
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
  /// reserved); the session maps it to connection_refused_unknown. Under 5.0 it holds the
  /// reason code (a ReasonCode the CONNACK may carry, checked by the codec).
  std::uint8_t return_code = 0;
  Properties properties{};  ///< 5.0
  friend bool operator==(const Connack&, const Connack&) = default;
};

struct Publish {
  std::string topic;
  std::string payload;  ///< binary-safe
  QoS qos = QoS::at_most_once;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  ///< present on the wire only for QoS 1 and 2
  /// 5.0. The topic may be empty under 5.0 when properties.topic_alias is set.
  Properties properties{};
  friend bool operator==(const Publish&, const Publish&) = default;
};

struct Puback {
  std::uint16_t packet_id = 0;
  ReasonCode reason_code = ReasonCode::success;  ///< 5.0
  Properties properties{};                         ///< 5.0
  friend bool operator==(const Puback&, const Puback&) = default;
};
struct Pubrec {
  std::uint16_t packet_id = 0;
  ReasonCode reason_code = ReasonCode::success;  ///< 5.0
  Properties properties{};                         ///< 5.0
  friend bool operator==(const Pubrec&, const Pubrec&) = default;
};
struct Pubrel {
  std::uint16_t packet_id = 0;
  ReasonCode reason_code = ReasonCode::success;  ///< 5.0
  Properties properties{};                         ///< 5.0
  friend bool operator==(const Pubrel&, const Pubrel&) = default;
};
struct Pubcomp {
  std::uint16_t packet_id = 0;
  ReasonCode reason_code = ReasonCode::success;  ///< 5.0
  Properties properties{};                         ///< 5.0
  friend bool operator==(const Pubcomp&, const Pubcomp&) = default;
};

/// MQTT 5.0 Retain Handling (subscription options bits 4-5); 3 is not a valid value.
enum class RetainHandling : std::uint8_t { send = 0, send_if_new = 1, do_not_send = 2 };

struct Subscription {
  std::string filter;
  QoS qos = QoS::at_most_once;  ///< 5.0 calls it Maximum QoS
  bool no_local = false;                                ///< 5.0; not on a $share/ filter
  bool retain_as_published = false;                     ///< 5.0
  RetainHandling retain_handling = RetainHandling::send;  ///< 5.0
  friend bool operator==(const Subscription&, const Subscription&) = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<Subscription> subscriptions;  ///< at least one
  Properties properties{};                    ///< 5.0
  friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

/// A SUBACK return code: the granted QoS (0, 1, 2) or this failure value.
inline constexpr std::uint8_t kSubackFailure = 0x80;

struct Suback {
  std::uint16_t packet_id = 0;
  /// One per requested filter, in order; under 5.0 the SUBACK reason codes.
  std::vector<std::uint8_t> return_codes;
  Properties properties{};  ///< 5.0
  friend bool operator==(const Suback&, const Suback&) = default;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;  ///< at least one
  Properties properties{};             ///< 5.0
  friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  std::vector<ReasonCode> reason_codes{};  ///< 5.0: one per filter, at least one
  Properties properties{};                 ///< 5.0
  friend bool operator==(const Unsuback&, const Unsuback&) = default;
};

struct Pingreq {
  friend bool operator==(const Pingreq&, const Pingreq&) = default;
};
struct Pingresp {
  friend bool operator==(const Pingresp&, const Pingresp&) = default;
};
struct Disconnect {
  ReasonCode reason_code = ReasonCode::success;  ///< 5.0 (0: normal disconnection)
  Properties properties{};                         ///< 5.0
  friend bool operator==(const Disconnect&, const Disconnect&) = default;
};
/// MQTT 5.0 only: enhanced authentication.
struct Auth {
  ReasonCode reason_code = ReasonCode::success;
  Properties properties{};
  friend bool operator==(const Auth&, const Auth&) = default;
};

/// Alternatives in packet type order: index() + 1 == the packet type number.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

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
/// password but no username under 3.1.1 (bad_connect_flags), a Connect::version that differs
/// from `version` (unsupported_protocol_level), an AUTH or any 5.0 field set under 3.1.1
/// (v5_field_in_v311). Under 5.0 also: a property this packet may not carry
/// (property_not_allowed), a repeated Subscription Identifier outside PUBLISH
/// (duplicate_property), a property value the specification forbids (bad_property_value), a
/// reason code this packet may not carry (bad_reason_code), retain handling 3 or no-local on a
/// shared subscription (invalid_subscription_option), an UNSUBACK without reason codes
/// (empty_subscription_list).
/// 5.0 acknowledgements, DISCONNECT and AUTH take their shortest form: the reason code and the
/// property length are left out when they carry nothing (PUBACK with only its id is success).
/// It does not police semantics a sender chooses (wildcards, empty client id, empty
/// subscription lists); the session validates what an application hands it.
[[nodiscard]] std::error_code encode(const Packet& packet, Bytes& out,
                                     ProtocolVersion version = ProtocolVersion::v311);

/// Convenience for tests: the wire form of `packet`; throws std::system_error on failure.
[[nodiscard]] Bytes encode(const Packet& packet, ProtocolVersion version = ProtocolVersion::v311);

// ---------------------------------------------------------------------------------------------
// Decoding

/// Who is decoding: decides which packet types are legal to receive. A client never receives
/// CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ or (in 3.1.1) DISCONNECT; a server never receives
/// CONNACK, SUBACK, UNSUBACK or PINGRESP; AUTH exists only in 5.0, in both directions. (Test
/// fakes of a broker decode as `server`.)
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
/// rest once the whole packet has arrived).
///
/// Under MQTT 5.0 the decoder also reads properties (each must be a known identifier valid in
/// this packet, of its type, once unless it may repeat, with a value in range), reason codes
/// (one of this packet's), subscription options (reserved bits 6-7 zero; QoS 3, retain
/// handling 3 and no-local on a $share/ filter are invalid_subscription_option) and the short
/// forms of PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT and AUTH. A PUBLISH topic may be empty
/// when a Topic Alias comes with it. A server's DISCONNECT may not carry Session Expiry
/// Interval and a client's PUBLISH may not carry Subscription Identifier
/// (property_not_allowed). A non-minimal variable byte integer is accepted, as the remaining
/// length is. Errors:
/// malformed_variable_byte_integer, malformed_property, unknown_property,
/// property_not_allowed, duplicate_property, bad_property_value, bad_reason_code,
/// invalid_subscription_option besides the 3.1.1 ones; disconnect_reason() maps each to the
/// reason code a DISCONNECT must carry.
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
