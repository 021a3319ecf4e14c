#pragma once
// The I2C seam: one bus, addressed per transaction.
//
// Drivers in `sensors` talk to an I2cBus and nothing else, so they run unchanged on a Pi
// (LinuxI2cBus over /dev/i2c-N), on the kernel's i2c-stub in the system test, and on the fake
// bus of the unit tests, which stands in at exactly this seam.
//
// Two kinds of transaction:
// - SMBus register transactions (byte, word, I2C block). Register-based chips (BME280, MCP9808,
//   ADS1115, INA219) use only these, so they also run on i2c-stub, which emulates nothing else.
// - Plain I2C reads and writes of raw bytes, for chips that take commands rather than register
//   addresses (SHT3x, SHT4x, HTU21D, AHT20, BH1750).
//
// Every call returns a std::error_code: the errno of the failed ioctl in the generic category
// (ENXIO or EREMOTEIO for a NACK, ETIMEDOUT, EIO...). Calls never retry; the driver decides.
// Word values are as SMBus carries them: the low byte is the first byte on the wire. Chips that
// send the high byte first (MCP9808, ADS1115, INA219) swap them (see swap_bytes()).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>

#include "pimqttd/core/unique_fd.hpp"

struct i2c_msg;

namespace pimqttd::hw {

class I2cBus {
 public:
  virtual ~I2cBus() = default;

  /// SMBus "read byte data": the byte in register `reg`.
  virtual std::error_code read_byte_data(std::uint8_t address, std::uint8_t reg,
                                         std::uint8_t& value) = 0;
  /// SMBus "write byte data".
  virtual std::error_code write_byte_data(std::uint8_t address, std::uint8_t reg,
                                          std::uint8_t value) = 0;
  /// SMBus "read word data": the low byte is the one read first.
  virtual std::error_code read_word_data(std::uint8_t address, std::uint8_t reg,
                                         std::uint16_t& value) = 0;
  /// SMBus "write word data": the low byte is sent first.
  virtual std::error_code write_word_data(std::uint8_t address, std::uint8_t reg,
                                          std::uint16_t value) = 0;
  /// SMBus "read I2C block data": out.size() (1..32) bytes starting at register `reg`.
  virtual std::error_code read_block_data(std::uint8_t address, std::uint8_t reg,
                                          std::span<std::uint8_t> out) = 0;
  /// Plain I2C write of raw bytes (a command, with its arguments).
  virtual std::error_code write(std::uint8_t address, std::span<const std::uint8_t> bytes) = 0;
  /// Plain I2C read of raw bytes (a measurement after a command).
  virtual std::error_code read(std::uint8_t address, std::span<std::uint8_t> out) = 0;

  /// How the bus is named in messages ("/dev/i2c-1").
  [[nodiscard]] virtual std::string name() const = 0;
};

/// The two bytes of an SMBus word exchanged, for chips that send the most significant byte
/// first.
[[nodiscard]] constexpr std::uint16_t swap_bytes(std::uint16_t word) noexcept {
  return static_cast<std::uint16_t>((word << 8U) | (word >> 8U));
}

/// /dev/i2c-N through the kernel's i2c-dev ioctls: I2C_SLAVE + I2C_SMBUS for SMBus
/// transactions, I2C_RDWR (one message) for plain reads and writes. Transactions take the
/// bus's own time (a few hundred microseconds at 100 kHz): short enough for the loop.
class LinuxI2cBus final : public I2cBus {
 public:
  /// Opens nothing yet: the device is opened by the first transaction, and again by the next
  /// one after it failed to open (a bus whose driver loads late, or an adapter that came back),
  /// so a missing bus is a failing sensor, not a failing daemon. On open it reads I2C_FUNCS; a
  /// transaction the adapter does not support fails with ENOTSUP rather than being attempted.
  explicit LinuxI2cBus(std::filesystem::path device);
  /// /dev/i2c-<number>.
  [[nodiscard]] static std::filesystem::path device_path(int number);

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
  [[nodiscard]] std::string name() const override;

 private:
  std::error_code open();
  /// Opens the device if needed; false with `error` set when it cannot, or when the adapter
  /// lacks `function` (an I2C_FUNC_* bit).
  bool supports(unsigned long function, std::error_code& error);
  std::error_code select(std::uint8_t address);
  std::error_code transfer(struct i2c_msg& message);

  std::filesystem::path device_;
  core::UniqueFd fd_;
  unsigned long functions_ = 0;
  int selected_ = -1;
};

}  // namespace pimqttd::hw
