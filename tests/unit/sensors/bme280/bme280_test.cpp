#include "sensors/bme280/bme280.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "support/device_steps.hpp"
#include "support/fake_i2c_bus.hpp"
#include "support/payloads.hpp"
#include "support/recording_context.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using test::FakeI2cBus;
using Kind = FakeI2cBus::Kind;
using test::availability;
using test::published;
using test::SensorEvent;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t kAddress = 0x76;

// ---- reference values ------------------------------------------------------------------------
//
// The BMP280 datasheet's compensation example (section 3.12, "Calculating pressure and
// temperature"; the BME280 uses the same temperature and pressure code): these trimming values,
// adc_T = 519888 and adc_P = 415148 give t_fine = 128422, T = 25.08 °C, and p = 100653.27 Pa in
// the example's floating-point arithmetic (whose t_fine keeps its fraction, 128422.2869).
// The integer code (BMP280 datasheet 3.11.3 / BME280 datasheet 4.2.3) gives T = 2508 (0.01 °C)
// and p = 25767233 in Q24.8, i.e. 100653.25390625 Pa: 0.016 Pa below the example, within the
// "integer result may deviate slightly" the datasheets allow. Those are the values asserted.
Bme280Calibration datasheet_calibration() {
  Bme280Calibration c;
  c.dig_t1 = 27504;
  c.dig_t2 = 26435;
  c.dig_t3 = -1000;
  c.dig_p1 = 36477;
  c.dig_p2 = -10685;
  c.dig_p3 = 3024;
  c.dig_p4 = 2855;
  c.dig_p5 = 140;
  c.dig_p6 = -7;
  c.dig_p7 = 15500;
  c.dig_p8 = -14600;
  c.dig_p9 = 6000;
  // Neither datasheet has a humidity example. These are inputs only, a real part's typical
  // values (dig_H4 313 and dig_H5 50 are bytes 0x13, 0x29, 0x03 at 0xE4..0xE6); humidity results
  // are checked against the datasheet's double-precision formula below.
  c.dig_h1 = 75;
  c.dig_h2 = 362;
  c.dig_h3 = 0;
  c.dig_h4 = 313;
  c.dig_h5 = 50;
  c.dig_h6 = 30;
  return c;
}
constexpr std::int32_t kAdcT = 519888;  // 0x7EED0
constexpr std::int32_t kAdcP = 415148;  // 0x655AC
constexpr std::int32_t kAdcH = 30000;   // 0x7530
constexpr std::int32_t kTFine = 128422;
constexpr std::uint32_t kPressureQ248 = 25767233;
// The BME280 integer humidity code for kAdcH at kTFine with the calibration above: 56317 / 1024
// = 54.997 %RH (the double formula gives 55.0007 %RH).
constexpr std::uint32_t kHumidityQ2210 = 56317;

// The datasheets' floating-point formulas (BME280 datasheet 8.1), an independent check of the
// integer code over whole ranges.
double double_temperature(const Bme280Calibration& c, double adc_t, double* t_fine) {
  const double var1 = (adc_t / 16384.0 - c.dig_t1 / 1024.0) * c.dig_t2;
  const double d = adc_t / 131072.0 - c.dig_t1 / 8192.0;
  const double var2 = d * d * c.dig_t3;
  *t_fine = var1 + var2;
  return (var1 + var2) / 5120.0;
}

double double_pressure(const Bme280Calibration& c, double adc_p, double t_fine) {
  double var1 = t_fine / 2.0 - 64000.0;
  double var2 = var1 * var1 * c.dig_p6 / 32768.0;
  var2 = var2 + var1 * c.dig_p5 * 2.0;
  var2 = var2 / 4.0 + c.dig_p4 * 65536.0;
  var1 = (c.dig_p3 * var1 * var1 / 524288.0 + c.dig_p2 * var1) / 524288.0;
  var1 = (1.0 + var1 / 32768.0) * c.dig_p1;
  double p = 1048576.0 - adc_p;
  p = (p - var2 / 4096.0) * 6250.0 / var1;
  var1 = c.dig_p9 * p * p / 2147483648.0;
  var2 = p * c.dig_p8 / 32768.0;
  return p + (var1 + var2 + c.dig_p7) / 16.0;
}

