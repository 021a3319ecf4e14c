#pragma once
// Daemon: the composition root. It builds the MQTT client, the sensors and the parts below from
// the configuration, wires them onto one event loop, and is every sensor's SensorContext:
// - readings pass through their entity's filters (EntityFilters), then go to the StateCache,
//   which publishes them while connected and keeps the newest for the replay after discovery;
// - on every connect the Announcer announces (removals, discovery, `online`, availability, and a
//   moment later the states); Home Assistant's birth message makes it announce again after a
//   random delay;
// - commands go through the CommandRouter to the sensor that owns the entity;
// - what sensors persist goes to the SensorStateSaver (sensors.json in the state directory);
// - the DiagnosticsSensor announces the daemon's own health like any sensor's entities.
//
// When the wall clock is set (NTP's first sync on a Pi without a battery-backed clock), the step
// is logged and every sensor publishes its wall-clock values again (Sensor::wall_clock_stepped).
//
// stop() (SIGTERM): `offline` on the status topic, DISCONNECT, sensor state saved; a few seconds
// at most. reload() (SIGHUP): re-reads the configuration file; an invalid one is logged and the old
// one keeps running. The ReloadPlan decides which sensors keep running (an unchanged entry, its
// filters aside, keeps its driver: an output keeps its state, a counter its pulses) and which are
// stopped and (re)built. Changed `mqtt`, `device` or `homeassistant` sections rebuild the
// connection; otherwise the device is re-announced on the same connection.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "pimqttd/app/announcer.hpp"
#include "pimqttd/app/command_router.hpp"
#include "pimqttd/app/config.hpp"
#include "pimqttd/app/diagnostics_sensor.hpp"
#include "pimqttd/app/entity_filters.hpp"
#include "pimqttd/app/sensor_state_saver.hpp"
#include "pimqttd/app/state_cache.hpp"
#include "pimqttd/app/state_store.hpp"
#include "pimqttd/app/systemd.hpp"
#include "pimqttd/app/uplink.hpp"
#include "pimqttd/core/wall_clock.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/mqtt/client.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::app {

struct DaemonOptions {
  /// Re-read by reload(); empty: reload() only logs that there is nothing to reload.
  std::filesystem::path config_file;
  LoadOptions load_options;
  /// Where announced.json and sensors.json are kept; empty: in memory only.
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
  // SensorContext
  core::EventLoop& loop() override { return loop_; }
  core::Worker& worker() override { return worker_; }
  void publish(std::string_view entity_id, sensors::Value value) override;
  void set_available(std::string_view entity_id, bool available) override;
  std::optional<std::string> restore(std::string_view key) override;
  void persist(std::string_view key, std::string value) override;

  /// reload()'s work, between RELOADING=1 and READY=1.
  bool apply_reload();
  /// A new client and topics for config_, bound to the uplink.
  void build_connection();
  /// Applies the ReloadPlan from the running sensors to config_'s; returns the sensors built,
  /// still to be started.
  std::vector<sensors::Sensor*> rebuild_sensors();
  /// The filters, the command router and the state cache, from sensors_.
  void index_sensors();
  void start_sensors();
  void stop_sensors();
  void subscribe_all();
  void on_connection_state(mqtt::ConnectionState state, std::error_code error);
  void retire_client(std::unique_ptr<mqtt::Client> client, std::function<void()> done);
  /// The wall clock was set: logged, and every running sensor re-publishes its wall-clock values.
  void on_wall_clock_step(std::chrono::system_clock::duration step);

  core::EventLoop& loop_;
  core::Worker& worker_;
  Config config_;
  DaemonOptions options_;
  StateStore store_;
  SystemdNotifier systemd_;
  std::unique_ptr<ha::Topics> topics_;
  std::unique_ptr<mqtt::Client> client_;
  Uplink uplink_;
  StateCache state_cache_;
  Announcer announcer_;
  CommandRouter router_;
  SensorStateSaver saver_;
  DiagnosticsSensor diagnostics_;
  std::vector<std::unique_ptr<sensors::Sensor>> sensors_;
  /// sensor_key() of each sensor's entry, index for index with sensors_.
  std::vector<std::string> sensor_keys_;
  /// Every entity's filters; rebuilt with the sensors.
  EntityFilters filters_;
  /// The ids of event entities, whose readings are events (rebuilt with the sensors).
  std::set<std::string, std::less<>> events_;
  bool running_ = false;
  /// From start() on (the timerfd that reports sets of the wall clock).
  std::optional<core::WallClockWatch> wall_clock_;
};

/// Runs a daemon for `config` until SIGTERM or SIGINT; SIGHUP reloads. A stop that is not over
/// within 2 seconds is cut short ("clean stop took too long; exiting"). Throws what Daemon's
/// constructor throws.
void run_daemon(Config config, DaemonOptions options);

/// The discovery message a daemon for `config` would announce; nothing is started.
[[nodiscard]] ha::Message discovery_for(Config config, DaemonOptions options);

}  // namespace pimqttd::app
