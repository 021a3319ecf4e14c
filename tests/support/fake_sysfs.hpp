#pragma once
// FakeSysfs: a fake sysfs tree under a temporary root for the kernel sensor types (iio, hwmon):
// devices under sys/devices/..., class entries (sys/bus/iio/devices/iio:deviceN,
// sys/class/hwmon/hwmonN) as symlinks to them, as on a real system, or as plain directories.
//
// ScriptedRead: a sensors::ReadAttribute that fails chosen reads with an errno (what a plain
// file cannot do: the dht11 driver's EIO and ETIMEDOUT) and reads the files otherwise. Reads run
// on the worker thread: the script and the count are guarded by a mutex.

#include <cstddef>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pimqttd/sensors/sysfs_device.hpp"
#include "support/temp_dir.hpp"

namespace pimqttd::test {

class FakeSysfs {
 public:
  using Files = std::vector<std::pair<std::string, std::string>>;

  [[nodiscard]] const std::filesystem::path& root() const { return dir_.path(); }

  /// Makes the device directory sys/devices/<real> with `files` and the class entry
  /// <class_dir>/<entry> pointing to it (a symlink, or the directory itself when `link` is
  /// false). Returns the entry's path.
  std::filesystem::path add_device(const std::string& class_dir, const std::string& entry,
                                   const std::string& real, const Files& files,
                                   bool link = true) const {
    const std::filesystem::path classes = root() / class_dir;
    std::filesystem::create_directories(classes);
    std::filesystem::path device = classes / entry;
    // The entry appears with its files in place, as the kernel shows a device: a sensor reading
    // on another thread never sees it half made.
    if (link) {
      const std::filesystem::path target = root() / "sys/devices" / real;
      std::filesystem::create_directories(target);
      for (const auto& [name, text] : files) write(target / name, text);
      std::filesystem::create_directory_symlink(target, device);
    } else {
      const std::filesystem::path staging = classes / ("." + entry);
      std::filesystem::create_directories(staging);
      for (const auto& [name, text] : files) write(staging / name, text);
      std::filesystem::rename(staging, device);
    }
    return device;
  }

  static void write(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  /// Removes a class entry and the device it points to (the device was unbound).
  void remove_device(const std::filesystem::path& entry) const {
    std::error_code error;
    const std::filesystem::path real = std::filesystem::canonical(entry, error);
    std::filesystem::remove(entry);
    if (!error) std::filesystem::remove_all(real);
  }

 private:
  TempDir dir_{"pimqttd-sysfs"};
};

class ScriptedRead {
 public:
  /// The next reads of files named `file` (in any device) fail with these errnos in turn, 0
  /// meaning "read the file"; after the script, the file is read.
  void script(const std::string& file, std::vector<int> errors) {
    const std::lock_guard lock(mutex_);
    auto& queue = scripts_[file];
    queue.insert(queue.end(), errors.begin(), errors.end());
  }
  /// Every read of `file` fails with `error` from now on (0: none does).
  void fail_always(const std::string& file, int error) {
    const std::lock_guard lock(mutex_);
    always_[file] = error;
  }
  /// How many reads of files named `file` were made.
  [[nodiscard]] std::size_t reads(const std::string& file) const {
    const std::lock_guard lock(mutex_);
    const auto it = counts_.find(file);
    return it == counts_.end() ? 0 : it->second;
  }

  [[nodiscard]] sensors::ReadAttribute function() {
    return [this](const std::filesystem::path& path) {
      const std::string file = path.filename().string();
      int error = 0;
      {
        const std::lock_guard lock(mutex_);
        ++counts_[file];
        if (auto queue = scripts_.find(file); queue != scripts_.end() && !queue->second.empty()) {
          error = queue->second.front();
          queue->second.pop_front();
        } else if (auto always = always_.find(file); always != always_.end()) {
          error = always->second;
        }
      }
      if (error != 0) return sensors::AttributeRead{{}, error};
      return sensors::read_attribute(path);
    };
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<int>> scripts_;
  std::map<std::string, int> always_;
  std::map<std::string, std::size_t> counts_;
};

}  // namespace pimqttd::test
