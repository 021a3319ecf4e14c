// --once: what read_once() collects from sensors that answer, fail, stay silent or are outputs.

#include "pimqttd/app/once.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "support/fake_sysfs.hpp"
#include "support/sensor_entry.hpp"

namespace pimqttd::app {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

/// A sensor whose entities answer on start: a reading, a failure, or nothing.
class ScriptedSensor final : public sensors::Sensor {
 public:
  struct Answer {
    sensors::EntityInfo entity;
    std::optional<sensors::Value> reading;  ///< none: unavailable, or silent
    bool silent = false;
  };
  /// `log` (optional, outlives the sensor) gets "start <first entity>" and "stop <first entity>".
  explicit ScriptedSensor(std::vector<Answer> answers, std::vector<std::string>* log = nullptr)
      : answers_(std::move(answers)), log_(log) {
    for (const Answer& answer : answers_) entities_.push_back(answer.entity);
  }
  const std::vector<sensors::EntityInfo>& entities() const override { return entities_; }
  void start(sensors::SensorContext& context) override {
    if (log_ != nullptr) log_->push_back("start " + entities_.front().id);
    for (const Answer& answer : answers_) {
      if (answer.reading) {
        context.publish(answer.entity.id, *answer.reading);
      } else if (!answer.silent) {
        context.set_available(answer.entity.id, false);
      }
    }
  }
  void stop() override {
    if (log_ != nullptr) log_->push_back("stop " + entities_.front().id);
  }

 private:
  std::vector<Answer> answers_;
  std::vector<std::string>* log_;
  std::vector<sensors::EntityInfo> entities_;
};

sensors::EntityInfo entity(std::string id, std::string unit = "", bool commandable = false) {
  sensors::EntityInfo info;
  info.id = std::move(id);
  info.unit = std::move(unit);
  info.commandable = commandable;
  return info;
}

class OnceTest : public testing::Test {
 protected:
  OnceResult read(std::chrono::milliseconds deadline = 5s) {
    return read_once(std::move(sensors_), loop_, worker_, deadline);
  }

  core::EventLoop loop_;
  core::Worker worker_{loop_};
  std::vector<std::unique_ptr<sensors::Sensor>> sensors_;
};

TEST_F(OnceTest, EveryReadingWithItsUnit) {
  sensors_.push_back(std::make_unique<ScriptedSensor>(std::vector<ScriptedSensor::Answer>{
      {entity("cpu_temperature", "°C"), 47.5}, {entity("door"), true}}));
  sensors_.push_back(std::make_unique<ScriptedSensor>(
      std::vector<ScriptedSensor::Answer>{{entity("hostname"), std::string("pi")}}));
  const OnceResult result = read();
  EXPECT_EQ(result.readings, (json{{"cpu_temperature", 47.5},
                                   {"cpu_temperature_unit", "°C"},
                                   {"door", true},
                                   {"hostname", "pi"}}));
  EXPECT_EQ(result.missing, 0);
  EXPECT_TRUE(result.outputs.empty());
}

TEST_F(OnceTest, NumbersAreRoundedToTheirDisplayPrecision) {
  sensors::EntityInfo temperature = entity("ds18b20", "°C");
  temperature.display_precision = 2;
  sensors::EntityInfo disk = entity("system_disk_used_root", "%");
  disk.display_precision = 1;
  sensors::EntityInfo value = entity("command");  // no display precision: as it came
  sensors_.push_back(std::make_unique<ScriptedSensor>(std::vector<ScriptedSensor::Answer>{
      {temperature, 21.5625}, {disk, 29.06795035954167}, {value, 0.1 + 0.2}}));
  const OnceResult result = read();
  EXPECT_EQ(result.readings.dump(),
            R"({"command":0.30000000000000004,"ds18b20":21.56,"ds18b20_unit":"°C",)"
            R"("system_disk_used_root":29.1,"system_disk_used_root_unit":"%"})");
}

TEST_F(OnceTest, AFailedEntityEndsTheWaitAndIsMissing) {
  sensors_.push_back(std::make_unique<ScriptedSensor>(
      std::vector<ScriptedSensor::Answer>{{entity("bme280_temperature", "°C"), std::nullopt}}));
  const auto before = std::chrono::steady_clock::now();
  const OnceResult result = read(10s);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s) << "a failure is an answer";
  EXPECT_EQ(result.readings, (json{{"bme280_temperature", nullptr}}));
  EXPECT_EQ(result.missing, 1);
}

TEST_F(OnceTest, ASilentEntityIsMissingAtTheDeadline) {
  sensors_.push_back(std::make_unique<ScriptedSensor>(std::vector<ScriptedSensor::Answer>{
      {entity("a"), 1.0}, {entity("silent"), std::nullopt, true}}));
  const OnceResult result = read(30ms);
  EXPECT_EQ(result.readings, (json{{"a", 1.0}, {"silent", nullptr}}));
  EXPECT_EQ(result.missing, 1);
}

TEST_F(OnceTest, OutputsAreNeitherStartedNorRead) {
  std::vector<std::string> log;
  sensors_.push_back(std::make_unique<ScriptedSensor>(
      std::vector<ScriptedSensor::Answer>{{entity("relay", "", true), true}}, &log));
  sensors_.push_back(std::make_unique<ScriptedSensor>(
      std::vector<ScriptedSensor::Answer>{{entity("meter"), 3.0}}, &log));
  const OnceResult result = read();
  EXPECT_EQ(result.outputs, std::vector<std::string>{"relay"});
  EXPECT_EQ(result.readings, (json{{"meter", 3.0}}));
  EXPECT_EQ(log, (std::vector<std::string>{"start meter", "stop meter"}));
}

TEST(Once, AKernelSensorListsWhatItsDeviceOffers) {
  // An IIO device offering three channels, of which the entry picked one.
  const test::FakeSysfs sysfs;
  sysfs.add_device("sys/bus/iio/devices", "iio:device0", "platform/i2c-1/1-0076/iio:device0",
                   {{"name", "bmp280\n"},
                    {"in_temp_input", "21250\n"},
                    {"in_pressure_input", "101.325\n"},
                    {"in_humidityrelative_input", "40000\n"}});
  const Config config = test::parse_sensor_entries(
      R"({"type": "iio", "name": "Weather", "device": "bmp280", "channels": ["temp"],
          "root": ")" + sysfs.root().string() + R"("})");
  const OnceResult result = read_once(config);
  EXPECT_EQ(result.readings, (json{{"weather_temp", 21.25},
                                   {"weather_temp_unit", "°C"},
                                   {"weather_channels",
                                    {"humidityrelative", "pressure", "temp"}}}));
  EXPECT_EQ(result.missing, 0);
}

}  // namespace
}  // namespace pimqttd::app
