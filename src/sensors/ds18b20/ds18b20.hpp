#pragma once
// Ds18b20Sensor: a DS18B20 (or DS1822) 1-Wire thermometer read through the kernel's w1 sysfs
// interface (hw/w1.hpp), the `ds18b20` sensor type.
//
// One entity, whose id is the sensor id itself: the temperature in °C (device class
// temperature, state class measurement, display precision 2), from the driver's "t=" value.
// Precision 2: the chip converts in 0.0625 °C steps at its default 12 bits (the kernel writes
// them as truncated millidegrees, t=21562 for 21.5625 °C), which 2 decimals keep apart; 3 or 4
// would be finer than its ±0.5 °C accuracy can use.
//
// Reading: a read of w1_slave blocks while the chip converts (about 750 ms), so it never runs on
// the loop: every `interval` the sensor submits one read to the context's Worker (SerialJob),
// and its result (on the loop) is published or recorded as a failure. Never two reads at once:
// the next read is scheduled only when one completes (one interval after the previous read
// started, or at once if that has passed); a read that falls due while an earlier one is still
// on the worker (one from before a stop() and start()) waits for it.
//
// Faults follow the rules every driver shares (FaultTracker, polled.hpp): a failed read (no
// such device, unreadable file, CRC failure, the 85 °C power-on value, a bus held low) marks
// the entity unavailable and logs the reason once, then the read is retried after retry_min,
// doubling up to retry_max; the first good read marks it available again.
//
// stop() cancels the timer and makes any read still on the worker stale: its completion is
// dropped, so nothing reaches the context after stop() returns. Destroying the sensor with a
// read in flight is safe too (the completion finds the sensor gone).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/hw/w1.hpp"
#include "pimqttd/sensors/polled.hpp"
#include "pimqttd/sensors/sensor.hpp"
#include "pimqttd/sensors/serial_job.hpp"

namespace pimqttd::sensors {

struct Ds18b20Options {
  /// The sensor id, which is also the entity id.
  std::string id;
  /// The entity's name.
  std::string name;
  /// The sysfs id: "28-0316a2794aff".
  std::string address;
  /// Where sys/bus/w1/devices is looked up ("/" on a real system).
  std::filesystem::path root{"/"};
  std::chrono::milliseconds interval{std::chrono::seconds{60}};
  std::chrono::milliseconds retry_min{std::chrono::seconds{1}};
  std::chrono::milliseconds retry_max{std::chrono::minutes{5}};
};

/// The entity of a DS18B20 sensor.
[[nodiscard]] EntityInfo ds18b20_entity(const Ds18b20Options& options);

class Ds18b20Sensor final : public Sensor {
 public:
  /// One read; runs on the worker thread, so it may use only what it captured by value.
  using Read = std::function<hw::W1Result()>;

  /// `read` empty: hw::W1Devices(options.root).read_temperature(options.address).
  explicit Ds18b20Sensor(Ds18b20Options options, Read read = {});
  ~Ds18b20Sensor() override;
  Ds18b20Sensor(const Ds18b20Sensor&) = delete;
  Ds18b20Sensor& operator=(const Ds18b20Sensor&) = delete;

  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return entities_; }
  void start(SensorContext& context) override;
  void stop() override;

  /// A read is on the worker (possibly a stale one).
  [[nodiscard]] bool reading() const noexcept;

 private:
  void attempt();
  void completed(hw::W1Result result);
  void schedule(std::chrono::steady_clock::time_point at);

  Ds18b20Options options_;
  Read read_;
  std::vector<EntityInfo> entities_;
  FaultTracker faults_;
  SerialJob<hw::W1Result> reads_;
  SensorContext* context_ = nullptr;
  core::TimerHandle timer_;
  std::chrono::steady_clock::time_point cycle_start_{};
};

}  // namespace pimqttd::sensors
