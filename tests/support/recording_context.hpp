#pragma once
// RecordingContext: a sensors::SensorContext for driver tests. It owns a real loop and worker,
// records everything the sensor hands it in order (readings, availability, persisted state), and
// serves restore() from a map the test fills.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/sensors/sensor.hpp"
#include "support/loop.hpp"

namespace pimqttd::test {

struct SensorEvent {
  enum Type { publish, available, persist } type;
  std::string id;
  sensors::Value value;  // the reading, the availability as a bool, the persisted text
  friend bool operator==(const SensorEvent&, const SensorEvent&) = default;
  friend std::ostream& operator<<(std::ostream& out, const SensorEvent& e) {
    static const char* const kTypes[] = {"publish ", "available ", "persist "};
    return out << kTypes[e.type] << e.id << " " << sensors::format_value(e.value);
  }
};

inline SensorEvent published(std::string id, sensors::Value value) {
  return {SensorEvent::publish, std::move(id), std::move(value)};
}
inline SensorEvent availability(std::string id, bool available) {
  return {SensorEvent::available, std::move(id), available};
}
inline SensorEvent persisted(std::string id, std::string value) {
  return {SensorEvent::persist, std::move(id), std::move(value)};
}

class RecordingContext final : public sensors::SensorContext {
 public:
  core::EventLoop& loop() override { return loop_; }
  core::Worker& worker() override { return worker_; }
  void publish(std::string_view id, sensors::Value value) override {
    record(published(std::string(id), std::move(value)));
    if (on_publish) on_publish(events.back());
  }
  void set_available(std::string_view id, bool available) override {
    record(availability(std::string(id), available));
  }
  std::optional<std::string> restore(std::string_view key) override {
    const auto it = saved.find(std::string(key));
    if (it == saved.end()) return std::nullopt;
    return it->second;
  }
  void persist(std::string_view key, std::string value) override {
    record(persisted(std::string(key), value));
    saved[std::string(key)] = std::move(value);
  }

  /// The events of one type (and entity, when given), in order.
  [[nodiscard]] std::vector<SensorEvent> of(SensorEvent::Type type,
                                            std::string_view id = {}) const {
    std::vector<SensorEvent> out;
    for (const auto& e : events) {
      if (e.type == type && (id.empty() || e.id == id)) out.push_back(e);
    }
    return out;
  }
  /// When the events of one type (and entity) came, in order.
  [[nodiscard]] std::vector<std::chrono::steady_clock::time_point> times_of(
      SensorEvent::Type type, std::string_view id = {}) const {
    std::vector<std::chrono::steady_clock::time_point> out;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (events[i].type == type && (id.empty() || events[i].id == id)) out.push_back(times[i]);
    }
    return out;
  }
  /// The values published for `id`, in order.
  [[nodiscard]] std::vector<sensors::Value> values(std::string_view id) const {
    std::vector<sensors::Value> out;
    for (const auto& e : of(SensorEvent::publish, id)) out.push_back(e.value);
    return out;
  }
  [[nodiscard]] std::size_t count(SensorEvent::Type type, std::string_view id = {}) const {
    return of(type, id).size();
  }
  /// Every event about `id`, of any type, in order.
  [[nodiscard]] std::vector<SensorEvent> of(std::string_view id) const {
    std::vector<SensorEvent> out;
    for (const auto& e : events) {
      if (e.id == id) out.push_back(e);
    }
    return out;
  }
  /// How many values were published for `id`.
  [[nodiscard]] std::size_t count(std::string_view id) const {
    return count(SensorEvent::publish, id);
  }

  /// Forgets the events recorded so far.
  void clear() {
    events.clear();
    times.clear();
  }

  /// Runs the loop until `done` holds (bounded: 10 s).
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds deadline = std::chrono::seconds{10}) {
    return test::run_until(loop_, done, deadline, std::chrono::milliseconds{5});
  }
  /// Runs the loop until `id` has been published `more` more times.
  bool run_publishes(std::string_view id, std::size_t more) {
    const std::size_t target = count(id) + more;
    return run_until([&] { return count(id) >= target; });
  }
  /// Runs the loop for `duration`, to show that nothing happens meanwhile.
  void run_for(std::chrono::milliseconds duration) { test::run_for(loop_, duration); }

  std::vector<SensorEvent> events;
  /// When each event came (steady clock), index for index.
  std::vector<std::chrono::steady_clock::time_point> times;
  /// What restore() answers; persist() writes here too.
  std::map<std::string, std::string> saved;
  /// Called after each publish is recorded (to check the hardware at that moment).
  std::function<void(const SensorEvent&)> on_publish;

 private:
  void record(SensorEvent event) {
    events.push_back(std::move(event));
    times.push_back(std::chrono::steady_clock::now());
  }

  core::EventLoop loop_;
  core::Worker worker_{loop_};
};

}  // namespace pimqttd::test
