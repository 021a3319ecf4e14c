#pragma once
// DiagnosticsSensor: the daemon's own health, announced as diagnostic entities like any sensor's
// and published every minute: pimqttd_started (timestamp), pimqttd_reconnects and
// pimqttd_dropped (total_increasing), pimqttd_queued (measurement) and pimqttd_last_error
// ("none" until the connection fails). The start time is kept as a monotonic time point and turned
// into wall-clock time when the sensor is built and again after the wall clock is set (the wall
// clock now minus the monotonic time elapsed since), so a daemon started before NTP synced
// publishes its true start once the clock is right. It lives in `app`, not `sensors`, because it reads the
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
  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  /// `client` returns the client in use (nullptr: none; the counters are then left out).
  /// `wall_clock` reads the wall clock (tests pass a fake one).
  explicit DiagnosticsSensor(std::function<const mqtt::Client*()> client,
                             WallClock wall_clock = std::chrono::system_clock::now);

  [[nodiscard]] const std::vector<sensors::EntityInfo>& entities() const override {
    return entities_;
  }
  /// Publishes every entity now and then every kDiagnosticsInterval.
  void start(sensors::SensorContext& context) override;
  void stop() override;
  /// Computes the start time again from the wall clock and publishes it (while started).
  void wall_clock_stepped() override;

  /// The client is about to be replaced (reload): its counters are carried over, so that the
  /// totals stay monotonic.
  void carry_over(const mqtt::ClientCounters& counters);
  /// Keeps `text` as the last error and publishes it while started.
  void set_last_error(std::string text);
  /// Publishes every entity's value now (while started).
  void publish_all();

 private:
  void publish_started();

  std::function<const mqtt::Client*()> client_;
  WallClock wall_clock_;
  core::EventLoop::Clock::time_point started_monotonic_;
  std::chrono::system_clock::time_point started_;
  std::vector<sensors::EntityInfo> entities_;
  sensors::SensorContext* context_ = nullptr;
  core::TimerHandle timer_;
  std::uint64_t reconnects_base_ = 0;
  std::uint64_t dropped_base_ = 0;
  std::string last_error_ = "none";
};

}  // namespace pimqttd::app
