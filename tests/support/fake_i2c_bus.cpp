#include "support/fake_i2c_bus.hpp"

#include <algorithm>
#include <cerrno>

namespace pimqttd::test {

std::array<std::uint8_t, 256>& FakeI2cBus::add_device(std::uint8_t address) {
  return devices_[address].registers;
}

void FakeI2cBus::set_registers(std::uint8_t address, std::uint8_t reg,
                               std::span<const std::uint8_t> bytes) {
  auto& registers = devices_[address].registers;
  std::size_t at = reg;
  for (const std::uint8_t byte : bytes) registers.at(at++) = byte;
}

std::uint8_t FakeI2cBus::reg(std::uint8_t address, std::uint8_t reg) const {
  return devices_.at(address).registers[reg];
}

void FakeI2cBus::set_word(std::uint8_t address, std::uint8_t reg, std::uint16_t value) {
  Device& device = devices_[address];
  device.word_registers = true;
  device.words[reg] = value;
}

std::uint16_t FakeI2cBus::word(std::uint8_t address, std::uint8_t reg) const {
  return devices_.at(address).words[reg];
}

void FakeI2cBus::queue_read(std::uint8_t address, std::vector<std::uint8_t> bytes) {
  devices_[address].reads.push_back(std::move(bytes));
}

void FakeI2cBus::nack(std::uint8_t address, bool on) { devices_[address].nack = on; }

void FakeI2cBus::fail_next(std::error_code error) { next_failure_ = error; }

std::vector<std::pair<int, int>> FakeI2cBus::word_writes_be() const {
  std::vector<std::pair<int, int>> out;
  for (const Transaction& t : log_) {
    if (t.kind == Kind::write_word) out.emplace_back(t.reg, t.bytes.at(0) << 8 | t.bytes.at(1));
  }
  return out;
}

std::vector<std::vector<std::uint8_t>> FakeI2cBus::writes(std::uint8_t address) const {
  std::vector<std::vector<std::uint8_t>> out;
  for (const Transaction& t : log_) {
    if (t.kind == Kind::write && t.address == address) out.push_back(t.bytes);
  }
  return out;
}

std::error_code FakeI2cBus::reach(std::uint8_t address, Device*& device) {
  if (next_failure_) {
    const std::error_code error = next_failure_;
    next_failure_.clear();
    return error;
  }
  const auto found = devices_.find(address);
  if (found == devices_.end() || found->second.nack) {
    return std::make_error_code(std::errc::no_such_device_or_address);
  }
  device = &found->second;
  return {};
}

std::error_code FakeI2cBus::read_byte_data(std::uint8_t address, std::uint8_t reg,
                                           std::uint8_t& value) {
  Device* device = nullptr;
  if (const auto error = reach(address, device)) return error;
  value = device->registers[reg];
  log_.push_back({Kind::read_byte, address, reg, {value}});
  return {};
}

std::error_code FakeI2cBus::write_byte_data(std::uint8_t address, std::uint8_t reg,
                                            std::uint8_t value) {
  Device* device = nullptr;
  if (const auto error = reach(address, device)) return error;
  device->registers[reg] = value;
  log_.push_back({Kind::write_byte, address, reg, {value}});
  return {};
}

std::error_code FakeI2cBus::read_word_data(std::uint8_t address, std::uint8_t reg,
                                           std::uint16_t& value) {
  Device* device = nullptr;
  if (const auto error = reach(address, device)) return error;
  if (device->word_registers) {
    value = device->words[reg];
  } else {
    const std::uint8_t next = device->registers[static_cast<std::uint8_t>(reg + 1)];
    value = static_cast<std::uint16_t>(device->registers[reg] | (next << 8U));
  }
  const auto low = static_cast<std::uint8_t>(value & 0xFFU);
  const auto high = static_cast<std::uint8_t>(value >> 8U);
  log_.push_back({Kind::read_word, address, reg, {low, high}});
  return {};
}

std::error_code FakeI2cBus::write_word_data(std::uint8_t address, std::uint8_t reg,
                                            std::uint16_t value) {
  Device* device = nullptr;
  if (const auto error = reach(address, device)) return error;
  const auto low = static_cast<std::uint8_t>(value & 0xFFU);
  const auto high = static_cast<std::uint8_t>(value >> 8U);
  if (device->word_registers) {
    device->words[reg] = value;
  } else {
    device->registers[reg] = low;
    device->registers[static_cast<std::uint8_t>(reg + 1)] = high;
  }
  log_.push_back({Kind::write_word, address, reg, {low, high}});
  return {};
}

std::error_code FakeI2cBus::read_block_data(std::uint8_t address, std::uint8_t reg,
                                            std::span<std::uint8_t> out) {
  if (out.empty() || out.size() > 32) return std::make_error_code(std::errc::invalid_argument);
  Device* device = nullptr;
  if (const auto error = reach(address, device)) return error;
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = device->registers[(reg + i) & 0xFFU];
  }
  log_.push_back({Kind::read_block, address, reg, {out.begin(), out.end()}});
  return {};
}

std::error_code FakeI2cBus::write(std::uint8_t address, std::span<const std::uint8_t> bytes) {
  Device* device = nullptr;
  if (const auto error = reach(address, device)) return error;
  log_.push_back({Kind::write, address, 0, {bytes.begin(), bytes.end()}});
  return {};
}

std::error_code FakeI2cBus::read(std::uint8_t address, std::span<std::uint8_t> out) {
  Device* device = nullptr;
  if (const auto error = reach(address, device)) return error;
  if (device->reads.empty()) return {EREMOTEIO, std::generic_category()};
  std::vector<std::uint8_t> answer = std::move(device->reads.front());
  device->reads.pop_front();
  if (answer.size() != out.size()) return std::make_error_code(std::errc::io_error);
  std::copy(answer.begin(), answer.end(), out.begin());
  log_.push_back({Kind::read, address, 0, std::move(answer)});
  return {};
}

}  // namespace pimqttd::test
