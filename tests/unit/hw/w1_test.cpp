#include "pimqttd/hw/w1.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace pimqttd::hw {
namespace {

namespace fs = std::filesystem;
using Bytes = std::array<std::uint8_t, 9>;

// The two lines the w1_therm driver writes, for nine scratchpad bytes (as text), its CRC verdict
// and a temperature.
std::string w1_slave(const std::string& bytes, const std::string& crc, const std::string& verdict,
                     const std::string& t) {
  return bytes + " : crc=" + crc + " " + verdict + "\n" + bytes + " t=" + t + "\n";
}

W1Failure failure_of(std::string_view text) {
  const W1Result result = parse_w1_slave(text);
  EXPECT_FALSE(result.ok()) << text;
  return result.ok() ? W1Failure{} : result.failure();
}

// ---- CRC, ids -----------------------------------------------------------------------------------

TEST(W1Crc, MatchesTheApplicationNotesExampleAndTheDriversOutput) {
  // Maxim application note 27, example 2: ROM code 02 1C B8 01 00 00 00 (family first) -> A2h.
  const std::vector<std::uint8_t> rom{0x02, 0x1C, 0xB8, 0x01, 0x00, 0x00, 0x00};
  EXPECT_EQ(w1_crc8(rom), 0xA2);
  // Appending the CRC gives 0.
  std::vector<std::uint8_t> with_crc = rom;
  with_crc.push_back(0xA2);
  EXPECT_EQ(w1_crc8(with_crc), 0);
  // A scratchpad as the w1_therm driver shows it ("... 0e 10 57 : crc=57 YES").
  const std::vector<std::uint8_t> scratchpad{0x72, 0x01, 0x4b, 0x46, 0x7f, 0xff, 0x0e, 0x10};
  EXPECT_EQ(w1_crc8(scratchpad), 0x57);
  EXPECT_EQ(w1_crc8({}), 0);
  // Eight bytes of ones (a bus nobody pulls low) do not check: C9h, not FFh.
  EXPECT_EQ(w1_crc8(std::vector<std::uint8_t>(8, 0xFF)), 0xC9);
}

TEST(W1Ids, FamilyAndTwelveLowercaseHexDigits) {
  EXPECT_TRUE(is_thermometer_id("28-0316a2794aff"));
  EXPECT_TRUE(is_thermometer_id("22-000000000000"));
  for (const char* id : {"10-0316a2794aff", "3b-0316a2794aff", "28-0316A2794AFF",
                         "28-0316a2794af", "28-0316a2794afff", "280316a2794aff",
                         "28_0316a2794aff", "28-0316a2794afg", "", "28-"}) {
    EXPECT_FALSE(is_thermometer_id(id)) << id;
  }
}

// ---- parsing ------------------------------------------------------------------------------------

TEST(W1Parse, TemperatureFromTheDriversLine) {
  const W1Result result = parse_w1_slave(
      "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n");
  ASSERT_TRUE(result.ok()) << result.failure().message;
  EXPECT_EQ(result.reading().millidegrees, 23125);
  EXPECT_EQ(result.reading().celsius(), 23.125);
  EXPECT_EQ(result.reading().scratchpad,
            (Bytes{0x72, 0x01, 0x4b, 0x46, 0x7f, 0xff, 0x0e, 0x10, 0x57}));
}

TEST(W1Parse, TheDatasheetsTemperatures) {
  // Temperature/data relationship of the DS18B20 and DS1822 datasheets (register, degC); t= as
  // the driver's integer arithmetic gives it (it truncates 25.0625 to 25062).
  struct Case {
    std::string bytes;
    std::string crc;
    std::string t;
    double celsius;
  };
  for (const Case& c : {Case{"d0 07 4b 46 7f ff 0c 10 f4", "f4", "125000", 125.0},
                        Case{"91 01 4b 46 7f ff 0c 10 70", "70", "25062", 25.062},
                        Case{"08 00 4b 46 7f ff 0c 10 e2", "e2", "500", 0.5},
                        Case{"00 00 4b 46 7f ff 0c 10 c8", "c8", "0", 0.0},
                        Case{"5e ff 4b 46 7f ff 0c 10 6a", "6a", "-10125", -10.125},
                        Case{"90 fc 4b 46 7f ff 0c 10 4f", "4f", "-55000", -55.0},
                        // Just above the power-on value: 0551h.
                        Case{"51 05 4b 46 7f ff 0c 10 5f", "5f", "85062", 85.062}}) {
    const W1Result result = parse_w1_slave(w1_slave(c.bytes, c.crc, "YES", c.t));
    ASSERT_TRUE(result.ok()) << c.bytes << ": " << result.failure().message;
    EXPECT_EQ(result.reading().celsius(), c.celsius) << c.bytes;
  }
}

TEST(W1Parse, UppercaseDigitsAndAMissingLastNewlineAreFine) {
  const W1Result result = parse_w1_slave(
      "72 01 4B 46 7F FF 0E 10 57 : crc=57 YES\n72 01 4B 46 7F FF 0E 10 57 t=23125");
  ASSERT_TRUE(result.ok()) << result.failure().message;
  EXPECT_EQ(result.reading().millidegrees, 23125);
}

TEST(W1Parse, CrcFailuresAreRejected) {
  // The driver's verdict: a sensor that is gone reads as all ones.
  const W1Failure gone = failure_of(w1_slave("ff ff ff ff ff ff ff ff ff", "c9", "NO", "-62"));
  EXPECT_EQ(gone.fault, W1Fault::crc_mismatch);
  EXPECT_EQ(gone.message, "CRC check failed (crc=c9 NO): scratchpad ff ff ff ff ff ff ff ff ff");
  // A YES the bytes do not bear out.
  const W1Failure lied = failure_of(w1_slave("72 01 4b 46 7f ff 0e 10 58", "57", "YES", "23125"));
  EXPECT_EQ(lied.fault, W1Fault::crc_mismatch);
  EXPECT_EQ(lied.message,
            "CRC mismatch: bytes 0-7 give 57, byte 8 is 58: scratchpad 72 01 4b 46 7f ff 0e 10 58");
}

TEST(W1Parse, AllZeroScratchpadIsABusHeldLow) {
  // Its CRC is 0, so it passes the check.
  const W1Failure low = failure_of(w1_slave("00 00 00 00 00 00 00 00 00", "00", "YES", "0"));
  EXPECT_EQ(low.fault, W1Fault::bus_low);
  EXPECT_EQ(low.message,
            "the scratchpad reads all zero (no thermometer sends that): the data line is held low");
}

TEST(W1Parse, ThePowerOnValueIsRejected) {
  const std::string expected =
      "85 °C, the power-on value of the temperature register: the sensor has not completed a "
      "conversion since it was powered";
  // The register's 0550h, as the driver reports it.
  const W1Failure both = failure_of(w1_slave("50 05 4b 46 7f ff 0c 10 1c", "1c", "YES", "85000"));
  EXPECT_EQ(both.fault, W1Fault::power_on_value);
  EXPECT_EQ(both.message, expected);
  // Either sign alone is enough: the raw register (whatever t= says) ...
  EXPECT_EQ(failure_of(w1_slave("50 05 4b 46 7f ff 0c 10 1c", "1c", "YES", "84999")).fault,
            W1Fault::power_on_value);
  // ... or t=85000.
  EXPECT_EQ(failure_of(w1_slave("51 05 4b 46 7f ff 0c 10 5f", "5f", "YES", "85000")).fault,
            W1Fault::power_on_value);
}

TEST(W1Parse, MalformedTextIsRejected) {
  const std::string good_bytes = "72 01 4b 46 7f ff 0e 10 57";
  const std::string good_first = good_bytes + " : crc=57 YES\n";
  for (const std::string& text :
       {std::string(), std::string("\n"), std::string("garbage\n"), good_first,
        good_first + good_bytes + " t=23125\nmore\n",
        good_first + good_bytes + " t=23125\n\n",
        "72 01 4b 46 7f ff 0e 10 : crc=57 YES\n" + good_bytes + " t=23125\n",
        good_bytes + " : crc=57 MAYBE\n" + good_bytes + " t=23125\n",
        good_bytes + " crc=57 YES\n" + good_bytes + " t=23125\n",
        good_bytes + " : crc=5 YES\n" + good_bytes + " t=23125\n",
        good_bytes + " : crc=57 YES extra\n" + good_bytes + " t=23125\n",
        "72 01 4b 46 7f ff 0e 10 zz : crc=57 YES\n" + good_bytes + " t=23125\n",
        "72 01 4b 46 7f ff 0e 10 057 : crc=57 YES\n" + good_bytes + " t=23125\n",
        good_first + good_bytes + " t=\n", good_first + good_bytes + " t=abc\n",
        good_first + good_bytes + " t=23.125\n", good_first + good_bytes + " t=+23125\n",
        good_first + good_bytes + " t=99999999999\n", good_first + good_bytes + "\n",
        good_first + "72 01 4b 46 7f ff 0e 10 t=23125\n"}) {
    EXPECT_EQ(failure_of(text).fault, W1Fault::malformed) << text;
  }
  EXPECT_EQ(failure_of("garbage\n").message, "malformed w1_slave text \"garbage\\n\"");
  EXPECT_EQ(failure_of(std::string("a\"b\\\x01\n", 6)).message,
            "malformed w1_slave text \"a\\\"b\\\\\\x01\\n\"");
  EXPECT_EQ(failure_of(std::string(150, 'x')).message,
            "malformed w1_slave text \"" + std::string(100, 'x') + "\"...");
}

// ---- reading the files --------------------------------------------------------------------------

class W1DevicesTest : public ::testing::Test {
 protected:
  [[nodiscard]] fs::path device(const std::string& id) const {
    return dir_.path() / "sys/bus/w1/devices" / id;
  }
  void write(const std::string& id, const std::string& text) const {
    fs::create_directories(device(id));
    std::ofstream(device(id) / "w1_slave", std::ios::binary) << text;
  }
  test::TempDir dir_{"pimqttd-w1"};
  W1Devices devices_{dir_.path()};
};

TEST_F(W1DevicesTest, ReadsTheDevicesFile) {
  EXPECT_EQ(devices_.device_directory("28-0316a2794aff"), device("28-0316a2794aff"));
  write("28-0316a2794aff", w1_slave("91 01 4b 46 7f ff 0c 10 70", "70", "YES", "25062"));
  const W1Result result = devices_.read_temperature("28-0316a2794aff");
  ASSERT_TRUE(result.ok()) << result.failure().message;
  EXPECT_EQ(result.reading().millidegrees, 25062);
}

TEST_F(W1DevicesTest, FailuresNameThePath) {
  const W1Result missing = devices_.read_temperature("28-0316a2794aff");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.failure(),
            (W1Failure{W1Fault::no_device,
                       device("28-0316a2794aff").string() +
                           ": no such 1-Wire device (1-Wire not enabled, or the sensor not "
                           "connected or not found yet)"}));

