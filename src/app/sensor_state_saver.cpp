#include "pimqttd/app/sensor_state_saver.hpp"

#include "pimqttd/core/log.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

namespace pimqttd::app {

namespace {
constexpr core::Log kStateLog("state");
}  // namespace

SensorStateSaver::SensorStateSaver(core::Worker& worker, StateStore store)
    : worker_(worker),
      state_(store.load_sensor_state()),
      writer_(std::make_shared<SensorStateWriter>(std::move(store))) {}

SensorStateSaver::~SensorStateSaver() { *alive_ = false; }

std::optional<std::string> SensorStateSaver::restore(std::string_view key) const {
  const auto found = state_.find(key);
  if (found == state_.end()) return std::nullopt;
  return found->second;
}

void SensorStateSaver::persist(std::string_view key, std::string value) {
  auto [it, inserted] = state_.try_emplace(std::string(key), value);
  if (!inserted) {
    if (it->second == value) return;
    it->second = std::move(value);
  }
  ++sequence_;
  if (!write_in_flight_) write_on_worker();
}

void SensorStateSaver::write_on_worker() {
  write_in_flight_ = true;
  const std::uint64_t sequence = sequence_;
  // The job runs on the worker and touches only its copies; the completion runs on the loop.
  worker_.submit([self = this, writer = writer_, state = state_, sequence,
                  alive = alive_]() -> core::Worker::Completion {
    std::string failure;
    try {
      writer->write(sequence, state);
    } catch (const std::exception& error) {
      failure = error.what();
    }
    return [self, failure, sequence, alive] {
      if (!failure.empty()) kStateLog.error("cannot save sensor state: {}", failure);
      if (!*alive) return;
      if (failure.empty()) self->written_ = std::max(self->written_, sequence);
      self->write_in_flight_ = false;
      if (self->sequence_ > sequence) self->write_on_worker();
    };
  });
}

void SensorStateSaver::flush() {
  if (sequence_ <= written_) return;
  try {
    writer_->write(sequence_, state_);
    written_ = sequence_;
  } catch (const std::exception& error) {
    kStateLog.error("cannot save sensor state: {}", error.what());
  }
}

}  // namespace pimqttd::app
