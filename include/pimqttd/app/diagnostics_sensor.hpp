#pragma once
// DiagnosticsSensor: the daemon's own health, announced as diagnostic entities like any sensor's
// and published every minute: pimqttd_started (timestamp), pimqttd_reconnects and
// pimqttd_dropped (total_increasing), pimqttd_queued (measurement) and pimqttd_last_error
// ("none" until the connection fails). It lives in `app`, not `sensors`, because it reads the
// MQTT client's counters.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/mqtt/client.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::app {

inline constexpr std::chrono::milliseconds kDiagnosticsInterval{std::chrono::seconds{60}};

class DiagnosticsSensor final : public sensors::Sensor {
 public:
  /// `client` returns the client in use (nullptr: none; the counters are then left out).
  explicit DiagnosticsSensor(std::function<const mqtt::Client*()> client);

  [[nodiscard]] const std::vector<sensors::EntityInfo>& entities() const override {
    return entities_;
  }
  /// Publishes every entity now and then every kDiagnosticsInterval.
  void start(sensors::SensorContext& context) override;
  void stop() override;

  /// The client is about to be replaced (reload): its counters are carried over, so that the
  /// totals stay monotonic.
  void carry_over(const mqtt::ClientCounters& counters);
  /// Keeps `text` as the last error and publishes it while started.
  void set_last_error(std::string text);
  /// Publishes every entity's value now (while started).
  void publish_all();

 private:
  std::function<const mqtt::Client*()> client_;
  std::chrono::system_clock::time_point started_;
  std::vector<sensors::EntityInfo> entities_;
  sensors::SensorContext* context_ = nullptr;
  core::TimerHandle timer_;
  std::uint64_t reconnects_base_ = 0;
  std::uint64_t dropped_base_ = 0;
  std::string last_error_ = "none";
};

}  // namespace pimqttd::app
