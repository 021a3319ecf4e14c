#include "sensors/mcp9808/mcp9808_config.hpp"

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

using std::chrono::seconds;
using Errors = std::vector<std::string>;
using test::parse_sensor_entry;
using test::sensor_entry_errors;

TEST(Mcp9808SensorConfig, Defaults) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "mcp9808"})");
  EXPECT_EQ(sensor.name, "MCP9808");
  EXPECT_EQ(sensor.id, "mcp9808");
  EXPECT_EQ(sensor.interval, seconds{60});
  const auto* s = sensor.settings_as<I2cSensorSettings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->location(), (I2cLocation{1, 0x18}));
  EXPECT_EQ(sensor.entities,
            (std::vector<EntityConfig>{{"mcp9808_temperature", "MCP9808 temperature"}}));
  EXPECT_EQ(test::printed_sensor_entry(R"({"type": "mcp9808"})").dump(),
            R"({"type":"mcp9808","name":"MCP9808","id":"mcp9808","interval":"1m","bus":1,)"
            R"("address":"0x18","filters":[]})");
}

TEST(Mcp9808SensorConfig, EveryAddressThePinsSelect) {
  for (int address = 0x18; address <= 0x1F; ++address) {
    const SensorConfig sensor =
        parse_sensor_entry(R"({"type": "mcp9808", "address": )" + std::to_string(address) + "}");
    const auto* s = sensor.settings_as<I2cSensorSettings>();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->location().address, address);
  }
  EXPECT_EQ(sensor_entry_errors(R"({"type": "mcp9808", "address": "0x20"})"),
            (Errors{"sensors[0].address: expected one of 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, "
                    R"(0x1f, found string "0x20")"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "mcp9808", "resolution": "high"})"),
            (Errors{"sensors[0].resolution: unknown key"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "mcp9808", "interval": 0.5})"),
            (Errors{"sensors[0].interval: expected a duration from 1s to 1d, found 0.5"}));
}

TEST(Mcp9808SensorConfig, MakesAPolledSensorWithAValidEntity) {
  const SensorConfig config = parse_sensor_entry(R"({"type": "mcp9808", "name": "Fridge"})");
  const auto sensor = make_sensor(config);
  ASSERT_EQ(sensor->entities().size(), 1u);
  const EntityInfo& entity = sensor->entities()[0];
  EXPECT_EQ(entity.id, "fridge_temperature");
  EXPECT_EQ(entity.name, "Fridge temperature");
  EXPECT_EQ(entity.device_class, "temperature");
  EXPECT_EQ(entity.state_class, "measurement");
  EXPECT_EQ(entity.unit, "°C");
  EXPECT_EQ(entity.display_precision, 2);
  EXPECT_EQ(entity.interval, seconds{60});
  EXPECT_THAT(ha::validate_entity(entity), ::testing::IsEmpty());
}

}  // namespace
}  // namespace pimqttd::sensors
