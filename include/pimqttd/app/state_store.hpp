#pragma once
// StateStore: what the daemon keeps on disk between runs, in its state directory
// (/var/lib/pimqttd under systemd's StateDirectory=).
//
// Today: the set of entities last announced to Home Assistant, so that an entity removed from the
// configuration is removed from Home Assistant at the next connect, also after a restart. Writes
// are atomic (temporary file, fsync, rename, fsync of the directory) and happen only when the set
// changes, so routine operation does not wear out an SD card.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::app {

/// (entity id, platform) as announced.
using AnnouncedSet = std::vector<std::pair<std::string, sensors::Platform>>;

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

  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }

 private:
  std::filesystem::path directory_;
};

/// Writes `contents` to `file` atomically: a temporary file in the same directory, fsync,
/// rename over `file`, fsync of the directory. Throws std::system_error.
void write_file_atomically(const std::filesystem::path& file, const std::string& contents);

}  // namespace pimqttd::app
