#include "pimqttd/app/diagnostics_sensor.hpp"

#include <utility>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::app {

namespace {

sensors::EntityInfo diagnostic(std::string id, std::string name, std::string device_class,
                               std::string state_class, std::string icon) {
  sensors::EntityInfo info;
  info.id = std::move(id);
  info.name = std::move(name);
  info.device_class = std::move(device_class);
  info.state_class = std::move(state_class);
  info.icon = std::move(icon);
  info.diagnostic = true;
  info.interval = kDiagnosticsInterval;
  return info;
}

}  // namespace

DiagnosticsSensor::DiagnosticsSensor(std::function<const mqtt::Client*()> client,
                                     WallClock wall_clock)
    : client_(std::move(client)),
      wall_clock_(std::move(wall_clock)),
      started_monotonic_(core::EventLoop::now()),
      started_(wall_clock_()),
      entities_{
          diagnostic("pimqttd_started", "pimqttd started", "timestamp", "", ""),
          diagnostic("pimqttd_reconnects", "MQTT reconnects", "", "total_increasing",
                     "mdi:lan-connect"),
          diagnostic("pimqttd_queued", "MQTT messages queued", "", "measurement", "mdi:tray-full"),
          diagnostic("pimqttd_dropped", "MQTT messages dropped", "", "total_increasing",
                     "mdi:tray-remove"),
          diagnostic("pimqttd_last_error", "Last error", "", "", "mdi:alert-circle-outline"),
      } {}

void DiagnosticsSensor::start(sensors::SensorContext& context) {
  context_ = &context;
  publish_all();
  timer_ = context.loop().start_periodic(kDiagnosticsInterval, [this] { publish_all(); });
}

void DiagnosticsSensor::stop() {
  timer_.reset();
  context_ = nullptr;
}

void DiagnosticsSensor::wall_clock_stepped() {
  const auto elapsed = core::EventLoop::now() - started_monotonic_;
  started_ = wall_clock_() -
             std::chrono::duration_cast<std::chrono::system_clock::duration>(elapsed);
  if (context_ != nullptr) publish_started();
}

void DiagnosticsSensor::carry_over(const mqtt::ClientCounters& counters) {
  reconnects_base_ += counters.reconnects;
  dropped_base_ += counters.dropped;
}

void DiagnosticsSensor::set_last_error(std::string text) {
  last_error_ = std::move(text);
  if (context_ != nullptr) context_->publish("pimqttd_last_error", last_error_);
}

void DiagnosticsSensor::publish_started() {
  context_->publish("pimqttd_started",
                    sensors::iso8601_utc(std::chrono::system_clock::to_time_t(started_)));
}

void DiagnosticsSensor::publish_all() {
  if (context_ == nullptr) return;
  const mqtt::Client* client = client_();
  publish_started();
  if (client != nullptr) {
    context_->publish("pimqttd_reconnects",
                      static_cast<double>(reconnects_base_ + client->counters().reconnects));
    context_->publish("pimqttd_queued", static_cast<double>(client->queued()));
    context_->publish("pimqttd_dropped",
                      static_cast<double>(dropped_base_ + client->counters().dropped));
  }
  context_->publish("pimqttd_last_error", last_error_);
}

}  // namespace pimqttd::app
