#pragma once
// Outbox: the messages the application published that have not been handed to the session yet
// (offline, or the in-flight window is full).
//
// It is bounded: when full, the oldest message is dropped to make room (a sensor daemon values
// the newest reading most) and counted. A message marked as `state` replaces an older queued
// state message on the same topic: after an hour offline, Home Assistant gets the last reading of
// each entity, not sixty stale ones. Other messages keep their order.

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>

#include "pimqttd/mqtt/codec.hpp"

namespace pimqttd::mqtt {

struct OutgoingMessage {
  std::string topic;
  std::string payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  /// A state message: only the newest one per topic matters.
  bool state = false;
  friend bool operator==(const OutgoingMessage&, const OutgoingMessage&) = default;
};

class Outbox {
 public:
  /// capacity >= 1 messages.
  explicit Outbox(std::size_t capacity);

  /// What push() did, for the caller's counters.
  enum class PushResult : std::uint8_t {
    queued,        ///< appended
    replaced,      ///< an older state message on the same topic was removed, this one appended
    dropped_oldest ///< the queue was full: the oldest message was dropped, this one appended
  };
  PushResult push(OutgoingMessage message);

  [[nodiscard]] bool empty() const noexcept { return queue_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return queue_.size(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  /// The oldest message. Precondition: !empty().
  [[nodiscard]] const OutgoingMessage& front() const { return queue_.front(); }
  /// Removes the oldest message. Precondition: !empty().
  void pop();
  void clear() noexcept;

 private:
  using Queue = std::list<OutgoingMessage>;
  void erase(Queue::iterator it);

  std::size_t capacity_;
  Queue queue_;
  std::unordered_map<std::string, Queue::iterator> state_by_topic_;
};

}  // namespace pimqttd::mqtt
