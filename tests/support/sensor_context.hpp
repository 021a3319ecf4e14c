#pragma once
// For sensor tests: a SensorContext that records what a sensor hands it (readings,
// availability, persisted state) on a real loop and worker, and a capture of the log lines.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::test {

struct Event {
  enum Type { publish, available } type;
  std::string id;
  sensors::Value value;  // the reading, or the availability as a bool
  friend bool operator==(const Event&, const Event&) = default;
  friend std::ostream& operator<<(std::ostream& out, const Event& e) {
    return out << (e.type == publish ? "publish " : "available ") << e.id << " "
               << sensors::format_value(e.value);
  }
};

inline Event pub(std::string id, sensors::Value value) { return {Event::publish, std::move(id), std::move(value)}; }
inline Event avail(std::string id, bool available) { return {Event::available, std::move(id), available}; }

class RecordingContext final : public sensors::SensorContext {
 public:
  core::EventLoop& loop() override { return loop_; }
  core::Worker& worker() override { return worker_; }
  void publish(std::string_view id, sensors::Value value) override {
    events.push_back(pub(std::string(id), std::move(value)));
  }
  void set_available(std::string_view id, bool available) override {
    events.push_back(avail(std::string(id), available));
  }

  [[nodiscard]] std::vector<Event> of(const std::string& id) const {
    std::vector<Event> out;
    for (const auto& e : events) {
      if (e.id == id) out.push_back(e);
    }
    return out;
  }
  [[nodiscard]] std::vector<sensors::Value> published(const std::string& id) const {
    std::vector<sensors::Value> out;
    for (const auto& e : events) {
      if (e.id == id && e.type == Event::publish) out.push_back(e.value);
    }
    return out;
  }
  [[nodiscard]] std::size_t count(const std::string& id) const { return published(id).size(); }

  /// Runs the loop until `done` holds or the deadline passes; bounded in time and count.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    for (int i = 0; i < 100000 && !done() && std::chrono::steady_clock::now() < end; ++i) {
      loop_.run_once(std::chrono::milliseconds(10));
    }
    return done();
  }
  /// Runs the loop for `duration` (to show that nothing happens meanwhile).
  void run_for(std::chrono::milliseconds duration) {
    const auto end = std::chrono::steady_clock::now() + duration;
    for (int i = 0; i < 100000 && std::chrono::steady_clock::now() < end; ++i) {
      loop_.run_once(std::chrono::milliseconds(5));
    }
  }
  /// Runs the loop until `id` has been published `more` more times.
  bool run_publishes(const std::string& id, std::size_t more) {
    const std::size_t target = count(id) + more;
    return run_until([&] { return count(id) >= target; });
  }

  std::optional<std::string> restore(std::string_view key) override {
    const auto found = saved.find(std::string(key));
    if (found == saved.end()) return std::nullopt;
    return found->second;
  }
  void persist(std::string_view key, std::string value) override {
    saved[std::string(key)] = value;
    persisted.emplace_back(std::string(key), std::move(value));
  }

  std::vector<Event> events;
  /// What restore() answers (tests preset it) and what persist() last stored per key.
  std::map<std::string, std::string> saved;
  /// Every persist() call, in order.
  std::vector<std::pair<std::string, std::string>> persisted;

 private:
  core::EventLoop loop_;
  core::Worker worker_{loop_};
};

class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100)) {
    previous_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("test", sink_);
    logger->set_pattern("%l %v");
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  [[nodiscard]] std::vector<std::string> lines() const {
    std::vector<std::string> out = sink_->last_formatted();
    for (auto& line : out) {
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    }
    return out;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace pimqttd::test
