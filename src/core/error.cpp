#include "pimqttd/core/error.hpp"

namespace pimqttd::core {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "pimqttd"; }

  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::malformed_remaining_length: return "malformed remaining length";
      case Errc::packet_too_large: return "packet larger than the maximum packet size";
      case Errc::bad_fixed_header_flags: return "wrong fixed header flags for the packet type";
      case Errc::invalid_qos: return "invalid QoS value";
      case Errc::dup_on_qos0: return "DUP flag set on a QoS 0 PUBLISH";
      case Errc::zero_packet_id: return "packet identifier 0 where one is required";
      case Errc::malformed_utf8: return "malformed UTF-8 string";
      case Errc::null_character: return "U+0000 in a UTF-8 string";
      case Errc::wildcard_in_topic: return "wildcard in a PUBLISH topic name";
      case Errc::empty_topic: return "empty topic name or filter";
      case Errc::truncated_packet: return "packet shorter than its contents";
      case Errc::trailing_bytes: return "trailing bytes after the packet's contents";
      case Errc::unexpected_packet_type: return "packet type not allowed in this direction";
      case Errc::reserved_packet_type: return "reserved packet type";
      case Errc::bad_protocol_name: return "protocol name is not MQTT";
      case Errc::unsupported_protocol_level: return "unsupported protocol level";
      case Errc::bad_connect_flags: return "invalid CONNECT flags";
      case Errc::bad_connack_flags: return "invalid CONNACK acknowledge flags";
      case Errc::empty_subscription_list:
        return "no topic filter in SUBSCRIBE or UNSUBSCRIBE, or no return code in SUBACK";
      case Errc::bad_subscription_options: return "reserved bits set in subscription options";
      case Errc::bad_suback_return_code: return "invalid SUBACK return code";
      case Errc::string_too_long: return "string longer than 65535 bytes";
      case Errc::bad_topic_filter: return "misplaced wildcard in a topic filter";
      case Errc::malformed_variable_byte_integer:
        return "variable byte integer longer than 4 bytes";
      case Errc::malformed_property: return "property runs past its length or the packet";
      case Errc::unknown_property: return "unknown property identifier";
      case Errc::property_not_allowed: return "property not valid in this packet";
      case Errc::duplicate_property: return "property included more than once";
      case Errc::bad_property_value: return "property value out of range";
      case Errc::bad_reason_code: return "reason code not valid for this packet";
      case Errc::invalid_subscription_option:
        return "subscription options with QoS 3, retain handling 3 or no-local on a shared "
               "subscription";
      case Errc::v5_field_in_v311: return "MQTT 5.0 field in an MQTT 3.1.1 packet";
      case Errc::protocol_error: return "protocol error";
      case Errc::unknown_packet_id: return "acknowledgement for an unknown packet identifier";
      case Errc::connack_timeout: return "no CONNACK from the broker in time";
      case Errc::keepalive_timeout: return "no PINGRESP from the broker in time (keep-alive)";
      case Errc::connection_refused_protocol_version:
        return "connection refused: unacceptable protocol version";
      case Errc::connection_refused_identifier_rejected:
        return "connection refused: client identifier rejected";
      case Errc::connection_refused_server_unavailable:
        return "connection refused: server unavailable";
      case Errc::connection_refused_bad_credentials:
        return "connection refused: bad user name or password";
      case Errc::connection_refused_not_authorized: return "connection refused: not authorised";
      case Errc::connection_refused_unknown: return "connection refused: unknown return code";
      case Errc::not_connected: return "not connected";
      case Errc::inflight_window_full: return "in-flight window full";
      case Errc::no_packet_id_available: return "no packet identifier available";
      case Errc::invalid_topic: return "invalid topic";
      case Errc::connect_timeout: return "connect timed out";
      case Errc::resolve_failed: return "host name did not resolve";
      case Errc::connection_closed: return "connection closed by the peer";
      case Errc::handshake_failed: return "TLS handshake failed";
      case Errc::shutting_down: return "shutting down";
      case Errc::certificate_verify_failed: return "TLS certificate verification failed";
      case Errc::handshake_timeout: return "TLS handshake timed out";
      case Errc::tls_error: return "TLS error";
      case Errc::tls_config_failed: return "TLS certificate, key or CA files could not be loaded";
    }
    return "unknown pimqttd error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace pimqttd::core
