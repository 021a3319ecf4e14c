#include "pimqttd/app/daemon.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "pimqttd/sensors/sensor_factory.hpp"
#include "pimqttd/core/error.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/file.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/mqtt/tcp_transport.hpp"
#include "pimqttd/mqtt/tls_transport.hpp"
#include "sensors/system/system.hpp"

#ifndef PIMQTTD_VERSION
#define PIMQTTD_VERSION "0.0.0"
#endif

namespace pimqttd::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

/// A moment for Home Assistant to subscribe to new state topics after discovery.
constexpr milliseconds kStatesAfterDiscovery{1000};
constexpr milliseconds kDiagnosticsInterval{seconds{60}};
constexpr milliseconds kStopTimeout{1500};

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

// -------------------------------------------------------------------------------------------
// The daemon's own diagnostics, announced like any sensor's entities.

class Daemon::Diagnostics final : public sensors::Sensor {
 public:
  explicit Diagnostics(std::function<const mqtt::Client*()> client)
      : client_(std::move(client)), started_(std::chrono::system_clock::now()) {
    auto entity = [](std::string id, std::string name) {
      sensors::EntityInfo info;
      info.id = std::move(id);
      info.name = std::move(name);
      info.diagnostic = true;
      info.interval = kDiagnosticsInterval;
      return info;
    };
    sensors::EntityInfo started = entity("pimqttd_started", "pimqttd started");
    started.device_class = "timestamp";
    sensors::EntityInfo reconnects = entity("pimqttd_reconnects", "MQTT reconnects");
    reconnects.state_class = "total_increasing";
    reconnects.icon = "mdi:lan-connect";
    sensors::EntityInfo queued = entity("pimqttd_queued", "MQTT messages queued");
    queued.state_class = "measurement";
    queued.icon = "mdi:tray-full";
    sensors::EntityInfo dropped = entity("pimqttd_dropped", "MQTT messages dropped");
    dropped.state_class = "total_increasing";
    dropped.icon = "mdi:tray-remove";
    sensors::EntityInfo last_error = entity("pimqttd_last_error", "Last error");
    last_error.icon = "mdi:alert-circle-outline";
    entities_ = {started, reconnects, queued, dropped, last_error};
  }

  const std::vector<sensors::EntityInfo>& entities() const override { return entities_; }

  void start(sensors::SensorContext& context) override {
    context_ = &context;
    publish_all();
    timer_ = context.loop().add_periodic(kDiagnosticsInterval, [this] { publish_all(); });
  }

  void stop() override {
    if (timer_ != 0 && context_ != nullptr) context_->loop().cancel(timer_);
    timer_ = 0;
    context_ = nullptr;
  }

  /// The client was rebuilt (reload): counters start again, the total stays monotonic.
  void carry_over(const mqtt::ClientCounters& counters) {
    reconnects_base_ += counters.reconnects;
    dropped_base_ += counters.dropped;
  }

  void set_last_error(std::string text) {
    last_error_ = std::move(text);
    if (context_ != nullptr) context_->publish("pimqttd_last_error", last_error_);
  }

  void publish_all() {
    if (context_ == nullptr) return;
    const mqtt::Client* client = client_();
    context_->publish("pimqttd_started",
                      sensors::iso8601_utc(std::chrono::system_clock::to_time_t(started_)));
    if (client != nullptr) {
      context_->publish("pimqttd_reconnects",
                        static_cast<double>(reconnects_base_ + client->counters().reconnects));
      context_->publish("pimqttd_queued", static_cast<double>(client->queued()));
      context_->publish("pimqttd_dropped",
                        static_cast<double>(dropped_base_ + client->counters().dropped));
    }
    context_->publish("pimqttd_last_error", last_error_);
  }

 private:
  std::function<const mqtt::Client*()> client_;
  std::chrono::system_clock::time_point started_;
  std::vector<sensors::EntityInfo> entities_;
  sensors::SensorContext* context_ = nullptr;
  core::TimerId timer_ = 0;
  std::uint64_t reconnects_base_ = 0;
  std::uint64_t dropped_base_ = 0;
  std::string last_error_ = "none";
};

// -------------------------------------------------------------------------------------------

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
      random_(std::random_device{}()) {
  announced_ = store_.load_announced();
  sensor_state_ = store_.load_sensor_state();
  state_writer_ = std::make_shared<SensorStateWriter>(store_);
  diagnostics_ = std::make_unique<Diagnostics>([this] { return client_.get(); });
  build_connection();
  rebuild_sensors();  // none running yet: all are built, and started by start()
}

