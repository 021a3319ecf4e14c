#include "pimqttd/mqtt/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/log.hpp"
#include "pimqttd/mqtt/tcp_transport.hpp"

namespace pimqttd::mqtt {

namespace {
constexpr core::Log kMqttLog("mqtt");

using std::chrono::milliseconds;

/// Encoded PUBLISH bytes gathered before one write to the transport.
constexpr std::size_t kFlushBytes = 16 * 1024;

bool is_refusal(std::error_code error) {
  if (error.category() != core::error_category()) {
    return false;
  }
  const auto value = static_cast<core::Errc>(error.value());
  return value >= core::Errc::connection_refused_protocol_version &&
         value <= core::Errc::connection_refused_unknown;
}

SessionOptions session_options(const ClientOptions& options) {
  SessionOptions session = options.session;
  if (session.connack_timeout == SessionOptions{}.connack_timeout) {
    session.connack_timeout = options.endpoint.timeout;
  }
  return session;
}

std::string seconds_text(milliseconds delay) {
  return fmt::format("{:.1f} s", static_cast<double>(delay.count()) / 1000.0);
}

}  // namespace

std::string_view to_string(ConnectionState state) noexcept {
  switch (state) {
    case ConnectionState::stopped: return "stopped";
    case ConnectionState::connecting: return "connecting";
    case ConnectionState::connected: return "connected";
    case ConnectionState::waiting: return "waiting";
    case ConnectionState::stopping: return "stopping";
  }
  return "?";
}

Client::Client(core::EventLoop& loop, core::Worker& worker, ClientOptions options,
               TransportFactory make_transport)
    : loop_(loop),
      options_(std::move(options)),
      session_(session_options(options_)),
      transport_(make_transport ? make_transport()
                                : std::make_unique<TcpTransport>(loop, worker)),
      refill_batch_(std::max<std::size_t>(1, options_.session.inflight_window / 4)),
      outbox_(options_.outbox_capacity),
      backoff_(options_.backoff_initial),
      random_(std::random_device{}()) {
  transport_->set_callbacks(Transport::Callbacks{
      [this] { on_transport_connected(); },
      [this](ByteSpan bytes) { on_transport_data(bytes); },
      [this](std::error_code error) { on_transport_closed(error); },
      [this] { on_transport_drained(); },
  });
}

Client::~Client() {
  // The timers' handles cancel them. The transport closes its socket without DISCONNECT: the broker publishes the will.
  transport_->close();
}

void Client::start() {
  if (state_ != ConnectionState::stopped) {
    return;
  }
  backoff_ = options_.backoff_initial;
  connect_now();
}

void Client::stop(std::function<void()> done) {
  if (state_ == ConnectionState::stopped) {
    if (done) done();
    return;
  }
  stop_done_ = std::move(done);
  retry_timer_.reset();
  if (state_ == ConnectionState::stopping) {
    return;
  }
  if (session_.state() != SessionState::connected) {
    finish_stop();
    return;
  }
  set_state(ConnectionState::stopping);
  session_.disconnect();
  flush();
  // Wait for the broker to close the connection after reading DISCONNECT. Closing first, with
  // its acknowledgements unread, makes the kernel reset the connection, and a broker may then
  // drop the DISCONNECT unread and publish the will.
  stop_timer_ = loop_.start_timer(options_.stop_timeout, [this] { finish_stop(); });
}

void Client::finish_stop() {
  session_timer_.reset();
  retry_timer_.reset();
  stop_timer_.reset();
  session_timer_at_ = std::chrono::steady_clock::time_point::max();
  transport_->close();
  session_.connection_lost();
  set_state(ConnectionState::stopped);
  if (auto done = std::move(stop_done_)) {
    stop_done_ = nullptr;
    done();
  }
}

std::error_code Client::publish(std::string topic, std::string payload, QoS qos, bool retain,
                                bool state) {
  if (topic != last_valid_topic_) {  // optional: never equal before the first
    if (validate_topic_name(topic)) {
      return make_error_code(core::Errc::invalid_topic);
    }
    last_valid_topic_ = topic;
  }
  if (static_cast<std::uint8_t>(qos) > 2) {
    return make_error_code(core::Errc::invalid_qos);
  }
  if (outbox_.empty() && can_send_now(qos)) {
    // Nothing waits before it: straight to the session, no queueing.
    const SendResult sent = session_.publish(std::move(topic), std::move(payload), qos, retain,
                                             core::EventLoop::now());
    if (sent.error) {
      return sent.error;  // unencodable (too large): nothing was sent
    }
    ++counters_.published;
    qos0_unflushed_ = qos0_unflushed_ || qos == QoS::at_most_once;
    schedule_flush();
    rearm_session_timer();
    return {};
  }
  switch (outbox_.push({std::move(topic), std::move(payload), qos, retain, state})) {
    case Outbox::PushResult::queued: break;
    case Outbox::PushResult::replaced: ++counters_.replaced; break;
    case Outbox::PushResult::dropped_oldest: ++counters_.dropped; break;
  }
  pump();
  schedule_flush();
  return {};
}

bool Client::can_send_now(QoS qos) noexcept {
  return !pumping_ && state_ == ConnectionState::connected &&
         session_.state() == SessionState::connected &&
         pending_output() < options_.max_pending_output &&
         (qos == QoS::at_most_once || window_has_room());
}

bool Client::window_has_room() noexcept {
  const std::size_t free = session_.inflight_free();
  if (free == 0) {
    window_filled_ = true;
    return false;
  }
  if (window_filled_ && free < refill_batch_ && session_.inflight() > 0) {
    return false;
  }
  window_filled_ = false;
  return true;
}

std::size_t Client::pending_output() const noexcept {
  return session_.output_size() + transport_->pending_output();
}

std::error_code Client::subscribe(std::string filter, QoS qos, MessageHandler handler) {
  if (validate_topic_filter(filter)) {
    return make_error_code(core::Errc::invalid_topic);
  }
  auto found = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                            [&](const auto& entry) { return entry.first == filter; });
  if (found != subscriptions_.end()) {
    found->second = Subscription{qos, std::move(handler)};
  } else {
    subscriptions_.emplace_back(filter, Subscription{qos, std::move(handler)});
  }
  if (session_.state() == SessionState::connected) {
    (void)session_.subscribe({{std::move(filter), qos}}, core::EventLoop::now());
    flush();
    rearm_session_timer();
  }
  return {};
}

