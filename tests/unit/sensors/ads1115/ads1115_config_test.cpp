#include "sensors/ads1115/ads1115_config.hpp"

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

// An entry with the given channels (JSON text of the array's items).
std::string with_channels(const std::string& channels) {
  return R"({"type": "ads1115", "name": "Power", "channels": [)" + channels + "]}";
}

TEST(Ads1115Settings, EveryKey) {
  const SensorConfig sensor = parse_sensor_entry(R"({
    "type": "ads1115", "name": "Power", "bus": 0, "address": "0x4B", "interval": "10s",
    "channels": [
      {"name": "Battery", "input": "A0", "gain": 6.144, "multiplier": 11},
      {"name": "Shunt current", "input": "A2-A3", "gain": 0.256, "multiplier": 0.5},
      {"name": "Reference", "input": "A1"}]})");
  EXPECT_EQ(sensor.id, "power");
  EXPECT_EQ(sensor.interval, seconds{10});
  const auto* settings = sensor.settings_as<Ads1115Settings>();
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->location, (I2cLocation{0, 0x4B}));
  EXPECT_EQ(settings->channels,
            (std::vector<Ads1115ChannelSettings>{
                {"Battery", "A0", {"battery", Ads1115Input::a0, 6.144, 11.0}},
                {"Shunt current", "A2-A3", {"shunt_current", Ads1115Input::a2_a3, 0.256, 0.5}},
                {"Reference", "A1", {"reference", Ads1115Input::a1, 4.096, 1.0}}}));
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"power_battery", "Power Battery"},
                                                        {"power_shunt_current",
                                                         "Power Shunt current"},
                                                        {"power_reference", "Power Reference"}}));
}

TEST(Ads1115Settings, DefaultsAndEveryInput) {
  const SensorConfig sensor = parse_sensor_entry(R"({"type": "ads1115", "channels": [
      {"name": "a", "input": "A0"}, {"name": "b", "input": "A1"}, {"name": "c", "input": "A2"},
      {"name": "d", "input": "A3"}, {"name": "e", "input": "A0-A1"},
      {"name": "f", "input": "A0-A3"}, {"name": "g", "input": "A1-A3"},
      {"name": "h", "input": "A2-A3"}]})");
  EXPECT_EQ(sensor.name, "ADS1115");
  EXPECT_EQ(sensor.id, "ads1115");
  EXPECT_EQ(sensor.interval, seconds{60});
  const auto* settings = sensor.settings_as<Ads1115Settings>();
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->location, (I2cLocation{1, 0x48}));
  const std::vector<Ads1115Input> inputs{Ads1115Input::a0,    Ads1115Input::a1,
                                         Ads1115Input::a2,    Ads1115Input::a3,
                                         Ads1115Input::a0_a1, Ads1115Input::a0_a3,
                                         Ads1115Input::a1_a3, Ads1115Input::a2_a3};
  ASSERT_EQ(settings->channels.size(), inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_EQ(settings->channels[i].channel.input, inputs[i]) << i;
    EXPECT_EQ(settings->channels[i].channel.full_scale, 4.096);
    EXPECT_EQ(settings->channels[i].channel.multiplier, 1.0);
  }
  EXPECT_EQ(sensor.entities.front(), (EntityConfig{"ads1115_a", "ADS1115 a"}));
}

TEST(Ads1115Settings, EveryGain) {
  for (const std::string gain : {"6.144", "4.096", "2.048", "1.024", "0.512", "0.256"}) {
    const SensorConfig sensor =
        parse_sensor_entry(with_channels(R"({"name": "x", "input": "A0", "gain": )" + gain + "}"));
    ASSERT_NE(sensor.settings_as<Ads1115Settings>(), nullptr);
    EXPECT_EQ(sensor.settings_as<Ads1115Settings>()->channels.at(0).channel.full_scale, std::stod(gain));
  }
}

TEST(Ads1115Settings, ChannelErrors) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ads1115"})"),
            (Errors{"sensors[0].channels: required key missing"}));
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ads1115", "channels": {"name": "x"}})"),
            (Errors{"sensors[0].channels: expected an array of channel objects, found an object"}));
  EXPECT_EQ(sensor_entry_errors(with_channels("")),
            (Errors{"sensors[0].channels: expected 1 to 8 channels, found 0"}));
  std::string nine;
  for (int i = 0; i < 9; ++i) {
    nine += (i > 0 ? ", " : "") + std::string(R"({"name": "c)") + std::to_string(i) +
            R"(", "input": "A0"})";
  }
  EXPECT_EQ(sensor_entry_errors(with_channels(nine)),
            (Errors{"sensors[0].channels: expected 1 to 8 channels, found 9"}));
  EXPECT_EQ(sensor_entry_errors(with_channels(R"("A0")")),
            (Errors{"sensors[0].channels[0]: expected an object, found string \"A0\""}));
  EXPECT_EQ(sensor_entry_errors(with_channels("{}")),
            (Errors{"sensors[0].channels[0].name: required key missing",
                    "sensors[0].channels[0].input: required key missing"}));
  EXPECT_EQ(
      sensor_entry_errors(with_channels(R"({"name": "x", "input": "A4", "gian": 2.048})")),
      (Errors{"sensors[0].channels[0].input: expected one of \"A0\", \"A1\", \"A2\", \"A3\", "
              "\"A0-A1\", \"A0-A3\", \"A1-A3\", \"A2-A3\", found \"A4\"; did you mean \"A0\"?",
              "sensors[0].channels[0].gian: unknown key, did you mean 'gain'?"}));
  EXPECT_EQ(sensor_entry_errors(with_channels(R"({"name": "x", "input": "A0-A2"})")),
            (Errors{"sensors[0].channels[0].input: expected one of \"A0\", \"A1\", \"A2\", "
                    "\"A3\", \"A0-A1\", \"A0-A3\", \"A1-A3\", \"A2-A3\", found \"A0-A2\"; did you "
                    "mean \"A0-A1\"?"}));
}

