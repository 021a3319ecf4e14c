#pragma once
// KernelSensor: the read cycle of a device the Linux kernel drives and shows in sysfs, which the
// `iio` and `hwmon` sensor types share (each type says which class of device it finds, which
// channels it offers and how a channel's value is read from its attributes).
//
// Every `interval` a cycle starts. Each attempt of a cycle is one job on the context's Worker
// (a SerialJob: a sysfs read makes the driver talk to the chip, a DHT11 read takes some 20 ms,
// an I2C chip's conversion may take longer), and the job uses only what it captured by value:
// the immutable plan (root, device selector, channels and their read functions) and the
// attempt's own arguments. The job:
// - finds the device by name, compatible or path, anew on every attempt (a listing of the class
//   directory and a few `name` files, which start no conversion): never by the number it had,
//   which another device may have taken since (a device unbound, another bound in its place),
//   and lists the channels it offers (for --once) when it was not known or is in another place;
// - reads the channels of the attempt and measures how long that took (steady clock), which
//   is logged at debug level and kept as the sensor's maximum (max_read_duration()).
//
// Its completion (on the loop) publishes every channel that read well. A channel whose read
// failed transiently (EIO, ETIMEDOUT... see is_transient_read_error: the dht11 driver fails
// about one read in four) is read again in the same cycle, up to `retries` more times, each
// after `retry_pause` on a loop timer (the worker never sleeps). A channel still failing at the
// end of the cycle has failed that cycle; it goes unavailable only after `unavailable_after`
// consecutive failed cycles (its own FaultTracker with that threshold: logged once when it goes
// unavailable, with the reminder rules of polled.hpp), and the first good read brings it back.
// Channels fail alone: one failing channel leaves the others of the device available.
//
// A device that is not found makes every entity unavailable at once (logged once), and is
// looked for again after retry_min, doubling up to retry_max.
//
// stop() cancels the timer and makes a job still on the worker stale (its completion is
// dropped); destroying the sensor with a job in flight is safe (the completion finds it gone).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/sensors/polled.hpp"
#include "pimqttd/sensors/sensor.hpp"
#include "pimqttd/sensors/serial_job.hpp"
#include "pimqttd/sensors/sysfs_device.hpp"

namespace pimqttd::sensors {

/// What reading one channel gave: its value, or why not.
struct ChannelReading {
  std::optional<Value> value;
  /// For the log: "<file>: Input/output error", "<file>: cannot parse \"x\"".
  std::string error;
  /// The errno of the read that failed; 0 for a failure that is not a read's (a parse).
  int error_number = 0;

  [[nodiscard]] static ChannelReading of(Value value) {
    return ChannelReading{std::move(value), {}, 0};
  }
  [[nodiscard]] static ChannelReading failure(std::string error, int error_number) {
    return ChannelReading{std::nullopt, std::move(error), error_number};
  }
};

/// The number in the attribute `file` (a double in `value`), or the failure.
[[nodiscard]] ChannelReading read_number_attribute(const ReadAttribute& read,
                                                   const std::filesystem::path& file);

/// What a channel measures: its Home Assistant metadata (key = the channel) and how a value in
/// the kernel ABI's unit becomes one in the published unit.
struct KernelQuantity {
  Quantity quantity;
  double multiply = 1;
  double divide = 1;
  /// value * multiply / divide (a division by 1000 rather than a multiplication by 0.001),
  /// rounded to 12 significant digits: the kernel writes at most about ten, and binary
  /// arithmetic must not add digits it never measured (100.653253906 kPa is 1006.53253906 hPa,
  /// not 1006.5325390600001).
  [[nodiscard]] double convert(double value) const noexcept;
};

/// One entity of a kernel sensor and how its value is read.
struct KernelChannel {
  /// The channel as the kernel names its attributes: "temp", "voltage0", "fan1",
  /// "in0_lcrit_alarm".
  std::string channel;
  EntityInfo info;
  /// Reads the value from the device directory `device`, every attribute through `read`. Runs
  /// on the worker: it holds only values (no pointer to the sensor or the loop).
  std::function<ChannelReading(const std::filesystem::path& device, const ReadAttribute& read)>
      read;
};

/// The channels a device offers, from the files of its directory (runs on the worker too).
using ListChannels =
    std::function<std::vector<std::string>(const std::filesystem::path& device)>;

struct KernelSensorOptions {
  std::string id;    ///< the sensor id (log lines, the --once listing key)
  std::string name;  ///< the sensor name (entity names)
  /// Where sys/ is looked up ("/" on a real system).
  std::filesystem::path root{"/"};
  DeviceSelector selector;
  std::chrono::milliseconds interval{std::chrono::seconds{60}};
  /// Extra attempts within a cycle for a channel whose read failed transiently.
  int retries = 2;
  /// The pause before each extra attempt (the dht11 driver keeps a good reading for 2 s, and
  /// refuses to read again sooner than that after a failure).
  std::chrono::milliseconds retry_pause{500};
  /// Consecutive failed cycles before a channel's entity goes unavailable.
  int unavailable_after = 3;
  std::chrono::milliseconds retry_min{std::chrono::seconds{1}};
  std::chrono::milliseconds retry_max{std::chrono::minutes{5}};
  friend bool operator==(const KernelSensorOptions&, const KernelSensorOptions&) = default;
};

class KernelSensor final : public Sensor {
 public:
  /// `read` empty: read_attribute (the files themselves).
  KernelSensor(KernelSensorOptions options, const SysfsClass& sysfs_class,
               std::vector<KernelChannel> channels, ListChannels list, ReadAttribute read = {});
  ~KernelSensor() override;
  KernelSensor(const KernelSensor&) = delete;
  KernelSensor& operator=(const KernelSensor&) = delete;

  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return infos_; }
  void start(SensorContext& context) override;
  void stop() override;
  /// "<sensor id>_channels": what the device offered when it was last found (empty before).
  [[nodiscard]] std::vector<SensorListing> listings() const override;

  [[nodiscard]] const KernelSensorOptions& options() const noexcept { return options_; }
  /// A job is on the worker (possibly a stale one).
  [[nodiscard]] bool reading() const noexcept;
  /// The longest attempt so far (finding the device and reading the attempt's channels).
  [[nodiscard]] std::chrono::nanoseconds max_read_duration() const noexcept { return max_read_; }
  /// The device directory in use (the entry under the class directory); nullopt while none is
  /// found.
  [[nodiscard]] const std::optional<std::filesystem::path>& device() const noexcept {
    return device_;
  }

 private:
  struct Plan;
  struct Attempt;

  void begin_cycle();
  void submit(std::vector<std::size_t> channels);
  void completed(Attempt attempt);
  void schedule(std::chrono::steady_clock::time_point at, bool retry);

  KernelSensorOptions options_;
  std::shared_ptr<const Plan> plan_;
  std::vector<EntityInfo> infos_;
  FaultTracker device_faults_;
  std::vector<FaultTracker> channel_faults_;
  // Attempt is defined in the .cpp: the job's result type is complete wherever it is used.
  SerialJob<Attempt> jobs_;
  SensorContext* context_ = nullptr;
  core::TimerHandle timer_;
  std::chrono::steady_clock::time_point cycle_start_{};
  int attempt_ = 0;  // of the current cycle, 0 for the first
  std::vector<std::size_t> retry_;
  std::optional<std::filesystem::path> device_;
  std::vector<std::string> offered_;
  std::chrono::nanoseconds max_read_{0};
};

}  // namespace pimqttd::sensors
