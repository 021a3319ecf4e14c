#include "pimqttd/mqtt/session.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "pimqttd/core/error.hpp"

namespace pimqttd::mqtt {
namespace {

using core::Errc;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::size_t kPacketIdCount = 65'535;

std::error_code refusal_reason(std::uint8_t return_code) {
  switch (return_code) {
    case 1: return Errc::connection_refused_protocol_version;
    case 2: return Errc::connection_refused_identifier_rejected;
    case 3: return Errc::connection_refused_server_unavailable;
    case 4: return Errc::connection_refused_bad_credentials;
    case 5: return Errc::connection_refused_not_authorized;
    default: return Errc::connection_refused_unknown;
  }
}

bool valid_qos(QoS qos) { return static_cast<std::uint8_t>(qos) <= 2; }

std::string name_of(const Packet& packet) { return std::string(packet_name(packet_type(packet))); }

std::string id_text(std::uint16_t packet_id) { return "packet id " + std::to_string(packet_id); }

}  // namespace

Session::Session(SessionOptions options)
    : options_(std::move(options)),
      window_(std::max<std::size_t>(options_.inflight_window, 1)),
      keep_alive_(std::clamp(options_.keep_alive, seconds{0}, seconds{65'535})),
      ping_timeout_(options_.ping_timeout > milliseconds::zero()
                        ? options_.ping_timeout
                        : std::max<milliseconds>(milliseconds{keep_alive_} / 2, seconds{1})),
      decoder_(DecoderOptions{Role::client, options_.version, options_.max_packet_size}) {}

void Session::connection_opened(TimePoint now) {
  reset_connection();
  if (options_.will) {
    if (validate_topic_name(options_.will->topic)) {
      close(Errc::invalid_topic, "invalid will topic \"" + options_.will->topic + "\"");
      return;
    }
    if (!valid_qos(options_.will->qos)) {
      close(Errc::invalid_qos, "invalid will QoS");
      return;
    }
  }
  if (options_.password && !options_.username) {
    close(Errc::bad_connect_flags, "a password needs a user name in MQTT 3.1.1");
    return;
  }
  const Connect connect{options_.version,
                        options_.client_id,
                        options_.clean_session,
                        static_cast<std::uint16_t>(keep_alive_.count()),
                        options_.will,
                        options_.username,
                        options_.password};
  Bytes bytes;
  if (auto error = encode(connect, bytes, options_.version)) {
    close(error, "cannot encode CONNECT");
    return;
  }
  state_ = SessionState::connecting;
  write(bytes, now);
  last_received_ = now;
  connack_deadline_ = now + options_.connack_timeout;
}

void Session::bytes_received(ByteSpan bytes, TimePoint now) {
  if (state_ == SessionState::disconnected || bytes.empty()) {
    return;
  }
  last_received_ = now;
  decoder_.feed(bytes);
  while (state_ != SessionState::disconnected) {
    DecodeResult result = decoder_.next();
    if (result.status == DecodeResult::Status::need_more) {
      break;
    }
    if (result.status == DecodeResult::Status::error || !result.packet) {
      close(result.error ? result.error : make_error_code(Errc::protocol_error),
            "malformed packet from the broker");
      break;
    }
    handle(*result.packet, now);
  }
}

void Session::connection_lost() { reset_connection(); }

void Session::tick(TimePoint now) {
  switch (state_) {
    case SessionState::disconnected:
      return;
    case SessionState::connecting:
      if (now >= connack_deadline_) {
        close(Errc::connack_timeout,
              "no CONNACK within " + std::to_string(options_.connack_timeout.count()) + " ms");
      }
      return;
    case SessionState::connected:
      break;
  }
  if (keep_alive_ == seconds::zero()) {
    return;
  }
  if (ping_sent_) {
    if (now >= *ping_sent_ + ping_timeout_) {
      close(Errc::keepalive_timeout,
            "no PINGRESP within " + std::to_string(ping_timeout_.count()) + " ms");
    }
    return;
  }
  if (now >= last_sent_ + keep_alive_ || now >= last_received_ + keep_alive_) {
    write(Pingreq{});
    last_sent_ = now;
    ping_sent_ = now;
  }
}

Session::TimePoint Session::next_deadline() const noexcept {
  switch (state_) {
    case SessionState::disconnected:
      return TimePoint::max();
    case SessionState::connecting:
      return connack_deadline_;
    case SessionState::connected:
      break;
  }
  if (keep_alive_ == seconds::zero()) {
    return TimePoint::max();
  }
  if (ping_sent_) {
    return *ping_sent_ + ping_timeout_;
  }
  return std::min(last_sent_, last_received_) + keep_alive_;
}

SendResult Session::publish(std::string topic, std::string payload, QoS qos, bool retain,
                            TimePoint now) {
  if (state_ != SessionState::connected) {
    return {Errc::not_connected};
  }
  if (!valid_qos(qos)) {
    return {Errc::invalid_qos};
  }
  // A publisher usually sends to the same few topics: a topic equal to the last one that
  // passed needs no second look.
  if (topic != last_valid_topic_) {  // optional: never equal before the first
    if (validate_topic_name(topic)) {
      return {Errc::invalid_topic};
    }
    last_valid_topic_ = topic;
  }
  Publish packet{std::move(topic), std::move(payload), qos, retain, false, 0};
  if (qos == QoS::at_most_once) {
    // encode() appends, and leaves the buffer as it was when it fails.
    if (auto error = encode(packet, output_, options_.version)) {
      return {error};
    }
    last_sent_ = now;
    return {};
  }
  if (outgoing_.size() >= window_) {
    return {Errc::inflight_window_full};
  }
  const auto packet_id = next_free_packet_id();
  if (!packet_id) {
    return {Errc::no_packet_id_available};
  }
  packet.packet_id = *packet_id;
  if (auto error = encode(packet, output_, options_.version)) {
    return {error};
  }
  last_sent_ = now;
  claim_packet_id(*packet_id);
  outgoing_.push_back(Outgoing{std::move(packet), false});
  return {{}, *packet_id};
}

SendResult Session::subscribe(std::vector<Subscription> subscriptions, TimePoint now) {
  if (state_ != SessionState::connected) {
    return {Errc::not_connected};
  }
  if (subscriptions.empty()) {
    return {Errc::empty_subscription_list};
  }
  for (const auto& subscription : subscriptions) {
    if (validate_topic_filter(subscription.filter)) {
      return {Errc::invalid_topic};
    }
    if (!valid_qos(subscription.qos)) {
      return {Errc::invalid_qos};
    }
  }
  const auto packet_id = next_free_packet_id();
  if (!packet_id) {
    return {Errc::no_packet_id_available};
  }
  const std::size_t count = subscriptions.size();
  Bytes bytes;
  if (auto error = encode(Subscribe{*packet_id, std::move(subscriptions)}, bytes,
                          options_.version)) {
    return {error};
  }
  claim_packet_id(*packet_id);
  pending_acks_[*packet_id] = Pending{PendingKind::subscribe, count};
  write(bytes, now);
  return {{}, *packet_id};
}

SendResult Session::unsubscribe(std::vector<std::string> filters, TimePoint now) {
  if (state_ != SessionState::connected) {
    return {Errc::not_connected};
  }
  if (filters.empty()) {
    return {Errc::empty_subscription_list};
  }
  for (const auto& filter : filters) {
    if (validate_topic_filter(filter)) {
      return {Errc::invalid_topic};
    }
  }
  const auto packet_id = next_free_packet_id();
  if (!packet_id) {
    return {Errc::no_packet_id_available};
  }
  const std::size_t count = filters.size();
  Bytes bytes;
  if (auto error = encode(Unsubscribe{*packet_id, std::move(filters)}, bytes, options_.version)) {
    return {error};
  }
  claim_packet_id(*packet_id);
  pending_acks_[*packet_id] = Pending{PendingKind::unsubscribe, count};
  write(bytes, now);
  return {{}, *packet_id};
}

void Session::disconnect() {
  if (state_ == SessionState::disconnected) {
    return;
  }
  Bytes unsent = std::move(output_);
  reset_connection();
  output_ = std::move(unsent);
  write(Disconnect{});
}

Bytes Session::take_output() { return std::exchange(output_, {}); }

std::vector<SessionEvent> Session::take_events() { return std::exchange(events_, {}); }

std::size_t Session::inflight_free() const noexcept {
  return outgoing_.size() >= window_ ? 0 : window_ - outgoing_.size();
}

void Session::handle(Packet& packet, TimePoint now) {
  if (state_ == SessionState::connecting) {
    if (auto* connack = std::get_if<Connack>(&packet)) {
      on_connack(*connack, now);
    } else {
      close(Errc::protocol_error, name_of(packet) + " before CONNACK");
    }
    return;
  }
  std::visit(
      [&](auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, Connack>) {
          close(Errc::protocol_error, "second CONNACK");
        } else if constexpr (std::is_same_v<T, Publish>) {
          on_publish(p, now);
        } else if constexpr (std::is_same_v<T, Puback>) {
          on_puback(p.packet_id);
        } else if constexpr (std::is_same_v<T, Pubrec>) {
          on_pubrec(p.packet_id, now);
        } else if constexpr (std::is_same_v<T, Pubrel>) {
          on_pubrel(p.packet_id, now);
        } else if constexpr (std::is_same_v<T, Pubcomp>) {
          on_pubcomp(p.packet_id);
        } else if constexpr (std::is_same_v<T, Suback>) {
          on_suback(p);
        } else if constexpr (std::is_same_v<T, Unsuback>) {
          on_unsuback(p.packet_id);
        } else if constexpr (std::is_same_v<T, Pingresp>) {
          ping_sent_.reset();
        } else {
          close(Errc::unexpected_packet_type, name_of(packet) + " from the broker");
        }
      },
      packet);
}

void Session::on_connack(const Connack& connack, TimePoint now) {
  connack_deadline_ = TimePoint::max();
  if (connack.return_code != 0) {
    close(refusal_reason(connack.return_code),
          "broker refused the connection (CONNACK return code " +
              std::to_string(connack.return_code) + ")");
    return;
  }
  if (connack.session_present && options_.clean_session) {
    close(Errc::protocol_error, "CONNACK with Session Present = 1 for a clean session");
    return;
  }
  state_ = SessionState::connected;
  events_.emplace_back(event::Connected{connack.session_present});
  resend_inflight(connack.session_present, now);
}

void Session::resend_inflight(bool session_present, TimePoint now) {
  if (!session_present) {
    incoming_qos2_.clear();
  }
  for (auto& outgoing : outgoing_) {
    if (session_present && outgoing.released) {
      write(Pubrel{outgoing.publish.packet_id});
      last_sent_ = now;
      continue;
    }
    outgoing.released = false;
    Publish again = outgoing.publish;
    again.dup = session_present;
    Bytes bytes;
    // It was encoded once already, so this cannot fail.
    if (!encode(again, bytes, options_.version)) {
      write(bytes, now);
    }
  }
}

void Session::on_publish(Publish& publish, TimePoint now) {
  switch (publish.qos) {
    case QoS::at_most_once:
      events_.emplace_back(event::Message{std::move(publish)});
      return;
    case QoS::at_least_once: {
      const std::uint16_t packet_id = publish.packet_id;
      events_.emplace_back(event::Message{std::move(publish)});
      write(Puback{packet_id});
      last_sent_ = now;
      return;
    }
    case QoS::exactly_once: {
      const std::uint16_t packet_id = publish.packet_id;
      if (incoming_qos2_.insert(packet_id).second) {
        events_.emplace_back(event::Message{std::move(publish)});
      }
      write(Pubrec{packet_id});
      last_sent_ = now;
      return;
    }
  }
  close(Errc::invalid_qos, "PUBLISH with an invalid QoS");
}

void Session::on_puback(std::uint16_t packet_id) {
  const auto it = find_outgoing(packet_id);
  if (it == outgoing_.end()) {
    ignore(Errc::unknown_packet_id, "PUBACK for unknown " + id_text(packet_id));
    return;
  }
  if (it->publish.qos != QoS::at_least_once) {
    close(Errc::protocol_error, "PUBACK for QoS 2 " + id_text(packet_id));
    return;
  }
  complete(it);
}

void Session::on_pubrec(std::uint16_t packet_id, TimePoint now) {
  const auto it = find_outgoing(packet_id);
  if (it == outgoing_.end()) {
    // Released all the same (MQTT 5 answers it so, with reason 0x92): the broker may hold state
    // for the id that only our PUBREL ends, e.g. after a session we no longer have.
    ignore(Errc::unknown_packet_id, "PUBREC for unknown " + id_text(packet_id));
    write(Pubrel{packet_id});
    last_sent_ = now;
    return;
  }
  if (it->publish.qos != QoS::exactly_once) {
    close(Errc::protocol_error, "PUBREC for QoS 1 " + id_text(packet_id));
    return;
  }
  it->released = true;
  write(Pubrel{packet_id});
  last_sent_ = now;
}

void Session::on_pubrel(std::uint16_t packet_id, TimePoint now) {
  incoming_qos2_.erase(packet_id);
  write(Pubcomp{packet_id});
  last_sent_ = now;
}

void Session::on_pubcomp(std::uint16_t packet_id) {
  const auto it = find_outgoing(packet_id);
  if (it == outgoing_.end()) {
    ignore(Errc::unknown_packet_id, "PUBCOMP for unknown " + id_text(packet_id));
    return;
  }
  if (it->publish.qos != QoS::exactly_once) {
    close(Errc::protocol_error, "PUBCOMP for QoS 1 " + id_text(packet_id));
    return;
  }
  if (!it->released) {
    close(Errc::protocol_error, "PUBCOMP before PUBREC for " + id_text(packet_id));
    return;
  }
  complete(it);
}

void Session::on_suback(Suback& suback) {
  const auto it = pending_acks_.find(suback.packet_id);
  if (it == pending_acks_.end()) {
    ignore(Errc::unknown_packet_id, "SUBACK for unknown " + id_text(suback.packet_id));
    return;
  }
  if (it->second.kind != PendingKind::subscribe) {
    close(Errc::protocol_error, "SUBACK for the UNSUBSCRIBE with " + id_text(suback.packet_id));
    return;
  }
  if (it->second.filters != suback.return_codes.size()) {
    close(Errc::protocol_error,
          "SUBACK for " + id_text(suback.packet_id) + " has " +
              std::to_string(suback.return_codes.size()) + " return codes for " +
              std::to_string(it->second.filters) + " topic filters");
    return;
  }
  pending_acks_.erase(it);
  release_packet_id(suback.packet_id);
  events_.emplace_back(event::Subscribed{suback.packet_id, std::move(suback.return_codes)});
}

void Session::on_unsuback(std::uint16_t packet_id) {
  const auto it = pending_acks_.find(packet_id);
  if (it == pending_acks_.end()) {
    ignore(Errc::unknown_packet_id, "UNSUBACK for unknown " + id_text(packet_id));
    return;
  }
  if (it->second.kind != PendingKind::unsubscribe) {
    close(Errc::protocol_error, "UNSUBACK for the SUBSCRIBE with " + id_text(packet_id));
    return;
  }
  pending_acks_.erase(it);
  release_packet_id(packet_id);
  events_.emplace_back(event::Unsubscribed{packet_id});
}

void Session::complete(std::deque<Outgoing>::iterator it) {
  const std::uint16_t packet_id = it->publish.packet_id;
  outgoing_.erase(it);
  release_packet_id(packet_id);
  events_.emplace_back(event::PublishCompleted{packet_id});
}

std::deque<Session::Outgoing>::iterator Session::find_outgoing(std::uint16_t packet_id) {
  return std::find_if(outgoing_.begin(), outgoing_.end(), [packet_id](const Outgoing& outgoing) {
    return outgoing.publish.packet_id == packet_id;
  });
}

void Session::write(const Packet& packet) {
  // Only fixed-size packets come here: encoding them cannot fail.
  (void)encode(packet, output_, options_.version);
}

void Session::write(const Bytes& bytes, TimePoint now) {
  output_.insert(output_.end(), bytes.begin(), bytes.end());
  last_sent_ = now;
}

std::optional<std::uint16_t> Session::next_free_packet_id() const noexcept {
  std::uint16_t candidate = last_packet_id_;
  for (std::size_t tries = 0; tries < kPacketIdCount; ++tries) {
    candidate = candidate == 65'535 ? std::uint16_t{1} : static_cast<std::uint16_t>(candidate + 1);
    if (!ids_in_use_.test(candidate)) {
      return candidate;
    }
  }
  return std::nullopt;
}

void Session::claim_packet_id(std::uint16_t packet_id) noexcept {
  last_packet_id_ = packet_id;
  ids_in_use_.set(packet_id);
}

void Session::release_packet_id(std::uint16_t packet_id) noexcept {
  ids_in_use_.reset(packet_id);
}

void Session::reset_connection() noexcept {
  state_ = SessionState::disconnected;
  decoder_.reset();
  output_.clear();
  for (const auto& [packet_id, pending] : pending_acks_) {
    ids_in_use_.reset(packet_id);
  }
  pending_acks_.clear();
  connack_deadline_ = TimePoint::max();
  ping_sent_.reset();
}

void Session::close(std::error_code reason, std::string detail) {
  reset_connection();
  events_.emplace_back(event::Closed{reason, std::move(detail)});
}

void Session::ignore(std::error_code reason, std::string detail) {
  events_.emplace_back(event::Ignored{reason, std::move(detail)});
}

}  // namespace pimqttd::mqtt
