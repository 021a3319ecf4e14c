#pragma once
// StateStore: what the daemon keeps on disk between runs, in its state directory
// (/var/lib/pimqttd under systemd's StateDirectory=).
//
// - announced.json: the set of entities last announced to Home Assistant, so that an entity
//   removed from the configuration is removed from Home Assistant at the next connect, also after
//   a restart; written only when the set changes.
// - sensors.json: what sensors keep between runs (pulse counters' totals, outputs' last states),
//   as text values by key; sensors decide how often they persist, so routine operation does not
//   wear out an SD card.
// Writes are atomic (temporary file, fsync, rename, fsync of the directory): a power cut leaves
// the previous file or the new one, never a torn one.

#include <filesystem>
#include <functional>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::app {

/// (entity id, platform) as announced.
using AnnouncedSet = std::vector<std::pair<std::string, sensors::Platform>>;
/// Sensor state by key (an entity id).
using SensorState = std::map<std::string, std::string, std::less<>>;

class StateStore {
 public:
  /// `directory` is created if missing. An empty path keeps everything in memory (for --once
  /// and tests that do not care).
  explicit StateStore(std::filesystem::path directory);

  /// The set saved last; empty when there is none, or when the file is unreadable or corrupt
  /// (logged as a warning: the worst outcome is a stale entity left in Home Assistant).
  [[nodiscard]] AnnouncedSet load_announced() const;
  /// Saves the set atomically. Throws std::system_error when the directory is not writable.
  void save_announced(const AnnouncedSet& set) const;

  /// What sensors saved; empty when nothing was, or when the file is corrupt (logged as an error:
  /// counters then start again from zero).
  [[nodiscard]] SensorState load_sensor_state() const;
  /// Saves `state` atomically. Throws std::system_error when the directory is not writable.
  void save_sensor_state(const SensorState& state) const;

  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }

 private:
  std::filesystem::path directory_;
};

/// Writes snapshots of the sensor state from the loop (final writes at stop) and from the
/// worker (routine writes) without them overtaking one another: writes are serialized, and a
/// snapshot older than the last one written is skipped.
class SensorStateWriter {
 public:
  explicit SensorStateWriter(StateStore store) : store_(std::move(store)) {}
  /// Thread-safe. Throws std::system_error like StateStore::save_sensor_state.
  void write(std::uint64_t sequence, const SensorState& state);

 private:
  StateStore store_;
  std::mutex mutex_;
  std::uint64_t written_ = 0;
};

/// Writes `contents` to `file` atomically: a temporary file in the same directory, fsync,
/// rename over `file`, fsync of the directory. Throws std::system_error.
void write_file_atomically(const std::filesystem::path& file, const std::string& contents);

}  // namespace pimqttd::app
