#include "pimqttd/mqtt/outbox.hpp"

#include <stdexcept>

namespace pimqttd::mqtt {

Outbox::Outbox(std::size_t capacity) : capacity_(capacity) {
  if (capacity_ == 0) {
    throw std::invalid_argument("outbox capacity must be at least 1");
  }
}

Outbox::PushResult Outbox::push(OutgoingMessage message) {
  PushResult result = PushResult::queued;
  if (message.state) {
    if (auto found = state_by_topic_.find(message.topic); found != state_by_topic_.end()) {
      erase(found->second);
      result = PushResult::replaced;
    }
  }
  if (queue_.size() >= capacity_) {
    erase(queue_.begin());
    result = PushResult::dropped_oldest;
  }
  queue_.push_back(std::move(message));
  if (queue_.back().state) {
    state_by_topic_[queue_.back().topic] = std::prev(queue_.end());
  }
  return result;
}

void Outbox::pop() { erase(queue_.begin()); }

void Outbox::clear() noexcept {
  queue_.clear();
  state_by_topic_.clear();
}

void Outbox::erase(Queue::iterator it) {
  if (it->state) {
    state_by_topic_.erase(it->topic);
  }
  queue_.erase(it);
}

}  // namespace pimqttd::mqtt
