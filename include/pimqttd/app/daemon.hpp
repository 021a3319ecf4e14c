#pragma once
// Daemon: wires the configuration, the sensors, the Home Assistant conventions and the MQTT client
// onto one event loop.
//
// - On every (re)connect: the removal of entities announced before but no longer configured,
//   the device-based discovery message, `online` on the status topic, every entity's
//   availability, and (a moment later, once Home Assistant has subscribed) every current state.
// - Home Assistant's birth message (`online` on its status topic) re-announces the same after a
//   random delay from 0 to homeassistant.reannounce_delay_max, so that many devices do not
//   answer at once.
// - Readings pass through their entity's filters (entity_filters.hpp), then go out as state
//   messages while connected; offline, only the newest value of each entity is kept and
//   published on reconnect.
// - stop(): `offline` on the status topic, DISCONNECT, state saved; a few seconds at most.
// - Sensors' persisted state (pulse totals, outputs' last states) is kept in the state directory
//   (sensors.json): written on the worker when a sensor persists, and at stop.
// - reload(): re-reads the configuration file; an invalid one is logged and the old one keeps
//   running. A sensor whose entry is unchanged (its filters aside) keeps running untouched: an
//   output keeps its state, a counter its pulses; changed, added and removed entries are
//   stopped and (re)built. Changed `mqtt`, `device` or `homeassistant` sections rebuild the
//   connection; otherwise the device is re-announced on the same connection.
//
// The daemon's own health is announced as diagnostic entities: start time, reconnects, messages
// queued and dropped, and the last connection error.

#include <chrono>
#include <filesystem>
#include <functional>
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pimqttd/app/config.hpp"
#include "pimqttd/app/entity_filters.hpp"
#include "pimqttd/app/state_store.hpp"
#include "pimqttd/app/systemd.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/mqtt/client.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::app {

struct DaemonOptions {
  /// Re-read by reload(); empty: reload() only logs that there is nothing to reload.
  std::filesystem::path config_file;
  LoadOptions load_options;
  /// Where announced.json is kept; empty: in memory only.
  std::filesystem::path state_directory;
  /// Where the device tree and DMI are looked up for the device's model ("/" on a real system).
  std::filesystem::path system_root{"/"};
};

/// The device as Home Assistant sees it: name and id from the config, the board model from the
/// device tree (a Raspberry Pi) or DMI (a PC), pimqttd's version.
[[nodiscard]] ha::DeviceInfo make_device_info(const Config& config,
                                              const std::filesystem::path& system_root);

/// The MQTT client's options for `config`: broker, credentials, keep-alive, back-off, outbox,
/// and the will (`offline`, retained, QoS 1, on `<base>/<node>/status`).
[[nodiscard]] mqtt::ClientOptions make_client_options(const Config& config);

/// The transport `config` asks for (TCP or TLS). Building a TLS transport loads and checks its
/// files: throws mqtt::TlsConfigError naming the file.
[[nodiscard]] mqtt::TransportFactory make_transport_factory(const Config& config,
                                                            core::EventLoop& loop,
                                                            core::Worker& worker);

/// The sensors `config` describes (construction probes what this machine has).
[[nodiscard]] std::vector<std::unique_ptr<sensors::Sensor>> make_sensors(const Config& config);

class Daemon final : private sensors::SensorContext {
 public:
  /// Builds the client (throws mqtt::TlsConfigError for unusable TLS files) and the sensors.
  Daemon(core::EventLoop& loop, core::Worker& worker, Config config, DaemonOptions options);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  /// Starts the sensors and the connection, and tells systemd the daemon is ready.
  void start();
  /// Publishes `offline`, disconnects, stops the sensors; `done` runs when it is over.
  void stop(std::function<void()> done);
  /// Re-reads the configuration file (SIGHUP). Returns false when it was invalid (logged).
  bool reload();

  /// The discovery message the daemon announces (for --print-discovery).
  [[nodiscard]] ha::Message discovery() const;
  /// Every entity announced: the sensors' and the daemon's own diagnostics.
  [[nodiscard]] std::vector<sensors::EntityInfo> entities() const;
  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] const mqtt::Client& client() const noexcept { return *client_; }

 private:
  class Diagnostics;

  // SensorContext
  core::EventLoop& loop() override { return loop_; }
  core::Worker& worker() override { return worker_; }
  void publish(std::string_view entity_id, sensors::Value value) override;
  void set_available(std::string_view entity_id, bool available) override;
  std::optional<std::string> restore(std::string_view key) override;
  void persist(std::string_view key, std::string value) override;

  /// reload()'s work, between RELOADING=1 and READY=1.
  bool apply_reload();
  void build_connection();
  /// Keeps the sensors whose entry did not change (see reload()), stops the others, builds the
  /// new ones; returns those, still to be started.
  std::vector<sensors::Sensor*> rebuild_sensors();
  /// owners_, filters_ and the states of entities that still exist, from sensors_.
  void index_sensors();
  void start_sensors();
  void stop_sensors();
  void subscribe_all();
  void on_connection_state(mqtt::ConnectionState state, std::error_code error);
  void announce();
  void publish_states();
  void schedule_reannounce();
  void publish_message(const ha::Message& message, bool state = false);
  /// Sensor state: persist() writes on the worker, one write at a time (changes made meanwhile
  /// go out in the next); stop and destruction write what is left synchronously.
  void write_sensor_state();
  void save_sensor_state_now();
  void retire_client(std::unique_ptr<mqtt::Client> client, std::function<void()> done);

  core::EventLoop& loop_;
  core::Worker& worker_;
  Config config_;
  DaemonOptions options_;
  StateStore store_;
  SystemdNotifier systemd_;
  ha::DeviceInfo device_;
  std::unique_ptr<ha::Topics> topics_;
  std::unique_ptr<mqtt::Client> client_;
  std::vector<std::unique_ptr<sensors::Sensor>> sensors_;
  /// sensor_to_json(entry).dump() of each sensor's entry, index for index with sensors_.
  std::vector<std::string> sensor_keys_;
  /// Every entity's filters; rebuilt with the sensors.
  EntityFilters filters_;
  std::unique_ptr<Diagnostics> diagnostics_;
  /// entity id -> the sensor that feeds it (for commands)
  std::map<std::string, sensors::Sensor*, std::less<>> owners_;
  /// entity id -> last state payload
  std::map<std::string, std::string, std::less<>> states_;
  std::set<std::string, std::less<>> unavailable_;
  AnnouncedSet announced_;
  SensorState sensor_state_;
  std::shared_ptr<SensorStateWriter> state_writer_;
  std::uint64_t state_sequence_ = 0;  ///< bumped by every change of sensor_state_
  std::uint64_t state_written_ = 0;   ///< the sequence number last written
  bool state_write_in_flight_ = false;
  /// False once the daemon is gone: worker completions then do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  core::TimerId reannounce_timer_ = 0;
  core::TimerId states_timer_ = 0;
  bool running_ = false;
  std::minstd_rand random_;
};

}  // namespace pimqttd::app
