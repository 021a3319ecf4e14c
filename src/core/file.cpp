#include "pimqttd/core/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "pimqttd/core/unique_fd.hpp"

namespace pimqttd::core {

FileContents read_file(const std::filesystem::path& path, std::size_t limit) {
  FileContents out;
  int raw = -1;
  do {
    raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) {
    out.error = {errno, std::system_category()};
    out.open_failed = true;
    return out;
  }
  const UniqueFd fd(std::move(raw));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    out.error = {errno, std::system_category()};
    return out;
  }
  out.mode = info.st_mode;
  std::array<char, 4096> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      out.error = {errno, std::system_category()};
      return out;
    }
    if (n == 0) break;
    out.text.append(buffer.data(), static_cast<std::size_t>(n));
    if (out.text.size() > limit) {
      out.too_big = true;
      return out;
    }
  }
  return out;
}

}  // namespace pimqttd::core