double double_humidity(const Bme280Calibration& c, double adc_h, double t_fine) {
  double h = t_fine - 76800.0;
  h = (adc_h - (c.dig_h4 * 64.0 + c.dig_h5 / 16384.0 * h)) *
      (c.dig_h2 / 65536.0 * (1.0 + c.dig_h6 / 67108864.0 * h * (1.0 + c.dig_h3 / 67108864.0 * h)));
  h = h * (1.0 - c.dig_h1 * h / 524288.0);
  return std::clamp(h, 0.0, 100.0);
}

// The calibration as the chip stores it: 0x88..0xA1 and 0xE1..0xE7.
Bytes calibration_tp(const Bme280Calibration& c) {
  Bytes out;
  for (const int word :
       {int{c.dig_t1}, int{c.dig_t2}, int{c.dig_t3}, int{c.dig_p1}, int{c.dig_p2}, int{c.dig_p3},
        int{c.dig_p4}, int{c.dig_p5}, int{c.dig_p6}, int{c.dig_p7}, int{c.dig_p8}, int{c.dig_p9}}) {
    out.push_back(static_cast<std::uint8_t>(word & 0xFF));
    out.push_back(static_cast<std::uint8_t>((word >> 8) & 0xFF));
  }
  out.push_back(0x00);  // 0xA0, reserved
  out.push_back(c.dig_h1);
  return out;
}
// dig_H2 = 362 = 0x016A; dig_H3 = 0; 0xE4..0xE6 = 0x13, 0x29, 0x03 (dig_H4 313, dig_H5 50);
// dig_H6 = 30.
const Bytes kCalibrationH{0x6A, 0x01, 0x00, 0x13, 0x29, 0x03, 0x1E};
// 0xF7..0xFE for kAdcP, kAdcT, kAdcH: 20-bit values as msb, lsb, xlsb[7:4]; humidity msb, lsb.
const Bytes kData{0x65, 0x5A, 0xC0, 0x7E, 0xED, 0x00, 0x75, 0x30};
static_assert(((0x65 << 12) | (0x5A << 4) | (0xC0 >> 4)) == kAdcP);
static_assert(((0x7E << 12) | (0xED << 4) | (0x00 >> 4)) == kAdcT);
static_assert(((0x75 << 8) | 0x30) == kAdcH);

// A bus holding a BME280 (or BMP280) at kAddress with the example above.
void add_chip(FakeI2cBus& bus, std::uint8_t chip_id = 0x60) {
  bus.add_device(kAddress);
  bus.set_registers(kAddress, 0xD0, Bytes{chip_id});
  bus.set_registers(kAddress, 0x88, calibration_tp(datasheet_calibration()));
  bus.set_registers(kAddress, 0xE1, kCalibrationH);
  bus.set_registers(kAddress, 0xF7, kData);
}

FakeI2cBus::Transaction tx(Kind kind, std::uint8_t reg, Bytes bytes) {
  return {kind, kAddress, reg, std::move(bytes)};
}

}  // namespace
}  // namespace pimqttd::sensors

namespace pimqttd::test {
bool operator==(const FakeI2cBus::Transaction& a, const FakeI2cBus::Transaction& b) {
  return a.kind == b.kind && a.address == b.address && a.reg == b.reg && a.bytes == b.bytes;
}
std::ostream& operator<<(std::ostream& out, const FakeI2cBus::Transaction& t) {
  out << "{kind " << static_cast<int>(t.kind) << ", address " << int{t.address} << ", reg "
      << int{t.reg} << ", bytes";
  for (const auto b : t.bytes) out << ' ' << int{b};
  return out << '}';
}
}  // namespace pimqttd::test

