#pragma once
// Uplink: the MQTT client and the topics the app's parts publish through. The Daemon owns both
// and binds the uplink to them; when a reload rebuilds the connection it binds the new ones. The
// parts (Announcer, StateCache, CommandRouter) hold a reference to the uplink, never to a client,
// so they follow a rebuilt connection without being told.

#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/mqtt/client.hpp"

namespace pimqttd::app {

class Uplink {
 public:
  /// `client` and `topics` are referred to, not owned: they must outlive the binding (until the
  /// next bind()).
  void bind(mqtt::Client& client, const ha::Topics& topics) noexcept {
    client_ = &client;
    topics_ = &topics;
  }

  /// True while bound to a client that is connected.
  [[nodiscard]] bool connected() const noexcept {
    return client_ != nullptr && client_->state() == mqtt::ConnectionState::connected;
  }

  /// Hands `message` to the client (queued while offline); `state` marks a state message, whose
  /// older queued copies the client may replace. A failure (an invalid topic) is logged as
  /// "publish to '<topic>' failed: <reason>". Bound only.
  void publish(const ha::Message& message, bool state = false) const;

  /// Bound only.
  [[nodiscard]] mqtt::Client& client() const noexcept { return *client_; }
  [[nodiscard]] const ha::Topics& topics() const noexcept { return *topics_; }

 private:
  mqtt::Client* client_ = nullptr;
  const ha::Topics* topics_ = nullptr;
};

}  // namespace pimqttd::app
