#include "sensors/bme280/bme280.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace pimqttd::sensors {
namespace {

constexpr std::uint8_t kRegCalibTp = 0x88;
constexpr std::uint8_t kRegChipId = 0xD0;
constexpr std::uint8_t kRegCalibH = 0xE1;
constexpr std::uint8_t kRegCtrlHum = 0xF2;
constexpr std::uint8_t kRegStatus = 0xF3;
constexpr std::uint8_t kRegCtrlMeas = 0xF4;
constexpr std::uint8_t kRegConfig = 0xF5;
constexpr std::uint8_t kRegData = 0xF7;

constexpr std::uint8_t kChipIdBme280 = 0x60;
constexpr std::uint8_t kChipIdBmp280 = 0x58;
constexpr std::uint8_t kStatusMeasuring = 0x08;
constexpr std::uint8_t kModeSleep = 0x00;
constexpr std::uint8_t kModeForced = 0x01;
constexpr std::int32_t kNoMeasurement20 = 0x80000;
constexpr std::int32_t kNoMeasurement16 = 0x8000;

// The datasheets' fixed-point code step by step, in the width it was written for; an overflow
// sets `overflow` rather than being undefined. Left shifts are multiplications, so that negative
// values shift too; right shifts of negative values are arithmetic (C++20), as the code assumes.
template <class T>
struct Fixed {
  bool overflow = false;
  T add(T a, T b) {
    T r{};
    if (__builtin_add_overflow(a, b, &r)) overflow = true;
    return r;
  }
  T sub(T a, T b) {
    T r{};
    if (__builtin_sub_overflow(a, b, &r)) overflow = true;
    return r;
  }
  T mul(T a, T b) {
    T r{};
    if (__builtin_mul_overflow(a, b, &r)) overflow = true;
    return r;
  }
  T shl(T a, int bits) { return mul(a, static_cast<T>(T{1} << bits)); }
};

std::uint16_t le16(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint16_t>(bytes[at] | (bytes[at + 1] << 8U));
}
std::int16_t le16s(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::int16_t>(le16(bytes, at));
}

/// The osrs_x field for an oversampling (datasheet: 001 x1 ... 101 x16).
std::uint8_t osrs(int oversampling) {
  switch (oversampling) {
    case 1:
      return 1;
    case 2:
      return 2;
    case 4:
      return 3;
    case 8:
      return 4;
    case 16:
      return 5;
    default:
      throw std::invalid_argument(
          fmt::format("oversampling {}: expected 1, 2, 4, 8 or 16", oversampling));
  }
}

std::string_view chip_name(Bme280Chip chip) {
  return chip == Bme280Chip::bme280 ? "BME280" : "BMP280";
}

bool is_bmp280_id(std::uint8_t id) { return id == kChipIdBmp280 || id == 0x56 || id == 0x57; }

}  // namespace

Bme280Calibration parse_bme280_calibration(std::span<const std::uint8_t, 26> tp,
                                           std::span<const std::uint8_t, 7> h) {
  Bme280Calibration c;
  c.dig_t1 = le16(tp, 0);
  c.dig_t2 = le16s(tp, 2);
  c.dig_t3 = le16s(tp, 4);
  c.dig_p1 = le16(tp, 6);
  c.dig_p2 = le16s(tp, 8);
  c.dig_p3 = le16s(tp, 10);
  c.dig_p4 = le16s(tp, 12);
  c.dig_p5 = le16s(tp, 14);
  c.dig_p6 = le16s(tp, 16);
  c.dig_p7 = le16s(tp, 18);
  c.dig_p8 = le16s(tp, 20);
  c.dig_p9 = le16s(tp, 22);
  c.dig_h1 = tp[25];  // 0xA1; 0xA0 is reserved
  c.dig_h2 = le16s(h, 0);
  c.dig_h3 = h[2];
  // 0xE4 and 0xE6 hold the upper 8 of the 12 bits, signed: they carry the sign.
  const auto e4 = static_cast<std::int8_t>(h[3]);
  const auto e6 = static_cast<std::int8_t>(h[5]);
  c.dig_h4 = static_cast<std::int16_t>(e4 * 16 + (h[4] & 0x0F));
  c.dig_h5 = static_cast<std::int16_t>(e6 * 16 + (h[4] >> 4U));
  c.dig_h6 = static_cast<std::int8_t>(h[6]);
  return c;
}

