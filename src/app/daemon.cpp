#include "pimqttd/app/daemon.hpp"

#include <sys/signalfd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pimqttd/app/reload_plan.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/log.hpp"
#include "pimqttd/core/file.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/mqtt/tcp_transport.hpp"
#include "pimqttd/mqtt/tls_transport.hpp"

#ifndef PIMQTTD_VERSION
#define PIMQTTD_VERSION "0.0.0"
#endif

namespace pimqttd::app {

namespace {
constexpr core::Log kConfigLog("config");
constexpr core::Log kReloadLog("reload");
constexpr core::Log kClockLog("clock");

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kStopTimeout{1500};
constexpr milliseconds kStopDeadline{seconds{2}};

std::string read_text(const std::filesystem::path& file) {
  std::string text = core::read_file(file).text;
  // The device tree's strings end in NUL; DMI's in a newline.
  while (!text.empty() && (text.back() == '\0' || text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string tls_version(TlsVersion version) { return std::string(to_string(version)); }

}  // namespace

ha::DeviceInfo make_device_info(const Config& config, const std::filesystem::path& system_root) {
  ha::DeviceInfo device;
  device.id = config.device.id;
  device.name = config.device.name;
  device.sw_version = PIMQTTD_VERSION;
  device.suggested_area = config.device.suggested_area.value_or("");
  const std::string model = read_text(system_root / "proc/device-tree/model");
  if (!model.empty()) {
    device.model = model;
    device.manufacturer =
        model.rfind("Raspberry Pi", 0) == 0 ? "Raspberry Pi Ltd" : std::string("unknown");
  } else {
    device.manufacturer = read_text(system_root / "sys/class/dmi/id/sys_vendor");
    device.model = read_text(system_root / "sys/class/dmi/id/product_name");
  }
  if (device.manufacturer.empty()) device.manufacturer = "pimqttd";
  if (device.model.empty()) device.model = "Linux computer";
  return device;
}

mqtt::ClientOptions make_client_options(const Config& config) {
  const MqttConfig& m = config.mqtt;
  mqtt::ClientOptions options;
  options.endpoint.host = m.host;
  options.endpoint.port = m.port;
  options.endpoint.timeout = m.connect_timeout;
  options.session.client_id = m.client_id;
  options.session.clean_session = m.clean_session;
  options.session.keep_alive = m.keep_alive;
  options.session.username = m.username;
  options.session.password = m.password;
  options.session.will = mqtt::Will{m.base_topic + "/" + config.device.id + "/status", "offline",
                                    mqtt::QoS::at_least_once, true};
  options.backoff_initial = m.backoff_initial;
  options.backoff_max = m.backoff_max;
  options.outbox_capacity = m.outbox_size;
  options.stop_timeout = kStopTimeout;
  return options;
}

mqtt::TransportFactory make_transport_factory(const Config& config, core::EventLoop& loop,
                                              core::Worker& worker) {
  const TlsConfig& tls = config.mqtt.tls;
  if (!tls.enabled) {
    return [&loop, &worker] { return std::make_unique<mqtt::TcpTransport>(loop, worker); };
  }
  mqtt::TlsOptions options;
  auto path = [](const std::optional<std::filesystem::path>& p) {
    return p ? p->string() : std::string();
  };
  options.ca_file = path(tls.ca_file);
  options.ca_path = path(tls.ca_path);
  options.cert_file = path(tls.cert_file);
  options.key_file = path(tls.key_file);
  options.key_password_file = path(tls.key_password_file);
  options.insecure = tls.insecure;
  options.alpn = tls.alpn;
  options.min_version = tls_version(tls.min_version);
  options.max_version = tls.max_version ? tls_version(*tls.max_version) : std::string();
  options.server_name = tls.server_name;
  // Checks the files now, so that a bad one stops the daemon at start-up (exit 78).
  (void)mqtt::TlsContext(options);
  return [&loop, &worker, options] {
    return std::make_unique<mqtt::TlsTransport>(loop, worker, options);
  };
}

std::vector<std::unique_ptr<sensors::Sensor>> make_sensors(const Config& config) {
  std::vector<std::unique_ptr<sensors::Sensor>> made;
  for (const SensorConfig& sensor : config.sensors) {
    made.push_back(make_sensor(sensor));
  }
  return made;
}

// -------------------------------------------------------------------------------------------

Daemon::Daemon(core::EventLoop& loop, core::Worker& worker, Config config, DaemonOptions options)
    : loop_(loop),
      worker_(worker),
      config_(std::move(config)),
      options_(std::move(options)),
      store_(options_.state_directory),
      systemd_(loop),
      state_cache_(loop, uplink_),
      announcer_(loop, worker, store_, uplink_, state_cache_, [this] { return entities(); },
                 std::random_device{}()),
      saver_(worker, store_),
      diagnostics_([this] { return client_.get(); }) {
  build_connection();
  rebuild_sensors();  // none running yet: all are built, and started by start()
}

Daemon::~Daemon() {
  stop_sensors();
  saver_.flush();
}

void Daemon::build_connection() {
  topics_ = std::make_unique<ha::Topics>(
      ha::TopicConfig{config_.mqtt.base_topic, config_.homeassistant.discovery_prefix},
      config_.device.id);
  client_ = std::make_unique<mqtt::Client>(loop_, worker_, make_client_options(config_),
                                           make_transport_factory(config_, loop_, worker_));
  client_->on_state_change([this](mqtt::ConnectionState state, std::error_code error) {
    on_connection_state(state, error);
  });
  uplink_.bind(*client_, *topics_);
  announcer_.configure(make_device_info(config_, options_.system_root),
                       config_.homeassistant.reannounce_delay_max);
}

std::vector<sensors::Sensor*> Daemon::rebuild_sensors() {
  std::vector<std::string> wanted;
  for (const SensorConfig& sensor : config_.sensors) wanted.push_back(sensor_key(sensor));
  const ReloadPlan plan = plan_reload(sensor_keys_, wanted);
  std::vector<std::unique_ptr<sensors::Sensor>> old = std::move(sensors_);
  sensors_.clear();
  sensor_keys_ = std::move(wanted);
  for (std::size_t j : plan.stop) {
    old[j]->stop();
    old[j].reset();
  }
  std::vector<sensors::Sensor*> fresh;
  for (std::size_t i = 0; i < config_.sensors.size(); ++i) {
    if (plan.keep[i]) {
      sensors_.push_back(std::move(old[*plan.keep[i]]));
    } else {
      sensors_.push_back(make_sensor(config_.sensors[i]));
      fresh.push_back(sensors_.back().get());
    }
  }
  index_sensors();
  return fresh;
}

void Daemon::index_sensors() {
  std::vector<sensors::Sensor*> all;
  for (const auto& sensor : sensors_) all.push_back(sensor.get());
  all.push_back(&diagnostics_);
  router_.index(all);
  events_.clear();
  std::vector<sensors::EntityInfo> entities;
  for (const sensors::Sensor* sensor : all) {
    for (const sensors::EntityInfo& entity : sensor->entities()) {
      if (entity.platform == sensors::Platform::event) events_.insert(entity.id);
      entities.push_back(entity);
    }
  }
  filters_ = EntityFilters(config_.sensors, entities);
  state_cache_.forget_unless([this](std::string_view id) { return router_.contains(id); });
}

std::vector<sensors::EntityInfo> Daemon::entities() const {
  std::vector<sensors::EntityInfo> all;
  for (const auto& sensor : sensors_) {
    for (sensors::EntityInfo entity : sensor->entities()) {
      filters_.adjust(entity);  // the interval Home Assistant's expire_after derives from
      all.push_back(std::move(entity));
    }
  }
  const auto& own = diagnostics_.entities();
  all.insert(all.end(), own.begin(), own.end());
  return all;
}

ha::Message Daemon::discovery() const { return announcer_.discovery(); }

void Daemon::start() {
  running_ = true;
  for (const std::string& warning : config_.warnings) {
    kConfigLog.warn("{}", warning);
  }
  subscribe_all();
  start_sensors();
  if (!wall_clock_) {
    wall_clock_.emplace(loop_, [this](std::chrono::system_clock::duration step) {
      on_wall_clock_step(step);
    });
  }
  client_->start();
  spdlog::info("pimqttd {} started: device '{}' ({}), {} entities, broker {}:{}{}",
               PIMQTTD_VERSION, config_.device.name, config_.device.id, router_.size(),
               config_.mqtt.host, config_.mqtt.port, config_.mqtt.tls.enabled ? " (TLS)" : "");
  loop_.defer([this] {
    systemd_.ready();
    systemd_.status(fmt::format("connecting to {}:{}", config_.mqtt.host, config_.mqtt.port));
  });
}

void Daemon::on_wall_clock_step(std::chrono::system_clock::duration step) {
  const double seconds = std::chrono::duration<double>(step).count();
  kClockLog.info("wall clock set: {} by {:.3f} s; publishing wall-clock values again",
                 seconds < 0 ? "back" : "forward", seconds < 0 ? -seconds : seconds);
  if (!running_) return;
  for (const auto& sensor : sensors_) sensor->wall_clock_stepped();
  diagnostics_.wall_clock_stepped();
}

void Daemon::start_sensors() {
  for (const auto& sensor : sensors_) sensor->start(*this);
  diagnostics_.start(*this);
}

void Daemon::stop_sensors() {
  for (const auto& sensor : sensors_) sensor->stop();
  diagnostics_.stop();
}

void Daemon::subscribe_all() {
  client_->subscribe(config_.homeassistant.status_topic, mqtt::QoS::at_least_once,
                     [this](const mqtt::Publish& message) {
                       if (running_) announcer_.on_home_assistant_status(message.payload);
                     });
  router_.subscribe(uplink_, entities());
}

void Daemon::stop(std::function<void()> done) {
  if (!running_) {
    if (done) done();
    return;
  }
  running_ = false;
  systemd_.stopping();
  spdlog::info("pimqttd: stopping");
  stop_sensors();
  saver_.flush();
  announcer_.cancel();
  state_cache_.cancel_replay();
  announcer_.announce_offline();
  client_->stop(std::move(done));
}

bool Daemon::reload() {
  if (options_.config_file.empty()) {
    kReloadLog.warn("no configuration file to re-read");
    return false;
  }
  systemd_.reloading();
  const bool applied = apply_reload();
  systemd_.reloaded();
  return applied;
}

bool Daemon::apply_reload() {
  Config next;
  try {
    next = load_config(options_.config_file, options_.load_options);
    if (next.mqtt.tls.enabled) (void)make_transport_factory(next, loop_, worker_);
  } catch (const ConfigError& error) {
    for (const std::string& line : error.errors()) kReloadLog.error("{}", line);
    kReloadLog.error("{} is invalid; still running with the previous configuration",
                     options_.config_file.string());
    systemd_.status("configuration reload failed; running with the previous configuration");
    return false;
  } catch (const mqtt::TlsConfigError& error) {
    kReloadLog.error("{}; still running with the previous configuration", error.what());
    return false;
  }
  for (const std::string& warning : next.warnings) kConfigLog.warn("{}", warning);

  const bool reconnect = needs_new_connection(config_, next);
  config_ = std::move(next);
  const std::vector<sensors::Sensor*> fresh = rebuild_sensors();
  kReloadLog.info("{} sensors kept running, {} (re)built", sensors_.size() - fresh.size(),
                  fresh.size());
  if (reconnect) {
    kReloadLog.info("the connection settings changed; reconnecting");
    announcer_.announce_offline();
    diagnostics_.carry_over(client_->counters());
    retire_client(std::move(client_), {});
    build_connection();
    subscribe_all();
    for (sensors::Sensor* sensor : fresh) sensor->start(*this);
    client_->start();
  } else {
    subscribe_all();
    for (sensors::Sensor* sensor : fresh) sensor->start(*this);
    if (uplink_.connected()) announcer_.announce();
  }
  diagnostics_.publish_all();
  kReloadLog.info("{} entities", router_.size());
  return true;
}

void Daemon::retire_client(std::unique_ptr<mqtt::Client> client, std::function<void()> done) {
  mqtt::Client* raw = client.get();
  auto holder = std::make_shared<std::unique_ptr<mqtt::Client>>(std::move(client));
  raw->stop([this, holder, done = std::move(done)] {
    // Destroyed outside its own callback.
    loop_.defer([holder, done] {
      holder->reset();
      if (done) done();
    });
  });
}

void Daemon::on_connection_state(mqtt::ConnectionState state, std::error_code error) {
  switch (state) {
    case mqtt::ConnectionState::connected:
      systemd_.status(fmt::format("connected to {}:{}, {} entities", config_.mqtt.host,
                                  config_.mqtt.port, router_.size()));
      announcer_.announce();
      break;
    case mqtt::ConnectionState::waiting: {
      const auto delay = std::chrono::duration_cast<seconds>(client_->retry_delay());
      systemd_.status(fmt::format("waiting for broker {}:{}: {}, retry in {} s",
                                  config_.mqtt.host, config_.mqtt.port, error.message(),
                                  std::max<std::int64_t>(1, delay.count())));
      diagnostics_.set_last_error(error.message());
      break;
    }
    default:
      break;
  }
}

void Daemon::publish(std::string_view entity_id, sensors::Value value) {
  if (events_.contains(entity_id)) {
    if (const auto* type = std::get_if<std::string>(&value)) {
      state_cache_.publish_event(entity_id, ha::event_payload(*type));
    }
    return;
  }
  std::optional<sensors::Value> passed =
      filters_.apply(entity_id, std::move(value), std::chrono::steady_clock::now());
  if (!passed) return;  // suppressed by the entity's filters
  state_cache_.update(entity_id, sensors::format_value(*passed));
}

void Daemon::set_available(std::string_view entity_id, bool available) {
  if (state_cache_.set_available(entity_id, available) && available) {
    filters_.reset(entity_id);  // its first reading back is published at once
  }
}

std::optional<std::string> Daemon::restore(std::string_view key) { return saver_.restore(key); }

void Daemon::persist(std::string_view key, std::string value) {
  saver_.persist(key, std::move(value));
}

// -------------------------------------------------------------------------------------------

void run_daemon(Config config, DaemonOptions options) {
  core::EventLoop loop;
  Daemon* running = nullptr;
  bool stopping = false;
  core::TimerHandle stop_deadline;
  // Signals first: the worker thread must inherit them blocked.
  auto stop = [&] {
    if (stopping || running == nullptr) return;
    stopping = true;
    stop_deadline = loop.start_timer(kStopDeadline, [&] {
      spdlog::warn("pimqttd: clean stop took too long; exiting");
      loop.stop();
    });
    running->stop([&] { loop.stop(); });
  };
  loop.on_signal(SIGTERM, [&](const signalfd_siginfo&) { stop(); });
  loop.on_signal(SIGINT, [&](const signalfd_siginfo&) { stop(); });
  loop.on_signal(SIGHUP, [&](const signalfd_siginfo&) {
    if (running != nullptr && !stopping) running->reload();
  });
  core::Worker worker(loop);
  Daemon daemon(loop, worker, std::move(config), std::move(options));
  running = &daemon;
  daemon.start();
  loop.run();
  spdlog::info("pimqttd: stopped");
}

ha::Message discovery_for(Config config, DaemonOptions options) {
  core::EventLoop loop;
  core::Worker worker(loop);
  const Daemon daemon(loop, worker, std::move(config), std::move(options));
  return daemon.discovery();
}

}  // namespace pimqttd::app