void Client::unsubscribe(const std::string& filter) {
  auto found = std::find_if(subscriptions_.begin(), subscriptions_.end(),
                            [&](const auto& entry) { return entry.first == filter; });
  if (found == subscriptions_.end()) {
    return;
  }
  subscriptions_.erase(found);
  if (session_.state() == SessionState::connected) {
    (void)session_.unsubscribe({filter}, core::EventLoop::now());
    flush();
    rearm_session_timer();
  }
}

void Client::connect_now() {
  retry_timer_.reset();
  set_state(ConnectionState::connecting);
  if (state_ != ConnectionState::connecting) {
    return;  // the state handler stopped the client
  }
  kMqttLog.debug("connecting to {}:{}", options_.endpoint.host, options_.endpoint.port);
  transport_->connect(options_.endpoint);
}

void Client::on_transport_connected() {
  kMqttLog.debug("TCP connected to {}, sending CONNECT", transport_->peer());
  session_.connection_opened(core::EventLoop::now());
  flush();
  handle_events();
  rearm_session_timer();
}

void Client::on_transport_data(ByteSpan bytes) {
  if (session_.inflight() > 0) {
    // Acknowledgements are what we wait for, and pump() may hold back the refill that would
    // carry our TCP ACK: ask for it now, or a broker writing under Nagle's algorithm keeps its
    // next PUBACKs until the delayed-ACK timer fires (Transport::acknowledge_received).
    transport_->acknowledge_received();
  }
  session_.bytes_received(bytes, core::EventLoop::now());
  handle_events();
  flush();
  rearm_session_timer();
}

void Client::on_transport_closed(std::error_code error) {
  session_.connection_lost();
  connection_ended(error);
}

