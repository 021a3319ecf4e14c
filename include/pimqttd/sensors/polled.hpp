#pragma once
// What every polled device driver shares: the measurement cycle on loop timers, and the fault
// rules (a failing device marks its own entities unavailable, logs once, is retried with
// back-off, and comes back without a restart).
//
// A driver is a `Device`: synchronous steps over its bus, each short (a few bus transactions),
// each throwing DeviceError on a fault. `PolledSensor` runs them:
//
//     setup()  -- at start, and again before the first cycle after every failure
//     begin()  -- starts a measurement; returns how long the chip needs to convert
//     ...         a loop timer for that long (the loop is never blocked by a conversion)
//     collect()-- reads and converts the measurement into readings
//
// A measurement may take several steps, each with its own wait (HTU21D converts temperature and
// humidity one after the other, ADS1115 one channel after the other): after each collect(),
// begin_next() starts the next step and returns its wait, and collect() follows after that long,
// on a timer again; when begin_next() has nothing more to start, the readings of every step of
// the cycle are published together. Devices of one step leave begin_next() alone.
//
// A cycle starts every `interval` (measured from the start of the previous one). When a step
// throws (in any step of the measurement: nothing of that cycle is published), every entity of
// the sensor is marked unavailable and the failure is logged as a warning; the same reason is
// not logged again while it persists (a different one is, and a reminder every `reminder` with
// the number of attempts). The next attempt (setup, then a cycle) follows after `retry_min`,
// doubling up to `retry_max`. The first successful cycle after a failure marks the entities
// available again before publishing and logs one info line.
//
// Devices whose read blocks (1-Wire) do not fit this shape; they use FaultTracker directly.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {

/// A fault of the device or its bus: NACK, wrong chip id, CRC mismatch, missing device. The
/// message is written for the log ("chip id 0x58 at 0x76 on /dev/i2c-1, expected 0x60").
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws DeviceError("<what>: <error.message()>") when `error` is set.
void check(std::error_code error, std::string_view what);

/// One quantity a device measures, with the Home Assistant metadata that belongs with it.
struct Quantity {
  std::string_view key;    ///< entity id suffix: "temperature"
  std::string_view label;  ///< entity name suffix: "temperature" (after the sensor's name)
  std::string_view device_class;
  std::string_view state_class;
  std::string_view unit;
  std::optional<int> precision;
};

/// The entity of `quantity` for the sensor `sensor_id` named `sensor_name`: id
/// "<sensor_id>_<key>", name "<sensor_name> <label>", polled every `interval`.
[[nodiscard]] EntityInfo quantity_entity(std::string_view sensor_id, std::string_view sensor_name,
                                         const Quantity& quantity,
                                         std::chrono::milliseconds interval);

/// A measured value for the quantity whose key is `key`.
struct Reading {
  std::string_view key;
  Value value;
};

class Device {
 public:
  virtual ~Device() = default;
  /// Checks the chip's identity and writes its configuration. Throws DeviceError. (A check
  /// that needs a wait of its own, such as a serial number the chip must first fetch, is made
  /// by the first cycle after setup() instead, as a step of its measurement.)
  virtual void setup() = 0;
  /// Starts one measurement; returns the time the chip needs before collect() (zero: at
  /// once). Throws DeviceError.
  virtual std::chrono::milliseconds begin() = 0;
  /// Reads the measurement (step) started by begin() or begin_next(). Throws DeviceError.
  virtual std::vector<Reading> collect() = 0;
  /// Called after each collect() of a cycle: starts the next step of a measurement taken in
  /// several steps and returns the time it needs before collect() (zero: on the next loop
  /// iteration), or nullopt when the cycle's measurement is complete. Readings' keys must stay
  /// valid until the cycle ends (they are published together at its end). Throws DeviceError.
  /// The default: one step.
  virtual std::optional<std::chrono::milliseconds> begin_next() { return std::nullopt; }
};

/// Availability, logging and back-off for one sensor's entities.
class FaultTracker {
 public:
  struct Options {
    std::string sensor_id;  ///< for log lines
    std::chrono::milliseconds retry_min{std::chrono::seconds{1}};
    std::chrono::milliseconds retry_max{std::chrono::minutes{5}};
    std::chrono::milliseconds reminder{std::chrono::hours{1}};
    /// How many consecutive failed attempts make the entities unavailable. 1 (every type but
    /// the kernel sensors): the first. With more, the failures before that are logged at debug
    /// level only, and the warning comes with the one that makes them unavailable.
    std::uint64_t unavailable_after = 1;
  };
  explicit FaultTracker(Options options);

  /// A failed attempt: marks `entities` unavailable (first failure, or the `unavailable_after`th
  /// in a row), logs per the rules above, and returns how long to wait before the next attempt.
  std::chrono::milliseconds failed(SensorContext& context, std::span<const EntityInfo> entities,
                                   std::string_view reason);
  /// A successful attempt: marks `entities` available (first success, or after a failure) and
  /// logs the recovery. Call before publishing.
  void succeeded(SensorContext& context, std::span<const EntityInfo> entities);
  /// Forgets everything (a sensor restarted: the next outcome is reported afresh).
  void reset();

  [[nodiscard]] bool failing() const noexcept { return failures_ > 0; }
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_; }

 private:
  Options options_;
  std::optional<bool> available_;
  std::uint64_t failures_ = 0;
  std::string last_reason_;
  std::chrono::steady_clock::time_point last_logged_{};
};

struct PolledOptions {
  std::string id;  ///< the sensor id, for log lines
  std::chrono::milliseconds interval{std::chrono::seconds{60}};
  std::chrono::milliseconds retry_min{std::chrono::seconds{1}};
  std::chrono::milliseconds retry_max{std::chrono::minutes{5}};
};

/// Runs a Device on loop timers. `entities` pairs each entity with its quantity key; readings
/// whose key has no entity are dropped.
class PolledSensor final : public Sensor {
 public:
  struct Entity {
    std::string key;
    EntityInfo info;
  };
  PolledSensor(PolledOptions options, std::vector<Entity> entities,
               std::unique_ptr<Device> device);
  ~PolledSensor() override;
  PolledSensor(const PolledSensor&) = delete;
  PolledSensor& operator=(const PolledSensor&) = delete;

  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return infos_; }
  void start(SensorContext& context) override;
  void stop() override;

  [[nodiscard]] Device& device() noexcept { return *device_; }

 private:
  void attempt();
  void finish();
  void fail(std::string_view reason);
  void schedule(std::chrono::steady_clock::time_point at, bool collect);

  PolledOptions options_;
  std::vector<Entity> entities_;
  std::vector<EntityInfo> infos_;
  std::unique_ptr<Device> device_;
  FaultTracker faults_;
  SensorContext* context_ = nullptr;
  core::TimerHandle timer_;
  bool set_up_ = false;
  std::chrono::steady_clock::time_point cycle_start_{};
  /// The readings of the cycle's steps so far.
  std::vector<Reading> pending_;
};

/// A PolledSensor for `device` measuring `quantities`, its entities named after the sensor.
[[nodiscard]] std::unique_ptr<Sensor> make_polled_sensor(PolledOptions options,
                                                         std::string_view name,
                                                         std::span<const Quantity> quantities,
                                                         std::unique_ptr<Device> device);

}  // namespace pimqttd::sensors
