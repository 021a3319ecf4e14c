#include "sensors/ds18b20/ds18b20.hpp"

#include <algorithm>
#include <utility>

#include "pimqttd/core/event_loop.hpp"

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
  info.display_precision = 2;
  info.interval = options.interval;
  return info;
}

Ds18b20Sensor::Ds18b20Sensor(Ds18b20Options options, Read read)
    : options_(std::move(options)),
      read_(std::move(read)),
      entities_{ds18b20_entity(options_)},
      faults_(FaultTracker::Options{options_.id, options_.retry_min, options_.retry_max,
                                    std::chrono::hours{1}}),
      reads_([this](hw::W1Result result) { completed(std::move(result)); }) {
  if (!read_) {
    read_ = [devices = hw::W1Devices(options_.root), address = options_.address] {
      return devices.read_temperature(address);
    };
  }
}

Ds18b20Sensor::~Ds18b20Sensor() { stop(); }

bool Ds18b20Sensor::reading() const noexcept { return reads_.busy(); }

void Ds18b20Sensor::start(SensorContext& context) {
  stop();
  context_ = &context;
  faults_.reset();
  attempt();
}

void Ds18b20Sensor::stop() {
  if (context_ == nullptr) return;
  timer_.reset();
  reads_.stop();  // a read still on the worker is stale from now on
  context_ = nullptr;
}

void Ds18b20Sensor::schedule(Clock::time_point at) {
  timer_ = context_->loop().start_timer(at, [this] { attempt(); });
}

void Ds18b20Sensor::attempt() {
  reads_.when_idle([this] {
    cycle_start_ = Clock::now();
    reads_.submit(context_->worker(), read_);
  });
}

void Ds18b20Sensor::completed(hw::W1Result result) {
  const std::uint64_t run = reads_.run();
  if (result) {
    faults_.succeeded(*context_, entities_);
    if (reads_.run() != run) return;  // stopped from inside a callback
    context_->publish(options_.id, result.reading().celsius());
    if (reads_.run() != run) return;
    // One interval after this read started; at once if it overran.
    schedule(std::max(cycle_start_ + options_.interval, Clock::now()));
  } else {
    const std::chrono::milliseconds retry =
        faults_.failed(*context_, entities_, result.failure().message);
    if (reads_.run() != run) return;
    schedule(Clock::now() + retry);
  }
}

}  // namespace pimqttd::sensors
