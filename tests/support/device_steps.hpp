#pragma once
// Driving a sensors::Device's steps by hand, without a loop: the chip fakes answer at once, so a
// test runs a cycle as PolledSensor would and asserts what each step asked for.

#include <chrono>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::test {

/// One cycle of a device: the wait of every step, and the readings of all of them.
struct DeviceCycle {
  std::vector<std::chrono::milliseconds> waits;
  std::vector<sensors::Reading> readings;
};

/// Runs begin(), then collect() and begin_next() until the cycle is complete (at most
/// `max_steps` steps). DeviceError passes through.
inline DeviceCycle run_cycle(sensors::Device& device, std::size_t max_steps = 16) {
  DeviceCycle cycle;
  std::optional<std::chrono::milliseconds> wait = device.begin();
  for (std::size_t step = 0; wait && step < max_steps; ++step) {
    cycle.waits.push_back(*wait);
    for (sensors::Reading& reading : device.collect()) cycle.readings.push_back(std::move(reading));
    wait = device.begin_next();
  }
  return cycle;
}

/// The readings' keys, in order.
inline std::vector<std::string> keys(const std::vector<sensors::Reading>& readings) {
  std::vector<std::string> out;
  for (const auto& reading : readings) out.emplace_back(reading.key);
  return out;
}

/// The readings' numbers, in order (NaN for a reading that is not a number).
inline std::vector<double> numbers(const std::vector<sensors::Reading>& readings) {
  std::vector<double> out;
  for (const auto& reading : readings) {
    const double* number = std::get_if<double>(&reading.value);
    out.push_back(number != nullptr ? *number : std::numeric_limits<double>::quiet_NaN());
  }
  return out;
}

/// The message of the DeviceError `action` throws, or "no DeviceError".
template <typename Action>
std::string device_error(Action&& action) {
  try {
    std::forward<Action>(action)();
  } catch (const sensors::DeviceError& error) {
    return error.what();
  }
  return "no DeviceError";
}

}  // namespace pimqttd::test
