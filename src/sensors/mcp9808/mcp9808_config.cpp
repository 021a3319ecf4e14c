#include "sensors/mcp9808/mcp9808_config.hpp"

#include <utility>

#include "sensors/mcp9808/mcp9808.hpp"

namespace pimqttd::sensors {

const I2cAddresses& mcp9808_addresses() {
  static const I2cAddresses addresses{{0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F}};
  return addresses;
}

SensorType mcp9808_sensor_type() {
  return i2c_sensor_type("mcp9808", "MCP9808", mcp9808_addresses().allowed, Mcp9808::kQuantities,
                         [](auto bus, std::uint8_t address) {
                           return std::make_unique<Mcp9808>(std::move(bus), address);
                         });
}

}  // namespace pimqttd::sensors
