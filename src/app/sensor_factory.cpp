#include "pimqttd/app/sensor_factory.hpp"

#include <stdexcept>

#include "pimqttd/app/system_sensor_config.hpp"
#include "pimqttd/sensors/system.hpp"

namespace pimqttd::app {
namespace {

sensors::SystemMetricKind to_driver(SystemMetricKind kind) {
  using In = SystemMetricKind;
  using Out = sensors::SystemMetricKind;
  switch (kind) {
    case In::cpu_temperature:
      return Out::cpu_temperature;
    case In::cpu_usage:
      return Out::cpu_usage;
    case In::load_1m:
      return Out::load_1m;
    case In::load_5m:
      return Out::load_5m;
    case In::load_15m:
      return Out::load_15m;
    case In::memory_used:
      return Out::memory_used;
    case In::swap_used:
      return Out::swap_used;
    case In::disk_used:
      return Out::disk_used;
    case In::uptime:
      return Out::uptime;
    case In::network_rx:
      return Out::network_rx;
    case In::network_tx:
      return Out::network_tx;
    case In::wifi_signal:
      return Out::wifi_signal;
    case In::under_voltage:
      return Out::under_voltage;
    case In::under_voltage_since_boot:
      return Out::under_voltage_since_boot;
    case In::frequency_capped:
      return Out::frequency_capped;
    case In::frequency_capped_since_boot:
      return Out::frequency_capped_since_boot;
    case In::throttled:
      return Out::throttled;
    case In::throttled_since_boot:
      return Out::throttled_since_boot;
    case In::soft_temperature_limit:
      return Out::soft_temperature_limit;
    case In::soft_temperature_limit_since_boot:
      return Out::soft_temperature_limit_since_boot;
  }
  throw std::logic_error("unknown system metric kind");
}

std::unique_ptr<sensors::Sensor> make_system_sensor(const SensorConfig& config) {
  const auto* settings = config.settings_as<SystemSensorConfig>();
  if (settings == nullptr) {
    throw std::logic_error("sensor '" + config.id + "' of type system has no system settings");
  }
  sensors::SystemSensorOptions options;
  options.id = config.id;
  options.root = settings->root;
  options.thermal_zone = settings->cpu_temperature.zone;
  for (const SystemEntity& entity : settings->system_entities(config)) {
    options.metrics.push_back(sensors::SystemMetricSpec{
        to_driver(entity.metric), entity.subject, entity.entity.id, entity.entity.name,
        entity.interval});
  }
  return std::make_unique<sensors::SystemSensor>(std::move(options));
}

}  // namespace

std::unique_ptr<sensors::Sensor> make_sensor(const SensorConfig& config) {
  if (config.type == "system") return make_system_sensor(config);
  throw std::logic_error("sensor '" + config.id + "': type '" + config.type +
                         "' has no driver in this build");
}

}  // namespace pimqttd::app
