#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/sensors/i2c_sensor_config.hpp"
#include "pimqttd/sensors/sensor_factory.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::sensors {
namespace {

using std::chrono::seconds;
using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;

TEST(Lm75Settings, Defaults) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "lm75"})");
  EXPECT_EQ(sensor.name, "LM75");
  EXPECT_EQ(sensor.id, "lm75");
  EXPECT_EQ(sensor.interval, seconds{60});
  const auto* s = sensor.settings_as<I2cSensorSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->location(), (I2cLocation{1, 0x48}));
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"lm75_temperature", "LM75 temperature"}}));
  EXPECT_EQ(test::printed_sensor_entry(R"({"type": "lm75"})").dump(),
            R"({"type":"lm75","name":"LM75","id":"lm75","interval":"1m","bus":1,)"
            R"("address":"0x48","filters":[]})");
}

TEST(Lm75Settings, EveryAddressThePinsSelect) {
  for (int address = 0x48; address <= 0x4F; ++address) {
    const SensorConfig sensor =
        parse_sensor_entry(R"({"type": "lm75", "address": )" + std::to_string(address) + "}");
    const auto* s = sensor.settings_as<I2cSensorSettings>();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->location().address, address);
  }
  EXPECT_EQ(sensor_entry_errors(R"({"type": "lm75", "address": "0x50"})"),
            (Errors{"sensors[0].address: expected one of 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, "
                    R"(0x4f, found string "0x50")"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "lm75", "resolution": 11})"),
            (Errors{"sensors[0].resolution: unknown key"}));
}

TEST(Lm75Settings, MakesAPolledSensorWithAValidEntity) {
  const SensorConfig config = parse_sensor_entry(R"({"type": "lm75", "name": "Attic"})");
  const auto sensor = make_sensor(config);
  ASSERT_EQ(sensor->entities().size(), 1u);
  const EntityInfo& entity = sensor->entities()[0];
  EXPECT_EQ(entity.id, "attic_temperature");
  EXPECT_EQ(entity.name, "Attic temperature");
  EXPECT_EQ(entity.device_class, "temperature");
  EXPECT_EQ(entity.unit, "°C");
  EXPECT_EQ(entity.display_precision, 1);
  EXPECT_THAT(ha::validate_entity(entity), ::testing::IsEmpty());
}

}  // namespace
}  // namespace pimqttd::sensors
