#pragma once
// read_file: a whole (small) file in one string, the one file reader every layer uses (the config
// file and its password files, TLS certificates and keys, procfs/sysfs/1-Wire files, the device
// tree's model string). LineReader: a file too large to hold (apt's package lists, tens of MB),
// read line by line through one buffer.
//
// Neither throws for the file's sake: the result says what went wrong, so that each caller
// words the problem its own way (a config error naming the JSON key, a sensor fault, a TLS
// configuration error). Reads retry on EINTR; the fd is close-on-exec and never becomes a
// controlling terminal.

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "pimqttd/core/unique_fd.hpp"

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

/// Reads a file line by line, holding only a buffer (64 KiB, grown for a longer line up to
/// kMaxLine). Move-only; not thread-safe.
class LineReader {
 public:
  /// A line longer than this ends the reading with EOVERFLOW.
  static constexpr std::size_t kMaxLine = std::size_t{16} << 20;

  /// Opens `path`; a failure shows in error() and open_failed(), and next() gives nothing.
  explicit LineReader(const std::filesystem::path& path);

  /// The next line without its '\n' (the last line may lack one; a '\r' stays), valid until the
  /// next call; nullopt at the end of the file or after a failure (see error()).
  [[nodiscard]] std::optional<std::string_view> next();

  /// The open(2) or read(2) that failed (system category, errno's value), or EOVERFLOW for a line
  /// longer than kMaxLine; clear while all is well.
  [[nodiscard]] const std::error_code& error() const noexcept { return error_; }
  /// `error` came from open(2): the file is missing or not accessible.
  [[nodiscard]] bool open_failed() const noexcept { return open_failed_; }

 private:
  UniqueFd fd_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // the unread bytes are buffer_[begin_, end_)
  std::size_t end_ = 0;
  bool at_end_ = false;
  std::error_code error_;
  bool open_failed_ = false;
};

}  // namespace pimqttd::core
