#include "sensors/bh1750/bh1750.hpp"

#include <utility>

#include <fmt/format.h>

namespace pimqttd::sensors {
namespace {

constexpr std::uint8_t kPowerOn = 0x01;
constexpr std::uint8_t kOneTimeHigh = 0x20;
constexpr std::uint8_t kOneTimeHigh2 = 0x21;
constexpr std::uint8_t kOneTimeLow = 0x23;

}  // namespace

double bh1750_illuminance(std::uint16_t counts, Bh1750Resolution resolution) noexcept {
  const double lux = counts / 1.2;
  return resolution == Bh1750Resolution::high2 ? lux / 2 : lux;
}

std::span<const Quantity> Bh1750::quantities(Bh1750Resolution resolution) noexcept {
  if (resolution == Bh1750Resolution::high2) return kHigh2Quantities;
  return kQuantities;
}

Bh1750::Bh1750(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address, Bh1750Resolution resolution)
    : chip_(std::move(bus), address, "BH1750"), resolution_(resolution) {}

void Bh1750::command(std::uint8_t opcode, const char* name) {
  const std::array<std::uint8_t, 1> bytes{opcode};
  chip_.write(bytes, name);
}

void Bh1750::setup() { command(kPowerOn, "Power On"); }

std::chrono::milliseconds Bh1750::begin() {
  using std::chrono::milliseconds;
  switch (resolution_) {
    case Bh1750Resolution::high:
      command(kOneTimeHigh, "One Time H-Resolution Mode");
      return milliseconds{180};
    case Bh1750Resolution::high2:
      command(kOneTimeHigh2, "One Time H-Resolution Mode2");
      return milliseconds{180};
    case Bh1750Resolution::low:
      command(kOneTimeLow, "One Time L-Resolution Mode");
      return milliseconds{24};
  }
  return milliseconds{180};
}

std::vector<Reading> Bh1750::collect() {
  std::array<std::uint8_t, 2> result{};
  chip_.read(result, "the measurement");
  const auto counts = static_cast<std::uint16_t>((result[0] << 8U) | result[1]);
  return {{"illuminance", bh1750_illuminance(counts, resolution_)}};
}

}  // namespace pimqttd::sensors