void Client::on_transport_drained() {
  if (state_ == ConnectionState::stopping) {
    return;  // DISCONNECT is out; the broker's close ends the stop
  }
  pump();
  flush();
  notify_progress();
}

void Client::handle_events() {
  bool progressed = false;
  for (SessionEvent& any : session_.take_events()) {
    if (auto* connected = std::get_if<event::Connected>(&any)) {
      connected_at_ = std::chrono::steady_clock::now();
      if (ever_connected_) ++counters_.reconnects;
      ever_connected_ = true;
      last_logged_refusal_ = {};
      kMqttLog.info("connected to {} (session present: {}, {} in flight, {} queued)",
                    transport_->peer(), connected->session_present ? "yes" : "no",
                    session_.inflight(), outbox_.size());
      set_state(ConnectionState::connected);
      renew_subscriptions();
      pump();
    } else if (auto* message = std::get_if<event::Message>(&any)) {
      ++counters_.received;
      std::vector<MessageHandler> handlers;
      for (const auto& [filter, subscription] : subscriptions_) {
        if (topic_matches(filter, message->publish.topic)) {
          handlers.push_back(subscription.handler);
        }
      }
      for (const MessageHandler& handler : handlers) {
        if (handler) handler(message->publish);
      }
    } else if (std::get_if<event::PublishCompleted>(&any) != nullptr) {
      ++counters_.completed;
      progressed = true;
    } else if (auto* subscribed = std::get_if<event::Subscribed>(&any)) {
      for (std::uint8_t code : subscribed->return_codes) {
        if (code == kSubackFailure) {
          kMqttLog.warn("the broker refused a subscription (packet id {})",
                        subscribed->packet_id);
        }
      }
    } else if (auto* closed = std::get_if<event::Closed>(&any)) {
      kMqttLog.debug("closing the connection: {} ({})", closed->reason.message(),
                     closed->detail);
      transport_->close();
      connection_ended(closed->reason);
      return;
    } else if (auto* ignored = std::get_if<event::Ignored>(&any)) {
      kMqttLog.debug("ignored from broker: {} ({})", ignored->reason.message(),
                     ignored->detail);
    }
  }
  if (progressed) {
    pump();
    notify_progress();
  }
}

void Client::connection_ended(std::error_code error) {
  session_timer_.reset();
  session_timer_at_ = std::chrono::steady_clock::time_point::max();
  if (state_ == ConnectionState::stopping || state_ == ConnectionState::stopped) {
    finish_stop();
    return;
  }
  last_error_ = error;
  schedule_reconnect(error);
}

void Client::schedule_reconnect(std::error_code error) {
  const auto now = std::chrono::steady_clock::now();
  const bool was_connected = state_ == ConnectionState::connected;
  if (was_connected && now - connected_at_ >= options_.stable_after) {
    backoff_ = options_.backoff_initial;
  }
  if (!was_connected) {
    ++counters_.connect_failures;
  }
  const bool refused = is_refusal(error);
  const milliseconds base = refused ? options_.backoff_max : backoff_;
  // Jitter: a uniformly random delay in [3/4, 1] of the back-off, so that many clients that lost
  // the same broker do not come back in lockstep.
  std::uniform_int_distribution<std::int64_t> jitter(base.count() * 3 / 4, base.count());
  retry_delay_ = milliseconds(jitter(random_));
  if (!refused) {
    backoff_ = std::min(backoff_ * 2, options_.backoff_max);
  }

  if (refused) {
    if (error != last_logged_refusal_) {
      kMqttLog.error("{} refused the connection: {}; retrying every {}",
                     transport_->peer(), error.message(), seconds_text(options_.backoff_max));
      last_logged_refusal_ = error;
    }
  } else if (was_connected) {
    kMqttLog.warn("connection to {} lost: {}; reconnecting in {}", transport_->peer(),
                  error.message(), seconds_text(retry_delay_));
  } else {
    kMqttLog.warn("cannot connect to {}: {}; retrying in {}", transport_->peer(),
                  error.message(), seconds_text(retry_delay_));
  }
  set_state(ConnectionState::waiting, error);
  if (state_ != ConnectionState::waiting) {
    return;  // the state handler stopped (or restarted) the client
  }
  retry_timer_ = loop_.start_timer(retry_delay_, [this] { connect_now(); });
}