std::optional<Bme280Temperature> bme280_compensate_temperature(const Bme280Calibration& c,
                                                               std::int32_t adc_t) {
  Fixed<std::int32_t> f;
  const std::int32_t t1 = c.dig_t1;
  const std::int32_t var1 = f.mul(f.sub(adc_t >> 3, f.shl(t1, 1)), c.dig_t2) >> 11;
  const std::int32_t d = f.sub(adc_t >> 4, t1);
  const std::int32_t var2 = f.mul(f.mul(d, d) >> 12, c.dig_t3) >> 14;
  const std::int32_t t_fine = f.add(var1, var2);
  const std::int32_t t = f.add(f.mul(t_fine, 5), 128) >> 8;
  if (f.overflow) return std::nullopt;
  return Bme280Temperature{t, t_fine};
}

std::optional<std::uint32_t> bme280_compensate_pressure(const Bme280Calibration& c,
                                                        std::int32_t adc_p, std::int32_t t_fine) {
  Fixed<std::int64_t> f;
  std::int64_t var1 = f.sub(t_fine, 128000);
  std::int64_t var2 = f.mul(f.mul(var1, var1), c.dig_p6);
  var2 = f.add(var2, f.shl(f.mul(var1, c.dig_p5), 17));
  var2 = f.add(var2, f.shl(c.dig_p4, 35));
  var1 = f.add(f.mul(f.mul(var1, var1), c.dig_p3) >> 8, f.shl(f.mul(var1, c.dig_p2), 12));
  var1 = f.mul(f.add(std::int64_t{1} << 47, var1), c.dig_p1) >> 33;
  if (f.overflow || var1 == 0) return std::nullopt;
  std::int64_t p = f.sub(1048576, adc_p);
  const std::int64_t dividend = f.mul(f.sub(f.shl(p, 31), var2), 3125);
  if (f.overflow) return std::nullopt;  // before dividing: a wrapped INT64_MIN / -1 would trap
  p = dividend / var1;
  var1 = f.mul(f.mul(c.dig_p9, p >> 13), p >> 13) >> 25;
  var2 = f.mul(c.dig_p8, p) >> 19;
  p = f.add(f.add(f.add(p, var1), var2) >> 8, f.shl(c.dig_p7, 4));
  if (f.overflow || p < 0 || p > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  return static_cast<std::uint32_t>(p);
}

std::optional<std::uint32_t> bme280_compensate_humidity(const Bme280Calibration& c,
                                                        std::int32_t adc_h, std::int32_t t_fine) {
  Fixed<std::int32_t> f;
  const std::int32_t v = f.sub(t_fine, 76800);
  const std::int32_t x =
      f.add(f.sub(f.sub(f.shl(adc_h, 14), f.shl(c.dig_h4, 20)), f.mul(c.dig_h5, v)), 16384) >> 15;
  const std::int32_t h6_term = f.mul(v, c.dig_h6) >> 10;
  const std::int32_t h3_term = f.add(f.mul(v, c.dig_h3) >> 11, 32768);
  const std::int32_t y =
      f.add(f.mul(f.add(f.mul(h6_term, h3_term) >> 10, 2097152), c.dig_h2), 8192) >> 14;
  if (f.overflow) return std::nullopt;
  // The product and the quadratic correction in 64 bits. The datasheet's 32 bits overflow only
  // where the value is far outside 0..100 %RH: from about 1.07e9 (100 %RH is 419430400), which
  // the correction, less than 5.4e8 while the product fits 32 bits, cannot bring back into
  // range. A product beyond 32 bits is out of range as it is.
  const std::int64_t product = std::int64_t{x} * y;
  std::int64_t h = product;
  if (product >= std::numeric_limits<std::int32_t>::min() &&
      product <= std::numeric_limits<std::int32_t>::max()) {
    const std::int64_t s = product >> 15;
    h = product - ((((s * s) >> 7) * c.dig_h1) >> 4);
  }
  h = std::clamp<std::int64_t>(h, 0, 419430400);
  return static_cast<std::uint32_t>(h >> 12);
}

std::chrono::microseconds bme280_max_measurement_time(const Bme280Options& options) {
  std::int64_t us =
      1250 + 2300 * options.temperature_oversampling + (2300 * options.pressure_oversampling + 575);
  if (options.chip == Bme280Chip::bme280) us += 2300 * options.humidity_oversampling + 575;
  return std::chrono::microseconds{us};
}

std::span<const Quantity> Bme280::quantities(Bme280Chip chip) noexcept {
  if (chip == Bme280Chip::bme280) return kBme280Quantities;
  return kBmp280Quantities;
}

Bme280::Bme280(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address, Bme280Options options)
    : chip_(std::move(bus), address, chip_name(options.chip)), options_(options) {
  // Validates every oversampling now rather than in the first cycle.
  static_cast<void>(osrs(options_.temperature_oversampling));
  static_cast<void>(osrs(options_.pressure_oversampling));
  static_cast<void>(osrs(options_.humidity_oversampling));
}

std::uint8_t Bme280::ctrl_meas(std::uint8_t mode) const {
  return static_cast<std::uint8_t>((osrs(options_.temperature_oversampling) << 5U) |
                                   (osrs(options_.pressure_oversampling) << 2U) | mode);
}

void Bme280::setup() {
  const std::uint8_t id = chip_.read_byte(kRegChipId, "the chip id");
  const bool bme280 = options_.chip == Bme280Chip::bme280;
  if (bme280 ? id != kChipIdBme280 : !is_bmp280_id(id)) {
    std::string hint;
    if (bme280 && is_bmp280_id(id)) hint = " (a BMP280: use type \"bmp280\")";
    if (!bme280 && id == kChipIdBme280) hint = " (a BME280: use type \"bme280\")";
    chip_.fail(fmt::format("chip id {:#04x}, expected {:#04x}{}", id,
                           bme280 ? kChipIdBme280 : kChipIdBmp280, hint));
  }
  std::array<std::uint8_t, 26> tp{};
  std::array<std::uint8_t, 7> h{};
  chip_.read_block(kRegCalibTp, tp, "the calibration");
  if (bme280) chip_.read_block(kRegCalibH, h, "the calibration");
  calibration_ = parse_bme280_calibration(tp, h);
  chip_.write_byte(kRegCtrlMeas, ctrl_meas(kModeSleep), "ctrl_meas");
  chip_.write_byte(kRegConfig, 0x00, "config");
}

std::chrono::milliseconds Bme280::begin() {
  if (options_.chip == Bme280Chip::bme280) {
    chip_.write_byte(kRegCtrlHum, osrs(options_.humidity_oversampling), "ctrl_hum");
  }
  chip_.write_byte(kRegCtrlMeas, ctrl_meas(kModeForced), "ctrl_meas");
  return std::chrono::ceil<std::chrono::milliseconds>(bme280_max_measurement_time(options_));
}

std::vector<Reading> Bme280::collect() {
  const std::uint8_t status = chip_.read_byte(kRegStatus, "the status");
  if ((status & kStatusMeasuring) != 0) {
    chip_.fail(fmt::format(
        "still measuring after {} ms",
        std::chrono::ceil<std::chrono::milliseconds>(bme280_max_measurement_time(options_))
            .count()));
  }
  const bool bme280 = options_.chip == Bme280Chip::bme280;
  std::array<std::uint8_t, 8> raw{};
  chip_.read_block(kRegData, std::span(raw).first(bme280 ? 8U : 6U), "the measurement");
  const auto adc20 = [&](std::size_t at) {
    return static_cast<std::int32_t>((raw[at] << 12U) | (raw[at + 1] << 4U) | (raw[at + 2] >> 4U));
  };
  const std::int32_t adc_p = adc20(0);
  const std::int32_t adc_t = adc20(3);
  const auto adc_h = static_cast<std::int32_t>((raw[6] << 8U) | raw[7]);
  if (adc_t == kNoMeasurement20 || adc_p == kNoMeasurement20 ||
      (bme280 && adc_h == kNoMeasurement16)) {
    chip_.fail("no measurement in the data registers (they hold the reset value)");
  }

  const auto failed = [&](const char* what) {
    return DeviceError(fmt::format(
        "{}: {} compensation out of range (raw temperature {:#x}, pressure {:#x}, humidity "
        "{:#x}): implausible calibration or data",
        chip_.where(), what, adc_t, adc_p, adc_h));
  };
  const auto temperature = bme280_compensate_temperature(calibration_, adc_t);
  if (!temperature) throw failed("temperature");
  const auto pressure = bme280_compensate_pressure(calibration_, adc_p, temperature->t_fine);
  if (!pressure) throw failed("pressure");

  std::vector<Reading> readings;
  readings.push_back({"temperature", temperature->centi_celsius / 100.0});
  if (bme280) {
    const auto humidity = bme280_compensate_humidity(calibration_, adc_h, temperature->t_fine);
    if (!humidity) throw failed("humidity");
    readings.push_back({"humidity", *humidity / 1024.0});
  }
  readings.push_back({"pressure", *pressure / 25600.0});  // Q24.8 Pa to hPa
  return readings;
}

}  // namespace pimqttd::sensors
