#include "pimqttd/mqtt/codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "pimqttd/core/error.hpp"

namespace pimqttd::mqtt {
namespace {

using core::Errc;

// -- helpers -----------------------------------------------------------------------------------

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (const int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

/// A two-byte length and the bytes of `text`.
Bytes str16(std::string_view text) {
  Bytes out = bytes({static_cast<int>(text.size() >> 8), static_cast<int>(text.size() & 0xFF)});
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

/// A whole packet: the first byte, the remaining length (body under 128 bytes), the body.
Bytes packet(int first, const Bytes& body) {
  EXPECT_LT(body.size(), 128U);
  return cat({bytes({first, static_cast<int>(body.size())}), body});
}

std::string binary(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out.push_back(static_cast<char>(v));
  return out;
}

DecoderOptions options_for(Role role) {
  DecoderOptions options;
  options.role = role;
  return options;
}

bool receivable_by(const Packet& p, Role role) {
  switch (packet_type(p)) {
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
    default:
      return true;
  }
}

Role a_receiver_of(const Packet& p) {
  return receivable_by(p, Role::client) ? Role::client : Role::server;
}

/// What a decoder yields: its packets and, if it ended in one, its error.
struct Drained {
  std::vector<Packet> packets;
  std::error_code error;
};

void drain(Decoder& decoder, Drained& into) {
  for (int i = 0; i < 100'000; ++i) {
    auto result = decoder.next();
    if (result.status == DecodeResult::Status::need_more) return;
    if (result.status == DecodeResult::Status::error) {
      into.error = result.error;
      return;
    }
    EXPECT_TRUE(result.packet.has_value());
    into.packets.push_back(*result.packet);
  }
  ADD_FAILURE() << "decoder never ran dry";
}

/// Feeds `input` in pieces that end at `cuts` (ascending offsets), draining after each piece.
Drained feed_in_pieces(Role role, const Bytes& input, const std::vector<std::size_t>& cuts) {
  Decoder decoder(options_for(role));
  Drained out;
  std::size_t begin = 0;
  for (const std::size_t cut : cuts) {
    decoder.feed(ByteSpan(input).subspan(begin, cut - begin));
    drain(decoder, out);
    begin = cut;
  }
  decoder.feed(ByteSpan(input).subspan(begin));
  drain(decoder, out);
  if (!out.error) {
    EXPECT_EQ(decoder.buffered(), 0U);
  }
  return out;
}

// -- samples of every packet type --------------------------------------------------------------

std::vector<Packet> samples() {
  std::vector<Packet> out;
  out.emplace_back(Connect{});
  out.emplace_back(Connect{ProtocolVersion::v311, "pimqttd-kitchen", false, 0, std::nullopt,
                           std::nullopt, std::nullopt});
  out.emplace_back(Connect{ProtocolVersion::v311, "c", true, 65535,
                           Will{"pimqttd/node/status", "offline", QoS::at_least_once, true},
                           std::string("user"), binary({0, 0xFF, 'p', 0x80})});
  out.emplace_back(Connect{ProtocolVersion::v311, "", true, 30,
                           Will{"w", "", QoS::exactly_once, false}, std::string(""),
                           std::string("")});
  out.emplace_back(Connect{ProtocolVersion::v311, "\xC3\xA9t\xC3\xA9", true, 1, std::nullopt,
                           std::string("\xF0\x9F\x98\x80"), std::nullopt});
  out.emplace_back(Connack{});
  out.emplace_back(Connack{true, 0});
  out.emplace_back(Connack{false, 5});
  out.emplace_back(Connack{false, 200});
  out.emplace_back(Publish{"a", "", QoS::at_most_once, false, false, 0});
  out.emplace_back(Publish{"pimqttd/node/temp/state", "21.5", QoS::at_most_once, true, false, 0});
  out.emplace_back(Publish{"a/b", binary({0, 1, 0xFF, 0}), QoS::at_least_once, false, true, 1});
  out.emplace_back(Publish{"/", std::string(300, 'x'), QoS::exactly_once, true, true, 65535});
  out.emplace_back(Publish{"$SYS/x", "y", QoS::exactly_once, false, false, 42});
  out.emplace_back(Puback{1});
  out.emplace_back(Puback{0x1234});
  out.emplace_back(Pubrec{65535});
  out.emplace_back(Pubrel{7});
  out.emplace_back(Pubcomp{8});
  out.emplace_back(Subscribe{10, {{"a/b", QoS::at_least_once}}});
  out.emplace_back(Subscribe{11,
                             {{"#", QoS::at_most_once},
                              {"+/x/+", QoS::exactly_once},
                              {"homeassistant/status", QoS::at_least_once}}});
  out.emplace_back(Suback{10, {0}});
  out.emplace_back(Suback{11, {0, 1, 2, kSubackFailure}});
  out.emplace_back(Unsubscribe{12, {"a/b"}});
  out.emplace_back(Unsubscribe{13, {"#", "sport/+/player1", "$SYS/#"}});
  out.emplace_back(Unsuback{12});
  out.emplace_back(Pingreq{});
  out.emplace_back(Pingresp{});
  out.emplace_back(Disconnect{});
  return out;
}

Bytes stream_for(Role role, std::vector<Packet>* packets) {
  Bytes out;
  for (const auto& p : samples()) {
    if (!receivable_by(p, role)) continue;
    EXPECT_FALSE(encode(p, out));
    packets->push_back(p);
  }
  return out;
}

// -- packet types ------------------------------------------------------------------------------

TEST(PacketTypeTest, VariantIndexMatchesTypeNumberAndNames) {
  EXPECT_EQ(packet_type(Packet{Connect{}}), PacketType::connect);
  EXPECT_EQ(packet_type(Packet{Unsuback{}}), PacketType::unsuback);
  EXPECT_EQ(packet_type(Packet{Disconnect{}}), PacketType::disconnect);
  EXPECT_EQ(packet_name(PacketType::connect), "CONNECT");
  EXPECT_EQ(packet_name(PacketType::pubrel), "PUBREL");
  EXPECT_EQ(packet_name(PacketType::unsubscribe), "UNSUBSCRIBE");
  EXPECT_EQ(packet_name(PacketType::disconnect), "DISCONNECT");
}

// -- round trips -------------------------------------------------------------------------------

TEST(RoundTripTest, EveryPacketTypeEncodesAndDecodesToItself) {
  std::set<PacketType> seen;
  for (const auto& original : samples()) {
    SCOPED_TRACE(std::string(packet_name(packet_type(original))));
    seen.insert(packet_type(original));
    const Bytes wire = encode(original);
    ASSERT_GE(wire.size(), 2U);
    EXPECT_EQ(wire[0] >> 4, static_cast<int>(packet_type(original)));
    for (const Role role : {Role::client, Role::server}) {
      if (!receivable_by(original, role)) continue;
      const auto result = decode(wire, options_for(role));
      ASSERT_EQ(result.status, DecodeResult::Status::packet) << result.error.message();
      EXPECT_EQ(result.consumed, wire.size());
      EXPECT_EQ(*result.packet, original);
      EXPECT_EQ(encode(*result.packet), wire);
    }
  }
  EXPECT_EQ(seen.size(), 14U);
}

// -- byte vectors written out from the specification's layouts ---------------------------------

struct Vector {
  const char* name;
  Packet packet;
  Bytes wire;
};

std::vector<Vector> spec_vectors() {
  std::vector<Vector> out;
  // CONNECT, section 3.1: protocol name, level 4, flags, keep alive, then client id, will topic,
  // will message, user name, password. Flags: user name 0x80 | password 0x40 | will retain 0x20
  // | will QoS 1 0x08 | will 0x04 | clean session 0x02 = 0xEE.
  out.push_back({"CONNECT with will, user name and password",
                 Connect{ProtocolVersion::v311, "cid", true, 60,
                         Will{"w/top", "bye", QoS::at_least_once, true}, std::string("user"),
                         binary({0x00, 0xFF, 'p'})},
                 bytes({0x10, 38,                                 //
                        0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,     // protocol name and level
                        0xEE, 0x00, 0x3C,                         // flags, keep alive 60
                        0x00, 0x03, 'c', 'i', 'd',                // client id
                        0x00, 0x05, 'w', '/', 't', 'o', 'p',      // will topic
                        0x00, 0x03, 'b', 'y', 'e',                // will message
                        0x00, 0x04, 'u', 's', 'e', 'r',           // user name
                        0x00, 0x03, 0x00, 0xFF, 'p'})});          // password
  out.push_back({"CONNECT minimal", Connect{},
                 bytes({0x10, 12, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 60, 0x00,
                        0x00})});
  out.push_back({"CONNECT will QoS 2 no retain, persistent session",
                 Connect{ProtocolVersion::v311, "a", false, 0x0102,
                         Will{"t", "", QoS::exactly_once, false}, std::nullopt, std::nullopt},
                 bytes({0x10, 18, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x14, 0x01, 0x02, 0x00,
                        0x01, 'a', 0x00, 0x01, 't', 0x00, 0x00})});
  out.push_back({"CONNACK session present", Connack{true, 0}, bytes({0x20, 0x02, 0x01, 0x00})});
  out.push_back({"CONNACK refused 4", Connack{false, 4}, bytes({0x20, 0x02, 0x00, 0x04})});
  out.push_back({"PUBLISH QoS 0", Publish{"a/b", "hi", QoS::at_most_once, false, false, 0},
                 bytes({0x30, 7, 0x00, 0x03, 'a', '/', 'b', 'h', 'i'})});
  out.push_back({"PUBLISH QoS 1", Publish{"a/b", "hi", QoS::at_least_once, false, false, 10},
                 bytes({0x32, 9, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i'})});
  out.push_back({"PUBLISH QoS 2 DUP retain", Publish{"t", "", QoS::exactly_once, true, true, 258},
                 bytes({0x3D, 5, 0x00, 0x01, 't', 0x01, 0x02})});
  out.push_back({"PUBACK", Puback{0x1234}, bytes({0x40, 0x02, 0x12, 0x34})});
  out.push_back({"PUBREC", Pubrec{1}, bytes({0x50, 0x02, 0x00, 0x01})});
  out.push_back({"PUBREL", Pubrel{2}, bytes({0x62, 0x02, 0x00, 0x02})});
  out.push_back({"PUBCOMP", Pubcomp{3}, bytes({0x70, 0x02, 0x00, 0x03})});
  out.push_back({"SUBSCRIBE", Subscribe{10, {{"a/b", QoS::at_least_once}, {"c/d", QoS::exactly_once}}},
                 bytes({0x82, 14, 0x00, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x01, 0x00, 0x03, 'c',
                        '/', 'd', 0x02})});
  out.push_back({"SUBACK", Suback{10, {0x00, 0x01, 0x02, 0x80}},
                 bytes({0x90, 6, 0x00, 0x0A, 0x00, 0x01, 0x02, 0x80})});
  out.push_back({"UNSUBSCRIBE", Unsubscribe{10, {"a/b", "c/d"}},
                 bytes({0xA2, 12, 0x00, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x03, 'c', '/',
                        'd'})});
  out.push_back({"UNSUBACK", Unsuback{10}, bytes({0xB0, 0x02, 0x00, 0x0A})});
  out.push_back({"PINGREQ", Pingreq{}, bytes({0xC0, 0x00})});
  out.push_back({"PINGRESP", Pingresp{}, bytes({0xD0, 0x00})});
  out.push_back({"DISCONNECT", Disconnect{}, bytes({0xE0, 0x00})});
  return out;
}

TEST(SpecVectorTest, EncodesToAndDecodesFromKnownBytes) {
  for (const auto& v : spec_vectors()) {
    SCOPED_TRACE(v.name);
    EXPECT_EQ(encode(v.packet), v.wire);
    const auto result = decode(v.wire, options_for(a_receiver_of(v.packet)));
    ASSERT_EQ(result.status, DecodeResult::Status::packet) << result.error.message();
    EXPECT_EQ(result.consumed, v.wire.size());
    EXPECT_EQ(*result.packet, v.packet);
  }
}

struct LengthVector {
  std::size_t value;
  Bytes encoded;
};

const std::vector<LengthVector>& length_vectors() {
  static const std::vector<LengthVector> vectors = {
      {0, bytes({0x00})},
      {127, bytes({0x7F})},
      {128, bytes({0x80, 0x01})},
      {16'383, bytes({0xFF, 0x7F})},
      {16'384, bytes({0x80, 0x80, 0x01})},
      {2'097'151, bytes({0xFF, 0xFF, 0x7F})},
      {2'097'152, bytes({0x80, 0x80, 0x80, 0x01})},
      {268'435'455, bytes({0xFF, 0xFF, 0xFF, 0x7F})},
  };
  return vectors;
}

TEST(RemainingLengthTest, EncodesTheSpecificationExamples) {
  for (const auto& v : length_vectors()) {
    if (v.value > 2'097'152) continue;  // the largest is pinned by the decoder test below
    SCOPED_TRACE(v.value);
    // A PUBLISH with topic "t" has 3 bytes of variable header before its payload.
    const Packet p = v.value == 0 ? Packet{Pingreq{}}
                                  : Packet{Publish{"t", std::string(v.value - 3, 'p')}};
    const Bytes wire = encode(p);
    ASSERT_EQ(wire.size(), 1 + v.encoded.size() + v.value);
    EXPECT_EQ(Bytes(wire.begin() + 1, wire.begin() + 1 + static_cast<long>(v.encoded.size())),
              v.encoded);
    DecoderOptions options = options_for(Role::server);
    options.max_packet_size = wire.size();
    const auto result = decode(wire, options);
    ASSERT_EQ(result.status, DecodeResult::Status::packet);
    EXPECT_EQ(*result.packet, p);
  }
}

TEST(RemainingLengthTest, DecodesTheSpecificationExamplesExactly) {
  // The maximum packet size is checked as soon as the length is known: a limit one byte under
  // the packet's size fails, a limit equal to it waits for the body. That pins the value.
  for (const auto& v : length_vectors()) {
    SCOPED_TRACE(v.value);
    const Bytes header = cat({bytes({0x30}), v.encoded});
    DecoderOptions options = options_for(Role::client);
    options.max_packet_size = header.size() + v.value;
    const auto exact = decode(header, options);
    if (v.value == 0) {
      // An empty PUBLISH body is truncated: the topic length is missing.
      ASSERT_EQ(exact.status, DecodeResult::Status::error);
      EXPECT_EQ(exact.error, Errc::truncated_packet);
    } else {
      EXPECT_EQ(exact.status, DecodeResult::Status::need_more);
    }
    options.max_packet_size -= 1;
    const auto over = decode(header, options);
    ASSERT_EQ(over.status, DecodeResult::Status::error);
    EXPECT_EQ(over.error, Errc::packet_too_large);
  }
}

TEST(RemainingLengthTest, AcceptsANonMinimalEncoding) {
  const auto result = decode(bytes({0xC0, 0x80, 0x80, 0x00}), options_for(Role::server));
  ASSERT_EQ(result.status, DecodeResult::Status::packet);
  EXPECT_EQ(*result.packet, Packet{Pingreq{}});
  EXPECT_EQ(result.consumed, 4U);
}

TEST(EncodeTest, RefusesAPacketOverTheRemainingLengthLimit) {
  Bytes out = bytes({1, 2, 3});
  const Publish too_big{"t", std::string(kMaxRemainingLength - 3 + 1, 'x')};
  EXPECT_EQ(encode(too_big, out), Errc::packet_too_large);
  EXPECT_EQ(out, bytes({1, 2, 3}));
}

// -- encoding ----------------------------------------------------------------------------------

TEST(EncodeTest, AppendsToWhatIsAlreadyThere) {
  Bytes out = bytes({0xAA});
  ASSERT_FALSE(encode(Pingreq{}, out));
  ASSERT_FALSE(encode(Puback{5}, out));
  EXPECT_EQ(out, bytes({0xAA, 0xC0, 0x00, 0x40, 0x02, 0x00, 0x05}));
}

TEST(EncodeTest, AcceptsStringsOfExactly65535Bytes) {
  const std::string longest(65'535, 'a');
  const Bytes wire = encode(Publish{longest, ""});
  EXPECT_EQ(wire.size(), 1 + 3 + 2 + longest.size());
}

TEST(EncodeTest, FailsWithoutTouchingTheOutput) {
  const std::string too_long(65'536, 'a');
  struct Case {
    const char* name;
    Packet packet;
    ProtocolVersion version;
    Errc expected;
  };
  const auto v311 = ProtocolVersion::v311;
  const std::vector<Case> cases = {
      {"topic too long", Publish{too_long, "x"}, v311, Errc::string_too_long},
      {"client id too long", Connect{v311, too_long, true, 60, {}, {}, {}}, v311,
       Errc::string_too_long},
      {"will topic too long", Connect{v311, "c", true, 60, Will{too_long, "m"}, {}, {}}, v311,
       Errc::string_too_long},
      {"will payload too long", Connect{v311, "c", true, 60, Will{"w", too_long}, {}, {}}, v311,
       Errc::string_too_long},
      {"user name too long", Connect{v311, "c", true, 60, {}, too_long, {}}, v311,
       Errc::string_too_long},
      {"password too long", Connect{v311, "c", true, 60, {}, std::string("u"), too_long}, v311,
       Errc::string_too_long},
      {"filter too long", Subscribe{1, {{"a", QoS::at_most_once}, {too_long, QoS::at_most_once}}},
       v311, Errc::string_too_long},
      {"unsubscribe filter too long", Unsubscribe{1, {"a", too_long}}, v311,
       Errc::string_too_long},
      {"QoS 1 PUBLISH id 0", Publish{"t", "", QoS::at_least_once}, v311, Errc::zero_packet_id},
      {"QoS 2 PUBLISH id 0", Publish{"t", "", QoS::exactly_once}, v311, Errc::zero_packet_id},
      {"PUBACK id 0", Puback{0}, v311, Errc::zero_packet_id},
      {"PUBREC id 0", Pubrec{0}, v311, Errc::zero_packet_id},
      {"PUBREL id 0", Pubrel{0}, v311, Errc::zero_packet_id},
      {"PUBCOMP id 0", Pubcomp{0}, v311, Errc::zero_packet_id},
      {"SUBSCRIBE id 0", Subscribe{0, {{"a", QoS::at_most_once}}}, v311, Errc::zero_packet_id},
      {"SUBACK id 0", Suback{0, {0}}, v311, Errc::zero_packet_id},
      {"UNSUBSCRIBE id 0", Unsubscribe{0, {"a"}}, v311, Errc::zero_packet_id},
      {"UNSUBACK id 0", Unsuback{0}, v311, Errc::zero_packet_id},
      {"PUBLISH QoS 3", Publish{"t", "", static_cast<QoS>(3), false, false, 1}, v311,
       Errc::invalid_qos},
      {"will QoS 3", Connect{v311, "c", true, 60, Will{"w", "m", static_cast<QoS>(3)}, {}, {}},
       v311, Errc::invalid_qos},
      {"subscription QoS 3", Subscribe{1, {{"a", static_cast<QoS>(3)}}}, v311,
       Errc::invalid_qos},
      {"DUP on QoS 0", Publish{"t", "", QoS::at_most_once, false, true, 0}, v311,
       Errc::dup_on_qos0},
      {"password without user name", Connect{v311, "c", true, 60, {}, {}, std::string("p")},
       v311, Errc::bad_connect_flags},
      {"unknown version", Pingreq{}, static_cast<ProtocolVersion>(3),
       Errc::unsupported_protocol_level},
      {"CONNECT version differs", Connect{ProtocolVersion::v5, "c", true, 60, {}, {}, {}}, v311,
       Errc::unsupported_protocol_level},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes out = bytes({9, 8, 7});
    EXPECT_EQ(encode(c.packet, out, c.version), c.expected);
    EXPECT_EQ(out, bytes({9, 8, 7}));
  }
}

TEST(EncodeTest, ConvenienceOverloadThrowsTheErrorCode) {
  try {
    static_cast<void>(encode(Puback{0}));
    FAIL() << "no exception";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), Errc::zero_packet_id);
  }
}

// -- incremental decoding ----------------------------------------------------------------------

TEST(DecoderTest, EverySplitOfABackToBackStreamDecodesTheSamePackets) {
  for (const Role role : {Role::client, Role::server}) {
    SCOPED_TRACE(role == Role::client ? "client" : "server");
    std::vector<Packet> expected;
    const Bytes stream = stream_for(role, &expected);
    ASSERT_GT(expected.size(), 10U);

    const auto whole = feed_in_pieces(role, stream, {});
    EXPECT_FALSE(whole.error);
    EXPECT_EQ(whole.packets, expected);

    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      const auto split = feed_in_pieces(role, stream, {cut});
      ASSERT_FALSE(split.error) << "cut at " << cut << ": " << split.error.message();
      ASSERT_EQ(split.packets, expected) << "cut at " << cut;
    }

    std::vector<std::size_t> every_byte;
    for (std::size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
    const auto byte_by_byte = feed_in_pieces(role, stream, every_byte);
    EXPECT_FALSE(byte_by_byte.error);
    EXPECT_EQ(byte_by_byte.packets, expected);
  }
}

TEST(DecoderTest, RandomPiecesDecodeTheSamePackets) {
  std::mt19937 random(12345);
  for (const Role role : {Role::client, Role::server}) {
    std::vector<Packet> expected;
    const Bytes stream = stream_for(role, &expected);
    for (int round = 0; round < 200; ++round) {
      std::vector<std::size_t> cuts;
      std::size_t at = 0;
      for (int i = 0; i < 1000; ++i) {
        at += 1 + random() % 40;
        if (at >= stream.size()) break;
        cuts.push_back(at);
      }
      const auto pieces = feed_in_pieces(role, stream, cuts);
      ASSERT_FALSE(pieces.error) << "round " << round;
      ASSERT_EQ(pieces.packets, expected) << "round " << round;
    }
  }
}

TEST(DecoderTest, EveryStrictPrefixOfAPacketNeedsMore) {
  for (const auto& p : samples()) {
    SCOPED_TRACE(std::string(packet_name(packet_type(p))));
    const Bytes wire = encode(p);
    const auto options = options_for(a_receiver_of(p));
    for (std::size_t length = 0; length < wire.size(); ++length) {
      const auto result = decode(ByteSpan(wire).first(length), options);
      ASSERT_EQ(result.status, DecodeResult::Status::need_more)
          << "prefix " << length << ": " << result.error.message();
      EXPECT_FALSE(result.packet);
    }
    Decoder decoder(options);
    decoder.feed(ByteSpan(wire).first(wire.size() - 1));
    EXPECT_EQ(decoder.next().status, DecodeResult::Status::need_more);
    EXPECT_EQ(decoder.buffered(), wire.size() - 1);
    decoder.feed(ByteSpan(wire).last(1));
    const auto result = decoder.next();
    ASSERT_EQ(result.status, DecodeResult::Status::packet);
    EXPECT_EQ(*result.packet, p);
    EXPECT_EQ(decoder.buffered(), 0U);
  }
}

TEST(DecoderTest, DecodeReportsOnlyTheFirstPacketOfABuffer) {
  const Bytes two = cat({encode(Puback{1}), encode(Pubcomp{2})});
  const auto result = decode(two, options_for(Role::client));
  ASSERT_EQ(result.status, DecodeResult::Status::packet);
  EXPECT_EQ(result.consumed, 4U);
  EXPECT_EQ(*result.packet, Packet{Puback{1}});
}

TEST(DecoderTest, StaysInErrorUntilReset) {
  Decoder decoder(options_for(Role::client));
  decoder.feed(cat({encode(Puback{1}), bytes({0x40, 0x02, 0x00, 0x00}), encode(Puback{2})}));
  auto result = decoder.next();
  ASSERT_EQ(result.status, DecodeResult::Status::packet);
  EXPECT_EQ(*result.packet, Packet{Puback{1}});
  result = decoder.next();
  ASSERT_EQ(result.status, DecodeResult::Status::error);
  EXPECT_EQ(result.error, Errc::zero_packet_id);
  EXPECT_FALSE(result.packet);

  decoder.feed(encode(Pingresp{}));
  for (int i = 0; i < 3; ++i) {
    result = decoder.next();
    ASSERT_EQ(result.status, DecodeResult::Status::error);
    EXPECT_EQ(result.error, Errc::zero_packet_id);
  }
  EXPECT_EQ(decoder.buffered(), 0U);

  decoder.reset();
  EXPECT_EQ(decoder.next().status, DecodeResult::Status::need_more);
  decoder.feed(encode(Pingresp{}));
  result = decoder.next();
  ASSERT_EQ(result.status, DecodeResult::Status::packet);
  EXPECT_EQ(*result.packet, Packet{Pingresp{}});
}

TEST(DecoderTest, ResetForgetsAPartialPacket) {
  Decoder decoder(options_for(Role::client));
  decoder.feed(bytes({0x40, 0x02, 0x00}));
  EXPECT_EQ(decoder.next().status, DecodeResult::Status::need_more);
  decoder.reset();
  EXPECT_EQ(decoder.buffered(), 0U);
  decoder.feed(encode(Puback{9}));
  const auto result = decoder.next();
  ASSERT_EQ(result.status, DecodeResult::Status::packet);
  EXPECT_EQ(*result.packet, Packet{Puback{9}});
}

TEST(DecoderTest, ManyPacketsInOddPiecesKeepTheBufferSmall) {
  Bytes stream;
  constexpr int kCount = 20'000;
  for (int i = 1; i <= kCount; ++i) {
    ASSERT_FALSE(encode(Puback{static_cast<std::uint16_t>(i)}, stream));
  }
  Decoder decoder(options_for(Role::client));
  int decoded = 0;
  for (std::size_t at = 0; at < stream.size(); at += 7) {
    decoder.feed(ByteSpan(stream).subspan(at, std::min<std::size_t>(7, stream.size() - at)));
    for (int i = 0; i < 10; ++i) {
      const auto result = decoder.next();
      if (result.status != DecodeResult::Status::packet) {
        ASSERT_EQ(result.status, DecodeResult::Status::need_more);
        break;
      }
      ++decoded;
      ASSERT_EQ(*result.packet, Packet{Puback{static_cast<std::uint16_t>(decoded)}});
    }
    ASSERT_LT(decoder.buffered(), 8U);
  }
  EXPECT_EQ(decoded, kCount);
}

TEST(DecoderTest, ALargePublishFedByteByByteIsLinear) {
  // Quadratic work here (re-parsing or copying the buffer per byte) would take minutes.
  const Publish big{"big", std::string(512 * 1024, 'z'), QoS::at_least_once, false, false, 3};
  const Bytes wire = encode(big);
  Decoder decoder(options_for(Role::client));
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    decoder.feed(ByteSpan(wire).subspan(i, 1));
    const auto result = decoder.next();
    ASSERT_EQ(result.status, DecodeResult::Status::need_more) << "at " << i;
  }
  decoder.feed(ByteSpan(wire).last(1));
  const auto result = decoder.next();
  ASSERT_EQ(result.status, DecodeResult::Status::packet);
  EXPECT_EQ(*result.packet, Packet{big});
}

TEST(DecoderTest, MaximumPacketSizeCountsTheFixedHeader) {
  DecoderOptions options = options_for(Role::client);
  options.max_packet_size = 4;
  EXPECT_EQ(decode(encode(Puback{1}), options).status, DecodeResult::Status::packet);
  options.max_packet_size = 3;
  const auto result = decode(bytes({0x40, 0x02}), options);
  ASSERT_EQ(result.status, DecodeResult::Status::error);
  EXPECT_EQ(result.error, Errc::packet_too_large);
}

TEST(DecoderTest, AnUnknownVersionIsRefused) {
  DecoderOptions options;
  options.version = static_cast<ProtocolVersion>(3);
  const auto result = decode(encode(Pingresp{}), options);
  ASSERT_EQ(result.status, DecodeResult::Status::error);
  EXPECT_EQ(result.error, Errc::unsupported_protocol_level);
}

// -- strict decoding: every error pinned ---------------------------------------------------------

struct ErrorCase {
  const char* name;
  Role role;
  Bytes input;  ///< minimal: every strict prefix of it still needs more
  Errc expected;
  std::size_t max_packet_size = 1024 * 1024;
};

Bytes connect_body(std::string_view name, int level, int flags, const Bytes& payload) {
  return cat({str16(name), bytes({level, flags, 0x00, 0x3C}), payload});
}

Bytes connect_packet(int flags, const Bytes& payload) {
  return packet(0x10, connect_body("MQTT", 4, flags, payload));
}

std::vector<ErrorCase> error_cases() {
  const Role client = Role::client;
  const Role server = Role::server;
  const Bytes cid = str16("c");
  return {
      // reserved types
      {"type 0 to a server", server, bytes({0x00}), Errc::reserved_packet_type},
      {"type 0 to a client", client, bytes({0x00}), Errc::reserved_packet_type},
      {"type 15 to a client", client, bytes({0xF0}), Errc::reserved_packet_type},
      {"type 15 to a server", server, bytes({0xF0}), Errc::reserved_packet_type},
      // what a role never receives
      {"CONNECT to a client", client, bytes({0x10}), Errc::unexpected_packet_type},
      {"SUBSCRIBE to a client", client, bytes({0x82}), Errc::unexpected_packet_type},
      {"UNSUBSCRIBE to a client", client, bytes({0xA2}), Errc::unexpected_packet_type},
      {"PINGREQ to a client", client, bytes({0xC0}), Errc::unexpected_packet_type},
      {"DISCONNECT to a client", client, bytes({0xE0}), Errc::unexpected_packet_type},
      {"CONNACK to a server", server, bytes({0x20}), Errc::unexpected_packet_type},
      {"SUBACK to a server", server, bytes({0x90}), Errc::unexpected_packet_type},
      {"UNSUBACK to a server", server, bytes({0xB0}), Errc::unexpected_packet_type},
      {"PINGRESP to a server", server, bytes({0xD0}), Errc::unexpected_packet_type},
      // fixed-header flags
      {"CONNECT flags 1", server, bytes({0x11}), Errc::bad_fixed_header_flags},
      {"CONNACK flags 8", client, bytes({0x28}), Errc::bad_fixed_header_flags},
      {"PUBACK flags 1", client, bytes({0x41}), Errc::bad_fixed_header_flags},
      {"PUBACK flags 2", server, bytes({0x42}), Errc::bad_fixed_header_flags},
      {"PUBREC flags 2", client, bytes({0x52}), Errc::bad_fixed_header_flags},
      {"PUBREL flags 0", client, bytes({0x60}), Errc::bad_fixed_header_flags},
      {"PUBREL flags 3", server, bytes({0x63}), Errc::bad_fixed_header_flags},
      {"PUBREL flags 10", server, bytes({0x6A}), Errc::bad_fixed_header_flags},
      {"PUBCOMP flags 4", client, bytes({0x74}), Errc::bad_fixed_header_flags},
      {"SUBSCRIBE flags 0", server, bytes({0x80}), Errc::bad_fixed_header_flags},
      {"SUBSCRIBE flags 3", server, bytes({0x83}), Errc::bad_fixed_header_flags},
      {"SUBACK flags 2", client, bytes({0x92}), Errc::bad_fixed_header_flags},
      {"UNSUBSCRIBE flags 0", server, bytes({0xA0}), Errc::bad_fixed_header_flags},
      {"UNSUBSCRIBE flags 6", server, bytes({0xA6}), Errc::bad_fixed_header_flags},
      {"UNSUBACK flags 1", client, bytes({0xB1}), Errc::bad_fixed_header_flags},
      {"PINGREQ flags 2", server, bytes({0xC2}), Errc::bad_fixed_header_flags},
      {"PINGRESP flags 15", client, bytes({0xDF}), Errc::bad_fixed_header_flags},
      {"DISCONNECT flags 8", server, bytes({0xE8}), Errc::bad_fixed_header_flags},
      {"PUBLISH QoS 3", client, bytes({0x36}), Errc::invalid_qos},
      {"PUBLISH QoS 3 DUP retain", server, bytes({0x3F}), Errc::invalid_qos},
      {"PUBLISH DUP on QoS 0", client, bytes({0x38}), Errc::dup_on_qos0},
      {"PUBLISH DUP on QoS 0 retain", server, bytes({0x39}), Errc::dup_on_qos0},
      // remaining length and size
      {"five length bytes", client, bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF}),
       Errc::malformed_remaining_length},
      {"five length bytes, small value", server, bytes({0xC0, 0x80, 0x80, 0x80, 0x80}),
       Errc::malformed_remaining_length},
      {"over the maximum size", client, bytes({0x30, 15}), Errc::packet_too_large, 16},
      {"over the default maximum size", client, bytes({0x30, 0xFF, 0xFF, 0x7F}),
       Errc::packet_too_large},
      {"largest length over the default maximum", server, bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F}),
       Errc::packet_too_large},
      // packet id 0
      {"PUBLISH QoS 1 id 0", client, packet(0x32, cat({str16("a"), bytes({0, 0})})),
       Errc::zero_packet_id},
      {"PUBLISH QoS 2 id 0", server, packet(0x34, cat({str16("a"), bytes({0, 0, 'x'})})),
       Errc::zero_packet_id},
      {"PUBACK id 0", client, bytes({0x40, 2, 0, 0}), Errc::zero_packet_id},
      {"PUBREC id 0", server, bytes({0x50, 2, 0, 0}), Errc::zero_packet_id},
      {"PUBREL id 0", client, bytes({0x62, 2, 0, 0}), Errc::zero_packet_id},
      {"PUBCOMP id 0", server, bytes({0x70, 2, 0, 0}), Errc::zero_packet_id},
      {"SUBSCRIBE id 0", server, packet(0x82, cat({bytes({0, 0}), str16("a"), bytes({0})})),
       Errc::zero_packet_id},
      {"SUBACK id 0", client, bytes({0x90, 3, 0, 0, 0}), Errc::zero_packet_id},
      {"UNSUBSCRIBE id 0", server, packet(0xA2, cat({bytes({0, 0}), str16("a")})),
       Errc::zero_packet_id},
      {"UNSUBACK id 0", client, bytes({0xB0, 2, 0, 0}), Errc::zero_packet_id},
      // UTF-8
      {"topic with overlong NUL", client, packet(0x30, str16("\xC0\x80")), Errc::malformed_utf8},
      {"topic with U+0000", client, packet(0x30, str16(std::string_view("a\0b", 3))),
       Errc::null_character},
      {"topic with a surrogate", server, packet(0x30, str16("\xED\xA0\x80")),
       Errc::malformed_utf8},
      {"topic above U+10FFFF", client, packet(0x30, str16("\xF4\x90\x80\x80")),
       Errc::malformed_utf8},
      {"topic with overlong 3 bytes", client, packet(0x30, str16("\xE0\x80\xAF")),
       Errc::malformed_utf8},
      {"topic with a truncated sequence", client, packet(0x30, str16("a\xE2\x82")),
       Errc::malformed_utf8},
      {"client id malformed", server, connect_packet(0x02, str16("\xFF")), Errc::malformed_utf8},
      {"client id with U+0000", server, connect_packet(0x02, str16(std::string_view("\0", 1))),
       Errc::null_character},
      {"will topic malformed", server,
       connect_packet(0x06, cat({cid, str16("\xC1\xBF"), str16("m")})), Errc::malformed_utf8},
      {"user name malformed", server, connect_packet(0x82, cat({cid, str16("\xED\xBF\xBF")})),
       Errc::malformed_utf8},
      {"subscribe filter malformed", server,
       packet(0x82, cat({bytes({0, 1}), str16("\x80"), bytes({0})})), Errc::malformed_utf8},
      {"unsubscribe filter with U+0000", server,
       packet(0xA2, cat({bytes({0, 1}), str16(std::string_view("a\0", 2))})),
       Errc::null_character},
      // topics
      {"PUBLISH topic with +", client, packet(0x30, str16("a/+")), Errc::wildcard_in_topic},
      {"PUBLISH topic #", server, packet(0x30, str16("#")), Errc::wildcard_in_topic},
      {"PUBLISH topic with # inside", client, packet(0x30, str16("a#b")), Errc::wildcard_in_topic},
      {"will topic with wildcard", server,
       connect_packet(0x06, cat({cid, str16("a/#"), str16("m")})), Errc::wildcard_in_topic},
      {"PUBLISH empty topic", client, packet(0x30, str16("")), Errc::empty_topic},
      {"PUBLISH QoS 1 empty topic", client, packet(0x32, cat({str16(""), bytes({0, 1})})),
       Errc::empty_topic},
      {"will empty topic", server, connect_packet(0x06, cat({cid, str16(""), str16("m")})),
       Errc::empty_topic},
      {"SUBSCRIBE empty filter", server,
       packet(0x82, cat({bytes({0, 1}), str16(""), bytes({0})})), Errc::empty_topic},
      {"UNSUBSCRIBE empty filter", server, packet(0xA2, cat({bytes({0, 1}), str16("")})),
       Errc::empty_topic},
      {"SUBSCRIBE # not last", server,
       packet(0x82, cat({bytes({0, 1}), str16("a/#/b"), bytes({0})})), Errc::bad_topic_filter},
      {"SUBSCRIBE + not alone", server,
       packet(0x82, cat({bytes({0, 1}), str16("a/b+"), bytes({1})})), Errc::bad_topic_filter},
      {"UNSUBSCRIBE # not alone", server, packet(0xA2, cat({bytes({0, 1}), str16("#a")})),
       Errc::bad_topic_filter},
      // trailing bytes
      {"PUBACK remaining length 3", client, bytes({0x40, 3, 0, 1, 0}), Errc::trailing_bytes},
      {"PUBREL remaining length 4", server, bytes({0x62, 4, 0, 1, 0, 0}), Errc::trailing_bytes},
      {"UNSUBACK remaining length 3", client, bytes({0xB0, 3, 0, 1, 0}), Errc::trailing_bytes},
      {"CONNACK remaining length 3", client, bytes({0x20, 3, 0, 0, 0}), Errc::trailing_bytes},
      {"PINGRESP remaining length 1", client, bytes({0xD0, 1, 0}), Errc::trailing_bytes},
      {"PINGREQ remaining length 1", server, bytes({0xC0, 1, 0}), Errc::trailing_bytes},
      {"DISCONNECT remaining length 2", server, bytes({0xE0, 2, 0, 0}), Errc::trailing_bytes},
      {"CONNECT with a byte after the payload", server, connect_packet(0x02, cat({cid, bytes({0})})),
       Errc::trailing_bytes},
      {"CONNECT with a password it did not flag", server,
       connect_packet(0x82, cat({cid, str16("u"), str16("p")})), Errc::trailing_bytes},
      // truncated content
      {"PUBACK remaining length 1", client, bytes({0x40, 1, 0}), Errc::truncated_packet},
      {"PUBACK remaining length 0", client, bytes({0x40, 0}), Errc::truncated_packet},
      {"CONNACK remaining length 1", client, bytes({0x20, 1, 0}), Errc::truncated_packet},
      {"CONNACK remaining length 0", client, bytes({0x20, 0}), Errc::truncated_packet},
      {"PUBLISH remaining length 0", client, bytes({0x30, 0}), Errc::truncated_packet},
      {"PUBLISH half a topic length", client, bytes({0x30, 1, 0}), Errc::truncated_packet},
      {"PUBLISH topic longer than the packet", client, bytes({0x30, 3, 0, 5, 'a'}),
       Errc::truncated_packet},
      {"PUBLISH QoS 1 without id", client, packet(0x32, str16("a")), Errc::truncated_packet},
      {"PUBLISH QoS 1 with half an id", server, packet(0x32, cat({str16("a"), bytes({0})})),
       Errc::truncated_packet},
      {"SUBSCRIBE without options byte", server, packet(0x82, cat({bytes({0, 1}), str16("a")})),
       Errc::truncated_packet},
      {"SUBSCRIBE with half a filter length", server, packet(0x82, bytes({0, 1, 0})),
       Errc::truncated_packet},
      {"SUBSCRIBE remaining length 1", server, bytes({0x82, 1, 0}), Errc::truncated_packet},
      {"UNSUBSCRIBE filter cut short", server, packet(0xA2, bytes({0, 1, 0, 3, 'a'})),
       Errc::truncated_packet},
      {"SUBACK remaining length 1", client, bytes({0x90, 1, 0}), Errc::truncated_packet},
      {"CONNECT empty", server, bytes({0x10, 0}), Errc::truncated_packet},
      {"CONNECT cut in the protocol name", server, packet(0x10, bytes({0, 4, 'M', 'Q'})),
       Errc::truncated_packet},
      {"CONNECT without keep alive", server,
       packet(0x10, cat({str16("MQTT"), bytes({4, 0x02, 0})})), Errc::truncated_packet},
      {"CONNECT without client id", server, connect_packet(0x02, {}), Errc::truncated_packet},
      {"CONNECT without will message", server, connect_packet(0x06, cat({cid, str16("w")})),
       Errc::truncated_packet},
      {"CONNECT without user name", server, connect_packet(0x82, cid), Errc::truncated_packet},
      {"CONNECT without password", server, connect_packet(0xC2, cat({cid, str16("u")})),
       Errc::truncated_packet},
      // CONNECT header
      {"CONNECT protocol MQIsdp", server, packet(0x10, connect_body("MQIsdp", 3, 0x02, cid)),
       Errc::bad_protocol_name},
      {"CONNECT protocol mqtt", server, packet(0x10, connect_body("mqtt", 4, 0x02, cid)),
       Errc::bad_protocol_name},
      {"CONNECT protocol empty", server, packet(0x10, connect_body("", 4, 0x02, cid)),
       Errc::bad_protocol_name},
      {"CONNECT level 3", server, packet(0x10, connect_body("MQTT", 3, 0x02, cid)),
       Errc::unsupported_protocol_level},
      {"CONNECT level 5", server, packet(0x10, connect_body("MQTT", 5, 0x02, cid)),
       Errc::unsupported_protocol_level},
      {"CONNECT reserved flag", server, connect_packet(0x03, cid), Errc::bad_connect_flags},
      {"CONNECT will QoS without will", server, connect_packet(0x0A, cid),
       Errc::bad_connect_flags},
      {"CONNECT will QoS 2 without will", server, connect_packet(0x12, cid),
       Errc::bad_connect_flags},
      {"CONNECT will retain without will", server, connect_packet(0x22, cid),
       Errc::bad_connect_flags},
      {"CONNECT will QoS 3", server, connect_packet(0x1E, cat({cid, str16("w"), str16("m")})),
       Errc::invalid_qos},
      {"CONNECT password without user name", server,
       connect_packet(0x42, cat({cid, str16("p")})), Errc::bad_connect_flags},
      // CONNACK
      {"CONNACK reserved bit 1", client, bytes({0x20, 2, 0x02, 0}), Errc::bad_connack_flags},
      {"CONNACK reserved bit 7", client, bytes({0x20, 2, 0x80, 0}), Errc::bad_connack_flags},
      {"CONNACK session present on a refusal", client, bytes({0x20, 2, 0x01, 0x05}),
       Errc::bad_connack_flags},
      // SUBSCRIBE options and SUBACK codes
      {"SUBSCRIBE options bit 2", server,
       packet(0x82, cat({bytes({0, 1}), str16("a"), bytes({0x04})})),
       Errc::bad_subscription_options},
      {"SUBSCRIBE options bits 6-7", server,
       packet(0x82, cat({bytes({0, 1}), str16("a"), bytes({0xC1})})),
       Errc::bad_subscription_options},
      {"SUBSCRIBE second options byte bad", server,
       packet(0x82, cat({bytes({0, 1}), str16("a"), bytes({0x01}), str16("b"), bytes({0x10})})),
       Errc::bad_subscription_options},
      {"SUBSCRIBE QoS 3", server, packet(0x82, cat({bytes({0, 1}), str16("a"), bytes({0x03})})),
       Errc::invalid_qos},
      {"SUBACK code 3", client, bytes({0x90, 3, 0, 1, 3}), Errc::bad_suback_return_code},
      {"SUBACK code 0x81", client, bytes({0x90, 4, 0, 1, 0, 0x81}),
       Errc::bad_suback_return_code},
      {"SUBACK code 0xFF", client, bytes({0x90, 3, 0, 1, 0xFF}), Errc::bad_suback_return_code},
      // empty lists
      {"SUBSCRIBE without filters", server, bytes({0x82, 2, 0, 1}),
       Errc::empty_subscription_list},
      {"UNSUBSCRIBE without filters", server, bytes({0xA2, 2, 0, 1}),
       Errc::empty_subscription_list},
      {"SUBACK without codes", client, bytes({0x90, 2, 0, 1}), Errc::empty_subscription_list},
  };
}

TEST(StrictDecodeTest, EveryErrorIsReportedPreciselyAndAsSoonAsVisible) {
  for (const auto& c : error_cases()) {
    SCOPED_TRACE(c.name);
    DecoderOptions options = options_for(c.role);
    options.max_packet_size = c.max_packet_size;

    const auto result = decode(c.input, options);
    ASSERT_EQ(result.status, DecodeResult::Status::error);
    EXPECT_EQ(result.error, c.expected) << result.error.message();
    EXPECT_FALSE(result.packet);
    EXPECT_EQ(result.consumed, 0U);

    for (std::size_t length = 0; length < c.input.size(); ++length) {
      EXPECT_EQ(decode(ByteSpan(c.input).first(length), options).status,
                DecodeResult::Status::need_more)
          << "prefix " << length;
    }

    // The same through a Decoder, byte by byte, after a valid packet.
    Decoder decoder(options);
    decoder.feed(c.role == Role::client ? encode(Puback{1}) : encode(Pubrel{1}));
    ASSERT_EQ(decoder.next().status, DecodeResult::Status::packet);
    for (std::size_t i = 0; i + 1 < c.input.size(); ++i) {
      decoder.feed(ByteSpan(c.input).subspan(i, 1));
      ASSERT_EQ(decoder.next().status, DecodeResult::Status::need_more) << "byte " << i;
    }
    decoder.feed(ByteSpan(c.input).last(1));
    const auto from_decoder = decoder.next();
    ASSERT_EQ(from_decoder.status, DecodeResult::Status::error);
    EXPECT_EQ(from_decoder.error, c.expected);
  }
}

TEST(StrictDecodeTest, ErrorCodesCarryReadableMessages) {
  EXPECT_EQ(std::error_code(Errc::trailing_bytes).message(),
            "trailing bytes after the packet's contents");
  EXPECT_EQ(std::error_code(Errc::bad_topic_filter).message(),
            "misplaced wildcard in a topic filter");
  EXPECT_STREQ(std::error_code(Errc::zero_packet_id).category().name(), "pimqttd");
}

// -- UTF-8 ---------------------------------------------------------------------------------------

TEST(Utf8Test, AcceptsWellFormedText) {
  const std::vector<std::string_view> valid = {
      "",
      "plain ASCII / with # and +",
      "\x01\x1F\x7F",                       // controls are discouraged, not malformed
      "\xC2\x80",                           // U+0080
      "\xDF\xBF",                           // U+07FF
      "\xE0\xA0\x80",                       // U+0800
      "\xED\x9F\xBF",                       // U+D7FF, just below the surrogates
      "\xEE\x80\x80",                       // U+E000, just above them
      "\xEF\xBB\xBF",                       // U+FEFF, kept as is [MQTT-1.5.3-3]
      "\xEF\xBF\xBF",                       // U+FFFF
      "\xF0\x90\x80\x80",                   // U+10000
      "\xF4\x8F\xBF\xBF",                   // U+10FFFF
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8C\xA1",  // mixed widths
  };
  for (const auto text : valid) {
    EXPECT_FALSE(validate_utf8(text)) << testing::PrintToString(std::string(text));
  }
}

TEST(Utf8Test, RejectsIllFormedText) {
  struct Case {
    std::string_view text;
    Errc expected;
  };
  using std::string_view_literals::operator""sv;
  const std::vector<Case> cases = {
      {"\0"sv, Errc::null_character},
      {"abc\0"sv, Errc::null_character},
      {"\x80", Errc::malformed_utf8},              // lone continuation byte
      {"a\xBF", Errc::malformed_utf8},
      {"\xC0\x80", Errc::malformed_utf8},          // overlong U+0000
      {"\xC1\xBF", Errc::malformed_utf8},          // overlong U+007F
      {"\xE0\x80\x80", Errc::malformed_utf8},      // overlong 3 bytes
      {"\xE0\x9F\xBF", Errc::malformed_utf8},      // overlong U+07FF
      {"\xF0\x80\x80\x80", Errc::malformed_utf8},  // overlong 4 bytes
      {"\xF0\x8F\xBF\xBF", Errc::malformed_utf8},  // overlong U+FFFF
      {"\xED\xA0\x80", Errc::malformed_utf8},      // U+D800
      {"\xED\xBF\xBF", Errc::malformed_utf8},      // U+DFFF
      {"\xED\xA0\xBD\xED\xB8\x80", Errc::malformed_utf8},  // a CESU-8 surrogate pair
      {"\xF4\x90\x80\x80", Errc::malformed_utf8},  // U+110000
      {"\xF7\xBF\xBF\xBF", Errc::malformed_utf8},  // U+1FFFFF
      {"\xF8\x88\x80\x80\x80", Errc::malformed_utf8},  // 5-byte form
      {"\xFC\x84\x80\x80\x80\x80", Errc::malformed_utf8},
      {"\xFE", Errc::malformed_utf8},
      {"\xFF", Errc::malformed_utf8},
      {"\xC3", Errc::malformed_utf8},              // truncated at the end
      {"\xE2\x82", Errc::malformed_utf8},
      {"\xF0\x9F\x98", Errc::malformed_utf8},
      {"\xC3(", Errc::malformed_utf8},             // continuation replaced by ASCII
      {"\xE2\x28\xA1", Errc::malformed_utf8},
      {"ok\xC3\xA9\xE2\x82", Errc::malformed_utf8},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(validate_utf8(c.text), c.expected) << testing::PrintToString(std::string(c.text));
  }
}

// -- topics --------------------------------------------------------------------------------------

TEST(TopicTest, ValidatesTopicNames) {
  EXPECT_FALSE(validate_topic_name("a"));
  EXPECT_FALSE(validate_topic_name("/"));
  EXPECT_FALSE(validate_topic_name("sport/tennis/player1"));
  EXPECT_FALSE(validate_topic_name("$SYS/broker"));
  EXPECT_FALSE(validate_topic_name(" "));
  EXPECT_FALSE(validate_topic_name(std::string(65'535, 'a')));
  EXPECT_EQ(validate_topic_name(""), Errc::empty_topic);
  EXPECT_EQ(validate_topic_name(std::string(65'536, 'a')), Errc::string_too_long);
  EXPECT_EQ(validate_topic_name("a/+/b"), Errc::wildcard_in_topic);
  EXPECT_EQ(validate_topic_name("a/#"), Errc::wildcard_in_topic);
  EXPECT_EQ(validate_topic_name("a+b"), Errc::wildcard_in_topic);
  EXPECT_EQ(validate_topic_name("\xC0\xAF"), Errc::malformed_utf8);
  EXPECT_EQ(validate_topic_name(std::string_view("a\0", 2)), Errc::null_character);
}

TEST(TopicTest, ValidatesTopicFilters) {
  for (const auto filter : {"#", "+", "/", "+/+", "/+", "+/", "a/#", "a/+/b", "+/tennis/#",
                            "sport/tennis/player1", "$SYS/#", "//", "a//#", "+/+/+"}) {
    EXPECT_FALSE(validate_topic_filter(filter)) << filter;
  }
  for (const auto filter : {"a#", "#a", "a/#/b", "#/", "##", "a/b#", "a+", "+a", "a/++/b",
                            "sport+", "a/+b/c", "#/#", "+#"}) {
    EXPECT_EQ(validate_topic_filter(filter), Errc::bad_topic_filter) << filter;
  }
  EXPECT_EQ(validate_topic_filter(""), Errc::empty_topic);
  EXPECT_EQ(validate_topic_filter(std::string(65'536, '+')), Errc::string_too_long);
  EXPECT_EQ(validate_topic_filter("a/\xED\xA0\x80"), Errc::malformed_utf8);
  EXPECT_EQ(validate_topic_filter(std::string_view("#\0", 2)), Errc::null_character);
}

TEST(TopicTest, MatchesTheSpecificationExamples) {
  struct Case {
    std::string_view filter;
    std::string_view topic;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"sport/tennis/player1/#", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
      {"sport/tennis/player1/#", "sport/tennis/player2", false},
      {"sport/#", "sport", true},
      {"sport/#", "sports", false},
      {"#", "sport/tennis", true},
      {"#", "/", true},
      {"sport/tennis/+", "sport/tennis/player1", true},
      {"sport/tennis/+", "sport/tennis/player2", true},
      {"sport/tennis/+", "sport/tennis/player1/ranking", false},
      {"sport/tennis/+", "sport/tennis", false},
      {"sport/+", "sport", false},
      {"sport/+", "sport/", true},
      {"+/+", "/finance", true},
      {"/+", "/finance", true},
      {"+", "/finance", false},
      {"+", "finance", true},
      {"a/+/c", "a//c", true},
      {"+/+/+", "//", true},
      {"+/tennis/#", "sport/tennis/player1/ranking", true},
      {"+/tennis/#", "sport/golf", false},
      {"a/b", "a/b", true},
      {"a/b", "a/bc", false},
      {"a/b", "a", false},
      {"a", "a/b", false},
      {"a/b", "a/b/", false},
      {"ACCOUNTS", "Accounts", false},
      {"#", "$SYS/broker", false},
      {"+/monitor/Clients", "$SYS/monitor/Clients", false},
      {"$SYS/#", "$SYS/monitor/Clients", true},
      {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
      {"$SYS", "$SYS", true},
      {"a/$SYS/#", "a/$SYS/x", true},
      {"+/$x", "a/$x", true},
      {"#", "a/$SYS", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(topic_matches(c.filter, c.topic), c.matches)
        << "filter " << c.filter << " topic " << c.topic;
  }
}

// -- MQTT 5.0 ------------------------------------------------------------------------------------

constexpr auto v5 = ProtocolVersion::v5;

DecoderOptions v5_options(Role role) {
  DecoderOptions options;
  options.role = role;
  options.version = v5;
  return options;
}

/// A property length (under 128) followed by the properties.
Bytes props(const Bytes& body) {
  EXPECT_LT(body.size(), 128U);
  return cat({bytes({static_cast<int>(body.size())}), body});
}

Properties with(void (*set)(Properties&)) {
  Properties p;
  set(p);
  return p;
}

struct V5Vector {
  const char* name;
  Role receiver;
  Packet packet;
  Bytes wire;
};

std::vector<V5Vector> v5_vectors() {
  const Role client = Role::client;
  const Role server = Role::server;
  std::vector<V5Vector> out;
  out.push_back({"CONNECT minimal", server, Connect{v5, "c", true, 60, {}, {}, {}},
                 bytes({0x10, 14, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C, 0x00,
                        0x00, 0x01, 'c'})});
  {
    Connect c{v5, "c", false, 30, Will{"s", "off", QoS::at_least_once, true}, {}, {}};
    c.password = "p";  // 5.0 allows a password without a user name
    c.properties.session_expiry_interval = 3600;
    c.properties.receive_maximum = 20;
    c.will->properties.will_delay_interval = 30;
    out.push_back({"CONNECT with will properties and a password only", server, c,
                   // flags: password 0x40 | will retain 0x20 | will QoS 1 0x08 | will 0x04
                   cat({bytes({0x10, 39, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x6C, 0x00, 30}),
                        props(bytes({0x11, 0x00, 0x00, 0x0E, 0x10, 0x21, 0x00, 20})), str16("c"),
                        props(bytes({0x18, 0x00, 0x00, 0x00, 30})), str16("s"), str16("off"),
                        str16("p")})});
  }
  out.push_back({"CONNACK with properties", client,
                 Connack{true, 0, with([](Properties& p) {
                           p.receive_maximum = 10;
                           p.maximum_qos = 1;
                           p.assigned_client_identifier = "auto";
                         })},
                 cat({bytes({0x20, 15, 0x01, 0x00}),
                      props(bytes({0x12, 0x00, 0x04, 'a', 'u', 't', 'o', 0x21, 0x00, 10, 0x24,
                                   1}))})});
  out.push_back({"CONNACK refused: not authorized", client, Connack{false, 0x87, {}},
                 bytes({0x20, 0x03, 0x00, 0x87, 0x00})});
  out.push_back({"PUBLISH QoS 1 with message expiry", client,
                 Publish{"a/b", "hi", QoS::at_least_once, false, false, 10,
                         with([](Properties& p) { p.message_expiry_interval = 300; })},
                 bytes({0x32, 15, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 0x05, 0x02, 0x00, 0x00,
                        0x01, 0x2C, 'h', 'i'})});
  out.push_back({"PUBLISH QoS 0 no properties", server,
                 Publish{"t", "x", QoS::at_most_once, true, false, 0, {}},
                 bytes({0x31, 0x05, 0x00, 0x01, 't', 0x00, 'x'})});
  out.push_back({"PUBLISH with a topic alias and no topic", client,
                 Publish{"", "x", QoS::at_most_once, false, false, 0,
                         with([](Properties& p) { p.topic_alias = 3; })},
                 bytes({0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x03, 'x'})});
  out.push_back({"PUBLISH with two subscription identifiers", client,
                 Publish{"t", "", QoS::at_most_once, false, false, 0,
                         with([](Properties& p) { p.subscription_identifiers = {1, 128}; })},
                 bytes({0x30, 0x09, 0x00, 0x01, 't', 0x05, 0x0B, 0x01, 0x0B, 0x80, 0x01})});
  out.push_back({"PUBACK short form", client, Puback{7, ReasonCode::success, {}},
                 bytes({0x40, 0x02, 0x00, 0x07})});
  out.push_back({"PUBACK reason only", client,
                 Puback{7, ReasonCode::no_matching_subscribers, {}},
                 bytes({0x40, 0x03, 0x00, 0x07, 0x10})});
  out.push_back({"PUBACK reason and reason string", client,
                 Puback{7, ReasonCode::not_authorized,
                        with([](Properties& p) { p.reason_string = "acl"; })},
                 bytes({0x40, 0x0A, 0x00, 0x07, 0x87, 0x06, 0x1F, 0x00, 0x03, 'a', 'c', 'l'})});
  out.push_back({"PUBACK success with a user property", client,
                 Puback{7, ReasonCode::success, with([](Properties& p) {
                          p.user_properties = {{"k", "v"}};
                        })},
                 bytes({0x40, 0x0B, 0x00, 0x07, 0x00, 0x07, 0x26, 0x00, 0x01, 'k', 0x00, 0x01,
                        'v'})});
  out.push_back({"PUBREC", client, Pubrec{1, ReasonCode::quota_exceeded, {}},
                 bytes({0x50, 0x03, 0x00, 0x01, 0x97})});
  out.push_back({"PUBREL", server, Pubrel{2, ReasonCode::packet_identifier_not_found, {}},
                 bytes({0x62, 0x03, 0x00, 0x02, 0x92})});
  out.push_back({"PUBCOMP", client, Pubcomp{3, ReasonCode::success, {}},
                 bytes({0x70, 0x02, 0x00, 0x03})});
  {
    Subscribe s{10, {{"a/b", QoS::at_least_once}, {"c", QoS::exactly_once}}, {}};
    s.subscriptions[0].no_local = true;
    s.subscriptions[1].retain_as_published = true;
    s.subscriptions[1].retain_handling = RetainHandling::do_not_send;
    s.properties.subscription_identifiers = {5};
    out.push_back({"SUBSCRIBE with options and an identifier", server, s,
                   bytes({0x82, 15, 0x00, 0x0A, 0x02, 0x0B, 0x05, 0x00, 0x03, 'a', '/', 'b',
                          0x05, 0x00, 0x01, 'c', 0x2A})});
  }
  out.push_back({"SUBSCRIBE retain handling 1", server,
                 Subscribe{1, {{"x", QoS::at_most_once, false, false, RetainHandling::send_if_new}},
                           {}},
                 bytes({0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'x', 0x10})});
  out.push_back({"SUBACK", client, Suback{10, {0x01, 0x87, 0xA2}, {}},
                 bytes({0x90, 0x06, 0x00, 0x0A, 0x00, 0x01, 0x87, 0xA2})});
  out.push_back({"UNSUBSCRIBE", server, Unsubscribe{10, {"a/b"}, {}},
                 bytes({0xA2, 0x08, 0x00, 0x0A, 0x00, 0x00, 0x03, 'a', '/', 'b'})});
  out.push_back({"UNSUBACK", client,
                 Unsuback{10, {ReasonCode::success, ReasonCode::no_subscription_existed}, {}},
                 bytes({0xB0, 0x05, 0x00, 0x0A, 0x00, 0x00, 0x11})});
  out.push_back({"PINGREQ", server, Pingreq{}, bytes({0xC0, 0x00})});
  out.push_back({"PINGRESP", client, Pingresp{}, bytes({0xD0, 0x00})});
  out.push_back({"DISCONNECT normal, short form", client, Disconnect{},
                 bytes({0xE0, 0x00})});
  out.push_back({"DISCONNECT server moved", client,
                 Disconnect{ReasonCode::server_moved,
                            with([](Properties& p) { p.server_reference = "b:1883"; })},
                 bytes({0xE0, 0x0B, 0x9D, 0x09, 0x1C, 0x00, 0x06, 'b', ':', '1', '8', '8',
                        '3'})});
  out.push_back({"DISCONNECT with will, from a client", server,
                 Disconnect{ReasonCode::disconnect_with_will_message,
                            with([](Properties& p) { p.session_expiry_interval = 0; })},
                 bytes({0xE0, 0x07, 0x04, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00})});
  out.push_back({"AUTH short form", client, Auth{}, bytes({0xF0, 0x00})});
  out.push_back({"AUTH continue", server,
                 Auth{ReasonCode::continue_authentication, with([](Properties& p) {
                        p.authentication_method = "M";
                        p.authentication_data = binary({0, 1});
                      })},
                 bytes({0xF0, 0x0B, 0x18, 0x09, 0x15, 0x00, 0x01, 'M', 0x16, 0x00, 0x02, 0x00,
                        0x01})});
  return out;
}

TEST(V5Test, EveryPacketTypeEncodesToAndDecodesFromKnownBytes) {
  std::set<PacketType> seen;
  for (const auto& v : v5_vectors()) {
    SCOPED_TRACE(v.name);
    seen.insert(packet_type(v.packet));
    Bytes wire;
    ASSERT_FALSE(encode(v.packet, wire, v5));
    EXPECT_EQ(wire, v.wire);
    const auto result = decode(v.wire, v5_options(v.receiver));
    ASSERT_EQ(result.status, DecodeResult::Status::packet) << result.error.message();
    EXPECT_EQ(result.consumed, v.wire.size());
    EXPECT_EQ(*result.packet, v.packet);
    for (std::size_t length = 0; length < v.wire.size(); ++length) {
      EXPECT_EQ(decode(ByteSpan(v.wire).first(length), v5_options(v.receiver)).status,
                DecodeResult::Status::need_more)
          << "prefix " << length;
    }
  }
  EXPECT_EQ(seen.size(), 15U);
}

TEST(V5Test, EverySplitOfAStreamDecodesTheSamePackets) {
  for (const Role role : {Role::client, Role::server}) {
    Bytes stream;
    std::vector<Packet> expected;
    for (const auto& v : v5_vectors()) {
      if (v.receiver != role) continue;
      stream.insert(stream.end(), v.wire.begin(), v.wire.end());
      expected.push_back(v.packet);
    }
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      Decoder decoder(v5_options(role));
      Drained out;
      decoder.feed(ByteSpan(stream).first(cut));
      drain(decoder, out);
      decoder.feed(ByteSpan(stream).subspan(cut));
      drain(decoder, out);
      EXPECT_FALSE(out.error) << out.error.message() << " at cut " << cut;
      EXPECT_EQ(out.packets, expected) << "cut " << cut;
    }
  }
}

TEST(V5Test, LongFormsOfAcknowledgementsDecodeToTheShortOnes) {
  const auto client = v5_options(Role::client);
  // Reason code 0 and an empty property list, written out: the same packet as two bytes.
  auto result = decode(bytes({0x40, 0x04, 0x00, 0x07, 0x00, 0x00}), client);
  ASSERT_EQ(result.status, DecodeResult::Status::packet) << result.error.message();
  EXPECT_EQ(*result.packet, Packet(Puback{7, ReasonCode::success, {}}));
  result = decode(bytes({0x70, 0x03, 0x00, 0x07, 0x00}), client);
  ASSERT_EQ(result.status, DecodeResult::Status::packet) << result.error.message();
  EXPECT_EQ(*result.packet, Packet(Pubcomp{7, ReasonCode::success, {}}));
  result = decode(bytes({0xE0, 0x01, 0x8B}), client);
  ASSERT_EQ(result.status, DecodeResult::Status::packet) << result.error.message();
  EXPECT_EQ(*result.packet, Packet(Disconnect{ReasonCode::server_shutting_down, {}}));
  result = decode(bytes({0xF0, 0x02, 0x19, 0x00}), client);
  ASSERT_EQ(result.status, DecodeResult::Status::packet) << result.error.message();
  EXPECT_EQ(*result.packet, Packet(Auth{ReasonCode::re_authenticate, {}}));
  // A property length in a non-minimal form (0x80 0x00 for 0) is accepted.
  result = decode(bytes({0x40, 0x05, 0x00, 0x07, 0x10, 0x80, 0x00}), client);
  ASSERT_EQ(result.status, DecodeResult::Status::packet) << result.error.message();
  EXPECT_EQ(*result.packet, Packet(Puback{7, ReasonCode::no_matching_subscribers, {}}));
}

// Every property in every packet (and the will): allowed ones round-trip byte for byte, the
// others are refused both ways. The table of where each may appear is written out from the
// specification's section 2.2.2.2, independently of the codec's own.

struct PropertySample {
  int id;
  Bytes wire;  ///< identifier and value (0x16 comes with the 0x15 it needs)
  void (*set)(Properties&);
};

std::vector<PropertySample> property_samples() {
  return {
      {0x01, bytes({0x01, 1}), [](Properties& p) { p.payload_format_indicator = 1; }},
      {0x02, bytes({0x02, 0, 0, 0, 60}), [](Properties& p) { p.message_expiry_interval = 60; }},
      {0x03, cat({bytes({0x03}), str16("text")}), [](Properties& p) { p.content_type = "text"; }},
      {0x08, cat({bytes({0x08}), str16("r/t")}), [](Properties& p) { p.response_topic = "r/t"; }},
      {0x09, bytes({0x09, 0, 2, 0, 0xFF}),
       [](Properties& p) { p.correlation_data = binary({0, 0xFF}); }},
      {0x0B, bytes({0x0B, 0x80, 0x01}),
       [](Properties& p) { p.subscription_identifiers = {128}; }},
      {0x11, bytes({0x11, 0, 0, 0x0E, 0x10}),
       [](Properties& p) { p.session_expiry_interval = 3600; }},
      {0x12, cat({bytes({0x12}), str16("id")}),
       [](Properties& p) { p.assigned_client_identifier = "id"; }},
      {0x13, bytes({0x13, 0, 30}), [](Properties& p) { p.server_keep_alive = 30; }},
      {0x15, cat({bytes({0x15}), str16("M")}),
       [](Properties& p) { p.authentication_method = "M"; }},
      {0x16, cat({bytes({0x15}), str16("M"), bytes({0x16, 0, 1, 0xAA})}),
       [](Properties& p) {
         p.authentication_method = "M";
         p.authentication_data = binary({0xAA});
       }},
      {0x17, bytes({0x17, 0}), [](Properties& p) { p.request_problem_information = 0; }},
      {0x18, bytes({0x18, 0, 0, 0, 30}), [](Properties& p) { p.will_delay_interval = 30; }},
      {0x19, bytes({0x19, 1}), [](Properties& p) { p.request_response_information = 1; }},
      {0x1A, cat({bytes({0x1A}), str16("ri")}),
       [](Properties& p) { p.response_information = "ri"; }},
      {0x1C, cat({bytes({0x1C}), str16("h")}), [](Properties& p) { p.server_reference = "h"; }},
      {0x1F, cat({bytes({0x1F}), str16("why")}), [](Properties& p) { p.reason_string = "why"; }},
      {0x21, bytes({0x21, 0, 20}), [](Properties& p) { p.receive_maximum = 20; }},
      {0x22, bytes({0x22, 0, 10}), [](Properties& p) { p.topic_alias_maximum = 10; }},
      {0x23, bytes({0x23, 0, 5}), [](Properties& p) { p.topic_alias = 5; }},
      {0x24, bytes({0x24, 0}), [](Properties& p) { p.maximum_qos = 0; }},
      {0x25, bytes({0x25, 1}), [](Properties& p) { p.retain_available = 1; }},
      {0x26, cat({bytes({0x26}), str16("k"), str16("v")}),
       [](Properties& p) { p.user_properties = {{"k", "v"}}; }},
      {0x27, bytes({0x27, 0, 1, 0, 0}), [](Properties& p) { p.maximum_packet_size = 65536; }},
      {0x28, bytes({0x28, 1}), [](Properties& p) { p.wildcard_subscription_available = 1; }},
      {0x29, bytes({0x29, 0}), [](Properties& p) { p.subscription_identifier_available = 0; }},
      {0x2A, bytes({0x2A, 1}), [](Properties& p) { p.shared_subscription_available = 1; }},
  };
}

struct Carrier {
  const char* name;
  std::set<int> allowed;
  Role receiver;
  int first;
  Bytes before;  ///< body bytes before the property length
  Bytes after;   ///< body bytes after the properties
  Packet (*make)(const Properties&);
};

std::vector<Carrier> carriers() {
  const Bytes header = bytes({0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C});
  const Bytes will_header = bytes({0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x06, 0x00, 0x3C});
  const Bytes id = bytes({0x00, 0x01});
  return {
      {"CONNECT", {0x11, 0x21, 0x27, 0x22, 0x19, 0x17, 0x26, 0x15, 0x16}, Role::server, 0x10,
       header, str16("c"),
       [](const Properties& p) { return Packet(Connect{v5, "c", true, 60, {}, {}, {}, p}); }},
      {"will", {0x18, 0x01, 0x02, 0x03, 0x08, 0x09, 0x26}, Role::server, 0x10,
       cat({will_header, bytes({0x00}), str16("c")}), cat({str16("w"), str16("m")}),
       [](const Properties& p) {
         return Packet(Connect{v5, "c", true, 60, Will{"w", "m", QoS::at_most_once, false, p},
                               {}, {}, {}});
       }},
      {"CONNACK",
       {0x11, 0x21, 0x24, 0x25, 0x27, 0x12, 0x22, 0x1F, 0x26, 0x28, 0x29, 0x2A, 0x13, 0x1A, 0x1C,
        0x15, 0x16},
       Role::client, 0x20, bytes({0x00, 0x00}), {},
       [](const Properties& p) { return Packet(Connack{false, 0, p}); }},
      {"PUBLISH", {0x01, 0x02, 0x23, 0x08, 0x09, 0x26, 0x0B, 0x03}, Role::client, 0x30,
       str16("t"), bytes({'x'}),
       [](const Properties& p) {
         return Packet(Publish{"t", "x", QoS::at_most_once, false, false, 0, p});
       }},
      {"PUBACK", {0x1F, 0x26}, Role::client, 0x40, cat({id, bytes({0x00})}), {},
       [](const Properties& p) { return Packet(Puback{1, ReasonCode::success, p}); }},
      {"PUBREC", {0x1F, 0x26}, Role::client, 0x50, cat({id, bytes({0x00})}), {},
       [](const Properties& p) { return Packet(Pubrec{1, ReasonCode::success, p}); }},
      {"PUBREL", {0x1F, 0x26}, Role::client, 0x62, cat({id, bytes({0x00})}), {},
       [](const Properties& p) { return Packet(Pubrel{1, ReasonCode::success, p}); }},
      {"PUBCOMP", {0x1F, 0x26}, Role::client, 0x70, cat({id, bytes({0x00})}), {},
       [](const Properties& p) { return Packet(Pubcomp{1, ReasonCode::success, p}); }},
      {"SUBSCRIBE", {0x0B, 0x26}, Role::server, 0x82, id, cat({str16("a"), bytes({0x00})}),
       [](const Properties& p) { return Packet(Subscribe{1, {{"a", QoS::at_most_once}}, p}); }},
      {"SUBACK", {0x1F, 0x26}, Role::client, 0x90, id, bytes({0x00}),
       [](const Properties& p) { return Packet(Suback{1, {0x00}, p}); }},
      {"UNSUBSCRIBE", {0x26}, Role::server, 0xA2, id, str16("a"),
       [](const Properties& p) { return Packet(Unsubscribe{1, {"a"}, p}); }},
      {"UNSUBACK", {0x1F, 0x26}, Role::client, 0xB0, id, bytes({0x00}),
       [](const Properties& p) { return Packet(Unsuback{1, {ReasonCode::success}, p}); }},
      {"DISCONNECT", {0x11, 0x1F, 0x26, 0x1C}, Role::server, 0xE0, bytes({0x00}), {},
       [](const Properties& p) { return Packet(Disconnect{ReasonCode::success, p}); }},
      {"AUTH", {0x15, 0x16, 0x1F, 0x26}, Role::client, 0xF0, bytes({0x00}), {},
       [](const Properties& p) { return Packet(Auth{ReasonCode::success, p}); }},
  };
}

TEST(V5Test, EveryPropertyIsAcceptedExactlyWhereTheSpecificationAllowsIt) {
  int accepted = 0;
  int refused = 0;
  for (const auto& carrier : carriers()) {
    for (const auto& sample : property_samples()) {
      SCOPED_TRACE(std::string(carrier.name) + " property " + std::to_string(sample.id));
      const Packet p = carrier.make(with(sample.set));
      const Bytes wire =
          packet(carrier.first, cat({carrier.before, props(sample.wire), carrier.after}));
      Bytes out;
      const auto encoded = encode(p, out, v5);
      const auto decoded = decode(wire, v5_options(carrier.receiver));
      if (carrier.allowed.count(sample.id) != 0) {
        ++accepted;
        EXPECT_FALSE(encoded) << encoded.message();
        EXPECT_EQ(out, wire);
        ASSERT_EQ(decoded.status, DecodeResult::Status::packet) << decoded.error.message();
        EXPECT_EQ(*decoded.packet, p);
      } else {
        ++refused;
        EXPECT_EQ(encoded, Errc::property_not_allowed);
        EXPECT_TRUE(out.empty());
        ASSERT_EQ(decoded.status, DecodeResult::Status::error);
        EXPECT_EQ(decoded.error, Errc::property_not_allowed);
      }
    }
  }
  EXPECT_EQ(accepted, 9 + 7 + 17 + 8 + 4 * 2 + 2 + 2 + 1 + 2 + 4 + 4);
  EXPECT_EQ(accepted + refused, 14 * 27);
}

struct V5ErrorCase {
  const char* name;
  Role role;
  Bytes input;
  Errc expected;
  ReasonCode disconnect;  ///< what disconnect_reason() must say
};

std::vector<V5ErrorCase> v5_error_cases() {
  const Role client = Role::client;
  const Role server = Role::server;
  const auto malformed = ReasonCode::malformed_packet;
  const auto protocol = ReasonCode::protocol_error;
  const Bytes id = bytes({0x00, 0x01});
  const auto puback = [&](const Bytes& properties) {
    return packet(0x40, cat({id, bytes({0x00}), properties}));
  };
  const auto connack = [](const Bytes& properties) {
    return packet(0x20, cat({bytes({0x00, 0x00}), properties}));
  };
  const auto subscribe = [&](std::string_view filter, int options) {
    return packet(0x82, cat({id, bytes({0x00}), str16(filter), bytes({options})}));
  };
  return {
      // variable byte integers and property lengths
      {"property length of 5 bytes", client, puback(bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x7F})),
       Errc::malformed_variable_byte_integer, malformed},
      {"subscription identifier of 5 bytes", client,
       packet(0x30, cat({str16("t"), bytes({0x06, 0x0B, 0x80, 0x80, 0x80, 0x80, 0x01})})),
       Errc::malformed_variable_byte_integer, malformed},
      {"property length past the packet", client, puback(bytes({0x05, 0x1F})),
       Errc::malformed_property, malformed},
      {"value past the property length", client, puback(bytes({0x02, 0x1F, 0x00})),
       Errc::malformed_property, malformed},
      {"four-byte value cut short", client, connack(bytes({0x03, 0x11, 0x00, 0x00})),
       Errc::malformed_property, malformed},
      {"CONNACK without a property length", client, packet(0x20, bytes({0x00, 0x00})),
       Errc::truncated_packet, malformed},
      // identifiers
      {"unknown property 0x04", client, puback(props(bytes({0x04, 0x00}))),
       Errc::unknown_property, malformed},
      {"unknown property 0x7F", client, puback(props(bytes({0x7F, 0x00}))),
       Errc::unknown_property, malformed},
      {"topic alias in PUBACK", client, puback(props(bytes({0x23, 0x00, 0x01}))),
       Errc::property_not_allowed, malformed},
      {"will delay in CONNECT's own properties", server,
       packet(0x10, cat({bytes({0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C}),
                         props(bytes({0x18, 0, 0, 0, 1})), str16("c")})),
       Errc::property_not_allowed, malformed},
      {"subscription identifier in a client's PUBLISH", server,
       packet(0x30, cat({str16("t"), props(bytes({0x0B, 0x01}))})), Errc::property_not_allowed,
       malformed},
      {"session expiry in a server's DISCONNECT", client,
       packet(0xE0, cat({bytes({0x00}), props(bytes({0x11, 0, 0, 0, 0}))})),
       Errc::property_not_allowed, malformed},
      // repetition
      {"two reason strings", client,
       puback(props(cat({bytes({0x1F}), str16("a"), bytes({0x1F}), str16("b")}))),
       Errc::duplicate_property, protocol},
      {"two receive maximums", client, connack(props(bytes({0x21, 0, 1, 0x21, 0, 1}))),
       Errc::duplicate_property, protocol},
      {"two subscription identifiers in SUBSCRIBE", server,
       packet(0x82, cat({id, props(bytes({0x0B, 0x01, 0x0B, 0x02})), str16("a"), bytes({0})})),
       Errc::duplicate_property, protocol},
      // values
      {"receive maximum 0", client, connack(props(bytes({0x21, 0, 0}))),
       Errc::bad_property_value, protocol},
      {"maximum packet size 0", client, connack(props(bytes({0x27, 0, 0, 0, 0}))),
       Errc::bad_property_value, protocol},
      {"maximum QoS 2", client, connack(props(bytes({0x24, 2}))), Errc::bad_property_value,
       protocol},
      {"retain available 2", client, connack(props(bytes({0x25, 2}))),
       Errc::bad_property_value, protocol},
      {"topic alias 0", client, packet(0x30, cat({str16("t"), props(bytes({0x23, 0, 0}))})),
       Errc::bad_property_value, protocol},
      {"subscription identifier 0", client,
       packet(0x30, cat({str16("t"), props(bytes({0x0B, 0x00}))})), Errc::bad_property_value,
       protocol},
      {"payload format indicator 2", client,
       packet(0x30, cat({str16("t"), props(bytes({0x01, 2}))})), Errc::bad_property_value,
       protocol},
      {"authentication data without a method", client,
       packet(0xF0, cat({bytes({0x18}), props(bytes({0x16, 0, 0}))})), Errc::bad_property_value,
       protocol},
      // strings in properties
      {"ill-formed UTF-8 in a reason string", client,
       puback(props(cat({bytes({0x1F}), bytes({0x00, 0x01, 0xC0})}))), Errc::malformed_utf8,
       malformed},
      {"U+0000 in a user property", client,
       puback(props(cat({bytes({0x26}), str16("k"), bytes({0x00, 0x01, 0x00})}))),
       Errc::null_character, malformed},
      // reason codes
      {"PUBACK 0x92", client, packet(0x40, cat({id, bytes({0x92})})), Errc::bad_reason_code,
       protocol},
      {"PUBREC 0x01", client, packet(0x50, cat({id, bytes({0x01})})), Errc::bad_reason_code,
       protocol},
      {"PUBREL 0x10", server, packet(0x62, cat({id, bytes({0x10})})), Errc::bad_reason_code,
       protocol},
      {"PUBCOMP 0x80", client, packet(0x70, cat({id, bytes({0x80})})), Errc::bad_reason_code,
       protocol},
      {"CONNACK 0x04", client, packet(0x20, bytes({0x00, 0x04, 0x00})), Errc::bad_reason_code,
       protocol},
      {"SUBACK 0x03", client, packet(0x90, cat({id, bytes({0x00, 0x03})})),
       Errc::bad_reason_code, protocol},
      {"UNSUBACK 0x02", client, packet(0xB0, cat({id, bytes({0x00, 0x02})})),
       Errc::bad_reason_code, protocol},
      {"DISCONNECT 0x01", client, packet(0xE0, bytes({0x01})), Errc::bad_reason_code, protocol},
      {"AUTH 0x87", client, packet(0xF0, bytes({0x87})), Errc::bad_reason_code, protocol},
      {"CONNACK session present with a refusal", client, packet(0x20, bytes({0x01, 0x80, 0x00})),
       Errc::bad_connack_flags, malformed},
      // subscription options
      {"options bit 6", server, subscribe("a", 0x40), Errc::bad_subscription_options, malformed},
      {"options bit 7", server, subscribe("a", 0x80), Errc::bad_subscription_options, malformed},
      {"retain handling 3", server, subscribe("a", 0x30), Errc::invalid_subscription_option,
       protocol},
      {"no-local on a shared subscription", server, subscribe("$share/g/a", 0x04),
       Errc::invalid_subscription_option, protocol},
      {"maximum QoS 3", server, subscribe("a", 0x03), Errc::invalid_subscription_option,
       protocol},
      // lists and topics
      {"SUBACK without reason codes", client, packet(0x90, cat({id, bytes({0x00})})),
       Errc::empty_subscription_list, protocol},
      {"UNSUBACK without reason codes", client, packet(0xB0, cat({id, bytes({0x00})})),
       Errc::empty_subscription_list, protocol},
      {"PUBLISH with no topic and no alias", client, packet(0x30, bytes({0x00, 0x00, 0x00})),
       Errc::empty_topic, protocol},
      {"byte after the properties of a DISCONNECT", client,
       packet(0xE0, bytes({0x00, 0x00, 0x00})), Errc::trailing_bytes, malformed},
      // fixed header and CONNECT
      {"AUTH with flags", client, bytes({0xF1}), Errc::bad_fixed_header_flags, malformed},
      {"CONNECT of level 4 to a 5.0 decoder", server,
       packet(0x10, bytes({0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04})),
       Errc::unsupported_protocol_level, protocol},
      {"SUBSCRIBE to a client", client, bytes({0x82}), Errc::unexpected_packet_type, protocol},
      {"type 0", client, bytes({0x00}), Errc::reserved_packet_type, malformed},
  };
}

TEST(V5Test, EveryErrorIsReportedPreciselyWithItsDisconnectReason) {
  for (const auto& c : v5_error_cases()) {
    SCOPED_TRACE(c.name);
    const auto result = decode(c.input, v5_options(c.role));
    ASSERT_EQ(result.status, DecodeResult::Status::error);
    EXPECT_EQ(result.error, c.expected) << result.error.message();
    EXPECT_EQ(disconnect_reason(result.error), c.disconnect);
    for (std::size_t length = 0; length < c.input.size(); ++length) {
      EXPECT_EQ(decode(ByteSpan(c.input).first(length), v5_options(c.role)).status,
                DecodeResult::Status::need_more)
          << "prefix " << length;
    }
  }
  EXPECT_EQ(disconnect_reason(Errc::packet_too_large), ReasonCode::packet_too_large);
  EXPECT_EQ(disconnect_reason(std::make_error_code(std::errc::io_error)),
            ReasonCode::unspecified_error);
}

TEST(V5Test, TheEncoderRefusesWhatNoReceiverMayAccept) {
  struct Case {
    const char* name;
    Packet packet;
    Errc expected;
  };
  Subscribe two_ids{1, {{"a", QoS::at_most_once}}, {}};
  two_ids.properties.subscription_identifiers = {1, 2};
  const std::vector<Case> cases = {
      {"topic alias in PUBACK",
       Puback{1, ReasonCode::success, with([](Properties& p) { p.topic_alias = 1; })},
       Errc::property_not_allowed},
      {"two subscription identifiers in SUBSCRIBE", two_ids, Errc::duplicate_property},
      {"receive maximum 0",
       Connack{false, 0, with([](Properties& p) { p.receive_maximum = 0; })},
       Errc::bad_property_value},
      {"authentication data without a method",
       Auth{ReasonCode::success, with([](Properties& p) { p.authentication_data = "x"; })},
       Errc::bad_property_value},
      {"PUBACK reason 0x92", Puback{1, ReasonCode::packet_identifier_not_found, {}},
       Errc::bad_reason_code},
      {"CONNACK reason 0x04", Connack{false, 0x04, {}}, Errc::bad_reason_code},
      {"SUBACK reason 0x03", Suback{1, {0x03}, {}}, Errc::bad_reason_code},
      {"retain handling 3",
       Subscribe{1, {{"a", QoS::at_most_once, false, false, static_cast<RetainHandling>(3)}}, {}},
       Errc::invalid_subscription_option},
      {"no-local on a shared subscription",
       Subscribe{1, {{"$share/g/a", QoS::at_most_once, true, false, RetainHandling::send}}, {}},
       Errc::invalid_subscription_option},
      {"UNSUBACK without reason codes", Unsuback{1, {}, {}}, Errc::empty_subscription_list},
      {"3.1.1 CONNECT as 5.0", Connect{}, Errc::unsupported_protocol_level},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes out = bytes({9});
    EXPECT_EQ(encode(c.packet, out, v5), c.expected);
    EXPECT_EQ(out, bytes({9}));
  }
}

TEST(V5Test, MqttThreeRefusesFiveOnlyFields) {
  const std::vector<Packet> cases = {
      Auth{},
      Puback{1, ReasonCode::no_matching_subscribers, {}},
      Publish{"t", "", QoS::at_most_once, false, false, 0,
              with([](Properties& p) { p.message_expiry_interval = 1; })},
      Connect{ProtocolVersion::v311, "c", true, 60,
              Will{"w", "m", QoS::at_most_once, false,
                   with([](Properties& p) { p.will_delay_interval = 1; })},
              {}, {}, {}},
      Subscribe{1, {{"a", QoS::at_most_once, true, false, RetainHandling::send}}, {}},
      Unsuback{1, {ReasonCode::success}, {}},
      Disconnect{ReasonCode::disconnect_with_will_message, {}},
  };
  for (const auto& p : cases) {
    SCOPED_TRACE(std::string(packet_name(packet_type(p))));
    Bytes out;
    EXPECT_EQ(encode(p, out), Errc::v5_field_in_v311);
    EXPECT_TRUE(out.empty());
  }
  // And AUTH stays a reserved type for a 3.1.1 decoder.
  EXPECT_EQ(decode(bytes({0xF0, 0x00}), options_for(Role::client)).error,
            Errc::reserved_packet_type);
}

TEST(V5Test, ReasonCodesHaveNamesAndBelongToTheirPackets) {
  std::set<std::string_view> names;
  int known = 0;
  for (int value = 0; value < 256; ++value) {
    const auto name = reason_name(static_cast<ReasonCode>(value));
    if (name == "unknown reason code") continue;
    ++known;
    names.insert(name);
  }
  EXPECT_EQ(known, 43);
  EXPECT_EQ(names.size(), 43U);
  EXPECT_EQ(reason_name(ReasonCode::not_authorized), "not authorized");
  EXPECT_EQ(reason_name(ReasonCode::server_moved), "server moved");
  EXPECT_TRUE(reason_allowed(PacketType::connack, 0x9C));
  EXPECT_FALSE(reason_allowed(PacketType::puback, 0x9C));
  EXPECT_TRUE(reason_allowed(PacketType::disconnect, 0x8B));
  EXPECT_FALSE(reason_allowed(PacketType::publish, 0x00));
  EXPECT_EQ(packet_name(PacketType::auth), "AUTH");
  EXPECT_EQ(packet_type(Packet{Auth{}}), PacketType::auth);
}

TEST(V5Test, PropertiesAreEmptyUntilOneIsSet) {
  Properties p;
  EXPECT_TRUE(p.empty());
  for (const auto& sample : property_samples()) {
    EXPECT_FALSE(with(sample.set).empty()) << sample.id;
  }
}

}  // namespace
}  // namespace pimqttd::mqtt
