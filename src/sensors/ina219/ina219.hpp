#pragma once
// Ina219: Texas Instruments INA219 current and power monitor (the `ina219` sensor type), at 0x40
// to 0x4F (A0 and A1 each tied to GND, VS+, SDA or SCL).
//
// Register chip: only SMBus word transactions, most significant byte first (so it also runs on
// i2c-stub). Registers (the datasheet's register map): 0x00 configuration, 0x01 shunt voltage,
// 0x02 bus voltage, 0x03 power, 0x04 current, 0x05 calibration.
//
// The chip runs in its reset configuration, 0x399F: 32 V bus range, shunt PGA /8 (±320 mV),
// 12-bit shunt and bus conversions (532 µs each), shunt and bus continuous. So the shunt voltage
// the configuration can measure is 0.32 V: max_current * shunt_ohms must not exceed it.
//
// Current and power come from the chip's own current and power registers, which it computes
// from the calibration register, programmed per the datasheet's calibration procedure:
//
//     Current_LSB = max_current / 2^15                 (the finest LSB for that maximum)
//     Cal = trunc(0.04096 / (Current_LSB * shunt_ohms)), even (bit 0 of the register is void)
//           and at most 0xFFFE
//
// and read back with the LSB that Cal actually gives, 0.04096 / (Cal * shunt_ohms), so that the
// truncation costs nothing (current = shunt voltage / shunt_ohms, to the register's count);
// Power_LSB = 20 * Current_LSB. Current = (int16) current register * Current_LSB; power = power
// register * Power_LSB; bus voltage = (register >> 3) * 4 mV (bits 15..3).
//
//     setup()   -- reads the configuration register: 0x399F is a chip in its reset state, used as
//                  is; anything else gets a reset (bit 15) and must then read 0x399F (the
//                  identity check; a chip at its reset value needs no reset, which also lets the
//                  driver run on i2c-stub, where registers hold what was last written). Then
//                  writes Cal.
//     begin()   -- nothing to start (continuous mode); after setup() it waits 2 ms, so that a
//                  whole shunt-and-bus conversion (1.06 ms) follows the calibration.
//     collect() -- reads the calibration register back (anything else than Cal means the chip
//                  was reset: a DeviceError, so the next attempt programs it again), the bus
//                  voltage register (CNVR, bit 1, must be set: a conversion completed; OVF, bit 0,
//                  must be clear: current and power are in range), the current and power
//                  registers (reading power clears CNVR for the next cycle).
//
// Readings: "bus_voltage" (V), "current" (A, negative when it flows backwards), "power" (W).

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/i2c_chip.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

/// The INA219's quantities: entities <id>_bus_voltage, <id>_current, <id>_power. Display
/// precision, the resolution of each register (ina219_quantities sets it for a sensor's LSB):
/// - bus_voltage: 3, its 4 mV LSB;
/// - current and power: the fewest decimals that keep Current_LSB and Power_LSB apart
///   (decimals_for_step), here those of the default 0.1 Ω and 3.2 A (98 µA: 5; 1.95 mW: 3).
inline constexpr std::array<Quantity, 3> kIna219Quantities{{
    {"bus_voltage", "bus voltage", "voltage", "measurement", "V", 3},
    {"current", "current", "current", "measurement", "A", 5},
    {"power", "power", "power", "measurement", "W", 3},
}};

/// kIna219Quantities with the current's and the power's precision for `current_lsb` (A).
[[nodiscard]] std::array<Quantity, 3> ina219_quantities(double current_lsb) noexcept;

class Ina219 final : public Device {
 public:
  static constexpr std::uint8_t kConfigRegister = 0x00;
  static constexpr std::uint8_t kShuntVoltageRegister = 0x01;
  static constexpr std::uint8_t kBusVoltageRegister = 0x02;
  static constexpr std::uint8_t kPowerRegister = 0x03;
  static constexpr std::uint8_t kCurrentRegister = 0x04;
  static constexpr std::uint8_t kCalibrationRegister = 0x05;
  static constexpr std::uint16_t kResetConfig = 0x399F;
  static constexpr std::uint16_t kReset = 0x8000;
  static constexpr double kShuntRange = 0.32;  ///< V, at PGA /8
  static constexpr std::chrono::milliseconds kSettleWait{2};

  /// Throws std::invalid_argument unless 0 < shunt_ohms, 0 < max_current and
  /// max_current * shunt_ohms <= kShuntRange.
  Ina219(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address, double shunt_ohms,
         double max_current);

  void setup() override;
  std::chrono::milliseconds begin() override;
  std::vector<Reading> collect() override;

  /// Cal for a shunt and a maximum current (see above).
  [[nodiscard]] static std::uint16_t calibration(double shunt_ohms, double max_current) noexcept;
  [[nodiscard]] std::uint16_t calibration() const noexcept { return calibration_; }
  /// A per count of the current register.
  [[nodiscard]] double current_lsb() const noexcept { return current_lsb_; }

 private:
  I2cChip chip_;
  std::uint16_t calibration_;
  double current_lsb_;
  bool settle_ = false;
};

}  // namespace pimqttd::sensors
