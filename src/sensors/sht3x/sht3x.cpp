#include "sensors/sht3x/sht3x.hpp"

#include <utility>

namespace pimqttd::sensors {

Sht3x::Sht3x(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address)
    : SensirionHumiditySensor(I2cChip(std::move(bus), address, "SHT3x"),
                              SensirionCommands{kSerialNumberCommand, kSerialNumberWait,
                                                kMeasureCommand, kMeasureWait, &temperature,
                                                &humidity}) {}

double Sht3x::temperature(std::uint16_t raw) noexcept { return -45.0 + 175.0 * raw / 65535.0; }

double Sht3x::humidity(std::uint16_t raw) noexcept { return 100.0 * raw / 65535.0; }

}  // namespace pimqttd::sensors
