#include "pimqttd/app/announcer.hpp"

#include "pimqttd/core/log.hpp"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

namespace pimqttd::app {

namespace {
constexpr core::Log kAnnounceLog("announce");
constexpr core::Log kStateLog("state");
}  // namespace

Announcer::Announcer(core::EventLoop& loop, core::Worker& worker, StateStore store,
                     Uplink& uplink, StateCache& states, EntityList entities,
                     std::uint_fast32_t seed)
    : loop_(loop),
      worker_(worker),
      store_(std::move(store)),
      uplink_(uplink),
      states_(states),
      entities_(std::move(entities)),
      announced_(store_.load_announced()),
      random_(seed) {}

Announcer::~Announcer() = default;

void Announcer::configure(ha::DeviceInfo device, std::chrono::milliseconds reannounce_delay_max) {
  device_ = std::move(device);
  reannounce_delay_max_ = reannounce_delay_max;
}

ha::Message Announcer::discovery() const {
  return ha::discovery_message(device_, uplink_.topics(), entities_());
}

void Announcer::announce() {
  const std::vector<sensors::EntityInfo> current = entities_();
  const ha::Topics& topics = uplink_.topics();
  AnnouncedSet now = ha::components(current);
  AnnouncedSet removed;
  for (const auto& entry : announced_) {
    if (std::find(now.begin(), now.end(), entry) == now.end()) removed.push_back(entry);
  }
  if (!removed.empty()) {
    kAnnounceLog.info("removing {} entities no longer configured", removed.size());
    uplink_.publish(ha::removal_message(device_, topics, current, removed));
  }
  uplink_.publish(ha::discovery_message(device_, topics, current));
  uplink_.publish({topics.status(), "online", true, 1});
  for (const sensors::EntityInfo& entity : current) {
    const bool available = states_.available(entity.id);
    uplink_.publish({topics.availability(entity.id), available ? "online" : "offline", true, 1});
  }
  if (now != announced_) {
    announced_ = std::move(now);
    save_announced();
  }
  states_.replay_later();
}

void Announcer::save_announced() {
  worker_.submit([store = store_, now = announced_]() -> core::Worker::Completion {
    std::string failure;
    try {
      store.save_announced(now);
    } catch (const std::exception& error) {
      failure = error.what();
    }
    return [failure] {
      if (!failure.empty()) kStateLog.error("cannot save announced entities: {}", failure);
    };
  });
}

void Announcer::on_home_assistant_status(std::string_view payload) {
  if (payload != "online" || reannounce_timer_) return;
  const auto max = reannounce_delay_max_.count();
  std::uniform_int_distribution<std::int64_t> delay(0, std::max<std::int64_t>(0, max));
  const std::chrono::milliseconds wait(delay(random_));
  spdlog::info("Home Assistant came online: announcing again in {} ms", wait.count());
  reannounce_timer_ = loop_.start_timer(wait, [this] {
    if (uplink_.connected()) announce();
  });
}

void Announcer::announce_offline() {
  if (uplink_.connected()) uplink_.publish({uplink_.topics().status(), "offline", true, 1});
}

void Announcer::cancel() { reannounce_timer_.reset(); }

}  // namespace pimqttd::app
