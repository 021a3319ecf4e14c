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
  }
  return false;
}

std::error_code check_fixed_header(std::uint8_t first, Role role) noexcept {
  const auto number = static_cast<std::uint8_t>(first >> 4);
  const auto flags = static_cast<std::uint8_t>(first & 0x0F);
  if (number == 0 || number == 15) return make(Errc::reserved_packet_type);
  const auto type = static_cast<PacketType>(number);
  if (!receivable(type, role)) return make(Errc::unexpected_packet_type);
  switch (type) {
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

// -- encoding ---------------------------------------------------------------------------------

template <class Sink>
std::error_code put_body(const Connect& packet, Sink& sink) {
  if (packet.version != ProtocolVersion::v311) return make(Errc::unsupported_protocol_level);
  if (packet.password && !packet.username) return make(Errc::bad_connect_flags);
  std::uint8_t flags = 0;
  if (packet.clean_session) flags |= 0x02;
  if (packet.will) {
    if (!valid_qos(packet.will->qos)) return make(Errc::invalid_qos);
    flags = static_cast<std::uint8_t>(flags | 0x04 |
                                      (static_cast<std::uint8_t>(packet.will->qos) << 3));
    if (packet.will->retain) flags |= 0x20;
  }
  if (packet.password) flags |= 0x40;
  if (packet.username) flags |= 0x80;

  if (auto ec = put_string(sink, kProtocolName)) return ec;
  sink.u8(kProtocolLevel);
  sink.u8(flags);
  sink.u16(packet.keep_alive);
  if (auto ec = put_string(sink, packet.client_id)) return ec;
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
std::error_code put_body(const Connack& packet, Sink& sink) {
  sink.u8(packet.session_present ? 0x01 : 0x00);
  sink.u8(packet.return_code);
  return {};
}

template <class Sink>
std::error_code put_body(const Publish& packet, Sink& sink) {
  if (!valid_qos(packet.qos)) return make(Errc::invalid_qos);
  if (packet.qos == QoS::at_most_once && packet.dup) return make(Errc::dup_on_qos0);
  if (auto ec = put_string(sink, packet.topic)) return ec;
  if (packet.qos != QoS::at_most_once) {
    if (auto ec = put_packet_id(sink, packet.packet_id)) return ec;
  }
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
           std::is_same_v<Empty, Disconnect>
std::error_code put_body(const Empty& /*packet*/, Sink& /*sink*/) {
  return {};
}

// -- decoding ---------------------------------------------------------------------------------

std::error_code decode_connect(Reader& in, Packet& out) {
  std::string_view name;
  if (auto ec = in.binary(name)) return ec;
  if (name != kProtocolName) return make(Errc::bad_protocol_name);
  std::uint8_t level = 0;
  if (auto ec = in.u8(level)) return ec;
  if (level != kProtocolLevel) return make(Errc::unsupported_protocol_level);
  std::uint8_t flags = 0;
  if (auto ec = in.u8(flags)) return ec;
  const bool has_will = (flags & 0x04) != 0;
  const auto will_qos = static_cast<std::uint8_t>((flags >> 3) & 0x03);
  const bool will_retain = (flags & 0x20) != 0;
  const bool has_password = (flags & 0x40) != 0;
  const bool has_username = (flags & 0x80) != 0;
  if ((flags & 0x01) != 0) return make(Errc::bad_connect_flags);
  if (!has_will && (will_qos != 0 || will_retain)) return make(Errc::bad_connect_flags);
  if (has_will && will_qos == 3) return make(Errc::invalid_qos);
  if (has_password && !has_username) return make(Errc::bad_connect_flags);

  Connect packet;
  packet.version = ProtocolVersion::v311;
  packet.clean_session = (flags & 0x02) != 0;
  if (auto ec = in.u16(packet.keep_alive)) return ec;
  std::string_view text;
  if (auto ec = in.utf8(text)) return ec;
  packet.client_id = text;
  if (has_will) {
    Will will;
    if (auto ec = in.binary(text)) return ec;
    if (auto ec = validate_topic_name(text)) return ec;
    will.topic = text;
    if (auto ec = in.binary(text)) return ec;
    will.payload = text;
    will.qos = static_cast<QoS>(will_qos);
    will.retain = will_retain;
    packet.will = std::move(will);
  }
  if (has_username) {
    if (auto ec = in.utf8(text)) return ec;
    packet.username = std::string(text);
  }
  if (has_password) {
    if (auto ec = in.binary(text)) return ec;
    packet.password = std::string(text);
  }
  out = std::move(packet);
  return {};
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

std::error_code decode_publish(std::uint8_t flags, Reader& in, Packet& out) {
  Publish packet;
  packet.qos = static_cast<QoS>((flags >> 1) & 0x03);
  packet.dup = (flags & 0x08) != 0;
  packet.retain = (flags & 0x01) != 0;
  std::string_view topic;
  if (auto ec = in.binary(topic)) return ec;
  if (auto ec = validate_topic_name(topic)) return ec;
  if (packet.qos != QoS::at_most_once) {
    if (auto ec = in.packet_id(packet.packet_id)) return ec;
  }
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

std::error_code decode_subscribe(Reader& in, Packet& out) {
  Subscribe packet;
  if (auto ec = in.packet_id(packet.packet_id)) return ec;
  if (in.empty()) return make(Errc::empty_subscription_list);
  while (!in.empty()) {
    std::string_view filter;
    if (auto ec = in.binary(filter)) return ec;
    if (auto ec = validate_topic_filter(filter)) return ec;
    std::uint8_t options = 0;
    if (auto ec = in.u8(options)) return ec;
    if ((options & 0xFC) != 0) return make(Errc::bad_subscription_options);
    if (options == 3) return make(Errc::invalid_qos);
    packet.subscriptions.push_back({std::string(filter), static_cast<QoS>(options)});
  }
  out = std::move(packet);
  return {};
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

std::error_code decode_unsubscribe(Reader& in, Packet& out) {
  Unsubscribe packet;
  if (auto ec = in.packet_id(packet.packet_id)) return ec;
  if (in.empty()) return make(Errc::empty_subscription_list);
  while (!in.empty()) {
    std::string_view filter;
    if (auto ec = in.binary(filter)) return ec;
    if (auto ec = validate_topic_filter(filter)) return ec;
    packet.filters.emplace_back(filter);
  }
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
  }
  if (ec) return ec;
  return in.empty() ? std::error_code{} : make(Errc::trailing_bytes);
}

}  // namespace v311

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
  }
  return "UNKNOWN";
}

std::error_code encode(const Packet& packet, Bytes& out, ProtocolVersion version) {
  if (version != ProtocolVersion::v311) return make(Errc::unsupported_protocol_level);
  SizeSink size;
  if (auto ec = std::visit([&](const auto& p) { return v311::put_body(p, size); }, packet)) {
    return ec;
  }
  if (size.size() > kMaxRemainingLength) return make(Errc::packet_too_large);

  const std::size_t total = 1 + remaining_length_size(size.size()) + size.size();
  if (out.capacity() - out.size() < total) {
    out.reserve(std::max(out.size() + total, 2 * out.capacity()));
  }
  out.push_back(static_cast<std::uint8_t>((type_number(packet_type(packet)) << 4) |
                                          v311::fixed_header_flags(packet)));
  put_remaining_length(size.size(), out);
  ByteSink sink(out);
  // The size pass has validated everything: this pass cannot fail.
  static_cast<void>(std::visit([&](const auto& p) { return v311::put_body(p, sink); }, packet));
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
  if (options.version != ProtocolVersion::v311) {
    return error_result(make(Errc::unsupported_protocol_level));
  }
  if (bytes.empty()) return {};
  const std::uint8_t first = bytes[0];
  if (auto ec = v311::check_fixed_header(first, options.role)) return error_result(ec);

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
  if (auto ec = v311::decode_body(first, bytes.subspan(header, remaining), packet)) {
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