Daemon::~Daemon() {
  stop_sensors();
  save_sensor_state_now();
  *alive_ = false;
  if (reannounce_timer_ != 0) loop_.cancel(reannounce_timer_);
  if (states_timer_ != 0) loop_.cancel(states_timer_);
}

void Daemon::build_connection() {
  device_ = make_device_info(config_, options_.system_root);
  topics_ = std::make_unique<ha::Topics>(
      ha::TopicConfig{config_.mqtt.base_topic, config_.homeassistant.discovery_prefix},
      config_.device.id);
  client_ = std::make_unique<mqtt::Client>(loop_, worker_, make_client_options(config_),
                                           make_transport_factory(config_, loop_, worker_));
  client_->on_state_change([this](mqtt::ConnectionState state, std::error_code error) {
    on_connection_state(state, error);
  });
}

std::vector<sensors::Sensor*> Daemon::rebuild_sensors() {
  std::vector<std::unique_ptr<sensors::Sensor>> old = std::move(sensors_);
  const std::vector<std::string> old_keys = std::move(sensor_keys_);
  sensors_.clear();
  sensor_keys_.clear();
  // An entry whose driver configuration did not change keeps its running sensor: a reload must
  // not switch a relay, reset a debounce or lose a pulse.
  std::vector<std::optional<std::size_t>> reuse;
  std::vector<bool> taken(old.size(), false);
  for (const SensorConfig& sensor : config_.sensors) {
    std::string key = sensor_to_json(sensor).dump();
    std::optional<std::size_t> match;
    for (std::size_t j = 0; j < old.size() && !match; ++j) {
      if (!taken[j] && old_keys[j] == key) {
        taken[j] = true;
        match = j;
      }
    }
    reuse.push_back(match);
    sensor_keys_.push_back(std::move(key));
  }
  // The others stop first, so that what they hold (a GPIO line) is free for their successors.
  for (std::size_t j = 0; j < old.size(); ++j) {
    if (!taken[j]) {
      old[j]->stop();
      old[j].reset();
    }
  }
  std::vector<sensors::Sensor*> fresh;
  for (std::size_t i = 0; i < config_.sensors.size(); ++i) {
    if (reuse[i]) {
      sensors_.push_back(std::move(old[*reuse[i]]));
    } else {
      sensors_.push_back(make_sensor(config_.sensors[i]));
      fresh.push_back(sensors_.back().get());
    }
  }
  index_sensors();
  return fresh;
}

void Daemon::index_sensors() {
  filters_ = EntityFilters(config_.sensors);
  owners_.clear();
  for (const auto& sensor : sensors_) {
    for (const sensors::EntityInfo& entity : sensor->entities()) {
      owners_[entity.id] = sensor.get();
    }
  }
  for (const sensors::EntityInfo& entity : diagnostics_->entities()) {
    owners_[entity.id] = diagnostics_.get();
  }
  // Forget what belongs to entities that no longer exist.
  std::erase_if(states_, [this](const auto& entry) { return !owners_.contains(entry.first); });
  std::erase_if(unavailable_, [this](const auto& id) { return !owners_.contains(id); });
}

std::vector<sensors::EntityInfo> Daemon::entities() const {
  std::vector<sensors::EntityInfo> all;
  for (const auto& sensor : sensors_) {
    for (sensors::EntityInfo entity : sensor->entities()) {
      filters_.adjust(entity);  // the interval Home Assistant's expire_after derives from
      all.push_back(std::move(entity));
    }
  }
  const auto& own = diagnostics_->entities();
  all.insert(all.end(), own.begin(), own.end());
  return all;
}

ha::Message Daemon::discovery() const {
  return ha::discovery_message(device_, *topics_, entities());
}

void Daemon::start() {
  running_ = true;
  for (const std::string& warning : config_.warnings) {
    spdlog::warn("config: {}", warning);
  }
  subscribe_all();
  start_sensors();
  client_->start();
  spdlog::info("pimqttd {} started: device '{}' ({}), {} entities, broker {}:{}{}",
               PIMQTTD_VERSION, config_.device.name, config_.device.id, owners_.size(),
               config_.mqtt.host, config_.mqtt.port, config_.mqtt.tls.enabled ? " (TLS)" : "");
  loop_.defer([this] {
    systemd_.ready();
    systemd_.status(fmt::format("connecting to {}:{}", config_.mqtt.host, config_.mqtt.port));
  });
}

void Daemon::start_sensors() {
  for (const auto& sensor : sensors_) sensor->start(*this);
  diagnostics_->start(*this);
}

