#include "sensors/iio/iio.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "pimqttd/ha/discovery.hpp"
#include "support/fake_sysfs.hpp"
#include "support/recording_context.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::FakeSysfs;

constexpr const char* kIio = "sys/bus/iio/devices";

double read_value(const fs::path& device, const std::string& channel) {
  const ChannelReading got = read_iio_channel(device, channel, read_attribute);
  EXPECT_TRUE(got.value.has_value()) << got.error;
  return got.value ? std::get<double>(*got.value) : -1;
}

// ---- values per the IIO ABI ---------------------------------------------------------------------

TEST(Iio, ProcessedInputsAreConvertedToHomeAssistantUnits) {
  const FakeSysfs sysfs;
  // bmp280/bme680 as their drivers show them: milli-degrees, kPa, milli-percent, ohms.
  const fs::path device = sysfs.add_device(
      kIio, "iio:device0", "soc/i2c-1/1-0077/iio:device0",
      {{"name", "bme680\n"},
       {"in_temp_input", "23456\n"},
       {"in_pressure_input", "100.125000000\n"},
       {"in_humidityrelative_input", "45123\n"},
       {"in_resistance_input", "123456.7\n"},
       {"in_illuminance_input", "305.41\n"}});
  EXPECT_DOUBLE_EQ(read_value(device, "temp"), 23.456);
  EXPECT_DOUBLE_EQ(read_value(device, "pressure"), 1001.25);
  EXPECT_DOUBLE_EQ(read_value(device, "humidityrelative"), 45.123);
  EXPECT_DOUBLE_EQ(read_value(device, "resistance"), 123456.7);
  EXPECT_DOUBLE_EQ(read_value(device, "illuminance"), 305.41);
  // Published with the decimals of each channel type's table.
  const auto payload = [&](const char* channel) {
    return test::payload(read_value(device, channel),
                         iio_channel("env", "Env", channel, 30s).info);
  };
  EXPECT_EQ(payload("temp"), "23.46");
  EXPECT_EQ(payload("pressure"), "1001.25");
  EXPECT_EQ(payload("humidityrelative"), "45.12");
  EXPECT_EQ(payload("resistance"), "123457");
  EXPECT_EQ(payload("illuminance"), "305.4");
}

TEST(Iio, ConversionsAddNoDigitsTheKernelDidNotWrite) {
  const FakeSysfs sysfs;
  // The bmp280 driver's pressure for the datasheet's example, and a scaled raw ADC value.
  const fs::path device = sysfs.add_device(kIio, "iio:device0", "soc/i2c-1/1-0076/iio:device0",
                                           {{"name", "bmp280\n"},
                                            {"in_pressure_input", "100.653253906\n"},
                                            {"in_voltage0_raw", "3\n"},
                                            {"in_voltage0_scale", "0.1\n"}});
  EXPECT_EQ(format_value(read_value(device, "pressure")), "1006.53253906");
  EXPECT_EQ(format_value(read_value(device, "voltage0")), "0.0003");
  // ... and what is published keeps the digits the channel resolves.
  EXPECT_EQ(test::payload(read_value(device, "pressure"),
                          iio_channel("env", "Env", "pressure", 30s).info),
            "1006.53");
}

