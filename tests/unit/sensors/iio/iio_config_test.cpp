#include "sensors/iio/iio_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "support/fake_sysfs.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Errors = std::vector<std::string>;
using test::FakeSysfs;
using test::parse_sensor_entry;
using test::sensor_entry_errors;

constexpr const char* kIio = "sys/bus/iio/devices";

std::string root_of(const FakeSysfs& sysfs) { return "\"root\": \"" + sysfs.root().string() + "\""; }

void add_bme680(const FakeSysfs& sysfs) {
  sysfs.add_device(kIio, "iio:device0", "platform/soc/fe804000.i2c/i2c-1/1-0077/iio:device0",
                   {{"name", "bme680\n"},
                    {"in_temp_input", "21000\n"},
                    {"in_pressure_input", "100.1\n"},
                    {"in_humidityrelative_input", "40000\n"},
                    {"in_resistance_input", "90000\n"}});
  FakeSysfs::write(
      sysfs.root() / "sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0077/of_node/compatible",
      std::string("bosch,bme680\0", 13));
}

TEST(IioConfig, TheType) {
  const SensorType* type = builtin_sensor_types().find("iio");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->default_name, "");
  EXPECT_TRUE(type->polls);
  EXPECT_EQ(type->default_interval, 60s);
  EXPECT_EQ(type->min_interval, 100ms);
}

TEST(IioConfig, TheIssueExampleWithTheDeviceAbsent) {
  const SensorConfig sensor = parse_sensor_entry(
      R"({"type": "iio", "name": "Weather", "device": "bmp280", "interval": "30s",
          "channels": ["temp", "pressure",
                       {"channel": "humidityrelative", "name": "Humidity", "id": "weather_rh"}]})");
  EXPECT_EQ(sensor.id, "weather");
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"weather_temp", "Weather temperature"},
                                                        {"weather_pressure", "Weather pressure"},
                                                        {"weather_rh", "Humidity"}}));
  const auto* settings = sensor.settings_as<KernelSensorSettings>();
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->options.selector, (DeviceSelector{DeviceSelector::By::name, "bmp280", 0}));
  EXPECT_EQ(settings->options.root, std::filesystem::path("/"));
  EXPECT_EQ(settings->options.retries, 2);
  EXPECT_EQ(settings->options.retry_pause, 500ms);
  EXPECT_EQ(settings->options.unavailable_after, 3);

  const auto driver = make_sensor(sensor);
  auto* kernel = dynamic_cast<KernelSensor*>(driver.get());
  ASSERT_NE(kernel, nullptr);
  EXPECT_EQ(kernel->options().interval, 30s);
  EXPECT_EQ(kernel->options().id, "weather");
  ASSERT_EQ(driver->entities().size(), 3u);
  EXPECT_EQ(driver->entities()[2].device_class, "humidity");
  EXPECT_EQ(driver->entities()[2].interval, 30s);
  for (const EntityInfo& entity : driver->entities()) {
    EXPECT_EQ(ha::validate_entity(entity), std::vector<std::string>{}) << entity.id;
  }
}

TEST(IioConfig, ChannelsAreDiscoveredWhenNotListed) {
  const FakeSysfs sysfs;
  add_bme680(sysfs);
  const SensorConfig sensor = parse_sensor_entry(
      R"({"type": "iio", "name": "Air", "compatible": "bosch,bme680", )" + root_of(sysfs) + "}");
  EXPECT_EQ(sensor.entities,
            (std::vector<EntityConfig>{{"air_humidityrelative", "Air humidity"},
                                       {"air_pressure", "Air pressure"},
                                       {"air_resistance", "Air resistance"},
                                       {"air_temp", "Air temperature"}}));
}

TEST(IioConfig, EveryKeyAndPrinted) {
  const FakeSysfs sysfs;
  add_bme680(sysfs);
  const std::string entry =
      R"({"type": "iio", "name": "Air", "id": "air", "path": "/sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0077",
          "index": 0, "channels": ["temp", {"channel": "resistance", "name": "Gas"}], "retries": 4,
          "retry_pause": "1s", "unavailable_after": 5, "interval": 10, )" +
      root_of(sysfs) + "}";
  const SensorConfig sensor = parse_sensor_entry(entry);
  const auto& settings = sensor.settings_of<KernelSensorSettings>();
  EXPECT_EQ(settings.options.selector.by, DeviceSelector::By::path);
  EXPECT_EQ(settings.options.retries, 4);
  EXPECT_EQ(settings.options.retry_pause, 1s);
  EXPECT_EQ(settings.options.unavailable_after, 5);
  EXPECT_EQ(sensor.entities,
            (std::vector<EntityConfig>{{"air_temp", "Air temperature"}, {"air_resistance", "Gas"}}));
  EXPECT_EQ(test::settings_json(sensor),
            R"({"path":"/sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0077","index":0,)"
            R"("channels":["temp",{"channel":"resistance","name":"Gas"}],"retries":4,)"
            R"("retry_pause":"1s","unavailable_after":5,"root":")" +
                sysfs.root().string() + R"("})");
  // --print-config reads back the same.
  const app::Config config = test::parse_sensor_entries(entry);
  const app::Config again = test::parse_test_config(app::to_json_text(config));
  EXPECT_EQ(app::to_json_text(again), app::to_json_text(config));
}

