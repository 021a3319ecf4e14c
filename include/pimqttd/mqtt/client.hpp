#pragma once
// Client: binds a Session to a Transport and the event loop, and keeps it connected.
//
// - Connects, and reconnects after any loss with exponential back-off and jitter (default 1 s
//   doubling to 60 s; reset once a connection has lasted `stable_after`). A refused CONNACK (bad
//   credentials, not authorised...) is logged once with its meaning and retried at the longest
//   back-off, not hammered.
// - Renews every subscription after every (re)connect.
// - Owns the Outbox: publish() never fails for lack of a connection; what cannot be handed to the
//   session now waits there (bounded; state messages replace older ones on the same topic) and
//   drains in order as soon as the session has room.
// - Applies back-pressure: it stops feeding the transport while more than `max_pending_output`
//   bytes are waiting to be written, so a fast publisher cannot make it buffer without bound.
// - Under load, refills the in-flight window in batches (a quarter of it) and asks the transport
//   to acknowledge the broker's bytes at once while it waits, so the batches never wait on a
//   delayed TCP ACK.
//
// Everything runs on the loop thread. Callbacks run on the loop thread and may call back into
// the client.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/mqtt/outbox.hpp"
#include "pimqttd/mqtt/session.hpp"
#include "pimqttd/mqtt/transport.hpp"

namespace pimqttd::core {
class EventLoop;
class Worker;
}  // namespace pimqttd::core