void Client::renew_subscriptions() {
  const auto now = core::EventLoop::now();
  for (const auto& [filter, subscription] : subscriptions_) {
    (void)session_.subscribe({{filter, subscription.qos}}, now);
  }
  flush();
}

void Client::pump() {
  if (pumping_ || state_ != ConnectionState::connected ||
      session_.state() != SessionState::connected) {
    return;
  }
  pumping_ = true;
  const auto now = core::EventLoop::now();
  // A window that has only a slot or two free waits for a batch (see refill_batch_); once it
  // refills, it refills to the full window.
  const bool window_open = window_has_room();
  while (!outbox_.empty() && pending_output() < options_.max_pending_output) {
    const OutgoingMessage& message = outbox_.front();
    if (message.qos != QoS::at_most_once && (!window_open || !window_has_room())) {
      break;
    }
    SendResult sent = session_.publish(message.topic, message.payload, message.qos,
                                       message.retain, now);
    if (sent.error == core::Errc::inflight_window_full ||
        sent.error == core::Errc::no_packet_id_available) {
      break;
    }
    if (sent.error) {
      kMqttLog.error("dropping a message for '{}': {}", message.topic,
                     sent.error.message());
      ++counters_.dropped;
    } else {
      ++counters_.published;
      qos0_unflushed_ = qos0_unflushed_ || message.qos == QoS::at_most_once;
    }
    outbox_.pop();
    if (session_.output_size() >= kFlushBytes) {
      flush();
      if (state_ != ConnectionState::connected) {
        break;  // the transport failed while writing
      }
    }
  }
  pumping_ = false;
  rearm_session_timer();
}

void Client::notify_progress() {
  if (!progress_handler_ || progress_scheduled_) {
    return;
  }
  progress_scheduled_ = true;
  loop_.defer([this, alive = std::weak_ptr(alive_)] {
    if (alive.expired()) return;
    progress_scheduled_ = false;
    if (progress_handler_) progress_handler_();
  });
}

void Client::schedule_flush() {
  if (flush_scheduled_ || !session_.has_output()) {
    return;
  }
  flush_scheduled_ = true;
  loop_.defer([this, alive = std::weak_ptr(alive_)] {
    if (alive.expired()) return;
    flush_scheduled_ = false;
    flush();
    if (!outbox_.empty()) {
      // Messages that waited for room: the write above may have made some.
      pump();
      schedule_flush();
    }
  });
}

void Client::flush() {
  if (!session_.has_output()) {
    return;
  }
  Bytes bytes = session_.take_output();
  transport_->send(bytes);
  if (qos0_unflushed_) {
    // Progress for QoS 0 means "handed to the transport": only now is that true, and a bulk
    // publisher that waits for an empty pipeline sees it empty when the handler runs.
    qos0_unflushed_ = false;
    notify_progress();
  }
}

void Client::rearm_session_timer() {
  const auto deadline = session_.state() == SessionState::disconnected
                            ? std::chrono::steady_clock::time_point::max()
                            : session_.next_deadline();
  // Deadlines move later with every packet sent or received; a timer that fires early only
  // ticks the session and re-arms. So re-arm only for an earlier deadline: the timerfd is not
  // re-armed on every publish.
  if (deadline >= session_timer_at_ && session_timer_.active()) {
    return;
  }
  if (deadline == session_timer_at_) {
    return;
  }
  session_timer_.reset();
  session_timer_at_ = deadline;
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    return;
  }
  session_timer_ = loop_.start_timer(deadline, [this] {
    session_timer_at_ = std::chrono::steady_clock::time_point::max();
    session_.tick(core::EventLoop::now());
    handle_events();
    flush();
    rearm_session_timer();
  });
}

void Client::set_state(ConnectionState state, std::error_code error) {
  if (state == state_) {
    return;
  }
  state_ = state;
  if (state_handler_) {
    state_handler_(state, error);
  }
}

}  // namespace pimqttd::mqtt
