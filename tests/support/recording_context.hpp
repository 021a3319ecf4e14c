#pragma once
// RecordingContext: a sensors::SensorContext for driver tests. It owns a real core::EventLoop
// (and a Worker on it) and records, in order, every reading and availability change a sensor
// hands it, so tests can assert the exact sequence.

#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::test {

struct SensorEvent {
  enum Type { publish, available } type;
  std::string id;
  sensors::Value value;  ///< the reading, or the availability as a bool
  friend bool operator==(const SensorEvent&, const SensorEvent&) = default;
  friend std::ostream& operator<<(std::ostream& out, const SensorEvent& e) {
    return out << (e.type == publish ? "publish " : "available ") << e.id << " "
               << sensors::format_value(e.value);
  }
};

inline SensorEvent published(std::string id, sensors::Value value) {
  return {SensorEvent::publish, std::move(id), std::move(value)};
}
inline SensorEvent availability(std::string id, bool available) {
  return {SensorEvent::available, std::move(id), available};
}

class RecordingContext final : public sensors::SensorContext {
 public:
  core::EventLoop& loop() override { return loop_; }
  core::Worker& worker() override { return worker_; }
  void publish(std::string_view id, sensors::Value value) override {
    events.push_back(published(std::string(id), std::move(value)));
  }
  void set_available(std::string_view id, bool available) override {
    events.push_back(availability(std::string(id), available));
  }

  /// How many readings `id` has received.
  [[nodiscard]] std::size_t count(std::string_view id) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.type == SensorEvent::publish && e.id == id ? 1 : 0;
    return n;
  }

  std::vector<SensorEvent> events;

 private:
  core::EventLoop loop_;
  core::Worker worker_{loop_};
};

}  // namespace pimqttd::test
