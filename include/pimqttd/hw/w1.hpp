#pragma once
// 1-Wire thermometers (DS18B20, DS1822) through the Linux kernel's w1 sysfs interface.
//
// The w1_therm driver gives every thermometer it finds a directory
// /sys/bus/w1/devices/<id>/, named after the chip's 64-bit ROM code without its CRC byte: the
// family code and the 48-bit serial number in hexadecimal ("28-0316a2794aff"). Opening and
// reading its `w1_slave` file makes the driver start a conversion, wait for it (up to 750 ms at
// the chip's default 12-bit resolution) and read the scratchpad back: the read BLOCKS that long.
// Call read_temperature() off the event loop (core::Worker).
//
// The file holds two lines:
//
//   72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
//   72 01 4b 46 7f ff 0e 10 57 t=23125
//
// the nine scratchpad bytes as read, the CRC the driver computed over the first eight and
// whether it matched the ninth (YES/NO); then nine bytes again and the temperature in
// millidegrees Celsius after "t=". Scratchpad layout (datasheet, both chips): byte 0 and 1 the
// temperature register (LSB, MSB; 1/16 degC per count at 12 bits), 2 and 3 the alarm triggers
// TH/TL, 4 the configuration register, 5 to 7 reserved (FFh, 0Ch, 10h at power-up), 8 the CRC
// of bytes 0-7 (x^8 + x^5 + x^4 + 1). The temperature register holds +85 degC (0550h) from
// power-on until the first conversion completes.
//
// A reading is rejected, with a failure that says why, when:
// - the device directory does not exist (1-Wire not enabled, sensor not connected or not
//   found yet): W1Fault::no_device;
// - the file cannot be opened or read (the driver fails a read it could not complete with an
//   error such as EIO): unreadable;
// - the text is not the two lines above: malformed;
// - the driver says "NO", or the ninth byte is not the CRC of the first eight: crc_mismatch;
// - all nine bytes are 0, which passes the CRC but no thermometer sends (byte 7 reads 10h):
//   the data line held low: bus_low;
// - the temperature register holds 0550h, or t= is 85000: power_on_value. A real 85.000 degC
//   is lost with it (85.0625 is not); the chip cannot tell the two apart.

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pimqttd::hw {

/// 1-Wire family codes of the thermometers read here.
inline constexpr std::uint8_t kFamilyDs18b20 = 0x28;
inline constexpr std::uint8_t kFamilyDs1822 = 0x22;

/// A thermometer's sysfs id: "28-" or "22-" and 12 lowercase hexadecimal digits.
[[nodiscard]] bool is_thermometer_id(std::string_view id) noexcept;

/// The CRC-8 of Dallas/Maxim 1-Wire devices: polynomial x^8 + x^5 + x^4 + 1, bits in LSB
/// first, initial value 0. A scratchpad is intact when the CRC of bytes 0-7 equals byte 8.
[[nodiscard]] std::uint8_t w1_crc8(std::span<const std::uint8_t> bytes) noexcept;

/// A temperature read from a thermometer.
struct W1Reading {
  /// From "t=": millidegrees Celsius, as the driver converted it.
  std::int32_t millidegrees = 0;
  /// The nine bytes of the first line (this read).
  std::array<std::uint8_t, 9> scratchpad{};

  [[nodiscard]] double celsius() const noexcept { return millidegrees / 1000.0; }
  friend bool operator==(const W1Reading&, const W1Reading&) = default;
};

enum class W1Fault : std::uint8_t {
  no_device,
  unreadable,
  malformed,
  crc_mismatch,
  bus_low,
  power_on_value,
};

struct W1Failure {
  W1Fault fault = W1Fault::malformed;
  /// For the log: what went wrong; read_temperature() prefixes the file's path.
  std::string message;
  friend bool operator==(const W1Failure&, const W1Failure&) = default;
};

/// A reading or why there is none.
class W1Result {
 public:
  W1Result(W1Reading reading) : state_(reading) {}     // NOLINT: implicit on purpose
  W1Result(W1Failure failure) : state_(std::move(failure)) {}  // NOLINT
  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  /// Only when ok().
  [[nodiscard]] const W1Reading& reading() const { return std::get<0>(state_); }
  /// Only when !ok().
  [[nodiscard]] const W1Failure& failure() const { return std::get<1>(state_); }

 private:
  std::variant<W1Reading, W1Failure> state_;
};

/// Parses the text of a w1_slave file (pure; see above for what is rejected). Lines end in
/// "\n"; the last newline may be missing. Hexadecimal digits may be in either case.
[[nodiscard]] W1Result parse_w1_slave(std::string_view text);

/// The w1 devices under a root directory ("/" on a real system, a fake tree in tests).
/// Stateless and copyable: safe to use from the worker thread.
class W1Devices {
 public:
  /// Files longer than this are refused (w1_slave is under 100 bytes).
  static constexpr std::size_t kMaxFileSize = 4096;

  explicit W1Devices(std::filesystem::path root);

  /// root/sys/bus/w1/devices/<id>
  [[nodiscard]] std::filesystem::path device_directory(std::string_view id) const;
  /// Reads and parses <device directory>/w1_slave. BLOCKS for the conversion (about 750 ms).
  /// Failure messages name the path: "/sys/bus/w1/devices/28-0316a2794aff/w1_slave: CRC check
  /// failed ...". Never throws (but std::bad_alloc).
  [[nodiscard]] W1Result read_temperature(std::string_view id) const;

 private:
  std::filesystem::path root_;
};

}  // namespace pimqttd::hw
