#include "sensors/bh1750/bh1750_config.hpp"

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

TEST(Bh1750Settings, Defaults) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "bh1750"})");
  EXPECT_EQ(sensor.name, "BH1750");
  EXPECT_EQ(sensor.id, "bh1750");
  EXPECT_EQ(sensor.interval, seconds{60});
  const auto* s = sensor.settings_as<Bh1750Settings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->location(), (I2cLocation{1, 0x23}));
  EXPECT_EQ(s->resolution(), Bh1750Resolution::high);
  EXPECT_EQ(sensor.entities,
            (std::vector<EntityConfig>{{"bh1750_illuminance", "BH1750 illuminance"}}));
  EXPECT_EQ(test::printed_sensor_entry(R"({"type": "bh1750"})").dump(),
            R"({"type":"bh1750","name":"BH1750","id":"bh1750","interval":"1m","bus":1,)"
            R"("address":"0x23","resolution":"high","filters":[]})");
}

TEST(Bh1750Settings, ResolutionsAndAddresses) {
  const auto resolution = [](const std::string& name) {
    return parse_sensor_entry(R"({"type": "bh1750", "resolution": ")" + name + R"("})")
        .settings_as<Bh1750Settings>()
        ->resolution();
  };
  EXPECT_EQ(resolution("high"), Bh1750Resolution::high);
  EXPECT_EQ(resolution("high2"), Bh1750Resolution::high2);
  EXPECT_EQ(resolution("low"), Bh1750Resolution::low);
  const SensorConfig sensor =
      parse_sensor_entry(R"({"type": "bh1750", "address": "0x5C", "bus": 0})");
  const auto* s = sensor.settings_as<Bh1750Settings>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->location(), (I2cLocation{0, 0x5C}));
}

TEST(Bh1750Settings, Errors) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "bh1750", "resolution": "medium"})"),
            (Errors{R"(sensors[0].resolution: expected one of "high", "high2", "low", found )"
                    R"("medium")"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "bh1750", "resolution": "hihg"})"),
            (Errors{R"(sensors[0].resolution: expected one of "high", "high2", "low", found )"
                    R"("hihg"; did you mean "high"?)"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "bh1750", "address": "0x5d"})"),
            (Errors{R"(sensors[0].address: expected one of 0x23, 0x5c, found string "0x5d")"}));
}

TEST(Bh1750Settings, MakesAPolledSensorWithAValidEntity) {
  const SensorConfig config =
      parse_sensor_entry(R"({"type": "bh1750", "name": "Porch light", "resolution": "low"})");
  const auto sensor = make_sensor(config);
  ASSERT_EQ(sensor->entities().size(), 1u);
  const EntityInfo& entity = sensor->entities()[0];
  EXPECT_EQ(entity.id, "porch_light_illuminance");
  EXPECT_EQ(entity.name, "Porch light illuminance");
  EXPECT_EQ(entity.device_class, "illuminance");
  EXPECT_EQ(entity.state_class, "measurement");
  EXPECT_EQ(entity.unit, "lx");
  EXPECT_EQ(entity.display_precision, 0);
  EXPECT_THAT(ha::validate_entity(entity), ::testing::IsEmpty());
  // H-resolution mode2's steps are 0.42 lx: one decimal.
  const auto dim = make_sensor(parse_sensor_entry(R"({"type": "bh1750", "resolution": "high2"})"));
  EXPECT_EQ(dim->entities().at(0).display_precision, 1);
  const auto high = make_sensor(parse_sensor_entry(R"({"type": "bh1750"})"));
  EXPECT_EQ(high->entities().at(0).display_precision, 0);
}

}  // namespace
}  // namespace pimqttd::sensors
