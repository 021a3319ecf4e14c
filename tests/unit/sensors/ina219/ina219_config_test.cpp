#include "sensors/ina219/ina219_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pimqttd/sensors/sensor_factory.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using std::chrono::seconds;
using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;

TEST(Ina219Settings, Defaults) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "ina219"})");
  EXPECT_EQ(sensor.name, "INA219");
  EXPECT_EQ(sensor.id, "ina219");
  EXPECT_EQ(sensor.interval, seconds{60});
  const auto* settings = sensor.settings_as<Ina219Settings>();
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->location(), (I2cLocation{1, 0x40}));
  EXPECT_EQ(settings->shunt_ohms(), 0.1);
  EXPECT_EQ(settings->max_current(), 3.2);  // 0.32 V / 0.1 Ω
  EXPECT_EQ(sensor.entities,
            (std::vector<EntityConfig>{{"ina219_bus_voltage", "INA219 bus voltage"},
                                       {"ina219_current", "INA219 current"},
                                       {"ina219_power", "INA219 power"}}));
}

TEST(Ina219Settings, EveryKey) {
  const SensorConfig sensor = parse_sensor_entry(
      R"({"type": "ina219", "name": "Solar", "address": "0x4F", "shunt_ohms": 0.01,
          "max_current": 20, "interval": "15s"})");
  const auto* settings = sensor.settings_as<Ina219Settings>();
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->location(), (I2cLocation{1, 0x4F}));
  EXPECT_EQ(settings->shunt_ohms(), 0.01);
  EXPECT_EQ(settings->max_current(), 20.0);
  EXPECT_EQ(sensor.entities.at(2), (EntityConfig{"solar_power", "Solar power"}));
  // The default maximum follows the shunt.
  EXPECT_EQ(parse_sensor_entry(R"({"type": "ina219", "shunt_ohms": 0.01})")
                .settings_as<Ina219Settings>()
                ->max_current(),
            32.0);
  EXPECT_EQ(ina219_max_current(0.002), 160.0);
  EXPECT_EQ(ina219_max_current(0.1), 3.2);
}

TEST(Ina219Settings, Errors) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ina219", "shunt_ohms": 0})"),
            (Errors{"sensors[0].shunt_ohms: expected a number of ohms greater than 0 and at most "
                    "1000, found number 0"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ina219", "shunt_ohms": "0.1"})"),
            (Errors{"sensors[0].shunt_ohms: expected a number of ohms greater than 0 and at most "
                    "1000, found string \"0.1\""}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ina219", "max_current": 4})"),
            (Errors{"sensors[0].max_current: expected a number of amperes greater than 0 and at "
                    "most 3.2 (0.32 V across 0.1 Ω), found number 4"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ina219", "shunt_ohms": 0.5, "max_current": -1})"),
            (Errors{"sensors[0].max_current: expected a number of amperes greater than 0 and at "
                    "most 0.64 (0.32 V across 0.5 Ω), found number -1"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ina219", "address": "0x50"})"),
            (Errors{"sensors[0].address: expected one of 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, "
                    "0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, found string "
                    "\"0x50\""}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ina219", "shunt": 0.1})"),
            (Errors{"sensors[0].shunt: unknown key"}));
}

TEST(Ina219Settings, PrintedWithTheDerivedMaximumAndReadBack) {
  const Json printed = test::printed_sensor_entry(R"({"type": "ina219", "name": "Pump"})");
  EXPECT_EQ(printed.dump(),
            R"({"type":"ina219","name":"Pump","id":"pump","interval":"1m","bus":1,)"
            R"("address":"0x40","shunt_ohms":0.1,"max_current":3.2,"filters":[]})");
  const SensorConfig again = parse_sensor_entry(printed.dump());
  EXPECT_EQ(again.settings_as<Ina219Settings>()->max_current(), 3.2);
}

TEST(Ina219Settings, MakesItsDriver) {
  const SensorConfig config =
      parse_sensor_entry(R"({"type": "ina219", "name": "Pump", "shunt_ohms": 0.05})");
  const auto sensor = make_sensor(config);
  ASSERT_NE(sensor, nullptr);
  const auto& entities = sensor->entities();
  ASSERT_EQ(entities.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> classes{
      {"voltage", "V"}, {"current", "A"}, {"power", "W"}};
  for (std::size_t i = 0; i < entities.size(); ++i) {
    EXPECT_EQ(entities[i].id, config.entities[i].id);
    EXPECT_EQ(entities[i].name, config.entities[i].name);
    EXPECT_EQ(entities[i].device_class, classes[i].first);
    EXPECT_EQ(entities[i].unit, classes[i].second);
    EXPECT_EQ(entities[i].state_class, "measurement");
    EXPECT_THAT(ha::validate_entity(entities[i]), ::testing::IsEmpty()) << entities[i].id;
  }
  // 0.05 Ω and the 6.4 A it allows: Current_LSB 195 µA, Power_LSB 3.9 mW.
  EXPECT_EQ(entities[0].display_precision, 3);
  EXPECT_EQ(entities[1].display_precision, 4);
  EXPECT_EQ(entities[2].display_precision, 3);
  // 0.1 Ω and 1.6384 A: 50 µA and 1 mW.
  const auto fine = make_sensor(
      parse_sensor_entry(R"({"type": "ina219", "shunt_ohms": 0.1, "max_current": 1.6384})"));
  EXPECT_EQ(fine->entities().at(1).display_precision, 5);
  EXPECT_EQ(fine->entities().at(2).display_precision, 3);
}

}  // namespace
}  // namespace pimqttd::sensors
