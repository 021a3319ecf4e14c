#pragma once
// The one thin layer that turns syscall results into C++: EINTR is retried, EAGAIN means
// "nothing yet", any other failure becomes std::system_error naming the call. Private to core.

#include <cerrno>
#include <cstddef>
#include <system_error>

#include <unistd.h>

namespace pimqttd::core::sys {

[[noreturn]] inline void throw_errno(const char* call) {
  throw std::system_error(errno, std::system_category(), call);
}

/// Calls `f` until it does not fail with EINTR; throws on any other failure (result < 0).
template <typename F>
auto checked(const char* call, F&& f) {
  for (;;) {
    auto result = f();
    if (result >= 0) {
      return result;
    }
    if (errno != EINTR) {
      throw_errno(call);
    }
  }
}

/// One whole record through `transfer` (::read or ::write) on a non-blocking fd that hands out
/// whole records (timerfd, eventfd, signalfd). Returns false when the fd is not ready (EAGAIN);
/// a short transfer is EIO.
template <class Buffer, class Transfer>
bool transfer_record(int fd, Buffer* buffer, std::size_t size, const char* call,
                     Transfer transfer) {
  for (;;) {
    const ssize_t n = transfer(fd, buffer, size);
    if (n >= 0) {
      if (static_cast<std::size_t>(n) != size) {
        throw std::system_error(EIO, std::system_category(), call);
      }
      return true;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return false;
    }
    throw_errno(call);
  }
}

/// Reads exactly `size` bytes (one record). Returns false when nothing is there yet (EAGAIN).
inline bool read_record(int fd, void* buffer, std::size_t size, const char* call) {
  return transfer_record(fd, buffer, size, call, ::read);
}

/// Writes one whole record. Returns false on EAGAIN.
inline bool write_record(int fd, const void* buffer, std::size_t size, const char* call) {
  return transfer_record(fd, buffer, size, call, ::write);
}

}  // namespace pimqttd::core::sys