namespace pimqttd::sensors {
namespace {

// ---- calibration -------------------------------------------------------------------------------

TEST(Bme280Calibration, ParsesTheRegistersAsTheDatasheetLaysThemOut) {
  const Bytes tp = calibration_tp(datasheet_calibration());
  // The datasheet example's dig_T1 27504 = 0x6B70 and dig_P9 6000 = 0x1770, little-endian.
  ASSERT_EQ(tp.size(), 26u);
  EXPECT_EQ(tp[0], 0x70);
  EXPECT_EQ(tp[1], 0x6B);
  EXPECT_EQ(tp[22], 0x70);
  EXPECT_EQ(tp[23], 0x17);
  const auto parsed = parse_bme280_calibration(std::span<const std::uint8_t, 26>(tp.data(), 26),
                                               std::span<const std::uint8_t, 7>(kCalibrationH));
  EXPECT_EQ(parsed, datasheet_calibration());
}

TEST(Bme280Calibration, HumidityNibblesAreTwelveBitSigned) {
  const std::array<std::uint8_t, 26> tp{};
  // 0xE4 = 0xFE, 0xE5 = 0xF7, 0xE6 = 0x80: dig_H4 = 0xFE7 and dig_H5 = 0x80F as 12-bit two's
  // complement, -25 and -2033.
  const std::array<std::uint8_t, 7> negative{0x00, 0x80, 0x00, 0xFE, 0xF7, 0x80, 0xEC};
  const auto n = parse_bme280_calibration(tp, negative);
  EXPECT_EQ(n.dig_h2, -32768);
  EXPECT_EQ(n.dig_h4, -25);
  EXPECT_EQ(n.dig_h5, -2033);
  EXPECT_EQ(n.dig_h6, -20);
  // The largest positive values: 0x7FF each.
  const std::array<std::uint8_t, 7> positive{0x00, 0x00, 0xFF, 0x7F, 0xFF, 0x7F, 0x7F};
  const auto p = parse_bme280_calibration(tp, positive);
  EXPECT_EQ(p.dig_h3, 255);
  EXPECT_EQ(p.dig_h4, 2047);
  EXPECT_EQ(p.dig_h5, 2047);
  EXPECT_EQ(p.dig_h6, 127);
}

// ---- compensation ------------------------------------------------------------------------------

TEST(Bme280Compensation, DatasheetExample) {
  const auto c = datasheet_calibration();
  const auto t = bme280_compensate_temperature(c, kAdcT);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->centi_celsius, 2508);
  EXPECT_EQ(t->t_fine, kTFine);
  const auto p = bme280_compensate_pressure(c, kAdcP, t->t_fine);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, kPressureQ248);
  EXPECT_NEAR(*p / 256.0, 100653.27, 0.02);
}

TEST(Bme280Compensation, Humidity) {
  const auto c = datasheet_calibration();
  const auto h = bme280_compensate_humidity(c, kAdcH, kTFine);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(*h, kHumidityQ2210);
  EXPECT_NEAR(*h / 1024.0, double_humidity(c, kAdcH, kTFine), 0.01);
  // Limited to 0..100 %RH (419430400 >> 12 = 102400 = 100 %RH in Q22.10).
  EXPECT_EQ(bme280_compensate_humidity(c, 0, kTFine), 0u);
  EXPECT_EQ(bme280_compensate_humidity(c, 0xFFFF, kTFine), 102400u);
  // Negative dig_H4/dig_H5 and a non-zero dig_H3 take part with their signs: 44293 / 1024 =
  // 43.255 %RH from the integer code, 43.2528 %RH from the double formula.
  Bme280Calibration n = c;
  n.dig_h3 = 30;
  n.dig_h4 = -25;
  n.dig_h5 = -2033;
  n.dig_h6 = -20;
  EXPECT_EQ(bme280_compensate_humidity(n, 0, kTFine), 44293u);
}

