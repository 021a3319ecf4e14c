#include "pimqttd/core/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "pimqttd/core/unique_fd.hpp"

namespace pimqttd::core {
namespace {

// Opens `path` for reading; an empty fd with `error` set when that failed.
UniqueFd open_for_reading(const std::filesystem::path& path, std::error_code& error) {
  int raw = -1;
  do {
    raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) error = {errno, std::system_category()};
  return UniqueFd(std::move(raw));
}

}  // namespace

FileContents read_file(const std::filesystem::path& path, std::size_t limit) {
  FileContents out;
  const UniqueFd fd = open_for_reading(path, out.error);
  if (!fd) {
    out.open_failed = true;
    return out;
  }
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

LineReader::LineReader(const std::filesystem::path& path) {
  fd_ = open_for_reading(path, error_);
  open_failed_ = !fd_;
  if (fd_) {
    buffer_.resize(std::size_t{64} << 10);
    (void)::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  }
}

std::optional<std::string_view> LineReader::next() {
  if (error_) return std::nullopt;
  for (;;) {
    char* const start = buffer_.data() + begin_;
    const std::size_t unread = end_ - begin_;
    if (auto* newline = static_cast<char*>(std::memchr(start, '\n', unread))) {
      const auto length = static_cast<std::size_t>(newline - start);
      begin_ += length + 1;
      return std::string_view(start, length);
    }
    if (at_end_) {
      if (unread == 0) return std::nullopt;
      begin_ = end_;
      return std::string_view(start, unread);
    }
    // No whole line left: move the partial one to the front and read more behind it.
    std::memmove(buffer_.data(), start, unread);
    begin_ = 0;
    end_ = unread;
    if (end_ == buffer_.size()) {
      if (buffer_.size() >= kMaxLine) {
        error_ = {EOVERFLOW, std::system_category()};
        return std::nullopt;
      }
      buffer_.resize(std::min(buffer_.size() * 2, kMaxLine));
    }
    const ssize_t n = ::read(fd_.get(), buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = {errno, std::system_category()};
      return std::nullopt;
    }
    if (n == 0) at_end_ = true;
    end_ += static_cast<std::size_t>(n);
  }
}

}  // namespace pimqttd::core
