#include "pimqttd/sensors/humidity.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using std::chrono::seconds;
using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;

struct TypeCase {
  std::string type;
  std::string default_name;
  std::string default_id;
  std::uint8_t default_address;
};

const std::vector<TypeCase> kTypes{
    {"sht3x", "SHT3x", "sht3x", 0x44},   {"sht4x", "SHT4x", "sht4x", 0x44},
    {"htu21d", "HTU21D", "htu21d", 0x40}, {"si7021", "Si7021", "si7021", 0x40},
    {"aht20", "AHT20", "aht20", 0x38},
};

TEST(HumiditySensorConfig, DefaultsOfEveryType) {
  for (const TypeCase& c : kTypes) {
    SCOPED_TRACE(c.type);
    const SensorConfig sensor = parse_sensor_entry(R"({"type": ")" + c.type + R"("})");
    EXPECT_EQ(sensor.type, c.type);
    EXPECT_EQ(sensor.name, c.default_name);
    EXPECT_EQ(sensor.id, c.default_id);
    EXPECT_EQ(sensor.interval, seconds{60});
    const auto* settings = sensor.settings_as<I2cSensorSettings>();
    ASSERT_NE(settings, nullptr);
    EXPECT_EQ(settings->location(), (I2cLocation{1, c.default_address}));
    EXPECT_EQ(sensor.entities,
              (std::vector<EntityConfig>{
                  {c.default_id + "_temperature", c.default_name + " temperature"},
                  {c.default_id + "_humidity", c.default_name + " humidity"}}));
  }
}

TEST(HumiditySensorConfig, EveryKeySet) {
  const SensorConfig sensor = parse_sensor_entry(
      R"({"type": "sht4x", "name": "Greenhouse", "bus": 3, "address": "0x46", "interval": "5s"})");
  EXPECT_EQ(sensor.id, "greenhouse");
  EXPECT_EQ(sensor.interval, seconds{5});
  EXPECT_EQ(sensor.settings_as<I2cSensorSettings>()->location(), (I2cLocation{3, 0x46}));
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"greenhouse_temperature",
                                                         "Greenhouse temperature"},
                                                        {"greenhouse_humidity",
                                                         "Greenhouse humidity"}}));
  EXPECT_EQ(test::printed_sensor_entry(
                R"({"type": "sht4x", "name": "Greenhouse", "bus": 3, "address": 70})")
                .dump(),
            R"({"type":"sht4x","name":"Greenhouse","id":"greenhouse","interval":"1m",)"
            R"("bus":3,"address":"0x46","filters":[]})");
}

TEST(HumiditySensorConfig, EachChipItsOwnAddresses) {
  EXPECT_EQ(parse_sensor_entry(R"({"type": "sht3x", "address": "0x45"})")
                .settings_as<I2cSensorSettings>()
                ->location()
                .address,
            0x45);
  EXPECT_EQ(sensor_entry_errors(R"({"type": "sht3x", "address": "0x46"})"),
            (Errors{"sensors[0].address: expected one of 0x44, 0x45, found string \"0x46\""}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "sht4x", "address": "0x47"})"),
            (Errors{"sensors[0].address: expected one of 0x44, 0x45, 0x46, found string "
                    "\"0x47\""}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "htu21d", "address": 65})"),
            (Errors{"sensors[0].address: expected 0x40, found number 65"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "si7021", "address": "0x41"})"),
            (Errors{"sensors[0].address: expected 0x40, found string \"0x41\""}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "aht20", "address": "0x39"})"),
            (Errors{"sensors[0].address: expected 0x38, found string \"0x39\""}));
}

TEST(HumiditySensorConfig, IntervalBoundsAndUnknownKeys) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "aht20", "interval": "500ms"})"),
            (Errors{"sensors[0].interval: expected a duration from 1s to 1d, found \"500ms\""}));
  EXPECT_EQ(parse_sensor_entry(R"({"type": "aht20", "interval": 1})").interval, seconds{1});
  EXPECT_EQ(sensor_entry_errors(R"({"type": "htu21d", "resolution": 12})"),
            (Errors{"sensors[0].resolution: unknown key"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "sht3x", "adress": "0x45"})"),
            (Errors{"sensors[0].adress: unknown key, did you mean 'address'?"}));
}

TEST(HumiditySensorConfig, TwoChipsOnOneBusNeedTwoIds) {
  EXPECT_EQ(
      test::sensor_entry_errors(R"({"type": "sht3x"}, {"type": "sht3x", "address": "0x45"})"),
      (Errors{"sensors[1].name: sensor id \"sht3x\" is already used by sensors[0]"}));
}

// The driver built from the entry has the entries' entities, with the metadata Home Assistant
// accepts for them. Building opens nothing: the bus is opened by the first poll.
TEST(HumiditySensorConfig, MakesItsDriver) {
  for (const TypeCase& c : kTypes) {
    SCOPED_TRACE(c.type);
    const SensorConfig config =
        parse_sensor_entry(R"({"type": ")" + c.type + R"(", "name": "Cellar", "interval": 30})");
    const auto sensor = make_sensor(config);
    ASSERT_NE(sensor, nullptr);
    const auto& entities = sensor->entities();
    ASSERT_EQ(entities.size(), 2u);
    for (std::size_t i = 0; i < entities.size(); ++i) {
      EXPECT_EQ(entities[i].id, config.entities[i].id);
      EXPECT_EQ(entities[i].name, config.entities[i].name);
      EXPECT_EQ(entities[i].interval, seconds{30});
      EXPECT_THAT(ha::validate_entity(entities[i]), ::testing::IsEmpty()) << entities[i].id;
    }
    EXPECT_EQ(entities[0].device_class, "temperature");
    EXPECT_EQ(entities[0].unit, "°C");
    EXPECT_EQ(entities[0].state_class, "measurement");
    EXPECT_EQ(entities[0].display_precision, 2);
    EXPECT_EQ(entities[1].device_class, "humidity");
    EXPECT_EQ(entities[1].unit, "%");
    EXPECT_EQ(entities[1].state_class, "measurement");
    EXPECT_EQ(entities[1].display_precision, 2);
  }
}

}  // namespace
}  // namespace pimqttd::sensors
