#pragma once
// Bosch BME280 (temperature, humidity, pressure) and BMP280 (temperature, pressure) on I2C.
//
// The two chips share their register map, their temperature and pressure compensation and their
// measurement cycle; the BMP280 has no humidity (no ctrl_hum, no 0xE1..0xE7 trimming, no
// 0xFD/0xFE data). One driver serves both, told which chip to expect.
//
// Entities (Quantity tables below):
//
// | key | device class | state class | unit | precision |
// | --- | --- | --- | --- | --- |
// | temperature | temperature | measurement | °C | 2 |
// | humidity (BME280 only) | humidity | measurement | % | 2 |
// | pressure | atmospheric_pressure | measurement | hPa | 2 |
//
// The cycle, using SMBus transactions only (so that it also runs on the kernel's i2c-stub):
// - setup(): reads the chip id (0xD0; BME280 0x60, BMP280 0x58 or the samples' 0x56/0x57) and
//   throws DeviceError for any other (naming what was found and, for the sibling chip, the type
//   to configure); reads the trimming parameters in I2C block reads (0x88..0xA1, and for the
//   BME280 0xE1..0xE7); puts the chip to sleep (ctrl_meas 0xF4, so that the next write is not
//   ignored) and writes config (0xF5) = 0: IIR filter off, which a reading every interval does
//   not need.
// - begin(): one forced-mode measurement: ctrl_hum (0xF2, BME280 only) and then ctrl_meas
//   (0xF4), in that order because a ctrl_hum write takes effect only with the next ctrl_meas
//   write. Returns the datasheets' maximum measurement time for the oversampling (see
//   bme280_max_measurement_time), rounded up to whole milliseconds.
// - collect(): reads status (0xF3) once: a chip still measuring (bit 3) is a DeviceError for
//   this cycle, never a wait (the stub keeps whatever the status register was set to). Then
//   reads the raw data in one burst (0xF7..0xFE; 0xF7..0xFC on the BMP280) and compensates it.
//   A raw temperature or pressure of 0x80000 (humidity 0x8000) is the chip's "no measurement"
//   value and a DeviceError too.
//
// Compensation is the datasheets' integer code (BME280 datasheet 4.2.3, BMP280 datasheet 3.11.3):
// temperature in 32 bits (0.01 °C, and t_fine), pressure in 64 bits (Pa in Q24.8), humidity in
// 32 bits (%RH in Q22.10). Published values are those integers scaled: °C, %, hPa. Each step is
// computed in the integer width the datasheet wrote it for; a step that would overflow there
// (a working chip never gets there, garbage read off the bus could) gives no value, which the
// device reports as a DeviceError instead of publishing nonsense.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/i2c_chip.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

/// The trimming parameters the chip keeps in NVM, named as in the datasheets.
struct Bme280Calibration {
  std::uint16_t dig_t1 = 0;
  std::int16_t dig_t2 = 0;
  std::int16_t dig_t3 = 0;
  std::uint16_t dig_p1 = 0;
  std::int16_t dig_p2 = 0;
  std::int16_t dig_p3 = 0;
  std::int16_t dig_p4 = 0;
  std::int16_t dig_p5 = 0;
  std::int16_t dig_p6 = 0;
  std::int16_t dig_p7 = 0;
  std::int16_t dig_p8 = 0;
  std::int16_t dig_p9 = 0;
  std::uint8_t dig_h1 = 0;
  std::int16_t dig_h2 = 0;
  std::uint8_t dig_h3 = 0;
  std::int16_t dig_h4 = 0;  ///< 12-bit signed
  std::int16_t dig_h5 = 0;  ///< 12-bit signed
  std::int8_t dig_h6 = 0;
  friend bool operator==(const Bme280Calibration&, const Bme280Calibration&) = default;
};

/// Registers 0x88..0xA1 (`tp`: dig_T1..dig_P9 as little-endian words at 0x88..0x9F, dig_H1 at
/// 0xA1) and 0xE1..0xE7 (`h`: dig_H2..dig_H6). dig_H4 is 0xE4 as bits 11..4 and the low nibble of
/// 0xE5 as bits 3..0; dig_H5 is the high nibble of 0xE5 as bits 3..0 and 0xE6 as bits 11..4; both
/// are 12-bit two's complement (sign-extended, as Bosch's reference driver does: the datasheet's
/// table only says "signed short").
[[nodiscard]] Bme280Calibration parse_bme280_calibration(std::span<const std::uint8_t, 26> tp,
                                                         std::span<const std::uint8_t, 7> h);