  fs::create_directories(device("22-000000000001"));
  const W1Result no_file = devices_.read_temperature("22-000000000001");
  ASSERT_FALSE(no_file.ok());
  EXPECT_EQ(no_file.failure(),
            (W1Failure{W1Fault::unreadable, (device("22-000000000001") / "w1_slave").string() +
                                                ": No such file or directory"}));

  write("28-0316a2794aff", w1_slave("50 05 4b 46 7f ff 0c 10 1c", "1c", "YES", "85000"));
  const W1Result power_on = devices_.read_temperature("28-0316a2794aff");
  ASSERT_FALSE(power_on.ok());
  EXPECT_EQ(power_on.failure().fault, W1Fault::power_on_value);
  EXPECT_EQ(power_on.failure().message.rfind(
                (device("28-0316a2794aff") / "w1_slave").string() + ": 85 °C, the power-on", 0),
            0u)
      << power_on.failure().message;

  write("28-0316a2794aff", std::string(5000, '0'));
  const W1Result long_file = devices_.read_temperature("28-0316a2794aff");
  ASSERT_FALSE(long_file.ok());
  EXPECT_EQ(long_file.failure(),
            (W1Failure{W1Fault::malformed, (device("28-0316a2794aff") / "w1_slave").string() +
                                               ": longer than 4096 bytes"}));
}

}  // namespace
}  // namespace pimqttd::hw