void Daemon::stop_sensors() {
  for (const auto& sensor : sensors_) sensor->stop();
  diagnostics_->stop();
}

void Daemon::subscribe_all() {
  client_->subscribe(config_.homeassistant.status_topic, mqtt::QoS::at_least_once,
                     [this](const mqtt::Publish& message) {
                       if (message.payload == "online") schedule_reannounce();
                     });
  for (const sensors::EntityInfo& entity : entities()) {
    if (!entity.commandable) continue;
    client_->subscribe(topics_->command(entity.id), mqtt::QoS::at_least_once,
                       [this, id = entity.id](const mqtt::Publish& message) {
                         if (auto found = owners_.find(id); found != owners_.end()) {
                           found->second->command(id, message.payload);
                         }
                       });
  }
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
  save_sensor_state_now();
  for (core::TimerId* timer : {&reannounce_timer_, &states_timer_}) {
    if (*timer != 0) loop_.cancel(*timer);
    *timer = 0;
  }
  if (client_->state() == mqtt::ConnectionState::connected) {
    publish_message({topics_->status(), "offline", true, 1});
  }
  client_->stop(std::move(done));
}

bool Daemon::reload() {
  if (options_.config_file.empty()) {
    spdlog::warn("reload: no configuration file to re-read");
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
    for (const std::string& line : error.errors()) spdlog::error("reload: {}", line);
    spdlog::error("reload: {} is invalid; still running with the previous configuration",
                  options_.config_file.string());
    systemd_.status("configuration reload failed; running with the previous configuration");
    return false;
  } catch (const mqtt::TlsConfigError& error) {
    spdlog::error("reload: {}; still running with the previous configuration", error.what());
    return false;
  }
  for (const std::string& warning : next.warnings) spdlog::warn("config: {}", warning);

  const bool reconnect = next.mqtt != config_.mqtt || next.device != config_.device ||
                         next.homeassistant != config_.homeassistant;
  config_ = std::move(next);
  const std::vector<sensors::Sensor*> fresh = rebuild_sensors();
  spdlog::info("reload: {} sensors kept running, {} (re)built", sensors_.size() - fresh.size(),
               fresh.size());
  if (reconnect) {
    spdlog::info("reload: the connection settings changed; reconnecting");
    if (client_->state() == mqtt::ConnectionState::connected) {
      publish_message({topics_->status(), "offline", true, 1});
    }
    diagnostics_->carry_over(client_->counters());
    retire_client(std::move(client_), {});
    build_connection();
    subscribe_all();
    for (sensors::Sensor* sensor : fresh) sensor->start(*this);
    client_->start();
  } else {
    subscribe_all();
    for (sensors::Sensor* sensor : fresh) sensor->start(*this);
    if (client_->state() == mqtt::ConnectionState::connected) announce();
  }
  diagnostics_->publish_all();
  spdlog::info("reload: {} entities", owners_.size());
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
                                  config_.mqtt.port, owners_.size()));
      announce();
      break;
    case mqtt::ConnectionState::waiting: {
      const auto delay = std::chrono::duration_cast<seconds>(client_->retry_delay());
      systemd_.status(fmt::format("waiting for broker {}:{}: {}, retry in {} s",
                                  config_.mqtt.host, config_.mqtt.port, error.message(),
                                  std::max<std::int64_t>(1, delay.count())));
      diagnostics_->set_last_error(error.message());
      break;
    }
    default:
      break;
  }
}

void Daemon::announce() {
  const std::vector<sensors::EntityInfo> current = entities();
  AnnouncedSet now;
  for (const sensors::EntityInfo& entity : current) now.emplace_back(entity.id, entity.platform);
  AnnouncedSet removed;
  for (const auto& entry : announced_) {
    if (std::find(now.begin(), now.end(), entry) == now.end()) removed.push_back(entry);
  }
  if (!removed.empty()) {
    spdlog::info("announce: removing {} entities no longer configured", removed.size());
    publish_message(ha::removal_message(device_, *topics_, current, removed));
  }
  publish_message(ha::discovery_message(device_, *topics_, current));
  publish_message({topics_->status(), "online", true, 1});
  for (const sensors::EntityInfo& entity : current) {
    const bool available = !unavailable_.contains(entity.id);
    publish_message({topics_->availability(entity.id), available ? "online" : "offline", true, 1});
  }
  if (now != announced_) {
    announced_ = now;
    worker_.submit([store = store_, now]() -> core::Worker::Completion {
      std::string failure;
      try {
        store.save_announced(now);
      } catch (const std::exception& error) {
        failure = error.what();
      }
      return [failure] {
        if (!failure.empty()) spdlog::error("state: cannot save announced entities: {}", failure);
      };
    });
  }
  if (states_timer_ != 0) loop_.cancel(states_timer_);
  states_timer_ = loop_.add_timer(kStatesAfterDiscovery, [this] {
    states_timer_ = 0;
    publish_states();
  });
}

