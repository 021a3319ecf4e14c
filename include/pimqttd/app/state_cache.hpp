#pragma once
// StateCache: the last state of every entity and which entities are unavailable, kept so that
// Home Assistant gets them again after discovery.
//
// States are not retained: a state goes out at once while connected; offline only the newest
// value of each entity is kept. After every discovery (on connect, on Home Assistant's birth,
// after a reload) replay_later() re-publishes every kept state a moment later, once Home
// Assistant has subscribed to the state topics; states that arrive meanwhile go out with that
// replay, not before it. Availability is retained: a change goes out at once while connected, and
// the Announcer publishes every entity's availability from here at each discovery.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "pimqttd/app/uplink.hpp"
#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::app {

/// A moment for Home Assistant to subscribe to new state topics after discovery.
inline constexpr std::chrono::milliseconds kStatesAfterDiscovery{1000};

class StateCache {
 public:
  /// Publishes through `uplink` (referred to, not owned).
  StateCache(core::EventLoop& loop, Uplink& uplink,
             std::chrono::milliseconds replay_delay = kStatesAfterDiscovery);
  ~StateCache();
  StateCache(const StateCache&) = delete;
  StateCache& operator=(const StateCache&) = delete;

  /// Keeps `payload` as the entity's state and publishes it on `<base>/<node>/<entity>/state`
  /// (QoS 1, not retained) while connected and no replay is pending.
  void update(std::string_view entity_id, std::string payload);
  /// Publishes an event entity's `payload` on its state topic (QoS 1, not retained) while
  /// connected, even while a replay is pending; never kept, never replayed (an automation must
  /// not fire twice). Offline, the event is dropped.
  void publish_event(std::string_view entity_id, std::string payload);
  /// Keeps the entity's availability; returns whether it changed. A change is published on
  /// `<base>/<node>/<entity>/availability` (`online`/`offline`, retained, QoS 1) while connected.
  bool set_available(std::string_view entity_id, bool available);
  /// True unless set_available(entity_id, false) was the last word on it.
  [[nodiscard]] bool available(std::string_view entity_id) const;
  /// The entity's last state, if any.
  [[nodiscard]] std::optional<std::string> state(std::string_view entity_id) const;

  /// Re-publishes every kept state after replay_delay (if still connected then). A pending replay
  /// is restarted.
  void replay_later();
  /// Cancels a pending replay (stop).
  void cancel_replay();
  /// Forgets the states and unavailability of entities for which `exists` is false (a reload
  /// removed them).
  void forget_unless(const std::function<bool(std::string_view)>& exists);

 private:
  void replay();

  core::EventLoop& loop_;
  Uplink& uplink_;
  std::chrono::milliseconds replay_delay_;
  core::TimerHandle replay_timer_;
  std::map<std::string, std::string, std::less<>> states_;
  std::set<std::string, std::less<>> unavailable_;
};

}  // namespace pimqttd::app
