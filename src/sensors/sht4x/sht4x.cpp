#include "sensors/sht4x/sht4x.hpp"

#include <algorithm>
#include <utility>

namespace pimqttd::sensors {

Sht4x::Sht4x(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address)
    : SensirionHumiditySensor(I2cChip(std::move(bus), address, "SHT4x"),
                              SensirionCommands{kSerialNumberCommand, kSerialNumberWait,
                                                kMeasureCommand, kMeasureWait, &temperature,
                                                &humidity}) {}

double Sht4x::temperature(std::uint16_t raw) noexcept { return -45.0 + 175.0 * raw / 65535.0; }

double Sht4x::humidity(std::uint16_t raw) noexcept {
  return std::clamp(-6.0 + 125.0 * raw / 65535.0, 0.0, 100.0);
}

}  // namespace pimqttd::sensors