void Daemon::publish_states() {
  if (client_->state() != mqtt::ConnectionState::connected) return;
  for (const auto& [id, payload] : states_) {
    publish_message({topics_->state(id), payload, false, 1}, true);
  }
}

void Daemon::schedule_reannounce() {
  if (!running_ || reannounce_timer_ != 0) return;
  const auto max = config_.homeassistant.reannounce_delay_max.count();
  std::uniform_int_distribution<std::int64_t> delay(0, std::max<std::int64_t>(0, max));
  const milliseconds wait(delay(random_));
  spdlog::info("Home Assistant came online: announcing again in {} ms", wait.count());
  reannounce_timer_ = loop_.add_timer(wait, [this] {
    reannounce_timer_ = 0;
    if (client_->state() == mqtt::ConnectionState::connected) announce();
  });
}

void Daemon::publish(std::string_view entity_id, sensors::Value value) {
  std::optional<sensors::Value> passed =
      filters_.apply(entity_id, std::move(value), std::chrono::steady_clock::now());
  if (!passed) return;  // suppressed by the entity's filters
  std::string payload = sensors::format_value(*passed);
  auto [it, inserted] = states_.try_emplace(std::string(entity_id), payload);
  if (!inserted) it->second = payload;
  // Offline, only the newest value matters: it goes out with the others on reconnect.
  if (client_ && client_->state() == mqtt::ConnectionState::connected && states_timer_ == 0) {
    publish_message({topics_->state(entity_id), std::move(payload), false, 1}, true);
  }
}

void Daemon::set_available(std::string_view entity_id, bool available) {
  bool changed = false;
  if (auto found = unavailable_.find(entity_id); available && found != unavailable_.end()) {
    unavailable_.erase(found);
    changed = true;
    filters_.reset(entity_id);  // its first reading back is published at once
  } else if (!available && found == unavailable_.end()) {
    unavailable_.emplace(entity_id);
    changed = true;
  }
  if (changed && client_ && client_->state() == mqtt::ConnectionState::connected) {
    publish_message({topics_->availability(entity_id), available ? "online" : "offline", true, 1});
  }
}

void Daemon::publish_message(const ha::Message& message, bool state) {
  const auto error = client_->publish(message.topic, message.payload,
                                      static_cast<mqtt::QoS>(message.qos), message.retain, state);
  if (error) {
    spdlog::error("publish to '{}' failed: {}", message.topic, error.message());
  }
}

std::optional<std::string> Daemon::restore(std::string_view key) {
  const auto found = sensor_state_.find(key);
  if (found == sensor_state_.end()) return std::nullopt;
  return found->second;
}

void Daemon::persist(std::string_view key, std::string value) {
  auto [it, inserted] = sensor_state_.try_emplace(std::string(key), value);
  if (!inserted) {
    if (it->second == value) return;
    it->second = std::move(value);
  }
  ++state_sequence_;
  if (!state_write_in_flight_) write_sensor_state();
}

void Daemon::write_sensor_state() {
  state_write_in_flight_ = true;
  const std::uint64_t sequence = state_sequence_;
  // The job runs on the worker and touches only its copies; the completion runs on the loop.
  worker_.submit([self = this, writer = state_writer_, state = sensor_state_, sequence,
                  alive = alive_]() -> core::Worker::Completion {
    std::string failure;
    try {
      writer->write(sequence, state);
    } catch (const std::exception& error) {
      failure = error.what();
    }
    return [self, failure, sequence, alive] {
      if (!failure.empty()) spdlog::error("state: cannot save sensor state: {}", failure);
      if (!*alive) return;
      // A failed write is tried again with the next change, and at stop.
      if (failure.empty()) self->state_written_ = std::max(self->state_written_, sequence);
      self->state_write_in_flight_ = false;
      // What changed meanwhile goes out in one more write.
      if (self->state_sequence_ > sequence) self->write_sensor_state();
    };
  });
}

void Daemon::save_sensor_state_now() {
  if (state_sequence_ <= state_written_) return;
  try {
    state_writer_->write(state_sequence_, sensor_state_);
    state_written_ = state_sequence_;
  } catch (const std::exception& error) {
    spdlog::error("state: cannot save sensor state: {}", error.what());
  }
}

}  // namespace pimqttd::app
