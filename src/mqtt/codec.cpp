#include "pimqttd/mqtt/codec.hpp"

#include <algorithm>
#include <limits>
#include <system_error>
#include <type_traits>
#include <utility>

#include "pimqttd/core/error.hpp"

namespace pimqttd::mqtt {
namespace {

using core::Errc;

constexpr std::size_t kMaxStringLength = std::numeric_limits<std::uint16_t>::max();

std::error_code make(Errc e) noexcept { return core::make_error_code(e); }

std::uint8_t type_number(PacketType type) noexcept { return static_cast<std::uint8_t>(type); }

bool valid_qos(QoS qos) noexcept { return static_cast<std::uint8_t>(qos) <= 2; }

// ---------------------------------------------------------------------------------------------
// Shared by every protocol version: the remaining length, byte readers and writers.

std::size_t remaining_length_size(std::size_t value) noexcept {
  if (value < 128) return 1;
  if (value < 16'384) return 2;
  if (value < 2'097'152) return 3;
  return 4;
}

void put_remaining_length(std::size_t value, Bytes& out) {
  do {
    auto digit = static_cast<std::uint8_t>(value % 128);
    value /= 128;
    if (value > 0) digit = static_cast<std::uint8_t>(digit | 0x80);
    out.push_back(digit);
  } while (value > 0);
}

class Reader {
 public:
  explicit Reader(ByteSpan bytes) noexcept : bytes_(bytes) {}

  [[nodiscard]] bool empty() const noexcept { return pos_ == bytes_.size(); }

  [[nodiscard]] std::error_code u8(std::uint8_t& value) noexcept {
    if (bytes_.size() - pos_ < 1) return make(Errc::truncated_packet);
    value = bytes_[pos_++];
    return {};
  }

  [[nodiscard]] std::error_code u16(std::uint16_t& value) noexcept {
    if (bytes_.size() - pos_ < 2) return make(Errc::truncated_packet);
    value = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return {};
  }

  [[nodiscard]] std::error_code u32(std::uint32_t& value) noexcept {
    if (bytes_.size() - pos_ < 4) return make(Errc::truncated_packet);
    value = (std::uint32_t{bytes_[pos_]} << 24) | (std::uint32_t{bytes_[pos_ + 1]} << 16) |
            (std::uint32_t{bytes_[pos_ + 2]} << 8) | std::uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return {};
  }

  /// A variable byte integer (at most 4 bytes; a non-minimal form is accepted).
  [[nodiscard]] std::error_code varint(std::uint32_t& value) noexcept {
    value = 0;
    for (unsigned shift = 0; shift < 28; shift += 7) {
      std::uint8_t digit = 0;
      if (auto ec = u8(digit)) return ec;
      value |= std::uint32_t{digit & 0x7FU} << shift;
      if ((digit & 0x80) == 0) return {};
    }
    return make(Errc::malformed_variable_byte_integer);
  }

  [[nodiscard]] std::size_t left() const noexcept { return bytes_.size() - pos_; }

  /// The next `length` bytes (at most left()) as a reader of their own.
  [[nodiscard]] Reader take(std::size_t length) noexcept {
    Reader part(bytes_.subspan(pos_, length));
    pos_ += length;
    return part;
  }

  [[nodiscard]] std::error_code packet_id(std::uint16_t& value) noexcept {
    if (auto ec = u16(value)) return ec;
    return value == 0 ? make(Errc::zero_packet_id) : std::error_code{};
  }

  /// A two-byte length followed by that many bytes ("binary data"), viewed in place.
  [[nodiscard]] std::error_code binary(std::string_view& value) noexcept {
    std::uint16_t length = 0;
    if (auto ec = u16(length)) return ec;
    if (bytes_.size() - pos_ < length) return make(Errc::truncated_packet);
    value = view(length);
    return {};
  }

  [[nodiscard]] std::error_code utf8(std::string_view& value) noexcept {
    if (auto ec = binary(value)) return ec;
    return validate_utf8(value);
  }

  [[nodiscard]] std::string_view rest() noexcept { return view(bytes_.size() - pos_); }

 private:
  std::string_view view(std::size_t length) noexcept {
    // The codec's strings are bytes; std::string_view over unsigned bytes needs this one cast.
    std::string_view result(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return result;
  }

  ByteSpan bytes_;
  std::size_t pos_ = 0;
};

/// Counts what a ByteSink would append; the first encoding pass, which also validates.
class SizeSink {
 public:
  void u8(std::uint8_t /*value*/) noexcept { size_ += 1; }
  void u16(std::uint16_t /*value*/) noexcept { size_ += 2; }
  void u32(std::uint32_t /*value*/) noexcept { size_ += 4; }
  void varint(std::uint32_t value) noexcept { size_ += remaining_length_size(value); }
  void raw(std::string_view bytes) noexcept { size_ += bytes.size(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  std::size_t size_ = 0;
};

class ByteSink {
 public:
  explicit ByteSink(Bytes& out) noexcept : out_(out) {}
  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) {
    out_.push_back(static_cast<std::uint8_t>(value >> 8));
    out_.push_back(static_cast<std::uint8_t>(value & 0xFF));
  }
  void u32(std::uint32_t value) {
    u16(static_cast<std::uint16_t>(value >> 16));
    u16(static_cast<std::uint16_t>(value & 0xFFFF));
  }
  void varint(std::uint32_t value) { put_remaining_length(value, out_); }
  void raw(std::string_view bytes) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    out_.insert(out_.end(), data, data + bytes.size());
  }

 private:
  Bytes& out_;
};

template <class Sink>
std::error_code put_string(Sink& sink, std::string_view value) {
  if (value.size() > kMaxStringLength) return make(Errc::string_too_long);
  sink.u16(static_cast<std::uint16_t>(value.size()));
  sink.raw(value);
  return {};
}

template <class Sink>
std::error_code put_packet_id(Sink& sink, std::uint16_t id) {
  if (id == 0) return make(Errc::zero_packet_id);
  sink.u16(id);
  return {};
}

/// The same in both versions (AUTH has no flags).
std::uint8_t fixed_header_flags(const Packet& packet) noexcept {
  if (const auto* publish = std::get_if<Publish>(&packet)) {
    auto flags = static_cast<std::uint8_t>(static_cast<std::uint8_t>(publish->qos) << 1);
    if (publish->dup) flags = static_cast<std::uint8_t>(flags | 0x08);
    if (publish->retain) flags = static_cast<std::uint8_t>(flags | 0x01);
    return flags;
  }
  switch (packet_type(packet)) {
    case PacketType::pubrel:
    case PacketType::subscribe:
    case PacketType::unsubscribe:
      return 0x02;
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// MQTT 3.1.1: which packets each role may receive, fixed-header flags, variable headers and
// payloads. MQTT 5.0 adds properties and reason codes here, in its own namespace, and changes
// the role table (DISCONNECT both ways, AUTH); the shared parts above stay as they are.

namespace v311 {

constexpr std::string_view kProtocolName = "MQTT";
constexpr std::uint8_t kProtocolLevel = 4;

bool receivable(PacketType type, Role role) noexcept {
  switch (type) {
    case PacketType::connect:
    case PacketType::subscribe:
    case PacketType::unsubscribe:
    case PacketType::pingreq:
    case PacketType::disconnect:
      return role == Role::server;
    case PacketType::connack:
    case PacketType::suback:
    case PacketType::unsuback:
    case PacketType::pingresp:
      return role == Role::client;
    case PacketType::publish:
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp:
      return true;
    case PacketType::auth:
      return false;
  }
  return false;
}

/// The flag bits of a packet type already known to be receivable (the same rules in 5.0).
std::error_code check_flags(std::uint8_t first) noexcept {
  const auto flags = static_cast<std::uint8_t>(first & 0x0F);
  switch (static_cast<PacketType>(first >> 4)) {
    case PacketType::publish: {
      const auto qos = (flags >> 1) & 0x03;
      if (qos == 3) return make(Errc::invalid_qos);
      if (qos == 0 && (flags & 0x08) != 0) return make(Errc::dup_on_qos0);
      return {};
    }
    case PacketType::pubrel:
    case PacketType::subscribe:
    case PacketType::unsubscribe:
      return flags == 0x02 ? std::error_code{} : make(Errc::bad_fixed_header_flags);
    default:
      return flags == 0 ? std::error_code{} : make(Errc::bad_fixed_header_flags);
  }
}

std::error_code check_fixed_header(std::uint8_t first, Role role) noexcept {
  const auto number = static_cast<std::uint8_t>(first >> 4);
  if (number == 0 || number == 15) return make(Errc::reserved_packet_type);
  if (!receivable(static_cast<PacketType>(number), role)) {
    return make(Errc::unexpected_packet_type);
  }
  return check_flags(first);
}

/// Whether a packet sets anything that only MQTT 5.0 can carry.
template <class P>
bool has_v5_fields(const P& packet) noexcept {
  if constexpr (std::is_same_v<P, Auth>) {
    return true;
  } else {
    if constexpr (requires { packet.properties; }) {
      if (!packet.properties.empty()) return true;
    }
    if constexpr (requires { packet.reason_code; }) {
      if (packet.reason_code != ReasonCode::success) return true;
    }
    if constexpr (std::is_same_v<P, Connect>) {
      if (packet.will && !packet.will->properties.empty()) return true;
    }
    if constexpr (std::is_same_v<P, Subscribe>) {
      for (const auto& s : packet.subscriptions) {
        if (s.no_local || s.retain_as_published || s.retain_handling != RetainHandling::send) {
          return true;
        }
      }
    }
    if constexpr (std::is_same_v<P, Unsuback>) {
      if (!packet.reason_codes.empty()) return true;
    }
    return false;
  }
}

// -- encoding ---------------------------------------------------------------------------------

std::error_code check_will_qos(const Connect& packet) noexcept {
  return packet.will && !valid_qos(packet.will->qos) ? make(Errc::invalid_qos) : std::error_code{};
}

std::uint8_t connect_flags(const Connect& packet) noexcept {
  std::uint8_t flags = 0;
  if (packet.clean_session) flags |= 0x02;
  if (packet.will) {
    flags = static_cast<std::uint8_t>(flags | 0x04 |
                                      (static_cast<std::uint8_t>(packet.will->qos) << 3));
    if (packet.will->retain) flags |= 0x20;
  }
  if (packet.password) flags |= 0x40;
  if (packet.username) flags |= 0x80;
  return flags;
}

/// Will topic and payload, username, password: the part of the CONNECT payload both versions
/// share (5.0 puts the will properties before it).
template <class Sink>
std::error_code put_connect_payload(const Connect& packet, Sink& sink) {
  if (packet.will) {
    if (auto ec = put_string(sink, packet.will->topic)) return ec;
    if (auto ec = put_string(sink, packet.will->payload)) return ec;
  }
  if (packet.username) {
    if (auto ec = put_string(sink, *packet.username)) return ec;
  }
  if (packet.password) {
    if (auto ec = put_string(sink, *packet.password)) return ec;
  }
  return {};
}

template <class Sink>
std::error_code put_body(const Connect& packet, Sink& sink) {
  if (packet.version != ProtocolVersion::v311) return make(Errc::unsupported_protocol_level);
  if (packet.password && !packet.username) return make(Errc::bad_connect_flags);
  if (auto ec = check_will_qos(packet)) return ec;
  if (auto ec = put_string(sink, kProtocolName)) return ec;
  sink.u8(kProtocolLevel);
  sink.u8(connect_flags(packet));
  sink.u16(packet.keep_alive);
  if (auto ec = put_string(sink, packet.client_id)) return ec;
  return put_connect_payload(packet, sink);
}

template <class Sink>
std::error_code put_body(const Connack& packet, Sink& sink) {
  sink.u8(packet.session_present ? 0x01 : 0x00);
  sink.u8(packet.return_code);
  return {};
}

/// Topic and packet id: what comes before the payload (before the properties in 5.0).
template <class Sink>
std::error_code put_publish_header(const Publish& packet, Sink& sink) {
  if (!valid_qos(packet.qos)) return make(Errc::invalid_qos);
  if (packet.qos == QoS::at_most_once && packet.dup) return make(Errc::dup_on_qos0);
  if (auto ec = put_string(sink, packet.topic)) return ec;
  if (packet.qos != QoS::at_most_once) {
    if (auto ec = put_packet_id(sink, packet.packet_id)) return ec;
  }
  return {};
}

template <class Sink>
std::error_code put_body(const Publish& packet, Sink& sink) {
  if (auto ec = put_publish_header(packet, sink)) return ec;
  sink.raw(packet.payload);
  return {};
}

template <class Sink, class Ack>
  requires std::is_same_v<Ack, Puback> || std::is_same_v<Ack, Pubrec> ||
           std::is_same_v<Ack, Pubrel> || std::is_same_v<Ack, Pubcomp> ||
           std::is_same_v<Ack, Unsuback>
std::error_code put_body(const Ack& packet, Sink& sink) {
  return put_packet_id(sink, packet.packet_id);
}

template <class Sink>
std::error_code put_body(const Subscribe& packet, Sink& sink) {
  if (auto ec = put_packet_id(sink, packet.packet_id)) return ec;
  for (const auto& subscription : packet.subscriptions) {
    if (!valid_qos(subscription.qos)) return make(Errc::invalid_qos);
    if (auto ec = put_string(sink, subscription.filter)) return ec;
    sink.u8(static_cast<std::uint8_t>(subscription.qos));
  }
  return {};
}

template <class Sink>
std::error_code put_body(const Suback& packet, Sink& sink) {
  if (auto ec = put_packet_id(sink, packet.packet_id)) return ec;
  for (const auto code : packet.return_codes) sink.u8(code);
  return {};
}

template <class Sink>
std::error_code put_body(const Unsubscribe& packet, Sink& sink) {
  if (auto ec = put_packet_id(sink, packet.packet_id)) return ec;
  for (const auto& filter : packet.filters) {
    if (auto ec = put_string(sink, filter)) return ec;
  }
  return {};
}

template <class Sink, class Empty>
  requires std::is_same_v<Empty, Pingreq> || std::is_same_v<Empty, Pingresp> ||
           std::is_same_v<Empty, Disconnect> || std::is_same_v<Empty, Auth>
std::error_code put_body(const Empty& /*packet*/, Sink& /*sink*/) {
  return {};  // AUTH never gets here: has_v5_fields refuses it first
}

// -- decoding ---------------------------------------------------------------------------------

struct ConnectFlags {
  bool will = false;
  std::uint8_t will_qos = 0;
  bool will_retain = false;
  bool password = false;
  bool username = false;
};

/// Protocol name, level, flags and keep-alive. 5.0 allows a password without a username.
std::error_code read_connect_header(Reader& in, std::uint8_t expected_level, Connect& packet,
                                    ConnectFlags& flags) {
  std::string_view name;
  if (auto ec = in.binary(name)) return ec;
  if (name != kProtocolName) return make(Errc::bad_protocol_name);
  std::uint8_t level = 0;
  if (auto ec = in.u8(level)) return ec;
  if (level != expected_level) return make(Errc::unsupported_protocol_level);
  std::uint8_t bits = 0;
  if (auto ec = in.u8(bits)) return ec;
  flags.will = (bits & 0x04) != 0;
  flags.will_qos = static_cast<std::uint8_t>((bits >> 3) & 0x03);
  flags.will_retain = (bits & 0x20) != 0;
  flags.password = (bits & 0x40) != 0;
  flags.username = (bits & 0x80) != 0;
  if ((bits & 0x01) != 0) return make(Errc::bad_connect_flags);
  if (!flags.will && (flags.will_qos != 0 || flags.will_retain)) {
    return make(Errc::bad_connect_flags);
  }
  if (flags.will && flags.will_qos == 3) return make(Errc::invalid_qos);
  if (flags.password && !flags.username && level == kProtocolLevel) {
    return make(Errc::bad_connect_flags);
  }
  packet.clean_session = (bits & 0x02) != 0;
  return in.u16(packet.keep_alive);
}

/// Will topic and payload, username, password.
std::error_code read_connect_payload(Reader& in, const ConnectFlags& flags, Connect& packet) {
  std::string_view text;
  if (flags.will) {
    Will& will = *packet.will;  // made by decode_connect_of
    if (auto ec = in.binary(text)) return ec;
    if (auto ec = validate_topic_name(text)) return ec;
    will.topic = text;
    if (auto ec = in.binary(text)) return ec;
    will.payload = text;
    will.qos = static_cast<QoS>(flags.will_qos);
    will.retain = flags.will_retain;
  }
  if (flags.username) {
    if (auto ec = in.utf8(text)) return ec;
    packet.username = std::string(text);
  }
  if (flags.password) {
    if (auto ec = in.binary(text)) return ec;
    packet.password = std::string(text);
  }
  return {};
}

/// A CONNECT of `version`; 5.0 passes `read_properties(in, properties, is_will)`, which is
/// called for the CONNECT's properties and for the will's.
template <class ReadProperties>
std::error_code decode_connect_of(ProtocolVersion version, Reader& in, Packet& out,
                                  ReadProperties&& read_properties) {
  Connect packet;
  ConnectFlags flags;
  if (auto ec = read_connect_header(in, static_cast<std::uint8_t>(version), packet, flags)) {
    return ec;
  }
  packet.version = version;
  if (auto ec = read_properties(in, packet.properties, false)) return ec;
  std::string_view text;
  if (auto ec = in.utf8(text)) return ec;
  packet.client_id = text;
  if (flags.will) {
    if (auto ec = read_properties(in, packet.will.emplace().properties, true)) return ec;
  }
  if (auto ec = read_connect_payload(in, flags, packet)) return ec;
  out = std::move(packet);
  return {};
}

std::error_code decode_connect(Reader& in, Packet& out) {
  return decode_connect_of(ProtocolVersion::v311, in, out,
                           [](Reader&, Properties&, bool) { return std::error_code{}; });
}

std::error_code decode_connack(Reader& in, Packet& out) {
  std::uint8_t flags = 0;
  Connack packet;
  if (auto ec = in.u8(flags)) return ec;
  if (auto ec = in.u8(packet.return_code)) return ec;
  // [MQTT-3.2.2-4]: a refusal never claims a session.
  if ((flags & 0xFE) != 0 || (flags != 0 && packet.return_code != 0)) {
    return make(Errc::bad_connack_flags);
  }
  packet.session_present = flags != 0;
  out = packet;
  return {};
}

/// The flags, topic and packet id; 5.0 allows an empty topic (with a topic alias).
std::error_code read_publish_header(std::uint8_t flags, Reader& in, Publish& packet,
                                    std::string_view& topic, bool empty_topic_allowed) {
  packet.qos = static_cast<QoS>((flags >> 1) & 0x03);
  packet.dup = (flags & 0x08) != 0;
  packet.retain = (flags & 0x01) != 0;
  if (auto ec = in.binary(topic)) return ec;
  if (!topic.empty() || !empty_topic_allowed) {
    if (auto ec = validate_topic_name(topic)) return ec;
  }
  if (packet.qos != QoS::at_most_once) {
    if (auto ec = in.packet_id(packet.packet_id)) return ec;
  }
  return {};
}

std::error_code decode_publish(std::uint8_t flags, Reader& in, Packet& out) {
  Publish packet;
  std::string_view topic;
  if (auto ec = read_publish_header(flags, in, packet, topic, false)) return ec;
  packet.topic = topic;
  packet.payload = in.rest();
  out = std::move(packet);
  return {};
}

template <class Ack>
std::error_code decode_ack(Reader& in, Packet& out) {
  Ack packet;
  if (auto ec = in.packet_id(packet.packet_id)) return ec;
  out = packet;
  return {};
}

/// A SUBSCRIBE; 5.0 passes its property reader and its reading of the options byte.
template <class ReadProperties, class ReadOptions>
std::error_code decode_subscribe_of(Reader& in, Packet& out, ReadProperties&& read_properties,
                                    ReadOptions&& read_options) {
  Subscribe packet;
  if (auto ec = in.packet_id(packet.packet_id)) return ec;
  if (auto ec = read_properties(in, packet.properties)) return ec;
  if (in.empty()) return make(Errc::empty_subscription_list);
  while (!in.empty()) {
    std::string_view filter;
    if (auto ec = in.binary(filter)) return ec;
    if (auto ec = validate_topic_filter(filter)) return ec;
    std::uint8_t options = 0;
    if (auto ec = in.u8(options)) return ec;
    Subscription subscription;
    if (auto ec = read_options(filter, options, subscription)) return ec;
    subscription.filter = filter;
    packet.subscriptions.push_back(std::move(subscription));
  }
  out = std::move(packet);
  return {};
}

std::error_code decode_subscribe(Reader& in, Packet& out) {
  return decode_subscribe_of(
      in, out, [](Reader&, Properties&) { return std::error_code{}; },
      [](std::string_view, std::uint8_t options, Subscription& subscription) {
        if ((options & 0xFC) != 0) return make(Errc::bad_subscription_options);
        if (options == 3) return make(Errc::invalid_qos);
        subscription.qos = static_cast<QoS>(options);
        return std::error_code{};
      });
}

std::error_code decode_suback(Reader& in, Packet& out) {
  Suback packet;
  if (auto ec = in.packet_id(packet.packet_id)) return ec;
  if (in.empty()) return make(Errc::empty_subscription_list);
  const std::string_view codes = in.rest();
  packet.return_codes.reserve(codes.size());
  for (const char c : codes) {
    const auto code = static_cast<std::uint8_t>(c);
    if (code > 2 && code != kSubackFailure) return make(Errc::bad_suback_return_code);
    packet.return_codes.push_back(code);
  }
  out = std::move(packet);
  return {};
}

/// The topic filters of an UNSUBSCRIBE: at least one.
std::error_code read_filters(Reader& in, std::vector<std::string>& filters) {
  if (in.empty()) return make(Errc::empty_subscription_list);
  while (!in.empty()) {
    std::string_view filter;
    if (auto ec = in.binary(filter)) return ec;
    if (auto ec = validate_topic_filter(filter)) return ec;
    filters.emplace_back(filter);
  }
  return {};
}

std::error_code decode_unsubscribe(Reader& in, Packet& out) {
  Unsubscribe packet;
  if (auto ec = in.packet_id(packet.packet_id)) return ec;
  if (auto ec = read_filters(in, packet.filters)) return ec;
  out = std::move(packet);
  return {};
}

/// The variable header and payload of a packet whose fixed header is already checked.
std::error_code decode_body(std::uint8_t first, ByteSpan body, Packet& out) {
  Reader in(body);
  std::error_code ec;
  switch (static_cast<PacketType>(first >> 4)) {
    case PacketType::connect: ec = decode_connect(in, out); break;
    case PacketType::connack: ec = decode_connack(in, out); break;
    case PacketType::publish:
      ec = decode_publish(static_cast<std::uint8_t>(first & 0x0F), in, out);
      break;
    case PacketType::puback: ec = decode_ack<Puback>(in, out); break;
    case PacketType::pubrec: ec = decode_ack<Pubrec>(in, out); break;
    case PacketType::pubrel: ec = decode_ack<Pubrel>(in, out); break;
    case PacketType::pubcomp: ec = decode_ack<Pubcomp>(in, out); break;
    case PacketType::subscribe: ec = decode_subscribe(in, out); break;
    case PacketType::suback: ec = decode_suback(in, out); break;
    case PacketType::unsubscribe: ec = decode_unsubscribe(in, out); break;
    case PacketType::unsuback: ec = decode_ack<Unsuback>(in, out); break;
    case PacketType::pingreq: out = Pingreq{}; break;
    case PacketType::pingresp: out = Pingresp{}; break;
    case PacketType::disconnect: out = Disconnect{}; break;
    case PacketType::auth: ec = make(Errc::reserved_packet_type); break;  // refused before
  }
  if (ec) return ec;
  return in.empty() ? std::error_code{} : make(Errc::trailing_bytes);
}

}  // namespace v311

// ---------------------------------------------------------------------------------------------
// MQTT 5.0: properties, reason codes, the role table with DISCONNECT both ways and AUTH, and
// every packet body. Shares the readers, sinks and the remaining length with 3.1.1.

namespace v5 {

constexpr std::uint8_t kProtocolLevel = 5;
constexpr std::uint32_t kMaxVarint = 268'435'455;

enum class ValueType : std::uint8_t { byte, two_byte, four_byte, varint, utf8, binary, pair };

/// Where a property may appear: bit n for packet type n, bit 0 for a will.
using Where = std::uint16_t;
constexpr Where kWill = 1;
constexpr Where bit(PacketType type) noexcept {
  return static_cast<Where>(1U << static_cast<unsigned>(type));
}
constexpr Where kAcks = bit(PacketType::puback) | bit(PacketType::pubrec) |
                        bit(PacketType::pubrel) | bit(PacketType::pubcomp);
constexpr Where kMessage = kWill | bit(PacketType::publish);

struct PropertyInfo {
  std::uint8_t id;
  ValueType type;
  Where where;
};

/// Calls f(info, field) for every property in identifier order; stops at the first error.
template <class Props, class F>
std::error_code for_each_property(Props& p, F&& f) {
  using enum ValueType;
  std::error_code ec;
  const auto each = [&](std::uint8_t id, ValueType type, Where where, auto& field) {
    if (!ec) ec = f(PropertyInfo{id, type, where}, field);
  };
  const Where connect = bit(PacketType::connect);
  const Where connack = bit(PacketType::connack);
  const Where disconnect = bit(PacketType::disconnect);
  const Where auth = bit(PacketType::auth);
  each(0x01, byte, kMessage, p.payload_format_indicator);
  each(0x02, four_byte, kMessage, p.message_expiry_interval);
  each(0x03, utf8, kMessage, p.content_type);
  each(0x08, utf8, kMessage, p.response_topic);
  each(0x09, binary, kMessage, p.correlation_data);
  each(0x0B, varint, bit(PacketType::publish) | bit(PacketType::subscribe),
       p.subscription_identifiers);
  each(0x11, four_byte, connect | connack | disconnect, p.session_expiry_interval);
  each(0x12, utf8, connack, p.assigned_client_identifier);
  each(0x13, two_byte, connack, p.server_keep_alive);
  each(0x15, utf8, connect | connack | auth, p.authentication_method);
  each(0x16, binary, connect | connack | auth, p.authentication_data);
  each(0x17, byte, connect, p.request_problem_information);
  each(0x18, four_byte, kWill, p.will_delay_interval);
  each(0x19, byte, connect, p.request_response_information);
  each(0x1A, utf8, connack, p.response_information);
  each(0x1C, utf8, connack | disconnect, p.server_reference);
  each(0x1F, utf8,
       connack | kAcks | bit(PacketType::suback) | bit(PacketType::unsuback) | disconnect | auth,
       p.reason_string);
  each(0x21, two_byte, connect | connack, p.receive_maximum);
  each(0x22, two_byte, connect | connack, p.topic_alias_maximum);
  each(0x23, two_byte, bit(PacketType::publish), p.topic_alias);
  each(0x24, byte, connack, p.maximum_qos);
  each(0x25, byte, connack, p.retain_available);
  each(0x26, pair, static_cast<Where>(0xFFFF), p.user_properties);
  each(0x27, four_byte, connect | connack, p.maximum_packet_size);
  each(0x28, byte, connack, p.wildcard_subscription_available);
  each(0x29, byte, connack, p.subscription_identifier_available);
  each(0x2A, byte, connack, p.shared_subscription_available);
  return ec;
}

/// The range rules the specification states for single values ("It is a Protocol Error...").
bool valid_value(std::uint8_t id, std::uint32_t value) noexcept {
  switch (id) {
    case 0x01:
    case 0x17:
    case 0x19:
    case 0x24:
    case 0x25:
    case 0x28:
    case 0x29:
    case 0x2A:
      return value <= 1;
    case 0x0B: return value >= 1 && value <= kMaxVarint;
    case 0x21:
    case 0x23:
    case 0x27:
      return value != 0;
    default: return true;
  }
}

// -- properties: decoding ---------------------------------------------------------------------

std::error_code inside(std::error_code ec) noexcept {
  return ec == Errc::truncated_packet ? make(Errc::malformed_property) : ec;
}

template <class T>
  requires std::is_unsigned_v<T>
std::error_code read_value(Reader& in, const PropertyInfo& info, Where /*where*/,
                           std::optional<T>& field) {
  std::uint32_t value = 0;
  if constexpr (sizeof(T) == 1) {
    std::uint8_t v = 0;
    if (auto ec = in.u8(v)) return inside(ec);
    value = v;
  } else if constexpr (sizeof(T) == 2) {
    std::uint16_t v = 0;
    if (auto ec = in.u16(v)) return inside(ec);
    value = v;
  } else {
    if (auto ec = in.u32(value)) return inside(ec);
  }
  if (field) return make(Errc::duplicate_property);
  if (!valid_value(info.id, value)) return make(Errc::bad_property_value);
  field = static_cast<T>(value);
  return {};
}

std::error_code read_value(Reader& in, const PropertyInfo& info, Where /*where*/,
                           std::optional<std::string>& field) {
  std::string_view text;
  if (auto ec = inside(in.binary(text))) return ec;
  if (info.type == ValueType::utf8) {
    if (auto ec = validate_utf8(text)) return ec;
  }
  if (field) return make(Errc::duplicate_property);
  field.emplace(text);
  return {};
}

std::error_code read_value(Reader& in, const PropertyInfo& info, Where where,
                           std::vector<std::uint32_t>& field) {
  std::uint32_t value = 0;
  if (auto ec = inside(in.varint(value))) return ec;
  if (!field.empty() && where != bit(PacketType::publish)) return make(Errc::duplicate_property);
  if (!valid_value(info.id, value)) return make(Errc::bad_property_value);
  field.push_back(value);
  return {};
}

std::error_code read_value(Reader& in, const PropertyInfo& /*info*/, Where /*where*/,
                           std::vector<UserProperty>& field) {
  std::string_view name;
  std::string_view value;
  if (auto ec = inside(in.utf8(name))) return ec;
  if (auto ec = inside(in.utf8(value))) return ec;
  field.push_back({std::string(name), std::string(value)});
  return {};
}

/// Checks that span several properties.
std::error_code check_properties(const Properties& p) noexcept {
  if (p.authentication_data && !p.authentication_method) return make(Errc::bad_property_value);
  return {};
}

/// The property length and the properties of a packet (or will) of kind `where`.
std::error_code read_properties(Reader& in, Where where, Properties& out) {
  std::uint32_t length = 0;
  if (auto ec = in.varint(length)) return ec;
  if (length > in.left()) return make(Errc::malformed_property);
  Reader props = in.take(length);
  while (!props.empty()) {
    std::uint32_t id = 0;
    if (auto ec = inside(props.varint(id))) return ec;
    bool known = false;
    auto ec = for_each_property(out, [&](const PropertyInfo& info, auto& field) {
      if (info.id != id) return std::error_code{};
      known = true;
      if ((info.where & where) == 0) return make(Errc::property_not_allowed);
      return read_value(props, info, where, field);
    });
    if (ec) return ec;
    if (!known) return make(Errc::unknown_property);
  }
  return check_properties(out);
}

// -- properties: encoding ---------------------------------------------------------------------

template <class Sink, class T>
  requires std::is_unsigned_v<T>
std::error_code write_value(Sink& sink, const PropertyInfo& info, Where /*where*/,
                            const std::optional<T>& field) {
  if (!valid_value(info.id, *field)) return make(Errc::bad_property_value);
  sink.u8(info.id);
  if constexpr (sizeof(T) == 1) {
    sink.u8(*field);
  } else if constexpr (sizeof(T) == 2) {
    sink.u16(*field);
  } else {
    sink.u32(*field);
  }
  return {};
}

template <class Sink>
std::error_code write_value(Sink& sink, const PropertyInfo& info, Where /*where*/,
                            const std::optional<std::string>& field) {
  sink.u8(info.id);
  return put_string(sink, *field);
}

template <class Sink>
std::error_code write_value(Sink& sink, const PropertyInfo& info, Where where,
                            const std::vector<std::uint32_t>& field) {
  if (field.size() > 1 && where != bit(PacketType::publish)) return make(Errc::duplicate_property);
  for (const auto value : field) {
    if (!valid_value(info.id, value)) return make(Errc::bad_property_value);
    sink.u8(info.id);
    sink.varint(value);
  }
  return {};
}

template <class Sink>
std::error_code write_value(Sink& sink, const PropertyInfo& info, Where /*where*/,
                            const std::vector<UserProperty>& field) {
  for (const auto& property : field) {
    sink.u8(info.id);
    if (auto ec = put_string(sink, property.name)) return ec;
    if (auto ec = put_string(sink, property.value)) return ec;
  }
  return {};
}

template <class T>
bool present(const std::optional<T>& field) noexcept {
  return field.has_value();
}
template <class T>
bool present(const std::vector<T>& field) noexcept {
  return !field.empty();
}

template <class Sink>
std::error_code write_properties(Sink& sink, const Properties& p, Where where) {
  if (auto ec = check_properties(p)) return ec;
  return for_each_property(p, [&](const PropertyInfo& info, const auto& field) {
    if (!present(field)) return std::error_code{};
    if ((info.where & where) == 0) return make(Errc::property_not_allowed);
    return write_value(sink, info, where, field);
  });
}

template <class Sink>
std::error_code put_properties(Sink& sink, const Properties& p, Where where) {
  SizeSink size;
  if (auto ec = write_properties(size, p, where)) return ec;
  if (size.size() > kMaxVarint) return make(Errc::packet_too_large);
  sink.varint(static_cast<std::uint32_t>(size.size()));
  return write_properties(sink, p, where);
}

// -- fixed header -----------------------------------------------------------------------------

bool receivable(PacketType type, Role role) noexcept {
  switch (type) {
    case PacketType::disconnect:
    case PacketType::auth:
      return true;
    default: return v311::receivable(type, role);
  }
}

std::error_code check_fixed_header(std::uint8_t first, Role role) noexcept {
  const auto number = static_cast<std::uint8_t>(first >> 4);
  if (number == 0) return make(Errc::reserved_packet_type);
  if (!receivable(static_cast<PacketType>(number), role)) {
    return make(Errc::unexpected_packet_type);
  }
  return v311::check_flags(first);
}

// -- encoding ---------------------------------------------------------------------------------

std::error_code check_reason(PacketType type, std::uint8_t code) noexcept {
  return reason_allowed(type, code) ? std::error_code{} : make(Errc::bad_reason_code);
}

template <class Sink>
std::error_code put_body(const Connect& packet, Sink& sink) {
  if (packet.version != ProtocolVersion::v5) return make(Errc::unsupported_protocol_level);
  if (auto ec = v311::check_will_qos(packet)) return ec;
  if (auto ec = put_string(sink, v311::kProtocolName)) return ec;
  sink.u8(kProtocolLevel);
  sink.u8(v311::connect_flags(packet));
  sink.u16(packet.keep_alive);
  if (auto ec = put_properties(sink, packet.properties, bit(PacketType::connect))) return ec;
  if (auto ec = put_string(sink, packet.client_id)) return ec;
  if (packet.will) {
    if (auto ec = put_properties(sink, packet.will->properties, kWill)) return ec;
  }
  return v311::put_connect_payload(packet, sink);
}

template <class Sink>
std::error_code put_body(const Connack& packet, Sink& sink) {
  if (auto ec = check_reason(PacketType::connack, packet.return_code)) return ec;
  sink.u8(packet.session_present ? 0x01 : 0x00);
  sink.u8(packet.return_code);
  return put_properties(sink, packet.properties, bit(PacketType::connack));
}

template <class Sink>
std::error_code put_body(const Publish& packet, Sink& sink) {
  if (auto ec = v311::put_publish_header(packet, sink)) return ec;
  if (auto ec = put_properties(sink, packet.properties, bit(PacketType::publish))) return ec;
  sink.raw(packet.payload);
  return {};
}

/// The body of PUBACK, PUBREC, PUBREL, PUBCOMP (with a packet id) and DISCONNECT, AUTH
/// (without): the reason code and the properties only as far as they carry something.
template <class Sink>
std::error_code put_reason_and_properties(Sink& sink, PacketType type, ReasonCode code,
                                          const Properties& properties) {
  const auto value = static_cast<std::uint8_t>(code);
  if (auto ec = check_reason(type, value)) return ec;
  if (code == ReasonCode::success && properties.empty()) return {};
  sink.u8(value);
  if (properties.empty()) return {};
  return put_properties(sink, properties, bit(type));
}

template <class Sink, class Ack>
  requires std::is_same_v<Ack, Puback> || std::is_same_v<Ack, Pubrec> ||
           std::is_same_v<Ack, Pubrel> || std::is_same_v<Ack, Pubcomp>
std::error_code put_body(const Ack& packet, Sink& sink) {
  if (auto ec = put_packet_id(sink, packet.packet_id)) return ec;
  constexpr auto type = std::is_same_v<Ack, Puback>   ? PacketType::puback
                        : std::is_same_v<Ack, Pubrec> ? PacketType::pubrec
                        : std::is_same_v<Ack, Pubrel> ? PacketType::pubrel
                                                      : PacketType::pubcomp;
  return put_reason_and_properties(sink, type, packet.reason_code, packet.properties);
}

template <class Sink, class Ack>
  requires std::is_same_v<Ack, Disconnect> || std::is_same_v<Ack, Auth>
std::error_code put_body(const Ack& packet, Sink& sink) {
  const auto type = std::is_same_v<Ack, Auth> ? PacketType::auth : PacketType::disconnect;
  return put_reason_and_properties(sink, type, packet.reason_code, packet.properties);
}

bool shared_filter(std::string_view filter) noexcept { return filter.starts_with("$share/"); }

template <class Sink>
std::error_code put_body(const Subscribe& packet, Sink& sink) {
  if (auto ec = put_packet_id(sink, packet.packet_id)) return ec;
  if (auto ec = put_properties(sink, packet.properties, bit(PacketType::subscribe))) return ec;
  for (const auto& subscription : packet.subscriptions) {
    if (!valid_qos(subscription.qos)) return make(Errc::invalid_qos);
    const auto handling = static_cast<std::uint8_t>(subscription.retain_handling);
    if (handling > 2 || (subscription.no_local && shared_filter(subscription.filter))) {
      return make(Errc::invalid_subscription_option);
    }
    if (auto ec = put_string(sink, subscription.filter)) return ec;
    auto options = static_cast<std::uint8_t>(static_cast<std::uint8_t>(subscription.qos) |
                                             (handling << 4));
    if (subscription.no_local) options |= 0x04;
    if (subscription.retain_as_published) options |= 0x08;
    sink.u8(options);
  }
  return {};
}

template <class Sink>
std::error_code put_body(const Suback& packet, Sink& sink) {
  if (auto ec = put_packet_id(sink, packet.packet_id)) return ec;
  if (auto ec = put_properties(sink, packet.properties, bit(PacketType::suback))) return ec;
  for (const auto code : packet.return_codes) {
    if (auto ec = check_reason(PacketType::suback, code)) return ec;
    sink.u8(code);
  }
  return {};
}

template <class Sink>
std::error_code put_body(const Unsubscribe& packet, Sink& sink) {
  if (auto ec = put_packet_id(sink, packet.packet_id)) return ec;
  if (auto ec = put_properties(sink, packet.properties, bit(PacketType::unsubscribe))) {
    return ec;
  }
  for (const auto& filter : packet.filters) {
    if (auto ec = put_string(sink, filter)) return ec;
  }
  return {};
}

template <class Sink>
std::error_code put_body(const Unsuback& packet, Sink& sink) {
  if (packet.reason_codes.empty()) return make(Errc::empty_subscription_list);
  if (auto ec = put_packet_id(sink, packet.packet_id)) return ec;
  if (auto ec = put_properties(sink, packet.properties, bit(PacketType::unsuback))) return ec;
  for (const auto code : packet.reason_codes) {
    const auto value = static_cast<std::uint8_t>(code);
    if (auto ec = check_reason(PacketType::unsuback, value)) return ec;
    sink.u8(value);
  }
  return {};
}

template <class Sink, class Empty>
  requires std::is_same_v<Empty, Pingreq> || std::is_same_v<Empty, Pingresp>
std::error_code put_body(const Empty& /*packet*/, Sink& /*sink*/) {
  return {};
}

// -- decoding ---------------------------------------------------------------------------------

std::error_code decode_connect(Reader& in, Packet& out) {
  return v311::decode_connect_of(ProtocolVersion::v5, in, out,
                                 [](Reader& from, Properties& properties, bool will) {
                                   return read_properties(
                                       from, will ? kWill : bit(PacketType::connect), properties);
                                 });
}

std::error_code decode_connack(Reader& in, Packet& out) {
  std::uint8_t flags = 0;
  Connack packet;
  if (auto ec = in.u8(flags)) return ec;
  if ((flags & 0xFE) != 0) return make(Errc::bad_connack_flags);
  if (auto ec = in.u8(packet.return_code)) return ec;
  if (auto ec = check_reason(PacketType::connack, packet.return_code)) return ec;
  if (flags != 0 && packet.return_code != 0) return make(Errc::bad_connack_flags);
  packet.session_present = flags != 0;
  if (auto ec = read_properties(in, bit(PacketType::connack), packet.properties)) return ec;
  out = std::move(packet);
  return {};
}

std::error_code decode_publish(std::uint8_t flags, Reader& in, Role role, Packet& out) {
  Publish packet;
  std::string_view topic;
  if (auto ec = v311::read_publish_header(flags, in, packet, topic, true)) return ec;
  if (auto ec = read_properties(in, bit(PacketType::publish), packet.properties)) return ec;
  // [MQTT-3.3.4-6]: only a server forwards subscription identifiers.
  if (role == Role::server && !packet.properties.subscription_identifiers.empty()) {
    return make(Errc::property_not_allowed);
  }
  if (topic.empty() && !packet.properties.topic_alias) return make(Errc::empty_topic);
  packet.topic = topic;
  packet.payload = in.rest();
  out = std::move(packet);
  return {};
}

/// The optional reason code and properties that end PUBACK..PUBCOMP, DISCONNECT and AUTH.
std::error_code read_reason_and_properties(Reader& in, PacketType type, ReasonCode& code,
                                           Properties& properties) {
  if (in.empty()) return {};
  std::uint8_t value = 0;
  if (auto ec = in.u8(value)) return ec;
  if (auto ec = check_reason(type, value)) return ec;
  code = static_cast<ReasonCode>(value);
  if (in.empty()) return {};
  return read_properties(in, bit(type), properties);
}

template <class Ack>
std::error_code decode_ack(PacketType type, Reader& in, Packet& out) {
  Ack packet;
  if (auto ec = in.packet_id(packet.packet_id)) return ec;
  if (auto ec = read_reason_and_properties(in, type, packet.reason_code, packet.properties)) {
    return ec;
  }
  out = std::move(packet);
  return {};
}

std::error_code decode_disconnect(Reader& in, Role role, Packet& out) {
  Disconnect packet;
  if (auto ec = read_reason_and_properties(in, PacketType::disconnect, packet.reason_code,
                                           packet.properties)) {
    return ec;
  }
  // [MQTT-3.14.2-2]: a server never sends Session Expiry Interval on DISCONNECT.
  if (role == Role::client && packet.properties.session_expiry_interval) {
    return make(Errc::property_not_allowed);
  }
  out = std::move(packet);
  return {};
}

std::error_code decode_auth(Reader& in, Packet& out) {
  Auth packet;
  if (auto ec = read_reason_and_properties(in, PacketType::auth, packet.reason_code,
                                           packet.properties)) {
    return ec;
  }
  out = std::move(packet);
  return {};
}

std::error_code decode_subscribe(Reader& in, Packet& out) {
  return v311::decode_subscribe_of(
      in, out,
      [](Reader& from, Properties& properties) {
        return read_properties(from, bit(PacketType::subscribe), properties);
      },
      [](std::string_view filter, std::uint8_t options, Subscription& subscription) {
        if ((options & 0xC0) != 0) return make(Errc::bad_subscription_options);
        const auto qos = static_cast<std::uint8_t>(options & 0x03);
        const auto handling = static_cast<std::uint8_t>((options >> 4) & 0x03);
        subscription.no_local = (options & 0x04) != 0;
        if (qos == 3 || handling == 3 || (subscription.no_local && shared_filter(filter))) {
          return make(Errc::invalid_subscription_option);
        }
        subscription.qos = static_cast<QoS>(qos);
        subscription.retain_as_published = (options & 0x08) != 0;
        subscription.retain_handling = static_cast<RetainHandling>(handling);
        return std::error_code{};
      });
}

/// SUBACK and UNSUBACK: packet id, properties, at least one reason code of `type`.
template <class Ack, class Code>
std::error_code decode_reason_list(PacketType type, Reader& in, std::vector<Code>& codes,
                                   Packet& out, Ack& packet) {
  if (auto ec = in.packet_id(packet.packet_id)) return ec;
  if (auto ec = read_properties(in, bit(type), packet.properties)) return ec;
  if (in.empty()) return make(Errc::empty_subscription_list);
  const std::string_view rest = in.rest();
  codes.reserve(rest.size());
  for (const char c : rest) {
    const auto code = static_cast<std::uint8_t>(c);
    if (auto ec = check_reason(type, code)) return ec;
    codes.push_back(static_cast<Code>(code));
  }
  out = std::move(packet);
  return {};
}

std::error_code decode_unsubscribe(Reader& in, Packet& out) {
  Unsubscribe packet;
  if (auto ec = in.packet_id(packet.packet_id)) return ec;
  if (auto ec = read_properties(in, bit(PacketType::unsubscribe), packet.properties)) {
    return ec;
  }
  if (auto ec = v311::read_filters(in, packet.filters)) return ec;
  out = std::move(packet);
  return {};
}

std::error_code decode_body(std::uint8_t first, ByteSpan body, Role role, Packet& out) {
  Reader in(body);
  std::error_code ec;
  const auto type = static_cast<PacketType>(first >> 4);
  switch (type) {
    case PacketType::connect: ec = decode_connect(in, out); break;
    case PacketType::connack: ec = decode_connack(in, out); break;
    case PacketType::publish:
      ec = decode_publish(static_cast<std::uint8_t>(first & 0x0F), in, role, out);
      break;
    case PacketType::puback: ec = decode_ack<Puback>(type, in, out); break;
    case PacketType::pubrec: ec = decode_ack<Pubrec>(type, in, out); break;
    case PacketType::pubrel: ec = decode_ack<Pubrel>(type, in, out); break;
    case PacketType::pubcomp: ec = decode_ack<Pubcomp>(type, in, out); break;
    case PacketType::subscribe: ec = decode_subscribe(in, out); break;
    case PacketType::suback: {
      Suback packet;
      ec = decode_reason_list(type, in, packet.return_codes, out, packet);
      break;
    }
    case PacketType::unsubscribe: ec = decode_unsubscribe(in, out); break;
    case PacketType::unsuback: {
      Unsuback packet;
      ec = decode_reason_list(type, in, packet.reason_codes, out, packet);
      break;
    }
    case PacketType::pingreq: out = Pingreq{}; break;
    case PacketType::pingresp: out = Pingresp{}; break;
    case PacketType::disconnect: ec = decode_disconnect(in, role, out); break;
    case PacketType::auth: ec = decode_auth(in, out); break;
  }
  if (ec) return ec;
  return in.empty() ? std::error_code{} : make(Errc::trailing_bytes);
}

}  // namespace v5

DecodeResult error_result(std::error_code ec) {
  DecodeResult result;
  result.status = DecodeResult::Status::error;
  result.error = ec;
  return result;
}

}  // namespace

PacketType packet_type(const Packet& packet) noexcept {
  return static_cast<PacketType>(packet.index() + 1);
}

std::string_view packet_name(PacketType type) noexcept {
  switch (type) {
    case PacketType::connect: return "CONNECT";
    case PacketType::connack: return "CONNACK";
    case PacketType::publish: return "PUBLISH";
    case PacketType::puback: return "PUBACK";
    case PacketType::pubrec: return "PUBREC";
    case PacketType::pubrel: return "PUBREL";
    case PacketType::pubcomp: return "PUBCOMP";
    case PacketType::subscribe: return "SUBSCRIBE";
    case PacketType::suback: return "SUBACK";
    case PacketType::unsubscribe: return "UNSUBSCRIBE";
    case PacketType::unsuback: return "UNSUBACK";
    case PacketType::pingreq: return "PINGREQ";
    case PacketType::pingresp: return "PINGRESP";
    case PacketType::disconnect: return "DISCONNECT";
    case PacketType::auth: return "AUTH";
  }
  return "UNKNOWN";
}

bool Properties::empty() const noexcept {
  bool empty = true;
  static_cast<void>(v5::for_each_property(*this, [&](const v5::PropertyInfo&, const auto& field) {
    if (v5::present(field)) empty = false;
    return std::error_code{};
  }));
  return empty;
}

std::string_view reason_name(ReasonCode code) noexcept {
  switch (code) {
    case ReasonCode::success: return "success";
    case ReasonCode::granted_qos_1: return "granted QoS 1";
    case ReasonCode::granted_qos_2: return "granted QoS 2";
    case ReasonCode::disconnect_with_will_message: return "disconnect with will message";
    case ReasonCode::no_matching_subscribers: return "no matching subscribers";
    case ReasonCode::no_subscription_existed: return "no subscription existed";
    case ReasonCode::continue_authentication: return "continue authentication";
    case ReasonCode::re_authenticate: return "re-authenticate";
    case ReasonCode::unspecified_error: return "unspecified error";
    case ReasonCode::malformed_packet: return "malformed packet";
    case ReasonCode::protocol_error: return "protocol error";
    case ReasonCode::implementation_specific_error: return "implementation specific error";
    case ReasonCode::unsupported_protocol_version: return "unsupported protocol version";
    case ReasonCode::client_identifier_not_valid: return "client identifier not valid";
    case ReasonCode::bad_user_name_or_password: return "bad user name or password";
    case ReasonCode::not_authorized: return "not authorized";
    case ReasonCode::server_unavailable: return "server unavailable";
    case ReasonCode::server_busy: return "server busy";
    case ReasonCode::banned: return "banned";
    case ReasonCode::server_shutting_down: return "server shutting down";
    case ReasonCode::bad_authentication_method: return "bad authentication method";
    case ReasonCode::keep_alive_timeout: return "keep alive timeout";
    case ReasonCode::session_taken_over: return "session taken over";
    case ReasonCode::topic_filter_invalid: return "topic filter invalid";
    case ReasonCode::topic_name_invalid: return "topic name invalid";
    case ReasonCode::packet_identifier_in_use: return "packet identifier in use";
    case ReasonCode::packet_identifier_not_found: return "packet identifier not found";
    case ReasonCode::receive_maximum_exceeded: return "receive maximum exceeded";
    case ReasonCode::topic_alias_invalid: return "topic alias invalid";
    case ReasonCode::packet_too_large: return "packet too large";
    case ReasonCode::message_rate_too_high: return "message rate too high";
    case ReasonCode::quota_exceeded: return "quota exceeded";
    case ReasonCode::administrative_action: return "administrative action";
    case ReasonCode::payload_format_invalid: return "payload format invalid";
    case ReasonCode::retain_not_supported: return "retain not supported";
    case ReasonCode::qos_not_supported: return "QoS not supported";
    case ReasonCode::use_another_server: return "use another server";
    case ReasonCode::server_moved: return "server moved";
    case ReasonCode::shared_subscriptions_not_supported:
      return "shared subscriptions not supported";
    case ReasonCode::connection_rate_exceeded: return "connection rate exceeded";
    case ReasonCode::maximum_connect_time: return "maximum connect time";
    case ReasonCode::subscription_identifiers_not_supported:
      return "subscription identifiers not supported";
    case ReasonCode::wildcard_subscriptions_not_supported:
      return "wildcard subscriptions not supported";
  }
  return "unknown reason code";
}

bool reason_allowed(PacketType type, std::uint8_t code) noexcept {
  static constexpr std::uint8_t kConnack[] = {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86,
                                              0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
                                              0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};
  static constexpr std::uint8_t kPuback[] = {0x00, 0x10, 0x80, 0x83, 0x87,
                                             0x90, 0x91, 0x97, 0x99};
  static constexpr std::uint8_t kPubrel[] = {0x00, 0x92};
  static constexpr std::uint8_t kSuback[] = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87,
                                             0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
  static constexpr std::uint8_t kUnsuback[] = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
  static constexpr std::uint8_t kDisconnect[] = {
      0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
      0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
  static constexpr std::uint8_t kAuth[] = {0x00, 0x18, 0x19};
  std::span<const std::uint8_t> allowed;
  switch (type) {
    case PacketType::connack: allowed = kConnack; break;
    case PacketType::puback:
    case PacketType::pubrec:
      allowed = kPuback;
      break;
    case PacketType::pubrel:
    case PacketType::pubcomp:
      allowed = kPubrel;
      break;
    case PacketType::suback: allowed = kSuback; break;
    case PacketType::unsuback: allowed = kUnsuback; break;
    case PacketType::disconnect: allowed = kDisconnect; break;
    case PacketType::auth: allowed = kAuth; break;
    default: return false;
  }
  return std::find(allowed.begin(), allowed.end(), code) != allowed.end();
}

ReasonCode disconnect_reason(std::error_code error) noexcept {
  if (error.category() != core::error_category()) return ReasonCode::unspecified_error;
  switch (static_cast<Errc>(error.value())) {
    case Errc::malformed_remaining_length:
    case Errc::bad_fixed_header_flags:
    case Errc::invalid_qos:
    case Errc::dup_on_qos0:
    case Errc::zero_packet_id:
    case Errc::malformed_utf8:
    case Errc::null_character:
    case Errc::wildcard_in_topic:
    case Errc::truncated_packet:
    case Errc::trailing_bytes:
    case Errc::reserved_packet_type:
    case Errc::bad_protocol_name:
    case Errc::bad_connect_flags:
    case Errc::bad_connack_flags:
    case Errc::bad_subscription_options:
    case Errc::bad_suback_return_code:
    case Errc::bad_topic_filter:
    case Errc::malformed_variable_byte_integer:
    case Errc::malformed_property:
    case Errc::unknown_property:
    case Errc::property_not_allowed:
      return ReasonCode::malformed_packet;
    case Errc::unexpected_packet_type:
    case Errc::empty_topic:
    case Errc::empty_subscription_list:
    case Errc::duplicate_property:
    case Errc::bad_property_value:
    case Errc::bad_reason_code:
    case Errc::invalid_subscription_option:
    case Errc::unsupported_protocol_level:
    case Errc::protocol_error:
      return ReasonCode::protocol_error;
    case Errc::packet_too_large: return ReasonCode::packet_too_large;
    default: return ReasonCode::unspecified_error;
  }
}

std::error_code encode(const Packet& packet, Bytes& out, ProtocolVersion version) {
  const bool is_v5 = version == ProtocolVersion::v5;
  if (!is_v5 && version != ProtocolVersion::v311) return make(Errc::unsupported_protocol_level);
  const auto put = [is_v5](const Packet& p, auto& sink) {
    return std::visit(
        [&](const auto& body) {
          return is_v5 ? v5::put_body(body, sink) : v311::put_body(body, sink);
        },
        p);
  };
  if (!is_v5 && std::visit([](const auto& p) { return v311::has_v5_fields(p); }, packet)) {
    return make(Errc::v5_field_in_v311);
  }
  SizeSink size;
  if (auto ec = put(packet, size)) return ec;
  if (size.size() > kMaxRemainingLength) return make(Errc::packet_too_large);

  const std::size_t total = 1 + remaining_length_size(size.size()) + size.size();
  if (out.capacity() - out.size() < total) {
    out.reserve(std::max(out.size() + total, 2 * out.capacity()));
  }
  out.push_back(static_cast<std::uint8_t>((type_number(packet_type(packet)) << 4) |
                                          fixed_header_flags(packet)));
  put_remaining_length(size.size(), out);
  ByteSink sink(out);
  // The size pass has validated everything: this pass cannot fail.
  static_cast<void>(put(packet, sink));
  return {};
}

Bytes encode(const Packet& packet, ProtocolVersion version) {
  Bytes out;
  if (auto ec = encode(packet, out, version)) {
    throw std::system_error(ec, std::string("encoding ") +
                                    std::string(packet_name(packet_type(packet))));
  }
  return out;
}

DecodeResult decode(ByteSpan bytes, const DecoderOptions& options) {
  const bool is_v5 = options.version == ProtocolVersion::v5;
  if (!is_v5 && options.version != ProtocolVersion::v311) {
    return error_result(make(Errc::unsupported_protocol_level));
  }
  if (bytes.empty()) return {};
  const std::uint8_t first = bytes[0];
  if (auto ec = is_v5 ? v5::check_fixed_header(first, options.role)
                   : v311::check_fixed_header(first, options.role)) {
    return error_result(ec);
  }

  std::size_t remaining = 0;
  std::size_t header = 1;
  for (std::size_t shift = 0;; shift += 7) {
    if (header == bytes.size()) return {};
    const std::uint8_t digit = bytes[header++];
    remaining |= static_cast<std::size_t>(digit & 0x7F) << shift;
    if ((digit & 0x80) == 0) break;
    if (header == 5) return error_result(make(Errc::malformed_remaining_length));
  }
  if (remaining > options.max_packet_size || header + remaining > options.max_packet_size) {
    return error_result(make(Errc::packet_too_large));
  }
  if (bytes.size() - header < remaining) return {};

  Packet packet;
  const auto body = bytes.subspan(header, remaining);
  if (auto ec = is_v5 ? v5::decode_body(first, body, options.role, packet)
                   : v311::decode_body(first, body, packet)) {
    return error_result(ec);
  }
  DecodeResult result;
  result.status = DecodeResult::Status::packet;
  result.packet = std::move(packet);
  result.consumed = header + remaining;
  return result;
}

void Decoder::feed(ByteSpan bytes) {
  if (error_ || bytes.empty()) return;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ >= buffer_.size() - start_) {
    // The consumed front is at least as large as what is left: moving the rest costs no more
    // than what was consumed, so compaction is amortised O(1) per byte.
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

DecodeResult Decoder::next() {
  if (error_) return error_result(error_);
  auto result = decode(ByteSpan(buffer_).subspan(start_), options_);
  switch (result.status) {
    case DecodeResult::Status::packet:
      start_ += result.consumed;
      if (start_ == buffer_.size()) {
        buffer_.clear();
        start_ = 0;
      }
      break;
    case DecodeResult::Status::error:
      error_ = result.error;
      buffer_.clear();
      start_ = 0;
      break;
    case DecodeResult::Status::need_more:
      break;
  }
  return result;
}

void Decoder::reset() noexcept {
  buffer_.clear();
  start_ = 0;
  error_.clear();
}

std::error_code validate_utf8(std::string_view text) noexcept {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned lead = bytes[i];
    if (lead < 0x80) {
      if (lead == 0) return make(Errc::null_character);
      ++i;
      continue;
    }
    std::size_t length = 0;
    char32_t code_point = 0;
    char32_t minimum = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
      minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
      minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
      minimum = 0x10000;
    } else {
      return make(Errc::malformed_utf8);
    }
    if (size - i < length) return make(Errc::malformed_utf8);
    for (std::size_t k = 1; k < length; ++k) {
      const unsigned continuation = bytes[i + k];
      if ((continuation & 0xC0) != 0x80) return make(Errc::malformed_utf8);
      code_point = (code_point << 6) | (continuation & 0x3F);
    }
    if (code_point < minimum || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return make(Errc::malformed_utf8);
    }
    i += length;
  }
  return {};
}

std::error_code validate_topic_name(std::string_view topic) noexcept {
  if (topic.empty()) return make(Errc::empty_topic);
  if (topic.size() > kMaxStringLength) return make(Errc::string_too_long);
  if (auto ec = validate_utf8(topic)) return ec;
  if (topic.find_first_of("+#") != std::string_view::npos) return make(Errc::wildcard_in_topic);
  return {};
}

std::error_code validate_topic_filter(std::string_view filter) noexcept {
  if (filter.empty()) return make(Errc::empty_topic);
  if (filter.size() > kMaxStringLength) return make(Errc::string_too_long);
  if (auto ec = validate_utf8(filter)) return ec;
  std::size_t level_start = 0;
  for (std::size_t i = 0; i < filter.size(); ++i) {
    const char c = filter[i];
    if (c == '/') {
      level_start = i + 1;
      continue;
    }
    if (c != '+' && c != '#') continue;
    const bool alone = i == level_start && (i + 1 == filter.size() || filter[i + 1] == '/');
    if (!alone || (c == '#' && i + 1 != filter.size())) return make(Errc::bad_topic_filter);
  }
  return {};
}

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  constexpr auto npos = std::string_view::npos;
  std::size_t f = 0;
  std::size_t t = 0;
  bool topic_left = true;
  for (;;) {
    const std::size_t f_end = filter.find('/', f);
    const std::string_view f_level = filter.substr(f, f_end == npos ? npos : f_end - f);
    if (f_level == "#") return true;
    if (!topic_left) return false;
    const std::size_t t_end = topic.find('/', t);
    const std::string_view t_level = topic.substr(t, t_end == npos ? npos : t_end - t);
    if (f_level != "+" && f_level != t_level) return false;
    topic_left = t_end != npos;
    if (f_end == npos) return !topic_left;
    f = f_end + 1;
    t = topic_left ? t_end + 1 : topic.size();
  }
}

}  // namespace pimqttd::mqtt
