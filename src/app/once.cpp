#include "pimqttd/app/once.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>
#include <variant>

#include "pimqttd/app/daemon.hpp"
#include "pimqttd/app/entity_filters.hpp"

namespace pimqttd::app {
namespace {

/// Every sensor's first reading of every entity, and the entities that reported a failure.
class Collector final : public sensors::SensorContext {
 public:
  Collector(core::EventLoop& loop, core::Worker& worker) : loop_(loop), worker_(worker) {}
  core::EventLoop& loop() override { return loop_; }
  core::Worker& worker() override { return worker_; }
  void publish(std::string_view entity_id, sensors::Value value) override {
    readings_[std::string(entity_id)] = std::move(value);
  }
  void set_available(std::string_view entity_id, bool available) override {
    if (!available) failed_[std::string(entity_id)] = true;
  }
  [[nodiscard]] std::size_t answered() const { return readings_.size() + failed_.size(); }
  [[nodiscard]] const std::map<std::string, sensors::Value>& readings() const {
    return readings_;
  }

 private:
  core::EventLoop& loop_;
  core::Worker& worker_;
  std::map<std::string, sensors::Value> readings_;
  std::map<std::string, bool> failed_;
};

bool is_output(const sensors::Sensor& sensor) {
  const auto& entities = sensor.entities();
  return std::any_of(entities.begin(), entities.end(),
                     [](const auto& entity) { return entity.commandable; });
}

}  // namespace

OnceResult read_once(std::vector<std::unique_ptr<sensors::Sensor>> sensors, core::EventLoop& loop,
                     core::Worker& worker, std::chrono::milliseconds deadline) {
  OnceResult result;
  std::erase_if(sensors, [&result](const auto& sensor) {
    if (!is_output(*sensor)) return false;
    for (const auto& entity : sensor->entities()) result.outputs.push_back(entity.id);
    return true;
  });
  Collector collector(loop, worker);
  std::size_t expected = 0;
  for (auto& sensor : sensors) {
    expected += static_cast<std::size_t>(
        std::count_if(sensor->entities().begin(), sensor->entities().end(),
                      [](const auto& entity) { return sensors::keeps_state(entity.platform); }));
    sensor->start(collector);
  }
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  while (collector.answered() < expected && std::chrono::steady_clock::now() < give_up) {
    loop.run_once(std::chrono::milliseconds(50));
  }
  for (auto& sensor : sensors) sensor->stop();

  for (const auto& sensor : sensors) {
    for (const auto& entity : sensor->entities()) {
      if (!sensors::keeps_state(entity.platform)) continue;  // events: nothing to read once
      auto found = collector.readings().find(entity.id);
      if (found == collector.readings().end()) {
        result.readings[entity.id] = nullptr;
        ++result.missing;
        continue;
      }
      std::visit([&](const auto& v) { result.readings[entity.id] = v; },
                 rounded(found->second, entity.display_precision));
      if (!entity.unit.empty()) result.readings[entity.id + "_unit"] = entity.unit;
    }
    for (const auto& listing : sensor->listings()) result.readings[listing.key] = listing.items;
  }
  return result;
}

OnceResult read_once(const Config& config) {
  core::EventLoop loop;
  core::Worker worker(loop);
  return read_once(make_sensors(config), loop, worker, kOnceDeadline);
}

}  // namespace pimqttd::app