TEST(Bme280Compensation, AgreesWithTheDoubleFormulasOverTheRange) {
  // The integer code's resolution is 0.01 °C, 1/256 Pa and 1/1024 %RH; it agrees with the
  // floating-point formulas (given the same integer t_fine) to within 0.01 of each unit.
  Bme280Calibration negative_h = datasheet_calibration();
  negative_h.dig_h3 = 30;
  negative_h.dig_h4 = -25;
  negative_h.dig_h5 = -2033;
  negative_h.dig_h6 = -20;
  for (const auto& c : {datasheet_calibration(), negative_h}) {
    for (std::int32_t adc_t = 300000; adc_t <= 700000; adc_t += 20011) {
      double t_fine_double = 0;
      const double expected_t = double_temperature(c, adc_t, &t_fine_double);
      const auto t = bme280_compensate_temperature(c, adc_t);
      ASSERT_TRUE(t.has_value()) << adc_t;
      EXPECT_NEAR(t->centi_celsius / 100.0, expected_t, 0.01) << adc_t;
      for (std::int32_t adc_p = 200000; adc_p <= 700000; adc_p += 25013) {
        const auto p = bme280_compensate_pressure(c, adc_p, t->t_fine);
        ASSERT_TRUE(p.has_value()) << adc_t << " " << adc_p;
        EXPECT_NEAR(*p / 256.0, double_pressure(c, adc_p, t->t_fine), 0.01)
            << adc_t << " " << adc_p;
      }
      for (std::int32_t adc_h = 0; adc_h <= 0xFFFF; adc_h += 1021) {
        const auto h = bme280_compensate_humidity(c, adc_h, t->t_fine);
        ASSERT_TRUE(h.has_value()) << adc_t << " " << adc_h;
        EXPECT_NEAR(*h / 1024.0, double_humidity(c, adc_h, t->t_fine), 0.01)
            << adc_t << " " << adc_h;
      }
    }
  }
}

TEST(Bme280Compensation, OverflowAndZeroDivisorGiveNoValue) {
  // dig_T1 0 and dig_T2 32767 with the largest raw value: (131071 - 0) * 32767 does not fit the
  // 32 bits the datasheet computes in.
  Bme280Calibration c = datasheet_calibration();
  c.dig_t1 = 0;
  c.dig_t2 = 32767;
  EXPECT_FALSE(bme280_compensate_temperature(c, 0xFFFFF).has_value());
  // dig_P1 0 makes the divisor zero: the datasheet code returns 0, we return nothing.
  c = datasheet_calibration();
  c.dig_p1 = 0;
  EXPECT_FALSE(bme280_compensate_pressure(c, kAdcP, kTFine).has_value());
  // The largest trimming values with an extreme t_fine overflow 64 bits.
  c = datasheet_calibration();
  c.dig_p3 = 32767;
  c.dig_p6 = 32767;
  EXPECT_FALSE(bme280_compensate_pressure(c, 0, 2000000000).has_value());
  // Humidity: an extreme t_fine overflows the 32-bit humidity code.
  EXPECT_FALSE(bme280_compensate_humidity(datasheet_calibration(), 0xFFFF, 2000000000).has_value());
}

TEST(Bme280Compensation, MaxMeasurementTime) {
  using std::chrono::microseconds;
  Bme280Options bme;
  EXPECT_EQ(bme280_max_measurement_time(bme), microseconds{9300});  // 1.25+2.3+2.875+2.875
  Bme280Options bmp;
  bmp.chip = Bme280Chip::bmp280;
  EXPECT_EQ(bme280_max_measurement_time(bmp), microseconds{6425});  // BMP280 table: 6.4 ms
  // The BME280 datasheet's example (9.1: temperature x1, pressure x4, no humidity): 13.325 ms;
  // BMP280 "standard resolution" in its table: 13.3 ms.
  bmp.pressure_oversampling = 4;
  EXPECT_EQ(bme280_max_measurement_time(bmp), microseconds{13325});
  // BMP280 "ultra high resolution" (x2, x16): 43.2 ms in its table.
  bmp.temperature_oversampling = 2;
  bmp.pressure_oversampling = 16;
  EXPECT_EQ(bme280_max_measurement_time(bmp), microseconds{43225});
  bme.temperature_oversampling = 16;
  bme.pressure_oversampling = 16;
  bme.humidity_oversampling = 16;
  EXPECT_EQ(bme280_max_measurement_time(bme), microseconds{112800});
}

// ---- the device on the fake bus ----------------------------------------------------------------

class Bme280DeviceTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeI2cBus> bus_ = std::make_shared<FakeI2cBus>();
};