TEST(IioConfigErrors, AnAbsentDeviceWithoutChannelsSaysWhatExists) {
  const FakeSysfs sysfs;
  add_bme680(sysfs);
  EXPECT_EQ(sensor_entry_errors(R"({"type": "iio", "name": "Weather", "device": "bmp280", )" +
                                root_of(sysfs) + "}"),
            (Errors{"sensors[0].device: no IIO device named \"bmp280\" under " +
                    (sysfs.root() / kIio).string() +
                    "; the IIO devices there are named \"bme680\"; list \"channels\" to let the "
                    "daemon start before the device appears"}));
}

TEST(IioConfigErrors, SelectorKeys) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "iio", "name": "a", "channels": ["temp"]})"),
            (Errors{"sensors[0].device: required key missing: give one of \"device\" (the "
                    "device's name), \"compatible\" or \"path\""}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "iio", "name": "a", "device": "bmp280",
                                    "path": "/sys/devices/x", "channels": ["temp"]})"),
            (Errors{"sensors[0].path: \"device\" already selects the device: give only one of "
                    "\"device\", \"compatible\" and \"path\""}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "iio", "name": "a", "path": "devices/x",
                                    "channels": ["temp"]})"),
            (Errors{"sensors[0].path: expected an absolute sysfs path such as "
                    "\"/sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0077\", found "
                    "\"devices/x\""}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "iio", "name": "a", "device": "x", "index": -1,
                                    "channels": ["temp"]})"),
            (Errors{"sensors[0].index: expected an integer from 0 to 63, found -1"}));
}

TEST(IioConfigErrors, ChannelsAndRetries) {
  const std::string expected_channel =
      "expected an IIO channel name as in in_<channel>_input or in_<channel>_raw, such as "
      "\"temp\", \"humidityrelative\", \"pressure\" or \"voltage0\", found ";
  EXPECT_EQ(
      sensor_entry_errors(
          R"({"type": "iio", "name": "a", "device": "x",
              "channels": ["in_temp_input ", 5, {"name": "b"}, {"channel": "temp", "colour": 1},
                           "temp", {"channel": "voltage0", "id": "a_temp"}]})"),
      (Errors{"sensors[0].channels[0]: " + expected_channel + "\"in_temp_input \"",
              "sensors[0].channels[1]: expected a channel name or an object with \"channel\", "
              "found number 5",
              "sensors[0].channels[2].channel: required key missing",
              "sensors[0].channels[3].colour: unknown key",
              "sensors[0].channels[4]: entity id \"a_temp\" is already used by channels[0]",
              "sensors[0].channels[5]: entity id \"a_temp\" is already used by channels[0]"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "iio", "name": "a", "device": "x", "channels": []})"),
            (Errors{"sensors[0].channels: expected at least one channel, found an empty array"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "iio", "name": "a", "device": "x", "retries": 11,
                                    "unavailable_after": 0, "retry_pause": "11s",
                                    "channels": ["temp"]})"),
            (Errors{"sensors[0].retries: expected an integer from 0 to 10, found 11",
                    "sensors[0].unavailable_after: expected an integer from 1 to 100, found 0",
                    "sensors[0].retry_pause: expected a duration from 0s to 10s, found "
                    "\"11s\""}));
}

// A fast ADC may be sampled ten times a second; hwmon shares the range.
TEST(IioConfigErrors, IntervalFrom100msTo1d) {
  for (const char* type : {"iio", "hwmon"}) {
    const std::string entry = std::string(R"({"type": ")") + type +
                              R"(", "name": "a", "device": "x", "channels": [")" +
                              (std::string(type) == "iio" ? "voltage0" : "in0") +
                              R"("], "interval": )";
    EXPECT_EQ(parse_sensor_entry(entry + R"("100ms"})").interval, 100ms) << type;
    EXPECT_EQ(sensor_entry_errors(entry + R"("99ms"})"),
              (Errors{"sensors[0].interval: expected a duration from 100ms to 1d, found "
                      "\"99ms\""}))
        << type;
  }
}

}  // namespace
}  // namespace pimqttd::sensors
