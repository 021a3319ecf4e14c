#include "pimqttd/core/buffer.hpp"

#include <algorithm>
#include <utility>

namespace pimqttd::core {

Buffer::Buffer(Buffer&& other) noexcept
    : bytes_(std::move(other.bytes_)), reader_(std::exchange(other.reader_, 0)) {
  other.bytes_.clear();
}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  bytes_ = std::move(other.bytes_);
  reader_ = std::exchange(other.reader_, 0);
  other.bytes_.clear();
  return *this;
}

void Buffer::append(std::span<const std::uint8_t> bytes) {
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

std::span<const std::uint8_t> Buffer::readable() const noexcept {
  return std::span(bytes_).subspan(reader_);
}

void Buffer::consume(std::size_t count) noexcept {
  reader_ += std::min(count, size());
  if (reader_ == bytes_.size()) {
    clear();
  } else if (reader_ > bytes_.size() / 2) {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(reader_));
    reader_ = 0;
  }
}

void Buffer::clear() noexcept {
  bytes_.clear();
  reader_ = 0;
}

}  // namespace pimqttd::core
