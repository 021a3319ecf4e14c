#pragma once
// AptUpdatesSensor: how many packages apt would upgrade on this machine (the `apt_updates`
// sensor type), from the files apt's own `apt-get update` leaves (apt_lists.hpp): apt itself is
// never run, and nothing needs root.
//
// Entities (ids from the sensor id, names from its name):
//
// | entity | name | device class | state class | category | icon |
// | --- | --- | --- | --- | --- | --- |
// | `<id>` | `<name>` | | measurement | | mdi:package-up |
// | `<id>_security` (option `security`) | `<name> security` | | measurement | | mdi:security |
// | `<id>_lists_updated` | `<name> lists updated` | timestamp | | diagnostic | |
//
// All three are sensors (platform sensor).
//
// The counts have no unit and display precision 0 (whole packages). lists_updated is
// AptUpdates::lists_updated in ISO 8601 UTC.
//
// Reading: every `interval` one scan runs as a job on the context's Worker (SerialJob: the
// lists are tens of MB, the loop never reads them), and its result on the loop publishes. Never
// two scans at once: the next is scheduled when one completes (one interval after it started,
// or at once if that has passed); a scan that falls due while an earlier one is still on the
// worker (one from before a stop() and start()) waits for it.
//
// Faults: a scan that fails (no status file, no lists directory, no list it can read) marks
// every entity unavailable and logs the reason once (FaultTracker, polled.hpp, with a reminder
// a day), and the scan is tried again after `interval`. lists_updated alone is unavailable
// while the lists have no Release file. Lists skipped in a scan that succeeded (unreadable) are
// logged as a warning once each, until they read again; compressed lists, which are never read,
// are logged once at info level per start().
//
// stop() cancels the timer and makes a scan still on the worker stale: its completion is
// dropped. Destroying the sensor with a scan in flight is safe (the completion finds it gone).

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/sensors/polled.hpp"
#include "pimqttd/sensors/sensor.hpp"
#include "pimqttd/sensors/serial_job.hpp"
#include "sensors/apt_updates/apt_lists.hpp"

namespace pimqttd::sensors {

struct AptUpdatesOptions {
  std::string id = "updates";
  std::string name = "Updates";
  /// Where var/lib/dpkg and var/lib/apt are looked up ("/" on a real system).
  std::filesystem::path root{"/"};
  std::chrono::milliseconds interval{std::chrono::hours{1}};
  /// Announce `<id>_security`.
  bool security = true;
  friend bool operator==(const AptUpdatesOptions&, const AptUpdatesOptions&) = default;
};

/// The entities of the table above, in its order.
[[nodiscard]] std::vector<EntityInfo> apt_updates_entities(const AptUpdatesOptions& options);

class AptUpdatesSensor final : public Sensor {
 public:
  /// One scan; runs on the worker thread, so it may use only what it captured by value.
  using Scan = std::function<hw::ReadResult<AptUpdates>()>;

  /// `scan` empty: scan_apt_updates(options.root).
  explicit AptUpdatesSensor(AptUpdatesOptions options, Scan scan = {});
  ~AptUpdatesSensor() override;
  AptUpdatesSensor(const AptUpdatesSensor&) = delete;
  AptUpdatesSensor& operator=(const AptUpdatesSensor&) = delete;

  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return entities_; }
  void start(SensorContext& context) override;
  void stop() override;

  /// A scan is on the worker (possibly a stale one).
  [[nodiscard]] bool scanning() const noexcept;

 private:
  void attempt();
  void completed(hw::ReadResult<AptUpdates> result);
  void publish(const AptUpdates& updates);
  void log_skipped(const AptUpdates& updates);

  AptUpdatesOptions options_;
  Scan scan_;
  std::vector<EntityInfo> entities_;
  FaultTracker faults_;
  SerialJob<hw::ReadResult<AptUpdates>> scans_;
  SensorContext* context_ = nullptr;
  core::TimerHandle timer_;
  std::chrono::steady_clock::time_point cycle_start_{};
  std::optional<bool> lists_updated_available_;
  std::set<std::string> warned_;  // skipped lists already logged
  bool told_compressed_ = false;
};

}  // namespace pimqttd::sensors