TEST(Iio, RawValuesAreOffsetThenScaled) {
  const FakeSysfs sysfs;
  const fs::path device = sysfs.add_device(
      kIio, "iio:device0", "adc/iio:device0",
      {{"name", "ads1015\n"},
       // (raw + offset) * scale, in milli-degrees: (1000 - 500) * 10 = 5000 -> 5 °C
       {"in_temp_raw", "1000\n"},
       {"in_temp_offset", "-500\n"},
       {"in_temp_scale", "10\n"},
       // in_voltage_scale is shared by the voltage channels; voltage1's own scale wins.
       {"in_voltage0_raw", "1000\n"},
       {"in_voltage1_raw", "2048\n"},
       {"in_voltage_scale", "0.500000000\n"},
       {"in_voltage1_scale", "1.000000000\n"},
       // No scale at all: the raw value as is (mA -> A).
       {"in_current0_raw", "1500\n"},
       // A CO2 sensor: percent after scaling, ppm for Home Assistant.
       {"in_concentration_co2_raw", "1137\n"},
       {"in_concentration_co2_scale", "0.0001\n"}});
  EXPECT_DOUBLE_EQ(read_value(device, "temp"), 5.0);
  EXPECT_DOUBLE_EQ(read_value(device, "voltage0"), 0.5);
  EXPECT_DOUBLE_EQ(read_value(device, "voltage1"), 2.048);
  EXPECT_DOUBLE_EQ(read_value(device, "current0"), 1.5);
  EXPECT_DOUBLE_EQ(read_value(device, "concentration_co2"), 1137);
  // Published in the units' decimals: mV to 3 decimals of V, whole ppm.
  const auto payload = [&](const char* channel) {
    return test::payload(read_value(device, channel),
                         iio_channel("adc", "ADC", channel, 30s).info);
  };
  EXPECT_EQ(payload("voltage0"), "0.5");
  EXPECT_EQ(payload("concentration_co2"), "1137");
}

TEST(Iio, InputIsPreferredOverRaw) {
  const FakeSysfs sysfs;
  const fs::path device = sysfs.add_device(
      kIio, "iio:device0", "x/iio:device0",
      {{"in_temp_input", "21000\n"}, {"in_temp_raw", "99\n"}, {"in_temp_scale", "7\n"}});
  EXPECT_DOUBLE_EQ(read_value(device, "temp"), 21.0);
}

TEST(Iio, ReadFailuresKeepTheErrnoAndSayWhichFile) {
  const FakeSysfs sysfs;
  const fs::path device = sysfs.add_device(
      kIio, "iio:device0", "x/iio:device0",
      {{"in_temp_input", "garbage\n"}, {"in_voltage0_raw", "5\n"}});
  const ChannelReading missing = read_iio_channel(device, "pressure", read_attribute);
  EXPECT_EQ(missing.value, std::nullopt);
  EXPECT_EQ(missing.error_number, ENOENT);
  EXPECT_EQ(missing.error, (device / "in_pressure_input").string() + " and " +
                               (device / "in_pressure_raw").string() +
                               ": no such file (the device offers no channel \"pressure\")");
  const ChannelReading garbage = read_iio_channel(device, "temp", read_attribute);
  EXPECT_EQ(garbage.error_number, 0);
  EXPECT_EQ(garbage.error, (device / "in_temp_input").string() + ": cannot parse \"garbage\\n\"");

  test::ScriptedRead reads;
  reads.script("in_voltage0_input", {EIO});
  const ChannelReading failed = read_iio_channel(device, "voltage0", reads.function());
  EXPECT_EQ(failed.error_number, EIO);
  EXPECT_EQ(failed.error, (device / "in_voltage0_input").string() + ": Input/output error");
}

// ---- channels -----------------------------------------------------------------------------------

TEST(Iio, ChannelsAreDiscoveredFromTheAttributeNames) {
  const FakeSysfs sysfs;
  const fs::path device = sysfs.add_device(
      kIio, "iio:device0", "x/iio:device0",
      {{"name", "ads1015\n"},
       {"in_voltage0_raw", "1\n"},
       {"in_voltage1_raw", "1\n"},
       {"in_voltage_scale", "1\n"},
       {"in_voltage0-voltage1_raw", "1\n"},
       {"in_temp_input", "1\n"},
       {"in_temp_raw", "1\n"},
       {"in_temp_oversampling_ratio", "2\n"},
       {"in_concentration_co2_raw", "1\n"},
       {"sampling_frequency", "1\n"}});
  EXPECT_EQ(list_iio_channels(device),
            (std::vector<std::string>{"concentration_co2", "temp", "voltage0", "voltage1"}));
}

