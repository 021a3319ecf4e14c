#pragma once
// Shell scripts that tests write at run time (into a TempDir) and run through core::Subprocess,
// and what tests ask about the processes they start.

#include <sys/types.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "pimqttd/core/file.hpp"
#include "pimqttd/core/unique_fd.hpp"

namespace pimqttd::test {

/// Writes `text` to `path` (created with `mode`, or truncated). The file is written through a
/// close-on-exec descriptor and closed before this returns, so that no child started meanwhile
/// holds it open for writing (an exec of it would fail with ETXTBSY).
inline void write_file(const std::filesystem::path& path, std::string_view text,
                       mode_t mode = 0644) {
  core::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw std::system_error(errno, std::generic_category(), "write " + path.string());
  }
}

/// Writes `body` after a "#!/bin/sh" line to `path` (mode 0755) and returns the path.
inline std::filesystem::path write_script(const std::filesystem::path& path,
                                          std::string_view body) {
  write_file(path, "#!/bin/sh\n" + std::string(body) + "\n", 0755);
  return path;
}

/// The process no longer runs: it is gone, or a zombie its parent has not reaped yet (an
/// orphan's new parent may never reap it in a container).
inline bool process_dead(pid_t pid) {
  const core::FileContents stat = core::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat.open_failed) return true;
  const auto paren = stat.text.rfind(')');
  return paren != std::string::npos && stat.text.size() > paren + 2 &&
         stat.text[paren + 2] == 'Z';
}

/// The process is gone altogether (reaped).
inline bool process_gone(pid_t pid) {
  return core::read_file("/proc/" + std::to_string(pid) + "/stat").open_failed;
}

}  // namespace pimqttd::test
