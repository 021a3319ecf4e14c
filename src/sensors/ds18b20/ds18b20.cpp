#include "sensors/ds18b20/ds18b20.hpp"

#include <algorithm>
#include <utility>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"

namespace pimqttd::sensors {

using Clock = std::chrono::steady_clock;

EntityInfo ds18b20_entity(const Ds18b20Options& options) {
  EntityInfo info;
  info.id = options.id;
  info.name = options.name;
  info.platform = Platform::sensor;
  info.device_class = "temperature";
  info.state_class = "measurement";
  info.unit = "°C";
  info.display_precision = 1;
  info.interval = options.interval;
  return info;
}

Ds18b20Sensor::Ds18b20Sensor(Ds18b20Options options, Read read)
    : options_(std::move(options)),
      read_(std::move(read)),
      entities_{ds18b20_entity(options_)},
      faults_(FaultTracker::Options{options_.id, options_.retry_min, options_.retry_max,
                                    std::chrono::hours{1}}),
      token_(std::make_shared<Token>()) {
  token_->sensor = this;
  if (!read_) {
    read_ = [devices = hw::W1Devices(options_.root), address = options_.address] {
      return devices.read_temperature(address);
    };
  }
}

Ds18b20Sensor::~Ds18b20Sensor() { stop(); }

bool Ds18b20Sensor::reading() const noexcept { return token_->in_flight; }

void Ds18b20Sensor::start(SensorContext& context) {
  stop();
  context_ = &context;
  faults_.reset();
  attempt();
}

void Ds18b20Sensor::stop() {
  if (context_ == nullptr) return;
  timer_.reset();
  ++token_->generation;  // a read still on the worker is stale from now on
  context_ = nullptr;
  waiting_ = false;
}

void Ds18b20Sensor::schedule(Clock::time_point at) {
  timer_ = context_->loop().start_timer(at, [this] { attempt(); });
}

void Ds18b20Sensor::attempt() {
  if (token_->in_flight) {
    waiting_ = true;
    return;
  }
  cycle_start_ = Clock::now();
  token_->in_flight = true;
  const std::uint64_t generation = token_->generation;
  std::weak_ptr<Token> weak = token_;
  context_->worker().submit([read = read_, weak, generation]() -> core::Worker::Completion {
    hw::W1Result result = read();
    return [weak, generation, result = std::move(result)]() mutable {
      const std::shared_ptr<Token> token = weak.lock();
      if (!token) return;  // the sensor is gone
      token->in_flight = false;
      token->sensor->completed(generation, std::move(result));
    };
  });
}

void Ds18b20Sensor::completed(std::uint64_t generation, hw::W1Result result) {
  if (generation != token_->generation) {
    // Stale (stopped since): dropped. A read that fell due meanwhile goes now.
    if (waiting_ && context_ != nullptr) {
      waiting_ = false;
      attempt();
    }
    return;
  }
  if (result) {
    faults_.succeeded(*context_, entities_);
    if (generation != token_->generation) return;  // stopped from inside a callback
    context_->publish(options_.id, result.reading().celsius());
    if (generation != token_->generation) return;
    // One interval after this read started; at once if it overran.
    schedule(std::max(cycle_start_ + options_.interval, Clock::now()));
  } else {
    const std::chrono::milliseconds retry =
        faults_.failed(*context_, entities_, result.failure().message);
    if (generation != token_->generation) return;
    schedule(Clock::now() + retry);
  }
}

}  // namespace pimqttd::sensors
