#include "sensors/apt_updates/apt_updates.hpp"

#include <algorithm>
#include <span>
#include <utility>

#include <spdlog/spdlog.h>


namespace pimqttd::sensors {

using Clock = std::chrono::steady_clock;

std::vector<EntityInfo> apt_updates_entities(const AptUpdatesOptions& options) {
  const auto count = [&](std::string id, std::string name, std::string icon) {
    EntityInfo info;
    info.id = std::move(id);
    info.name = std::move(name);
    info.state_class = "measurement";
    info.display_precision = 0;  // a count
    info.icon = std::move(icon);
    info.interval = options.interval;
    return info;
  };
  std::vector<EntityInfo> out{count(options.id, options.name, "mdi:package-up")};
  if (options.security) {
    out.push_back(count(options.id + "_security", options.name + " security", "mdi:security"));
  }
  EntityInfo updated;
  updated.id = options.id + "_lists_updated";
  updated.name = options.name + " lists updated";
  updated.device_class = "timestamp";
  updated.diagnostic = true;
  updated.interval = options.interval;
  out.push_back(std::move(updated));
  return out;
}

AptUpdatesSensor::AptUpdatesSensor(AptUpdatesOptions options, Scan scan)
    : options_(std::move(options)),
      scan_(std::move(scan)),
      entities_(apt_updates_entities(options_)),
      faults_(FaultTracker::Options{options_.id, options_.interval, options_.interval,
                                    std::chrono::hours{24}}),
      scans_([this](hw::ReadResult<AptUpdates> result) { completed(std::move(result)); }) {
  if (!scan_) scan_ = [root = options_.root] { return scan_apt_updates(root); };
}

AptUpdatesSensor::~AptUpdatesSensor() { stop(); }

bool AptUpdatesSensor::scanning() const noexcept { return scans_.busy(); }

void AptUpdatesSensor::start(SensorContext& context) {
  stop();
  context_ = &context;
  faults_.reset();
  lists_updated_available_.reset();
  warned_.clear();
  told_compressed_ = false;
  attempt();
}

void AptUpdatesSensor::stop() {
  if (context_ == nullptr) return;
  timer_.reset();
  scans_.stop();
  context_ = nullptr;
}

void AptUpdatesSensor::attempt() {
  scans_.when_idle([this] {
    cycle_start_ = Clock::now();
    scans_.submit(context_->worker(), scan_);
  });
}

void AptUpdatesSensor::completed(hw::ReadResult<AptUpdates> result) {
  const std::uint64_t run = scans_.run();
  Clock::time_point next = std::max(cycle_start_ + options_.interval, Clock::now());
  if (result) {
    publish(result.value());
  } else {
    next = Clock::now() + faults_.failed(*context_, entities_, result.error());
    lists_updated_available_ = false;
  }
  if (scans_.run() != run) return;  // stopped from inside a callback
  timer_ = context_->loop().start_timer(next, [this] { attempt(); });
}

void AptUpdatesSensor::publish(const AptUpdates& updates) {
  log_skipped(updates);
  const std::span<const EntityInfo> counts(entities_.data(), entities_.size() - 1);
  const EntityInfo& lists_updated = entities_.back();
  const std::uint64_t run = scans_.run();
  faults_.succeeded(*context_, counts);
  const bool dated = updates.lists_updated.has_value();
  if (lists_updated_available_ != dated) {
    lists_updated_available_ = dated;
    if (!dated) spdlog::warn("{}: no Release file among the apt lists", options_.id);
    context_->set_available(lists_updated.id, dated);
  }
  if (scans_.run() != run) return;
  context_->publish(options_.id, static_cast<double>(updates.upgradable.size()));
  if (options_.security && scans_.run() == run) {
    context_->publish(options_.id + "_security", static_cast<double>(updates.security.size()));
  }
  if (dated && scans_.run() == run) {
    context_->publish(lists_updated.id, iso8601_utc(*updates.lists_updated));
  }
}

void AptUpdatesSensor::log_skipped(const AptUpdates& updates) {
  if (!updates.compressed.empty() && !told_compressed_) {
    told_compressed_ = true;
    spdlog::info("{}: {} compressed apt lists are not read (only uncompressed *_Packages files)",
                 options_.id, updates.compressed.size());
  }
  std::set<std::string> skipped;
  for (const auto& [file, reason] : updates.skipped) {
    if (!warned_.contains(file)) spdlog::warn("{}: skipped: {}", options_.id, reason);
    skipped.insert(file);
  }
  warned_ = std::move(skipped);  // a file that reads again is warned about anew next time
}

}  // namespace pimqttd::sensors
