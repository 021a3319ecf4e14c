#include "pimqttd/app/state_cache.hpp"

#include <utility>

namespace pimqttd::app {

StateCache::StateCache(core::EventLoop& loop, Uplink& uplink,
                       std::chrono::milliseconds replay_delay)
    : loop_(loop), uplink_(uplink), replay_delay_(replay_delay) {}

StateCache::~StateCache() = default;

void StateCache::update(std::string_view entity_id, std::string payload) {
  auto [it, inserted] = states_.try_emplace(std::string(entity_id), payload);
  if (!inserted) it->second = payload;
  if (uplink_.connected() && !replay_timer_) {
    uplink_.publish({uplink_.topics().state(entity_id), std::move(payload), false, 1}, true);
  }
}

void StateCache::publish_event(std::string_view entity_id, std::string payload) {
  if (uplink_.connected()) {
    uplink_.publish({uplink_.topics().state(entity_id), std::move(payload), false, 1}, true);
  }
}

bool StateCache::set_available(std::string_view entity_id, bool available) {
  bool changed = false;
  if (auto found = unavailable_.find(entity_id); available && found != unavailable_.end()) {
    unavailable_.erase(found);
    changed = true;
  } else if (!available && found == unavailable_.end()) {
    unavailable_.emplace(entity_id);
    changed = true;
  }
  if (changed && uplink_.connected()) {
    uplink_.publish(
        {uplink_.topics().availability(entity_id), available ? "online" : "offline", true, 1});
  }
  return changed;
}

bool StateCache::available(std::string_view entity_id) const {
  return !unavailable_.contains(entity_id);
}

std::optional<std::string> StateCache::state(std::string_view entity_id) const {
  const auto found = states_.find(entity_id);
  if (found == states_.end()) return std::nullopt;
  return found->second;
}

void StateCache::replay_later() {
  cancel_replay();
  replay_timer_ = loop_.start_timer(replay_delay_, [this] { replay(); });
}

void StateCache::cancel_replay() { replay_timer_.reset(); }

void StateCache::forget_unless(const std::function<bool(std::string_view)>& exists) {
  std::erase_if(states_, [&](const auto& entry) { return !exists(entry.first); });
  std::erase_if(unavailable_, [&](const auto& id) { return !exists(id); });
}

void StateCache::replay() {
  if (!uplink_.connected()) return;
  for (const auto& [id, payload] : states_) {
    uplink_.publish({uplink_.topics().state(id), payload, false, 1}, true);
  }
}

}  // namespace pimqttd::app