TEST(Iio, ChannelNames) {
  for (const char* good : {"temp", "voltage0", "humidityrelative", "concentration_co2",
                           "accel_x", "temp_ambient", "illuminance0"}) {
    EXPECT_TRUE(is_iio_channel(good)) << good;
  }
  for (const char* bad : {"", "0temp", "Temp", "temp_", "in_temp_input/..", "voltage0-voltage1",
                          "temp__x", "_temp", "temp x"}) {
    EXPECT_FALSE(is_iio_channel(bad)) << bad;
  }
  EXPECT_EQ(iio_shared_channel("voltage0"), "voltage");
  EXPECT_EQ(iio_shared_channel("temp"), "temp");
  EXPECT_EQ(iio_shared_channel("concentration1_co2"), "concentration_co2");
}

TEST(Iio, EntitiesOfTheMappedChannels) {
  const KernelChannel temp = iio_channel("weather", "Weather", "temp", 30s);
  EntityInfo expected;
  expected.id = "weather_temp";
  expected.name = "Weather temperature";
  expected.device_class = "temperature";
  expected.state_class = "measurement";
  expected.unit = "°C";
  expected.display_precision = 2;
  expected.interval = 30s;
  EXPECT_EQ(temp.info, expected);
  EXPECT_EQ(temp.channel, "temp");

  struct Case {
    const char* channel;
    const char* name;
    const char* device_class;
    const char* unit;
  };
  for (const Case& c : {Case{"humidityrelative", "Weather humidity", "humidity", "%"},
                        Case{"pressure", "Weather pressure", "pressure", "hPa"},
                        Case{"illuminance", "Weather illuminance", "illuminance", "lx"},
                        Case{"voltage0", "Weather voltage 0", "voltage", "V"},
                        Case{"current", "Weather current", "current", "A"},
                        Case{"power1", "Weather power 1", "power", "W"},
                        Case{"concentration_co2", "Weather CO2", "carbon_dioxide", "ppm"},
                        Case{"concentration_voc", "Weather VOC",
                             "volatile_organic_compounds_parts", "ppb"},
                        Case{"resistance", "Weather resistance", "", "Ω"},
                        Case{"proximity", "Weather proximity", "", ""},
                        Case{"accel_x", "Weather accel x", "", ""}}) {
    const KernelChannel got = iio_channel("weather", "Weather", c.channel, 30s);
    EXPECT_EQ(got.info.id, "weather_" + std::string(c.channel));
    EXPECT_EQ(got.info.name, c.name);
    EXPECT_EQ(got.info.device_class, c.device_class) << c.channel;
    EXPECT_EQ(got.info.unit, c.unit) << c.channel;
    EXPECT_EQ(got.info.state_class, "measurement");
    // Home Assistant accepts every one of them.
    EXPECT_EQ(ha::validate_entity(got.info), std::vector<std::string>{}) << c.channel;
  }
}

// ---- the driver on a fake tree ------------------------------------------------------------------

TEST(Iio, AnIioSensorPublishesItsChannels) {
  const FakeSysfs sysfs;
  sysfs.add_device(kIio, "iio:device1", "platform/dht11@4/iio:device1",
                   {{"name", "dht11\n"},
                    {"in_temp_input", "21500\n"},
                    {"in_humidityrelative_input", "48000\n"}});
  KernelSensorOptions options;
  options.id = "dht";
  options.name = "DHT";
  options.root = sysfs.root();
  options.selector = {DeviceSelector::By::name, "dht11", 0};
  options.interval = 1s;
  KernelSensor sensor(options, kIioClass,
                      {iio_channel("dht", "DHT", "temp", 1s),
                       iio_channel("dht", "DHT", "humidityrelative", 1s)},
                      list_iio_channels);
  test::RecordingContext context;
  sensor.start(context);
  ASSERT_TRUE(context.run_publishes("dht_humidityrelative", 1));
  sensor.stop();
  EXPECT_EQ(context.values("dht_temp"), (std::vector<Value>{21.5}));
  EXPECT_EQ(context.values("dht_humidityrelative"), (std::vector<Value>{48.0}));
  EXPECT_EQ(sensor.listings(), (std::vector<SensorListing>{
                                   {"dht_channels", {"humidityrelative", "temp"}}}));
}

}  // namespace
}  // namespace pimqttd::sensors
