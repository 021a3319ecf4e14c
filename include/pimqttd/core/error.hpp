#pragma once
// The project's error vocabulary for the runtime path (codec, session, transport, client).
//
// Every failure that happens while the daemon runs (a malformed packet, a refused CONNACK, a
// connect timeout) is reported as a std::error_code in pimqttd's category, so that callers can
// compare against a named condition and log the message, which is written for a user to read.
// Construction and configuration errors throw instead (see the app layer).

#include <string>
#include <system_error>

namespace pimqttd::core {

enum class Errc {
  // 0 is success, as for every error_code.
  // -- codec: malformed input ------------------------------------------------------------------
  malformed_remaining_length = 1,  ///< more than 4 length bytes, or a value above 268,435,455
  packet_too_large,                ///< longer than the configured maximum packet size
  bad_fixed_header_flags,          ///< reserved flag bits not as the packet type demands
  invalid_qos,                     ///< QoS 3, or a QoS value out of range in a payload
  dup_on_qos0,                     ///< DUP set on a QoS 0 PUBLISH
  zero_packet_id,                  ///< packet identifier 0 where one is required
  malformed_utf8,                  ///< ill-formed UTF-8 (overlong, surrogate, truncated...)
  null_character,                  ///< U+0000 inside a UTF-8 string
  wildcard_in_topic,               ///< '+' or '#' in a PUBLISH topic name
  empty_topic,                     ///< zero-length topic name or filter
  truncated_packet,                ///< remaining length shorter than the packet's contents need
  trailing_bytes,                  ///< remaining length longer than the packet's contents
  unexpected_packet_type,          ///< a packet type the receiving role must never receive
  reserved_packet_type,            ///< packet type 0 or 15
  bad_protocol_name,               ///< CONNECT protocol name is not "MQTT"
  unsupported_protocol_level,      ///< CONNECT protocol level we do not speak
  bad_connect_flags,               ///< reserved bit set, or will/password flags inconsistent
  bad_connack_flags,               ///< CONNACK acknowledge flags with reserved bits set
  empty_subscription_list,         ///< SUBSCRIBE/UNSUBSCRIBE without a filter, SUBACK without a code
  bad_subscription_options,        ///< reserved bits set in a subscription's options byte
  bad_suback_return_code,          ///< a SUBACK return code other than 0, 1, 2 or 0x80
  string_too_long,                 ///< a string or binary field over 65,535 bytes (encoding)
  bad_topic_filter,                ///< '#' not last or not alone in its level, '+' not alone
  // -- codec: MQTT 5.0 (see mqtt::disconnect_reason for the DISCONNECT reason of each) -------
  malformed_variable_byte_integer, ///< a variable byte integer longer than 4 bytes
  malformed_property,              ///< property length past the packet, value past the length
  unknown_property,                ///< a property identifier MQTT 5.0 does not define
  property_not_allowed,            ///< a property not valid in this packet (or this direction)
  duplicate_property,              ///< a property that may appear once, repeated
  bad_property_value,              ///< a property value out of its range (0 where not allowed...)
  bad_reason_code,                 ///< a reason code this packet type may not carry
  invalid_subscription_option,     ///< 5.0 SUBSCRIBE: QoS 3, retain handling 3, no-local on $share/
  v5_field_in_v311,                ///< encoding a 5.0 field or AUTH as MQTT 3.1.1
  // -- session: protocol state ---------------------------------------------------------------
  protocol_error = 100,            ///< a packet that is well formed but wrong at this point
  unknown_packet_id,               ///< an acknowledgement for an id we never sent
  connack_timeout,                 ///< no CONNACK within the connect timeout
  keepalive_timeout,               ///< no PINGRESP within the ping timeout
  connection_refused_protocol_version,   ///< CONNACK 1
  connection_refused_identifier_rejected,///< CONNACK 2
  connection_refused_server_unavailable, ///< CONNACK 3
  connection_refused_bad_credentials,    ///< CONNACK 4
  connection_refused_not_authorized,     ///< CONNACK 5
  connection_refused_unknown,            ///< any other CONNACK return code
  not_connected,                   ///< an operation that needs an open session
  inflight_window_full,            ///< no free slot in the in-flight window
  no_packet_id_available,          ///< all 65,535 packet ids are in use
  invalid_topic,                   ///< topic rejected before sending (empty, wildcard, too long)
  // -- transport and client ------------------------------------------------------------------
  connect_timeout = 200,           ///< the transport did not connect in time
  resolve_failed,                  ///< the broker's name did not resolve
  connection_closed,               ///< the peer closed the connection
  handshake_failed,                ///< TLS handshake failed (details logged)
  shutting_down,                   ///< the client is stopping
  // -- TLS (details logged by the transport, once per connection attempt) --------------------
  certificate_verify_failed = 250, ///< the broker's certificate did not verify
  handshake_timeout,               ///< no TLS handshake within the connect timeout
  tls_error,                       ///< a TLS protocol failure on an established connection
  tls_config_failed,               ///< certificate, key or CA files could not be (re)loaded
};

/// The category of every Errc value; its name is "pimqttd".
const std::error_category& error_category() noexcept;

std::error_code make_error_code(Errc e) noexcept;

}  // namespace pimqttd::core

template <>
struct std::is_error_code_enum<pimqttd::core::Errc> : std::true_type {};
