// libFuzzer target for the MQTT decoder.
//
// Input: byte 0 chooses the setup, the rest is the byte stream a peer sends.
//   bit 0     the role decoding: 0 client, 1 server
//   bit 1     maximum packet size 64 bytes instead of the default
//   bits 2-6  how the stream is fed: 0 in one piece, n in pieces of 1 to n bytes whose sizes
//             follow a pseudo-random sequence seeded by byte 0
//   bit 7     the protocol version: 0 MQTT 3.1.1, 1 MQTT 5.0
// Checks, each aborting on failure:
//   - a Decoder fed in pieces yields exactly the packets, and then the error or the leftover
//     bytes, that decode() yields on the whole stream taken packet after packet;
//   - after an error the Decoder keeps reporting that error;
//   - every decoded packet encodes again without error and that encoding decodes to an equal
//     packet. Under 3.1.1 the encoding has the same first byte and the same body (only the
//     form of the remaining length may differ). Under 5.0 it may be shorter (a short form of an
//     acknowledgement, minimal variable byte integers, properties in identifier order), never
//     longer.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <vector>

#include "fuzz_check.hpp"
#include "pimqttd/mqtt/codec.hpp"

namespace {

using pimqttd::mqtt::ByteSpan;
using pimqttd::mqtt::Bytes;
using pimqttd::mqtt::DecodeResult;
using pimqttd::mqtt::Decoder;
using pimqttd::mqtt::DecoderOptions;
using pimqttd::mqtt::Packet;
using pimqttd::mqtt::ProtocolVersion;
using pimqttd::mqtt::Role;

void check(bool ok, const char* what) { pimqttd::fuzz::check(ok, "decoder_fuzz", what); }

/// The size of the fixed header of a packet already known to be well formed.
std::size_t fixed_header_size(ByteSpan wire) {
  std::size_t i = 1;
  while ((wire[i] & 0x80) != 0) ++i;
  return i + 1;
}

void check_round_trip(const Packet& packet, ByteSpan original, const DecoderOptions& options) {
  Bytes wire;
  check(!pimqttd::mqtt::encode(packet, wire, options.version), "a decoded packet does not encode");
  check(wire.size() <= original.size(), "the encoding is longer than the original");
  check(wire[0] == original[0], "the encoding has another first byte");
  if (options.version == ProtocolVersion::v311) {
    const auto body = ByteSpan(wire).subspan(fixed_header_size(wire));
    const auto original_body = original.subspan(fixed_header_size(original));
    check(std::equal(body.begin(), body.end(), original_body.begin(), original_body.end()),
          "the encoding has another body");
  }
  const auto again = pimqttd::mqtt::decode(wire, options);
  check(again.status == DecodeResult::Status::packet, "the encoding does not decode");
  check(again.consumed == wire.size(), "the encoding decodes to another size");
  check(again.packet && *again.packet == packet, "the encoding decodes to another packet");
}

struct Outcome {
  std::vector<Packet> packets;
  std::error_code error;
  std::size_t left = 0;  ///< bytes of an incomplete last packet, when no error
};

Outcome decode_whole(ByteSpan stream, const DecoderOptions& options) {
  Outcome out;
  std::size_t at = 0;
  for (;;) {
    auto result = pimqttd::mqtt::decode(stream.subspan(at), options);
    switch (result.status) {
      case DecodeResult::Status::packet:
        check(result.packet.has_value(), "a packet result without a packet");
        check(result.consumed >= 2 && result.consumed <= stream.size() - at,
              "a packet consumed an impossible size");
        check_round_trip(*result.packet, stream.subspan(at, result.consumed), options);
        out.packets.push_back(std::move(*result.packet));
        at += result.consumed;
        break;
      case DecodeResult::Status::error:
        check(static_cast<bool>(result.error), "an error result without an error");
        check(!result.packet.has_value(), "an error result with a packet");
        out.error = result.error;
        return out;
      case DecodeResult::Status::need_more:
        out.left = stream.size() - at;
        return out;
    }
  }
}

Outcome decode_in_pieces(ByteSpan stream, const DecoderOptions& options, std::uint8_t control) {
  const unsigned largest_piece = (control >> 2) & 0x1F;
  std::uint32_t random = 0x9E37'79B9U ^ control;
  Decoder decoder(options);
  Outcome out;
  std::size_t at = 0;
  while (at < stream.size()) {
    std::size_t piece = stream.size() - at;
    if (largest_piece != 0) {
      random ^= random << 13;
      random ^= random >> 17;
      random ^= random << 5;
      piece = std::min<std::size_t>(piece, 1 + random % largest_piece);
    }
    decoder.feed(stream.subspan(at, piece));
    at += piece;
    for (;;) {
      auto result = decoder.next();
      if (result.status == DecodeResult::Status::packet) {
        check(!out.error, "a packet after an error");
        check(result.packet.has_value(), "a packet result without a packet");
        out.packets.push_back(std::move(*result.packet));
        continue;
      }
      if (result.status == DecodeResult::Status::error) {
        check(!out.error || out.error == result.error, "the decoder's error changed");
        out.error = result.error;
      } else {
        check(!out.error, "need_more after an error");
      }
      break;
    }
  }
  if (!out.error) out.left = decoder.buffered();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const ByteSpan stream(data + 1, size - 1);
  DecoderOptions options;
  options.role = (control & 0x01) != 0 ? Role::server : Role::client;
  if ((control & 0x02) != 0) options.max_packet_size = 64;
  if ((control & 0x80) != 0) options.version = ProtocolVersion::v5;

  const Outcome whole = decode_whole(stream, options);
  const Outcome pieces = decode_in_pieces(stream, options, control);
  check(pieces.packets == whole.packets, "pieces decode to other packets");
  check(pieces.error == whole.error, "pieces end in another error");
  check(pieces.left == whole.left, "pieces leave other bytes");
  return 0;
}
