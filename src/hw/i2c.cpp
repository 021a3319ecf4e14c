#include "pimqttd/hw/i2c.hpp"

#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pimqttd::hw {
namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

/// One I2C_SMBUS ioctl; retried on EINTR only.
std::error_code smbus(int fd, std::uint8_t read_write, std::uint8_t command, std::uint32_t size,
                      i2c_smbus_data* data) {
  i2c_smbus_ioctl_data args{};
  args.read_write = read_write;
  args.command = command;
  args.size = size;
  args.data = data;
  while (::ioctl(fd, I2C_SMBUS, &args) < 0) {
    if (errno != EINTR) return last_error();
  }
  return {};
}

}  // namespace

LinuxI2cBus::LinuxI2cBus(std::filesystem::path device) : device_(std::move(device)) {}

std::error_code LinuxI2cBus::open() {
  if (fd_) return {};
  core::UniqueFd fd(::open(device_.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) return last_error();
  unsigned long functions = 0;
  if (::ioctl(fd.get(), I2C_FUNCS, &functions) < 0) return last_error();
  fd_ = std::move(fd);
  functions_ = functions;
  selected_ = -1;
  return {};
}

bool LinuxI2cBus::supports(unsigned long function, std::error_code& error) {
  error = open();
  if (!error && (functions_ & function) == 0) {
    error = std::make_error_code(std::errc::not_supported);
  }
  return !error;
}

std::filesystem::path LinuxI2cBus::device_path(int number) {
  return "/dev/i2c-" + std::to_string(number);
}

std::string LinuxI2cBus::name() const { return device_.string(); }

std::error_code LinuxI2cBus::select(std::uint8_t address) {
  if (selected_ == address) return {};
  if (::ioctl(fd_.get(), I2C_SLAVE, static_cast<unsigned long>(address)) < 0) {
    return last_error();
  }
  selected_ = address;
  return {};
}

std::error_code LinuxI2cBus::read_byte_data(std::uint8_t address, std::uint8_t reg,
                                            std::uint8_t& value) {
  if (std::error_code error; !supports(I2C_FUNC_SMBUS_READ_BYTE_DATA, error)) return error;
  if (const auto error = select(address)) return error;
  i2c_smbus_data data{};
  if (const auto error = smbus(fd_.get(), I2C_SMBUS_READ, reg, I2C_SMBUS_BYTE_DATA, &data)) {
    return error;
  }
  value = data.byte;
  return {};
}

std::error_code LinuxI2cBus::write_byte_data(std::uint8_t address, std::uint8_t reg,
                                             std::uint8_t value) {
  if (std::error_code error; !supports(I2C_FUNC_SMBUS_WRITE_BYTE_DATA, error)) return error;
  if (const auto error = select(address)) return error;
  i2c_smbus_data data{};
  data.byte = value;
  return smbus(fd_.get(), I2C_SMBUS_WRITE, reg, I2C_SMBUS_BYTE_DATA, &data);
}

std::error_code LinuxI2cBus::read_word_data(std::uint8_t address, std::uint8_t reg,
                                            std::uint16_t& value) {
  if (std::error_code error; !supports(I2C_FUNC_SMBUS_READ_WORD_DATA, error)) return error;
  if (const auto error = select(address)) return error;
  i2c_smbus_data data{};
  if (const auto error = smbus(fd_.get(), I2C_SMBUS_READ, reg, I2C_SMBUS_WORD_DATA, &data)) {
    return error;
  }
  value = data.word;
  return {};
}

std::error_code LinuxI2cBus::write_word_data(std::uint8_t address, std::uint8_t reg,
                                             std::uint16_t value) {
  if (std::error_code error; !supports(I2C_FUNC_SMBUS_WRITE_WORD_DATA, error)) return error;
  if (const auto error = select(address)) return error;
  i2c_smbus_data data{};
  data.word = value;
  return smbus(fd_.get(), I2C_SMBUS_WRITE, reg, I2C_SMBUS_WORD_DATA, &data);
}

std::error_code LinuxI2cBus::read_block_data(std::uint8_t address, std::uint8_t reg,
                                             std::span<std::uint8_t> out) {
  if (out.empty() || out.size() > I2C_SMBUS_BLOCK_MAX) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (std::error_code error; !supports(I2C_FUNC_SMBUS_READ_I2C_BLOCK, error)) return error;
  if (const auto error = select(address)) return error;
  i2c_smbus_data data{};
  data.block[0] = static_cast<std::uint8_t>(out.size());
  if (const auto error =
          smbus(fd_.get(), I2C_SMBUS_READ, reg, I2C_SMBUS_I2C_BLOCK_DATA, &data)) {
    return error;
  }
  if (data.block[0] < out.size()) return std::make_error_code(std::errc::io_error);
  std::memcpy(out.data(), &data.block[1], out.size());
  return {};
}

std::error_code LinuxI2cBus::write(std::uint8_t address, std::span<const std::uint8_t> bytes) {
  i2c_msg message{};
  message.addr = address;
  message.flags = 0;
  message.len = static_cast<std::uint16_t>(bytes.size());
  // The kernel only reads from a write message's buffer.
  message.buf = const_cast<std::uint8_t*>(bytes.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  return transfer(message);
}

std::error_code LinuxI2cBus::read(std::uint8_t address, std::span<std::uint8_t> out) {
  i2c_msg message{};
  message.addr = address;
  message.flags = I2C_M_RD;
  message.len = static_cast<std::uint16_t>(out.size());
  message.buf = out.data();
  return transfer(message);
}

std::error_code LinuxI2cBus::transfer(i2c_msg& message) {
  if (std::error_code error; !supports(I2C_FUNC_I2C, error)) return error;
  if (message.len == 0 || message.len > 8192) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  i2c_rdwr_ioctl_data transaction{&message, 1};
  while (::ioctl(fd_.get(), I2C_RDWR, &transaction) < 0) {
    if (errno != EINTR) return last_error();
  }
  return {};
}

}  // namespace pimqttd::hw
