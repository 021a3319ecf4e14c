#include "pimqttd/sensors/i2c_sensor_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pimqttd::sensors {
namespace {

using Errors = std::vector<std::string>;

const I2cAddresses kTwo{{0x76, 0x77}};
const I2cAddresses kOne{{0x23}};

struct Parsed {
  I2cLocation location;
  Errors errors;
};

// Reads the location from `text` (a JSON object) as an entry of `sensors` would.
Parsed parse(const std::string& text, const I2cAddresses& addresses = kTwo) {
  const Json json = Json::parse(text);
  Diagnostics diagnostics;
  const Location where = Location{}.key("sensors", 0).element(0);
  ObjectReader reader(json, where, diagnostics);
  Parsed out;
  out.location = read_i2c_location(reader, addresses);
  reader.finish();
  out.errors = diagnostics.errors();
  return out;
}

TEST(I2cLocation, Defaults) {
  const Parsed p = parse("{}");
  EXPECT_EQ(p.location, (I2cLocation{1, 0x76}));
  EXPECT_TRUE(p.errors.empty());
  // null is the same as absent.
  EXPECT_EQ(parse(R"({"bus": null, "address": null})").location, (I2cLocation{1, 0x76}));
}

TEST(I2cLocation, AddressAsNumberHexOrDecimalString) {
  EXPECT_EQ(parse(R"({"address": 119})").location.address, 0x77);
  EXPECT_EQ(parse(R"({"address": "0x77"})").location.address, 0x77);
  EXPECT_EQ(parse(R"({"address": "0X77"})").location.address, 0x77);
  EXPECT_EQ(parse(R"({"address": "0x5C"})", I2cAddresses{{0x23, 0x5C}}).location.address, 0x5C);
  EXPECT_EQ(parse(R"({"address": "118"})").location.address, 0x76);
  EXPECT_EQ(parse(R"({"address": "0x76", "bus": 0})").location, (I2cLocation{0, 0x76}));
  EXPECT_EQ(parse(R"({"bus": 255})").location.bus, 255);
  for (const char* text : {R"({"address": 119})", R"({"address": "0x77"})", R"({"bus": 3})"}) {
    EXPECT_TRUE(parse(text).errors.empty()) << text;
  }
}

TEST(I2cLocation, BadAddresses) {
  const std::string expected = "sensors[0].address: expected one of 0x76, 0x77, found ";
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"("0x78")", R"(string "0x78")"},  // a valid address the chip cannot have
      {"120", "number 120"},
      {R"("0x")", R"(string "0x")"},
      {R"("0x7g")", R"(string "0x7g")"},
      {R"("seventy-six")", R"(string "seventy-six")"},
      {R"(" 0x76")", R"(string " 0x76")"},
      {R"("0x76 ")", R"(string "0x76 ")"},
      {R"("-118")", R"(string "-118")"},
      {R"("")", R"(string "")"},
      {"-118", "number -118"},
      {"118.0", "number 118.0"},
      {"true", "true"},
      {"[118]", "an array"},
      {R"({"value": 118})", "an object"},
  };
  for (const auto& [value, found] : cases) {
    const Parsed p = parse(R"({"address": )" + value + "}");
    EXPECT_EQ(p.errors, (Errors{expected + found})) << value;
    EXPECT_EQ(p.location, (I2cLocation{1, 0x76})) << value;  // the default stands in
  }
  // A chip with a single address says so without "one of".
  EXPECT_EQ(parse(R"({"address": "0x5c"})", kOne).errors,
            (Errors{R"(sensors[0].address: expected 0x23, found string "0x5c")"}));
}

TEST(I2cLocation, BadBus) {
  EXPECT_EQ(parse(R"({"bus": 256})").errors,
            (Errors{"sensors[0].bus: expected an integer from 0 to 255, found 256"}));
  EXPECT_EQ(parse(R"({"bus": -1})").errors,
            (Errors{"sensors[0].bus: expected an integer from 0 to 255, found -1"}));
  EXPECT_EQ(parse(R"({"bus": "1"})").errors,
            (Errors{R"(sensors[0].bus: expected an integer, found string "1")"}));
  // Both wrong: both reported, in document order.
  EXPECT_EQ(parse(R"({"address": "0x10", "bus": "i2c-1"})").errors,
            (Errors{R"(sensors[0].address: expected one of 0x76, 0x77, found string "0x10")",
                    R"(sensors[0].bus: expected an integer, found string "i2c-1")"}));
}

TEST(I2cLocation, ToJsonReadsBack) {
  Json object = Json::object();
  i2c_location_to_json(I2cLocation{3, 0x77}, object);
  EXPECT_EQ(object.dump(), R"({"bus":3,"address":"0x77"})");
  EXPECT_EQ(parse(object.dump()).location, (I2cLocation{3, 0x77}));
  EXPECT_EQ(format_i2c_address(0x5C), "0x5c");
  EXPECT_EQ(format_i2c_address(0x08), "0x08");
}

constexpr std::array<Quantity, 2> kQuantities{{
    {"temperature", "temperature", "temperature", "measurement", "°C", 1},
    {"pressure", "pressure", "atmospheric_pressure", "measurement", "hPa", 1},
}};

SensorConfig sensor_config() {
  SensorConfig sensor;
  sensor.type = "bmp280";
  sensor.name = "Attic";
  sensor.id = "attic";
  sensor.interval = std::chrono::seconds{30};
  return sensor;
}

TEST(I2cSensorSettings, EntitiesJsonAndPolledOptions) {
  const I2cSensorSettings settings(I2cLocation{1, 0x76}, kQuantities);
  EXPECT_EQ(settings.quantities().size(), 2u);
  const SensorConfig sensor = sensor_config();
  EXPECT_EQ(settings.entities(sensor),
            (std::vector<EntityConfig>{{"attic_temperature", "Attic temperature"},
                                       {"attic_pressure", "Attic pressure"}}));
  EXPECT_EQ(quantity_entities(sensor, kQuantities), settings.entities(sensor));
  Json object = Json::object();
  settings.to_json(object);
  EXPECT_EQ(object.dump(), R"({"bus":1,"address":"0x76"})");
  const PolledOptions options = polled_options(sensor);
  EXPECT_EQ(options.id, "attic");
  EXPECT_EQ(options.interval, std::chrono::seconds{30});
}

TEST(I2cSensorSettings, BusOpensLazily) {
  // Naming a bus this machine lacks is fine until the sensor runs.
  const auto bus = open_i2c_bus(250);
  ASSERT_NE(bus, nullptr);
  EXPECT_EQ(bus->name(), "/dev/i2c-250");
}

}  // namespace
}  // namespace pimqttd::sensors
