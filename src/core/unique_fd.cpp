#include "pimqttd/core/unique_fd.hpp"

#include <unistd.h>

namespace pimqttd::core {
namespace {

void close_fd(int fd) noexcept {
  if (fd >= 0) {
    // Linux releases the descriptor even when close() reports EINTR: never retry.
    static_cast<void>(::close(fd));
  }
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    close_fd(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

UniqueFd::~UniqueFd() { close_fd(fd_); }

void UniqueFd::reset(int&& fd) noexcept {
  const int old = fd_;
  fd_ = fd;
  fd = -1;
  if (old != fd_) {
    close_fd(old);
  }
}

}  // namespace pimqttd::core