TEST_F(Bme280DeviceTest, SetupChecksTheIdReadsTheCalibrationAndSleeps) {
  add_chip(*bus_);
  Bme280 device(bus_, kAddress);
  device.setup();
  EXPECT_EQ(device.calibration(), datasheet_calibration());
  EXPECT_EQ(bus_->log(), (std::vector<FakeI2cBus::Transaction>{
                             tx(Kind::read_byte, 0xD0, {0x60}),
                             tx(Kind::read_block, 0x88, calibration_tp(datasheet_calibration())),
                             tx(Kind::read_block, 0xE1, kCalibrationH),
                             tx(Kind::write_byte, 0xF4, {0x24}),  // x1, x1, sleep
                             tx(Kind::write_byte, 0xF5, {0x00}),  // filter off
                         }));
}

TEST_F(Bme280DeviceTest, ForcedMeasurementWritesCtrlHumBeforeCtrlMeas) {
  add_chip(*bus_);
  Bme280 device(bus_, kAddress);
  device.setup();
  bus_->clear_log();
  EXPECT_EQ(device.begin(), 10ms);  // 9.3 ms rounded up
  EXPECT_EQ(bus_->log(), (std::vector<FakeI2cBus::Transaction>{
                             tx(Kind::write_byte, 0xF2, {0x01}),  // osrs_h x1
                             tx(Kind::write_byte, 0xF4, {0x25}),  // osrs_t x1, osrs_p x1, forced
                         }));
}

TEST_F(Bme280DeviceTest, OversamplingGoesIntoTheControlRegisters) {
  add_chip(*bus_);
  Bme280Options options;
  options.temperature_oversampling = 2;
  options.pressure_oversampling = 16;
  options.humidity_oversampling = 4;
  Bme280 device(bus_, kAddress, options);
  device.setup();
  bus_->clear_log();
  // 1.25 + 4.6 + (36.8 + 0.575) + (9.2 + 0.575) = 53.0 ms
  EXPECT_EQ(device.begin(), 53ms);
  EXPECT_EQ(bus_->log(), (std::vector<FakeI2cBus::Transaction>{
                             tx(Kind::write_byte, 0xF2, {0x03}),  // x4 = 011
                             tx(Kind::write_byte, 0xF4, {0x55}),  // 010 101 01
                         }));
}

TEST_F(Bme280DeviceTest, CollectReadsStatusOnceAndTheDataInOneBurst) {
  add_chip(*bus_);
  Bme280 device(bus_, kAddress);
  device.setup();
  (void)device.begin();
  bus_->clear_log();
  const auto readings = device.collect();
  EXPECT_EQ(bus_->log(), (std::vector<FakeI2cBus::Transaction>{
                             tx(Kind::read_byte, 0xF3, {0x00}),
                             tx(Kind::read_block, 0xF7, kData),
                         }));
  ASSERT_EQ(readings.size(), 3u);
  EXPECT_EQ(readings[0].key, "temperature");
  EXPECT_EQ(std::get<double>(readings[0].value), 25.08);
  EXPECT_EQ(readings[1].key, "humidity");
  EXPECT_EQ(std::get<double>(readings[1].value), kHumidityQ2210 / 1024.0);  // 54.997 %
  EXPECT_EQ(readings[2].key, "pressure");
  EXPECT_EQ(std::get<double>(readings[2].value), kPressureQ248 / 25600.0);  // 1006.5325 hPa
  // Published with two decimals each.
  EXPECT_EQ(test::payloads(readings, Bme280::kBme280Quantities),
            (std::vector<std::string>{"temperature=25.08", "humidity=55", "pressure=1006.53"}));
}

