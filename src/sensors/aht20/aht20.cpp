#include "sensors/aht20/aht20.hpp"

#include <utility>

#include <fmt/format.h>

#include "pimqttd/sensors/sensirion.hpp"

namespace pimqttd::sensors {

using std::chrono::milliseconds;

Aht20::Aht20(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address)
    : chip_(std::move(bus), address, "AHT20") {}

void Aht20::setup() {
  std::array<std::uint8_t, 1> status{};
  chip_.read(status, "the status");
  initialized_ = (status[0] & kCalibrated) == 0;
  if (initialized_) chip_.write(kInitCommand, "the initialization command");
}

milliseconds Aht20::begin() {
  if (initialized_) {
    initialized_ = false;
    step_ = Step::initialization;
    return kInitWait;
  }
  return trigger();
}

milliseconds Aht20::trigger() {
  step_ = Step::measurement;
  busy_reads_ = 0;
  busy_ = false;
  chip_.write(kTriggerCommand, "the measurement command");
  return kMeasureWait;
}

std::vector<Reading> Aht20::collect() {
  if (step_ == Step::initialization) {
    std::array<std::uint8_t, 1> status{};
    chip_.read(status, "the status");
    if ((status[0] & kCalibrated) == 0) {
      chip_.fail(fmt::format("status {:#04x} after the initialization command: not calibrated",
                             status[0]));
    }
    return {};
  }
  std::array<std::uint8_t, 7> data{};
  chip_.read(data, "the measurement");
  busy_ = (data[0] & kBusy) != 0;
  if (busy_) {
    if (++busy_reads_ > kBusyRetries) {
      const auto waited = kMeasureWait + kBusyRetries * kBusyWait;
      chip_.fail(fmt::format("still busy {} ms after the measurement command", waited.count()));
    }
    return {};
  }
  if ((data[0] & kCalibrated) == 0) {
    chip_.fail(fmt::format("status {:#04x}: no longer calibrated", data[0]));
  }
  const std::uint8_t expected = crc8(std::span(data).first(6), 0xFF);
  if (data[6] != expected) {
    chip_.fail(fmt::format("CRC mismatch in the measurement: CRC {:#04x}, expected {:#04x}",
                           data[6], expected));
  }
  const std::uint32_t raw_humidity =
      (std::uint32_t{data[1]} << 12U) | (std::uint32_t{data[2]} << 4U) | (data[3] >> 4U);
  const std::uint32_t raw_temperature =
      ((std::uint32_t{data[3]} & 0x0FU) << 16U) | (std::uint32_t{data[4]} << 8U) | data[5];
  step_ = Step::done;
  return {Reading{"temperature", temperature(raw_temperature)},
          Reading{"humidity", humidity(raw_humidity)}};
}

std::optional<milliseconds> Aht20::begin_next() {
  if (step_ == Step::initialization) return trigger();
  if (step_ == Step::measurement && busy_) return kBusyWait;
  return std::nullopt;
}

double Aht20::humidity(std::uint32_t raw) noexcept { return raw / 1048576.0 * 100.0; }

double Aht20::temperature(std::uint32_t raw) noexcept { return raw / 1048576.0 * 200.0 - 50.0; }

}  // namespace pimqttd::sensors
