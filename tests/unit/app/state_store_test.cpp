#include "pimqttd/app/state_store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "support/temp_dir.hpp"

namespace pimqttd::app {
namespace {

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(StateStore, SensorStateRoundTripsThroughItsFile) {
  test::TempDir dir;
  const StateStore store(dir.path());
  EXPECT_TRUE(store.load_sensor_state().empty());
  store.save_sensor_state({{"water", "1000"}, {"pump", "ON"}});
  EXPECT_EQ(read(dir / "sensors.json"),
            "{\n  \"values\": {\n    \"pump\": \"ON\",\n    \"water\": \"1000\"\n  },\n"
            "  \"version\": 1\n}\n");
  EXPECT_EQ(store.load_sensor_state(), (SensorState{{"pump", "ON"}, {"water", "1000"}}));
  EXPECT_FALSE(std::filesystem::exists(dir / "sensors.json.tmp"));
}

TEST(StateStore, ACorruptSensorStateFileReadsAsEmpty) {
  test::TempDir dir;
  std::ofstream(dir / "sensors.json") << "{\"values\": {\"water\": 12";
  EXPECT_TRUE(StateStore(dir.path()).load_sensor_state().empty());
  std::ofstream(dir / "sensors.json") << "{\"values\": {\"water\": 12}}";  // not text
  EXPECT_TRUE(StateStore(dir.path()).load_sensor_state().empty());
}

TEST(StateStore, WithoutADirectoryNothingIsKept) {
  const StateStore store{std::filesystem::path{}};
  store.save_sensor_state({{"water", "1"}});
  EXPECT_TRUE(store.load_sensor_state().empty());
}

TEST(SensorStateWriter, AnOlderSnapshotNeverOverwritesANewerOne) {
  test::TempDir dir;
  SensorStateWriter writer{StateStore(dir.path())};
  writer.write(2, {{"water", "20"}});
  writer.write(1, {{"water", "10"}});
  EXPECT_EQ(StateStore(dir.path()).load_sensor_state(), (SensorState{{"water", "20"}}));
  writer.write(3, {{"water", "30"}});
  EXPECT_EQ(StateStore(dir.path()).load_sensor_state(), (SensorState{{"water", "30"}}));
}

TEST(SensorStateWriter, AnUnwritableDirectoryThrows) {
  test::TempDir dir;
  SensorStateWriter writer{StateStore(dir / "state")};
  std::filesystem::remove_all(dir / "state");
  std::ofstream(dir / "state") << "a file, not a directory";
  EXPECT_THROW(writer.write(1, {{"water", "1"}}), std::system_error);
}

}  // namespace
}  // namespace pimqttd::app
