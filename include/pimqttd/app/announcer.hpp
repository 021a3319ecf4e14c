#pragma once
// Announcer: tells Home Assistant what the device is, through the uplink.
//
// announce() (on every connect, on Home Assistant's birth, after a reload that keeps the
// connection) publishes, in this order and all retained at QoS 1:
// - when entities announced before are no longer configured, the removal message on
//   `<discovery_prefix>/device/<node>/config` (ha::removal_message);
// - the discovery message on the same topic (ha::discovery_message);
// - `online` on `<base>/<node>/status`;
// - every entity's availability from the StateCache;
// and then asks the StateCache to replay the states a moment later. The set of entities announced
// is kept in the state directory (announced.json, written on the worker when it changes), so that
// removals survive a restart.
//
// The birth-message rule: `online` on Home Assistant's status topic announces again after a random
// delay from 0 to the configured maximum, so that many devices do not answer at once; one pending
// re-announce at a time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>
#include <vector>

#include "pimqttd/app/state_cache.hpp"
#include "pimqttd/app/state_store.hpp"
#include "pimqttd/app/uplink.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::app {

class Announcer {
 public:
  /// What is announced: every entity, asked at each announce.
  using EntityList = std::function<std::vector<sensors::EntityInfo>()>;

  /// Loads the set announced last from `store`. `uplink` and `states` are referred to, not owned.
  /// `seed` seeds the re-announce delay's random generator.
  Announcer(core::EventLoop& loop, core::Worker& worker, StateStore store, Uplink& uplink,
            StateCache& states, EntityList entities, std::uint_fast32_t seed);
  ~Announcer();
  Announcer(const Announcer&) = delete;
  Announcer& operator=(const Announcer&) = delete;

  /// The device announced, and the largest re-announce delay; set whenever the connection is
  /// (re)built.
  void configure(ha::DeviceInfo device, std::chrono::milliseconds reannounce_delay_max);

  /// The discovery message announce() publishes (also for --print-discovery).
  [[nodiscard]] ha::Message discovery() const;
  /// Removal, discovery, `online`, availability; states a moment later (see above).
  void announce();
  /// A message on Home Assistant's status topic: `online` schedules announce() after a random
  /// delay (logged as "Home Assistant came online: announcing again in <n> ms") unless one is
  /// pending; it runs only if still connected then. Anything else is ignored.
  void on_home_assistant_status(std::string_view payload);
  /// Publishes `offline` on `<base>/<node>/status` (retained, QoS 1) if connected.
  void announce_offline();
  /// Cancels a pending re-announce (stop).
  void cancel();

  /// The (entity id, platform) pairs announced last.
  [[nodiscard]] const AnnouncedSet& announced() const noexcept { return announced_; }

 private:
  void save_announced();

  core::EventLoop& loop_;
  core::Worker& worker_;
  StateStore store_;
  Uplink& uplink_;
  StateCache& states_;
  EntityList entities_;
  ha::DeviceInfo device_;
  std::chrono::milliseconds reannounce_delay_max_{0};
  AnnouncedSet announced_;
  core::TimerHandle reannounce_timer_;
  std::minstd_rand random_;
};

}  // namespace pimqttd::app