TEST_F(Bme280DeviceTest, Bmp280HasNoHumidity) {
  add_chip(*bus_, 0x58);
  Bme280Options options;
  options.chip = Bme280Chip::bmp280;
  Bme280 device(bus_, kAddress, options);
  device.setup();
  EXPECT_EQ(device.calibration().dig_h2, 0);  // 0xE1.. not read
  EXPECT_EQ(device.calibration().dig_p9, 6000);
  bus_->clear_log();
  EXPECT_EQ(device.begin(), 7ms);  // 6.425 ms rounded up
  const auto readings = device.collect();
  EXPECT_EQ(bus_->log(), (std::vector<FakeI2cBus::Transaction>{
                             tx(Kind::write_byte, 0xF4, {0x25}),
                             tx(Kind::read_byte, 0xF3, {0x00}),
                             tx(Kind::read_block, 0xF7, Bytes(kData.begin(), kData.begin() + 6)),
                         }));
  ASSERT_EQ(readings.size(), 2u);
  EXPECT_EQ(readings[0].key, "temperature");
  EXPECT_EQ(std::get<double>(readings[0].value), 25.08);
  EXPECT_EQ(readings[1].key, "pressure");
  EXPECT_EQ(std::get<double>(readings[1].value), kPressureQ248 / 25600.0);
  EXPECT_EQ(Bme280::quantities(Bme280Chip::bmp280).size(), 2u);
  EXPECT_EQ(test::payloads(readings, Bme280::quantities(Bme280Chip::bmp280)),
            (std::vector<std::string>{"temperature=25.08", "pressure=1006.53"}));
}

TEST_F(Bme280DeviceTest, Bmp280AcceptsTheSampleIds) {
  for (const std::uint8_t id : {std::uint8_t{0x56}, std::uint8_t{0x57}, std::uint8_t{0x58}}) {
    add_chip(*bus_, id);
    Bme280Options options;
    options.chip = Bme280Chip::bmp280;
    Bme280 device(bus_, kAddress, options);
    EXPECT_NO_THROW(device.setup()) << int{id};
  }
}

std::string setup_error(Bme280& device) {
  return test::device_error([&] { device.setup(); });
}

TEST_F(Bme280DeviceTest, NoAnswerNamesTheAddressAndTheBus) {
  Bme280 device(bus_, kAddress);  // nothing at 0x76
  EXPECT_EQ(setup_error(device),
            "BME280 at 0x76 on fake-i2c: reading the chip id: No such device or address");
}

TEST_F(Bme280DeviceTest, WrongChipIdSaysWhatWasFound) {
  add_chip(*bus_, 0x58);
  Bme280 bme(bus_, kAddress);
  EXPECT_EQ(setup_error(bme),
            "BME280 at 0x76 on fake-i2c: chip id 0x58, expected 0x60 (a BMP280: use type "
            "\"bmp280\")");
  add_chip(*bus_, 0x60);
  Bme280Options options;
  options.chip = Bme280Chip::bmp280;
  Bme280 bmp(bus_, kAddress, options);
  EXPECT_EQ(setup_error(bmp),
            "BMP280 at 0x76 on fake-i2c: chip id 0x60, expected 0x58 (a BME280: use type "
            "\"bme280\")");
  add_chip(*bus_, 0x00);
  EXPECT_EQ(setup_error(bme), "BME280 at 0x76 on fake-i2c: chip id 0x00, expected 0x60");
  // Nothing is written to a chip that is not the one expected.
  for (const auto& t : bus_->log()) EXPECT_NE(t.kind, Kind::write_byte);
}

TEST_F(Bme280DeviceTest, StillMeasuringIsAnErrorForThisCycle) {
  add_chip(*bus_);
  Bme280 device(bus_, kAddress);
  device.setup();
  (void)device.begin();
  bus_->set_registers(kAddress, 0xF3, Bytes{0x08});
  EXPECT_EQ(test::device_error([&] { (void)device.collect(); }),
            "BME280 at 0x76 on fake-i2c: still measuring after 10 ms");
  // im_update (bit 0) is about the NVM copy, not the measurement.
  bus_->set_registers(kAddress, 0xF3, Bytes{0x01});
  EXPECT_EQ(device.collect().size(), 3u);
}