namespace pimqttd::mqtt {

struct ClientOptions {
  Endpoint endpoint{"localhost", 1883, std::chrono::milliseconds{10'000}};
  /// CONNECT contents, window, keep-alive, timeouts. session.connack_timeout defaults to the
  /// endpoint's timeout when left at its default.
  SessionOptions session{};
  std::chrono::milliseconds backoff_initial{1'000};
  std::chrono::milliseconds backoff_max{60'000};
  /// A connection that lasted this long resets the back-off to its initial value.
  std::chrono::milliseconds stable_after{30'000};
  /// Messages waiting while offline or while the window is full.
  std::size_t outbox_capacity = 1'000;
  /// Bytes handed to the transport and not yet written, above which the outbox stops draining.
  std::size_t max_pending_output = 256 * 1024;
  /// How long stop() waits for DISCONNECT to be written before closing anyway.
  std::chrono::milliseconds stop_timeout{2'000};
};

enum class ConnectionState : std::uint8_t {
  stopped,     ///< start() not called, or stop() finished
  connecting,  ///< transport connecting or waiting for CONNACK
  connected,   ///< CONNACK accepted
  waiting,     ///< lost or refused; a reconnect is scheduled
  stopping,    ///< stop() called; DISCONNECT being written
};

[[nodiscard]] std::string_view to_string(ConnectionState state) noexcept;

struct ClientCounters {
  std::uint64_t published = 0;    ///< PUBLISH packets handed to the session (first sends)
  std::uint64_t completed = 0;    ///< QoS 1/2 messages acknowledged (PUBACK / PUBCOMP)
  std::uint64_t received = 0;     ///< application messages delivered to handlers
  std::uint64_t dropped = 0;      ///< messages the full outbox had to drop
  std::uint64_t replaced = 0;     ///< state messages replaced by a newer one while queued
  std::uint64_t reconnects = 0;   ///< successful connects after the first
  std::uint64_t connect_failures = 0;  ///< attempts that failed or were refused
};

class Client {
 public:
  using MessageHandler = std::function<void(const Publish&)>;
  /// State changes, with the reason for `waiting` (the error that ended the last attempt).
  using StateHandler = std::function<void(ConnectionState, std::error_code)>;

  /// `make_transport` defaults to plain TCP. The loop and worker must outlive the client.
  Client(core::EventLoop& loop, core::Worker& worker, ClientOptions options,
         TransportFactory make_transport = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Starts connecting (once; later calls do nothing until stopped).
  void start();
  /// Sends DISCONNECT if connected (so the broker does not publish the will), waits for the
  /// broker to close the connection (bounded by stop_timeout: closing first, with unread bytes
  /// from the broker, would make the kernel reset the connection and the broker could lose the
  /// DISCONNECT), closes, and runs `done`. Queued and in-flight messages are kept
  /// in memory (a later start() resumes them).
  void stop(std::function<void()> done = {});

  /// Queues a message and sends it as soon as possible. Fails only for an invalid topic
  /// (invalid_topic) or QoS. `state` marks a message whose older queued copies may be replaced.
  std::error_code publish(std::string topic, std::string payload, QoS qos, bool retain,
                          bool state = false);
  /// Subscribes now (if connected) and after every reconnect. One handler per filter: a second
  /// subscribe() to the same filter replaces it. Messages go to every matching filter's handler.
  std::error_code subscribe(std::string filter, QoS qos, MessageHandler handler);
  void unsubscribe(const std::string& filter);

  void on_state_change(StateHandler handler) { state_handler_ = std::move(handler); }
  /// Runs after a QoS 1/2 message is acknowledged, a QoS 0 one is handed to the transport, or
  /// the transport's buffer drained, i.e. whenever there may be room for more: a bulk
  /// publisher's back-pressure hook. Deferred to the loop, never run from inside publish().
  void on_progress(std::function<void()> handler) { progress_handler_ = std::move(handler); }

  [[nodiscard]] ConnectionState state() const noexcept { return state_; }
  [[nodiscard]] const ClientCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] std::size_t queued() const noexcept { return outbox_.size(); }
  [[nodiscard]] std::size_t inflight() const noexcept { return session_.inflight(); }
  /// Encoded bytes not yet handed to the kernel (the session's and the transport's buffers).
  [[nodiscard]] std::size_t pending_output() const noexcept;
  /// The error that ended the last connection or attempt (empty if none yet).
  [[nodiscard]] std::error_code last_error() const noexcept { return last_error_; }
  /// The delay before the next reconnect attempt (meaningful in state `waiting`).
  [[nodiscard]] std::chrono::milliseconds retry_delay() const noexcept { return retry_delay_; }
  [[nodiscard]] const ClientOptions& options() const noexcept { return options_; }

 private:
  struct Subscription {
    QoS qos;
    MessageHandler handler;
  };

  void connect_now();
  void on_transport_connected();
  void on_transport_data(ByteSpan bytes);
  void on_transport_closed(std::error_code error);
  void on_transport_drained();
  void handle_events();
  void connection_ended(std::error_code error);
  void schedule_reconnect(std::error_code error);
  void pump();
  void flush();
  void rearm_session_timer();
  void set_state(ConnectionState state, std::error_code error = {});
  void finish_stop();
  void renew_subscriptions();
  void notify_progress();
  /// Writes the session's output at the end of this loop iteration, so that many publish()
  /// calls in one callback become one write.
  void schedule_flush();
  [[nodiscard]] bool can_send_now(QoS qos) noexcept;
  /// Whether a QoS 1/2 message may take an in-flight slot now (see refill_batch_).
  [[nodiscard]] bool window_has_room() noexcept;

  core::EventLoop& loop_;
  ClientOptions options_;
  Session session_;
  std::unique_ptr<Transport> transport_;
  /// Once the in-flight window has been full, it is refilled only when this many slots (a
  /// quarter of it, at least one) are free again, or nothing is in flight: under load that makes
  /// a few large writes per round trip instead of one per PUBACK, which spares the broker's CPU
  /// as much as ours. A client that never fills its window never waits for it.
  std::size_t refill_batch_;
  bool window_filled_ = false;
  /// A QoS 0 message is in the session's output; flush() reports progress once it is written.
  bool qos0_unflushed_ = false;
  Outbox outbox_;
  std::vector<std::pair<std::string, Subscription>> subscriptions_;
  ConnectionState state_ = ConnectionState::stopped;
  ClientCounters counters_;
  std::error_code last_error_;
  std::error_code last_logged_refusal_;
  std::chrono::milliseconds backoff_;
  std::chrono::milliseconds retry_delay_{0};
  std::chrono::steady_clock::time_point connected_at_{};
  bool ever_connected_ = false;
  core::TimerHandle session_timer_;
  std::chrono::steady_clock::time_point session_timer_at_ = std::chrono::steady_clock::time_point::max();
  core::TimerHandle retry_timer_;
  core::TimerHandle stop_timer_;
  std::function<void()> stop_done_;
  StateHandler state_handler_;
  std::function<void()> progress_handler_;
  std::minstd_rand random_;
  bool pumping_ = false;
  bool progress_scheduled_ = false;
  bool flush_scheduled_ = false;
  /// The last topic publish() validated (a publisher repeats its topics).
  std::optional<std::string> last_valid_topic_;
  /// Weakly held by deferred callbacks, which must not run after the client is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pimqttd::mqtt
