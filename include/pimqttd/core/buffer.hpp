#pragma once
// Buffer: a byte queue for output that waits for the kernel (muduo's Buffer, reduced).
//
// Bytes are appended at the back and consumed from the front. The storage is one vector and a
// reader index: [0, reader_index) has been consumed, [reader_index, size) is readable. Consuming
// never moves bytes until the consumed prefix is larger than what remains readable; then the
// readable rest is moved to the front (compaction), so a long-lived connection that always keeps
// a little output pending neither grows without bound nor copies on every partial write. When
// everything has been consumed the buffer starts again at index 0 and keeps its capacity.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace pimqttd::core {

class Buffer {
 public:
  Buffer() = default;
  /// Leaves `other` empty.
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  /// Appends `bytes` after what is readable.
  void append(std::span<const std::uint8_t> bytes);
  /// The bytes appended and not yet consumed. Valid until the next append(), consume() or
  /// clear().
  [[nodiscard]] std::span<const std::uint8_t> readable() const noexcept;
  /// Drops the first `count` readable bytes (at most size()), compacting as described above.
  void consume(std::size_t count) noexcept;
  /// Drops everything (the capacity is kept).
  void clear() noexcept;

  /// Readable bytes.
  [[nodiscard]] std::size_t size() const noexcept { return bytes_.size() - reader_; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// Where the readable bytes start in the storage: for tests of the compaction rule.
  [[nodiscard]] std::size_t reader_index() const noexcept { return reader_; }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t reader_ = 0;
};

}  // namespace pimqttd::core