TEST_F(Bme280DeviceTest, FailuresMidCycle) {
  add_chip(*bus_);
  Bme280 device(bus_, kAddress);
  device.setup();
  bus_->fail_next(std::make_error_code(std::errc::timed_out));
  EXPECT_EQ(test::device_error([&] { (void)device.begin(); }),
            "BME280 at 0x76 on fake-i2c: writing ctrl_hum: Connection timed out");
  (void)device.begin();
  bus_->fail_next(std::make_error_code(std::errc::io_error));
  EXPECT_EQ(test::device_error([&] { (void)device.collect(); }),
            "BME280 at 0x76 on fake-i2c: reading the status: Input/output error");
  // The data registers still hold their reset value (no measurement since power-on).
  bus_->set_registers(kAddress, 0xF7, Bytes{0x80, 0x00, 0x00, 0x80, 0x00, 0x00, 0x80, 0x00});
  EXPECT_EQ(test::device_error([&] { (void)device.collect(); }),
            "BME280 at 0x76 on fake-i2c: no measurement in the data registers (they hold "
            "the reset value)");
}

TEST_F(Bme280DeviceTest, ImplausibleCalibrationIsAnError) {
  add_chip(*bus_);
  bus_->set_registers(kAddress, 0x8E, Bytes{0x00, 0x00});  // dig_P1 = 0
  Bme280 device(bus_, kAddress);
  device.setup();
  (void)device.begin();
  EXPECT_EQ(test::device_error([&] { (void)device.collect(); }),
            "BME280 at 0x76 on fake-i2c: pressure compensation out of range (raw temperature "
            "0x7eed0, pressure 0x655ac, humidity 0x7530): implausible calibration or data");
}

TEST_F(Bme280DeviceTest, RejectsAnOversamplingTheChipLacks) {
  Bme280Options options;
  options.pressure_oversampling = 3;
  EXPECT_THROW(Bme280(bus_, kAddress, options), std::invalid_argument);
  options.pressure_oversampling = 32;
  EXPECT_THROW(Bme280(bus_, kAddress, options), std::invalid_argument);
}

// ---- through PolledSensor on a real loop -------------------------------------------------------

TEST_F(Bme280DeviceTest, UnavailableThenRetriedThenAvailable) {
  add_chip(*bus_);
  bus_->nack(kAddress);
  PolledOptions options;
  options.id = "bme280";
  options.interval = 1h;
  options.retry_min = 20ms;
  options.retry_max = 40ms;
  auto sensor = make_polled_sensor(options, "BME280", Bme280::kBme280Quantities,
                                   std::make_unique<Bme280>(bus_, kAddress));
  test::RecordingContext context;
  sensor->start(context);
  const std::vector<SensorEvent> unavailable{availability("bme280_temperature", false),
                                             availability("bme280_humidity", false),
                                             availability("bme280_pressure", false)};
  EXPECT_EQ(context.events, unavailable);  // the first attempt runs inside start()

  // Retried with back-off while the chip does not answer, without repeating the availability
  // (the fake logs only transactions that reached a device: none yet).
  context.run_for(100ms);
  EXPECT_EQ(context.events, unavailable);
  EXPECT_TRUE(bus_->log().empty());

  bus_->nack(kAddress, false);
  ASSERT_TRUE(context.run_until([&] { return context.events.size() >= 9; }));
  sensor->stop();
  std::vector<SensorEvent> expected = unavailable;
  for (const SensorEvent& e : std::vector<SensorEvent>{
           availability("bme280_temperature", true), availability("bme280_humidity", true),
           availability("bme280_pressure", true), published("bme280_temperature", 25.08),
           published("bme280_humidity", 54.9970703125),
           published("bme280_pressure", kPressureQ248 / 25600.0)}) {
    expected.push_back(e);
  }
  EXPECT_EQ(context.events, expected);
  // The recovery started with a full setup (chip id first) and a forced measurement.
  ASSERT_GE(bus_->log().size(), 7u);
  EXPECT_EQ(bus_->log()[0], tx(Kind::read_byte, 0xD0, {0x60}));
  EXPECT_EQ(bus_->log()[5], tx(Kind::write_byte, 0xF2, {0x01}));
  EXPECT_EQ(bus_->log()[6], tx(Kind::write_byte, 0xF4, {0x25}));
}

}  // namespace
}  // namespace pimqttd::sensors
