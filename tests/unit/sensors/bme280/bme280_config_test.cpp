#include "sensors/bme280/bme280_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using app::Config;
using app::to_json_text;

using std::chrono::seconds;
using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;

TEST(Bme280Settings, Defaults) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "bme280"})");
  EXPECT_EQ(sensor.name, "BME280");
  EXPECT_EQ(sensor.id, "bme280");
  EXPECT_EQ(sensor.interval, seconds{60});
  const auto* s = sensor.settings_as<Bme280Settings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->chip(), Bme280Chip::bme280);
  EXPECT_EQ(s->location(), (I2cLocation{1, 0x76}));
  EXPECT_EQ(s->options().temperature_oversampling, 1);
  EXPECT_EQ(s->options().pressure_oversampling, 1);
  EXPECT_EQ(s->options().humidity_oversampling, 1);
  EXPECT_EQ(sensor.entities,
            (std::vector<EntityConfig>{{"bme280_temperature", "BME280 temperature"},
                                       {"bme280_humidity", "BME280 humidity"},
                                       {"bme280_pressure", "BME280 pressure"}}));
}

TEST(Bme280Settings, Bmp280HasNoHumidity) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "bmp280", "address": "0x77"})");
  EXPECT_EQ(sensor.name, "BMP280");
  EXPECT_EQ(sensor.id, "bmp280");
  const auto* s = sensor.settings_as<Bme280Settings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->chip(), Bme280Chip::bmp280);
  EXPECT_EQ(s->location(), (I2cLocation{1, 0x77}));
  EXPECT_EQ(sensor.entities,
            (std::vector<EntityConfig>{{"bmp280_temperature", "BMP280 temperature"},
                                       {"bmp280_pressure", "BMP280 pressure"}}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "bmp280", "oversampling": {"humidity": 2}})"),
            (Errors{"sensors[0].oversampling.humidity: unknown key"}));
}

TEST(Bme280Settings, EveryKeyConfigured) {
  const SensorConfig sensor = parse_sensor_entry(R"({
    "type": "bme280", "name": "Greenhouse", "bus": 3, "address": 119, "interval": "30s",
    "oversampling": {"temperature": 2, "pressure": 16, "humidity": 4}})");
  EXPECT_EQ(sensor.id, "greenhouse");
  EXPECT_EQ(sensor.interval, seconds{30});
  const auto* s = sensor.settings_as<Bme280Settings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->location(), (I2cLocation{3, 0x77}));
  const Bme280Options driver = s->options();
  EXPECT_EQ(driver.chip, Bme280Chip::bme280);
  EXPECT_EQ(driver.temperature_oversampling, 2);
  EXPECT_EQ(driver.pressure_oversampling, 16);
  EXPECT_EQ(driver.humidity_oversampling, 4);
  EXPECT_EQ(sensor.entities.front(),
            (EntityConfig{"greenhouse_temperature", "Greenhouse temperature"}));
}

TEST(Bme280Settings, PrintedWithEveryDefaultAndReadBack) {
  const Config config =
      test::parse_sensor_entries(R"({"type": "bme280"}, {"type": "bmp280", "name": "Attic", )"
                                 R"("bus": 3})");
  const Json printed = Json::parse(to_json_text(config));
  EXPECT_EQ(printed["sensors"][0].dump(),
            R"({"type":"bme280","name":"BME280","id":"bme280","interval":"1m","bus":1,)"
            R"("address":"0x76","oversampling":{"temperature":1,"pressure":1,"humidity":1},"filters":[]})");
  EXPECT_EQ(printed["sensors"][1].dump(),
            R"({"type":"bmp280","name":"Attic","id":"attic","interval":"1m","bus":3,)"
            R"("address":"0x76","oversampling":{"temperature":1,"pressure":1},"filters":[]})");
  const Config again = test::parse_test_config(to_json_text(config));
  EXPECT_EQ(to_json_text(again), to_json_text(config));
}

TEST(Bme280Settings, Errors) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "bme280", "address": "0x78"})"),
            (Errors{R"(sensors[0].address: expected one of 0x76, 0x77, found string "0x78")"}));
  EXPECT_EQ(
      sensor_entry_errors(R"({"type": "bme280", "oversampling": {"temperature": 3, "pressure": 32,
                          "humidity": "x2"}})"),
      (Errors{
          "sensors[0].oversampling.temperature: expected 1, 2, 4, 8 or 16, found number 3",
          "sensors[0].oversampling.pressure: expected 1, 2, 4, 8 or 16, found number 32",
          R"(sensors[0].oversampling.humidity: expected 1, 2, 4, 8 or 16, found string "x2")"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "bme280", "oversampling": 16})"),
            (Errors{"sensors[0].oversampling: expected an object, found number 16"}));
  EXPECT_EQ(
      sensor_entry_errors(R"({"type": "bme280", "oversampling": {"temprature": 2}})"),
      (Errors{"sensors[0].oversampling.temprature: unknown key, did you mean 'temperature'?"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "bme280", "interval": "500ms"})"),
            (Errors{R"(sensors[0].interval: expected a duration from 1s to 1d, found "500ms")"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "bme280", "adress": "0x77"})"),
            (Errors{"sensors[0].adress: unknown key, did you mean 'address'?"}));
  // Two chips need two ids.
  EXPECT_EQ(sensor_entry_errors(R"({"type": "bme280"}, {"type": "bme280", "address": "0x77"})"),
            (Errors{R"(sensors[1].name: sensor id "bme280" is already used by sensors[0])"}));
}

TEST(Bme280Settings, MakesAPolledSensorWithValidEntities) {
  for (const char* type : {"bme280", "bmp280"}) {
    const SensorConfig config =
        parse_sensor_entry(std::string(R"({"type": ")") + type +
                           R"(", "bus": 250, "interval": 5})");
    const auto sensor = make_sensor(config);  // nothing is opened before start()
    ASSERT_EQ(sensor->entities().size(), config.entities.size()) << type;
    for (std::size_t i = 0; i < config.entities.size(); ++i) {
      const EntityInfo& entity = sensor->entities()[i];
      EXPECT_EQ(entity.id, config.entities[i].id);
      EXPECT_EQ(entity.name, config.entities[i].name);
      EXPECT_EQ(entity.interval, seconds{5});
      EXPECT_EQ(entity.state_class, "measurement");
      EXPECT_THAT(ha::validate_entity(entity), ::testing::IsEmpty()) << entity.id;
    }
    const auto& temperature = sensor->entities().front();
    EXPECT_EQ(temperature.device_class, "temperature");
    EXPECT_EQ(temperature.unit, "°C");
    EXPECT_EQ(temperature.display_precision, 2);
    const auto& pressure = sensor->entities().back();
    EXPECT_EQ(pressure.device_class, "atmospheric_pressure");
    EXPECT_EQ(pressure.unit, "hPa");
    EXPECT_EQ(pressure.display_precision, 2);
  }
  const auto bme = make_sensor(parse_sensor_entry(R"({"type": "bme280"})"));
  const auto& humidity = bme->entities().at(1);
  EXPECT_EQ(humidity.device_class, "humidity");
  EXPECT_EQ(humidity.unit, "%");
  EXPECT_EQ(humidity.display_precision, 2);
}

}  // namespace
}  // namespace pimqttd::sensors
