#pragma once
// I2cChip: one chip on an I2C bus as its driver sees it (the bus, the address, the chip's name),
// with the transactions drivers use. Each turns a failed transaction into a DeviceError whose
// message says which chip, where, and what was being done:
//
//     "SHT4x at 0x44 on /dev/i2c-1: reading the measurement: Remote I/O error"
//
// Chips that send a register's most significant byte first (ADS1115, INA219) use the *_be word
// transactions, which exchange the bytes of SMBus's low-byte-first words (hw::swap_bytes).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

class I2cChip {
 public:
  /// `bus` is shared: several chips sit on one bus.
  I2cChip(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address, std::string_view name);

  /// "SHT4x at 0x44 on /dev/i2c-1": how messages name the chip.
  [[nodiscard]] const std::string& where() const noexcept { return where_; }
  [[nodiscard]] std::uint8_t address() const noexcept { return address_; }

  /// Plain I2C write of a command and its arguments. `what` completes "writing <what>".
  void write(std::span<const std::uint8_t> bytes, std::string_view what);
  /// Plain I2C read of out.size() bytes. `what` completes "reading <what>".
  void read(std::span<std::uint8_t> out, std::string_view what);
  /// SMBus byte read of register `reg`.
  [[nodiscard]] std::uint8_t read_byte(std::uint8_t reg, std::string_view what);
  /// SMBus byte write of register `reg`.
  void write_byte(std::uint8_t reg, std::uint8_t value, std::string_view what);
  /// SMBus I2C-block read of out.size() (1..32) registers from `reg` on.
  void read_block(std::uint8_t reg, std::span<std::uint8_t> out, std::string_view what);
  /// SMBus word read of register `reg`, its first byte on the wire the most significant.
  [[nodiscard]] std::uint16_t read_word_be(std::uint8_t reg, std::string_view what);
  /// SMBus word write of register `reg`, its most significant byte first on the wire.
  void write_word_be(std::uint8_t reg, std::uint16_t value, std::string_view what);

  /// Throws DeviceError("<where>: <message>").
  [[noreturn]] void fail(std::string_view message) const;

 private:
  std::shared_ptr<hw::I2cBus> bus_;
  std::uint8_t address_;
  std::string where_;
};

/// A chip that converts continuously on its own into a register a cycle just reads (MCP9808,
/// LM75), and that may have been left in shutdown, where it stops converting and holds an old
/// reading. setup() calls woke() after taking it out of shutdown; the next begin() then waits
/// `wake_time` for a fresh conversion, and every other begin() none.
class ContinuousChip : public Device {
 public:
  std::chrono::milliseconds begin() override;

 protected:
  ContinuousChip(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address, std::string_view name,
                 std::chrono::milliseconds wake_time);

  [[nodiscard]] I2cChip& chip() noexcept { return chip_; }
  void woke() noexcept { woken_ = true; }

 private:
  I2cChip chip_;
  std::chrono::milliseconds wake_time_;
  bool woken_ = false;
};

}  // namespace pimqttd::sensors
