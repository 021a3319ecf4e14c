#pragma once
// read_file: a whole (small) file in one string, the one file reader every layer uses (the config
// file and its password files, TLS certificates and keys, procfs/sysfs/1-Wire files, the device
// tree's model string).
//
// It never throws for the file's sake: the result says what went wrong, so that each caller
// words the problem its own way (a config error naming the JSON key, a sensor fault, a TLS
// configuration error). Reads retry on EINTR; the fd is close-on-exec and never becomes a
// controlling terminal.

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <limits>
#include <string>
#include <system_error>

namespace pimqttd::core {

/// What read_file() found.
struct FileContents {
  /// The bytes read (with an error or too_big, what was read before it).
  std::string text;
  /// The open(2), fstat(2) or read(2) that failed (system category, errno's value).
  std::error_code error;
  /// `error` came from open(2): the file is missing or not accessible, nothing was read.
  bool open_failed = false;
  /// The file is larger than the limit; reading stopped there.
  bool too_big = false;
  /// st_mode of the open file (type and permission bits); 0 when it could not be opened.
  mode_t mode = 0;

  /// The whole file was read.
  [[nodiscard]] explicit operator bool() const noexcept { return !error && !too_big; }
};

/// No limit on a file's size.
inline constexpr std::size_t kUnlimitedFileSize = std::numeric_limits<std::size_t>::max();

/// Reads all of `path`, at most `limit` bytes (more sets too_big).
[[nodiscard]] FileContents read_file(const std::filesystem::path& path,
                                     std::size_t limit = kUnlimitedFileSize);

}  // namespace pimqttd::core