struct Bme280Temperature {
  std::int32_t centi_celsius;  ///< 2508 is 25.08 °C
  std::int32_t t_fine;         ///< carried into pressure and humidity compensation
};

/// The datasheets' 32-bit temperature compensation of the 20-bit raw value. nullopt when a step
/// overflows 32 bits.
[[nodiscard]] std::optional<Bme280Temperature> bme280_compensate_temperature(
    const Bme280Calibration& calibration, std::int32_t adc_t);
/// The datasheets' 64-bit pressure compensation: Pa in Q24.8 (24674867 is 96386.2 Pa). nullopt
/// where the datasheet code returns 0 (dig_P1 makes its divisor zero), when a step overflows 64
/// bits, or when the result does not fit its unsigned 32-bit return type.
[[nodiscard]] std::optional<std::uint32_t> bme280_compensate_pressure(
    const Bme280Calibration& calibration, std::int32_t adc_p, std::int32_t t_fine);
/// The BME280 datasheet's 32-bit humidity compensation: %RH in Q22.10 (47445 is 46.333 %RH),
/// limited to 0..100 %RH as the datasheet code does. Its last steps (the product of its two
/// factors and the quadratic correction) are computed in 64 bits: in 32 bits they overflow only
/// for values far outside 0..100 %RH, which the limit decides either way. nullopt when one of the
/// two factors overflows 32 bits.
[[nodiscard]] std::optional<std::uint32_t> bme280_compensate_humidity(
    const Bme280Calibration& calibration, std::int32_t adc_h, std::int32_t t_fine);

enum class Bme280Chip : std::uint8_t { bme280, bmp280 };

struct Bme280Options {
  Bme280Chip chip = Bme280Chip::bme280;
  /// Oversampling of each measurement: 1, 2, 4, 8 or 16. Bosch's recommendation for weather
  /// monitoring is 1 for all three (and the filter off): noise well below a reading a minute.
  int temperature_oversampling = 1;
  int pressure_oversampling = 1;
  int humidity_oversampling = 1;  ///< ignored for the BMP280
};

/// The longest a forced measurement takes, from the BME280 datasheet's formula (appendix B 9.1):
/// 1.25 ms + 2.3 ms * osrs_t + (2.3 ms * osrs_p + 0.575 ms) + (2.3 ms * osrs_h + 0.575 ms), the
/// humidity term left out for the BMP280 (its datasheet's table of maximum times, 6.4 ms for x1
/// to 43.2 ms for x2/x16, is the same formula).
[[nodiscard]] std::chrono::microseconds bme280_max_measurement_time(const Bme280Options& options);

class Bme280 final : public Device {
 public:
  // Display precision, the resolution of the compensated values (readings are published
  // rounded to it):
  // - temperature: 2, the compensation's 0.01 °C;
  // - humidity: 2, capped from Q22.10's 1/1024 %RH (3): the chip resolves 0.008 %RH and is
  //   accurate to ±3 %RH;
  // - pressure: 2 (1 Pa), capped from Q24.8's 1/256 Pa (5 in hPa): the chip resolves 0.18 Pa at
  //   best and its noise is about 1 Pa at the default oversampling of x1.
  static constexpr std::array<Quantity, 3> kBme280Quantities{{
      {"temperature", "temperature", "temperature", "measurement", "°C", 2},
      {"humidity", "humidity", "humidity", "measurement", "%", 2},
      {"pressure", "pressure", "atmospheric_pressure", "measurement", "hPa", 2},
  }};
  static constexpr std::array<Quantity, 2> kBmp280Quantities{{
      {"temperature", "temperature", "temperature", "measurement", "°C", 2},
      {"pressure", "pressure", "atmospheric_pressure", "measurement", "hPa", 2},
  }};
  [[nodiscard]] static std::span<const Quantity> quantities(Bme280Chip chip) noexcept;

  /// Talks to the chip at `address` on `bus`; nothing happens before setup(). Throws
  /// std::invalid_argument for an oversampling other than 1, 2, 4, 8 or 16.
  Bme280(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address, Bme280Options options = {});

  void setup() override;
  std::chrono::milliseconds begin() override;
  std::vector<Reading> collect() override;

  /// The trimming parameters read by the last setup().
  [[nodiscard]] const Bme280Calibration& calibration() const noexcept { return calibration_; }

 private:
  [[nodiscard]] std::uint8_t ctrl_meas(std::uint8_t mode) const;

  I2cChip chip_;  ///< named "BME280" or "BMP280" in messages
  Bme280Options options_;
  Bme280Calibration calibration_;
};

}  // namespace pimqttd::sensors
