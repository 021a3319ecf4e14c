#pragma once
// FakeI2cBus: the I2C seam (hw::I2cBus) for driver tests, standing in for the bus and nothing
// above it.
//
// Each device at an address has:
// - a 256-byte register map, read and written by the SMBus transactions (a word at `reg` is
//   map[reg] | map[reg + 1] << 8; a block read takes consecutive registers), which suits chips
//   whose words are pairs of byte registers;
// - or, once set_word() was called for the device, 16-bit registers of their own for the word
//   transactions, as i2c-stub keeps them (neighbouring words do not overlap), which suits chips
//   whose registers are words (ADS1115, INA219); byte and block transactions still use the map;
// - a queue of responses for plain reads: each read takes the next one (its size must match the
//   read's, or the read fails with EIO); an empty queue answers with a NACK (EREMOTEIO), as a
//   chip still converting does.
// Every transaction is logged in order, so tests can assert exactly what a driver sent.
// Faults: nack(address) makes every transaction to the address fail with ENXIO (no device);
// fail_next(error) makes the next transaction to any address fail with `error`.

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "pimqttd/hw/i2c.hpp"

namespace pimqttd::test {

class FakeI2cBus final : public hw::I2cBus {
 public:
  enum class Kind : std::uint8_t { read_byte, write_byte, read_word, write_word, read_block,
                                   write, read };
  struct Transaction {
    Kind kind;
    std::uint8_t address;
    std::uint8_t reg;                 ///< SMBus transactions only
    std::vector<std::uint8_t> bytes;  ///< written, or read (the bytes returned)
  };

  /// Adds a device whose registers are all zero; returns its register map.
  std::array<std::uint8_t, 256>& add_device(std::uint8_t address);
  /// Sets registers from `reg` on (bytes in order).
  void set_registers(std::uint8_t address, std::uint8_t reg, std::span<const std::uint8_t> bytes);
  [[nodiscard]] std::uint8_t reg(std::uint8_t address, std::uint8_t reg) const;
  /// Gives the device 16-bit word registers (see above) and sets register `reg` to `value` as an
  /// SMBus word (its low byte is the first on the wire: chips that send the high byte first want
  /// hw::swap_bytes(value)).
  void set_word(std::uint8_t address, std::uint8_t reg, std::uint16_t value);
  /// The word register `reg` (after set_word()), as an SMBus word.
  [[nodiscard]] std::uint16_t word(std::uint8_t address, std::uint8_t reg) const;
  /// Queues the answer to the next plain read from `address`.
  void queue_read(std::uint8_t address, std::vector<std::uint8_t> bytes);
  /// Every transaction to `address` fails with ENXIO (true) or works again (false).
  void nack(std::uint8_t address, bool on = true);
  /// The next transaction (to any address) fails with `error` instead of happening.
  void fail_next(std::error_code error);

  [[nodiscard]] const std::vector<Transaction>& log() const noexcept { return log_; }
  /// The SMBus word writes to any address, in order, as (register, value) with the value read
  /// the way big-endian chips (ADS1115, INA219, MCP9808) mean it: the first byte on the wire
  /// the most significant.
  [[nodiscard]] std::vector<std::pair<int, int>> word_writes_be() const;
  /// The plain writes to `address`, in order.
  [[nodiscard]] std::vector<std::vector<std::uint8_t>> writes(std::uint8_t address) const;
  void clear_log() { log_.clear(); }

  std::error_code read_byte_data(std::uint8_t address, std::uint8_t reg,
                                 std::uint8_t& value) override;
  std::error_code write_byte_data(std::uint8_t address, std::uint8_t reg,
                                  std::uint8_t value) override;
  std::error_code read_word_data(std::uint8_t address, std::uint8_t reg,
                                 std::uint16_t& value) override;
  std::error_code write_word_data(std::uint8_t address, std::uint8_t reg,
                                  std::uint16_t value) override;
  std::error_code read_block_data(std::uint8_t address, std::uint8_t reg,
                                  std::span<std::uint8_t> out) override;
  std::error_code write(std::uint8_t address, std::span<const std::uint8_t> bytes) override;
  std::error_code read(std::uint8_t address, std::span<std::uint8_t> out) override;
  [[nodiscard]] std::string name() const override { return "fake-i2c"; }

 private:
  struct Device {
    std::array<std::uint8_t, 256> registers{};
    bool word_registers = false;
    std::array<std::uint16_t, 256> words{};
    std::deque<std::vector<std::uint8_t>> reads;
    bool nack = false;
  };
  /// The device, or an error for a missing / NACKing one or an injected failure.
  std::error_code reach(std::uint8_t address, Device*& device);

  std::map<std::uint8_t, Device> devices_;
  std::vector<Transaction> log_;
  std::error_code next_failure_;
};

}  // namespace pimqttd::test