TEST(Ads1115Settings, GainMultiplierAndNameErrors) {
  EXPECT_EQ(sensor_entry_errors(with_channels(R"({"name": "x", "input": "A0", "gain": 5})")),
            (Errors{"sensors[0].channels[0].gain: expected one of 6.144, 4.096, 2.048, 1.024, "
                    "0.512, 0.256 (the full-scale range in V), found number 5"}));
  EXPECT_EQ(sensor_entry_errors(with_channels(R"({"name": "x", "input": "A0", "gain": "2x"})")),
            (Errors{"sensors[0].channels[0].gain: expected one of 6.144, 4.096, 2.048, 1.024, "
                    "0.512, 0.256 (the full-scale range in V), found string \"2x\""}));
  EXPECT_EQ(
      sensor_entry_errors(with_channels(R"({"name": "x", "input": "A0", "multiplier": 0})")),
      (Errors{"sensors[0].channels[0].multiplier: expected a number greater than 0 and at most "
              "1000000, found number 0"}));
  EXPECT_EQ(
      sensor_entry_errors(with_channels(R"({"name": "x", "input": "A0", "multiplier": -2.5})")),
      (Errors{"sensors[0].channels[0].multiplier: expected a number greater than 0 and at most "
              "1000000, found number -2.5"}));
  EXPECT_EQ(sensor_entry_errors(with_channels(R"({"name": "--", "input": "A0"})")),
            (Errors{"sensors[0].channels[0].name: expected a name of 1 to 64 bytes with an ASCII "
                    "letter or digit, found \"--\""}));
  EXPECT_EQ(sensor_entry_errors(with_channels(R"({"name": ")" + std::string(65, 'v') +
                                              R"(", "input": "A0"})"))
                .size(),
            1u);
}

TEST(Ads1115Settings, ChannelsWhoseIdsClash) {
  EXPECT_EQ(sensor_entry_errors(with_channels(
                R"({"name": "Battery", "input": "A0"}, {"name": "Solar", "input": "A1"},)"
                R"({"name": "battery!", "input": "A2"})")),
            (Errors{"sensors[0].channels[2]: entity id \"power_battery\" is already used by "
                    "channels[0]"}));
  // Across entries: a channel's entity against another sensor's.
  EXPECT_EQ(
      sensor_entry_errors(R"({"type": "sht4x", "name": "Power battery"}, )" +
                          with_channels(R"({"name": "Battery temperature", "input": "A0"})")),
      (Errors{"sensors[1].name: entity id \"power_battery_temperature\" is already used by "
              "sensors[0]"}));
}

TEST(Ads1115Settings, AddressRange) {
  EXPECT_EQ(sensor_entry_errors(R"({"type": "ads1115", "address": "0x4C", "channels": [)"
                                R"({"name": "x", "input": "A0"}]})"),
            (Errors{"sensors[0].address: expected one of 0x48, 0x49, 0x4a, 0x4b, found string "
                    "\"0x4C\""}));
}

TEST(Ads1115Settings, PrintedAndReadBack) {
  const std::string entry = with_channels(
      R"({"name": "Battery", "input": "A0", "multiplier": 11}, {"name": "Diff", "input": "A0-A1",)"
      R"( "gain": 0.512})");
  const Json printed = test::printed_sensor_entry(entry);
  EXPECT_EQ(printed.dump(),
            R"({"type":"ads1115","name":"Power","id":"power","interval":"1m","bus":1,)"
            R"("address":"0x48","channels":[{"name":"Battery","input":"A0","gain":4.096,)"
            R"("multiplier":11.0},{"name":"Diff","input":"A0-A1","gain":0.512,)"
            R"("multiplier":1.0}],"filters":[]})");
  const SensorConfig again = parse_sensor_entry(printed.dump());
  EXPECT_EQ(again.settings_as<Ads1115Settings>()->channels,
            parse_sensor_entry(entry).settings_as<Ads1115Settings>()->channels);
}

TEST(Ads1115Settings, MakesItsDriverWithOneEntityPerChannel) {
  const SensorConfig config = parse_sensor_entry(with_channels(
      R"({"name": "Battery", "input": "A0"}, {"name": "Solar panel", "input": "A1-A3"})"));
  const auto sensor = make_sensor(config);
  ASSERT_NE(sensor, nullptr);
  const auto& entities = sensor->entities();
  ASSERT_EQ(entities.size(), 2u);
  for (std::size_t i = 0; i < entities.size(); ++i) {
    EXPECT_EQ(entities[i].id, config.entities[i].id);
    EXPECT_EQ(entities[i].name, config.entities[i].name);
    EXPECT_EQ(entities[i].device_class, "voltage");
    EXPECT_EQ(entities[i].state_class, "measurement");
    EXPECT_EQ(entities[i].unit, "V");
    EXPECT_EQ(entities[i].display_precision, 4);  // 4.096 V: 125 µV steps
    EXPECT_EQ(entities[i].interval, seconds{60});
    EXPECT_THAT(ha::validate_entity(entities[i]), ::testing::IsEmpty()) << entities[i].id;
  }
  EXPECT_EQ(entities[1].id, "power_solar_panel");
}

}  // namespace
}  // namespace pimqttd::sensors
