#pragma once
// UniqueFd: the one move-only owner of a file descriptor.

namespace pimqttd::core {

/// Owns one file descriptor and closes it when destroyed. Never copied; moved, the source is left
/// empty (-1). Objects that only watch an fd (EventLoop watches) keep the int, not a UniqueFd.
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  /// Takes ownership of fd (an rvalue, so that a caller has to mean it). -1 means empty.
  explicit UniqueFd(int&& fd) noexcept : fd_(fd) { fd = -1; }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  /// Gives up ownership without closing; the caller now owns the returned fd.
  [[nodiscard]] int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /// Closes the current fd (if any) and owns fd instead.
  void reset(int&& fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace pimqttd::core
