#include "sensors/ds18b20/ds18b20.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "support/gate.hpp"
#include "support/log_capture.hpp"
#include "support/recording_context.hpp"
#include "support/temp_dir.hpp"
#include "support/payloads.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using test::availability;
using Event = test::SensorEvent;
using test::published;
namespace fs = std::filesystem;

constexpr const char* kAddress = "28-0316a2794aff";

std::string w1_slave(const std::string& bytes, const std::string& crc, const std::string& t) {
  return bytes + " : crc=" + crc + " YES\n" + bytes + " t=" + t + "\n";
}

const std::string k23_125 = w1_slave("72 01 4b 46 7f ff 0e 10 57", "57", "23125");
const std::string k25_062 = w1_slave("91 01 4b 46 7f ff 0c 10 70", "70", "25062");
const std::string kPowerOn = w1_slave("50 05 4b 46 7f ff 0c 10 1c", "1c", "85000");

Ds18b20Options options(const fs::path& root, std::chrono::milliseconds interval = 60s) {
  Ds18b20Options o;
  o.id = "outdoor";
  o.name = "Outdoor";
  o.address = kAddress;
  o.root = root;
  o.interval = interval;
  o.retry_min = 20ms;
  o.retry_max = 40ms;
  return o;
}

// A fake sysfs tree with the thermometer's w1_slave file.
class FakeW1 {
 public:
  [[nodiscard]] const fs::path& root() const { return dir_.path(); }
  [[nodiscard]] fs::path file() const {
    return dir_.path() / "sys/bus/w1/devices" / kAddress / "w1_slave";
  }
  void write(const std::string& text) const {
    fs::create_directories(file().parent_path());
    std::ofstream(file(), std::ios::binary) << text;
  }
  void remove_device() const { fs::remove_all(file().parent_path()); }

 private:
  test::TempDir dir_{"pimqttd-ds18b20"};
};

// A read held by the gate, then 21.5 °C.
Ds18b20Sensor::Read gated_read(test::Gate& gate) {
  return [&gate] {
    gate.pass();
    hw::W1Reading reading;
    reading.millidegrees = 21500;
    return hw::W1Result(reading);
  };
}

// ---- entity -------------------------------------------------------------------------------------

TEST(Ds18b20, OneTemperatureEntityNamedAfterTheSensor) {
  const FakeW1 w1;
  const Ds18b20Sensor sensor(options(w1.root(), 30s));
  ASSERT_EQ(sensor.entities().size(), 1u);
  EntityInfo expected;
  expected.id = "outdoor";
  expected.name = "Outdoor";
  expected.platform = Platform::sensor;
  expected.device_class = "temperature";
  expected.state_class = "measurement";
  expected.unit = "°C";
  expected.display_precision = 2;
  expected.interval = 30s;
  EXPECT_EQ(sensor.entities()[0], expected);
  EXPECT_EQ(ds18b20_entity(options(w1.root(), 30s)), expected);
}

// ---- reading through the worker -----------------------------------------------------------------

TEST(Ds18b20, ReadsOnTheWorkerAndPublishes) {
  const FakeW1 w1;
  w1.write(k23_125);
  test::RecordingContext context;
  Ds18b20Sensor sensor(options(w1.root(), 50ms));
  sensor.start(context);
  // start() only submits the read: nothing has happened on the loop yet.
  EXPECT_TRUE(context.events.empty());
  EXPECT_TRUE(sensor.reading());
  ASSERT_TRUE(context.run_publishes("outdoor", 1));
  EXPECT_EQ(context.events, (std::vector<Event>{availability("outdoor", true), published("outdoor", 23.125)}));
  // Every interval: the next read sees the new file.
  w1.write(k25_062);
  ASSERT_TRUE(context.run_until([&] {
    const auto values = context.values("outdoor");
    return values.back() == Value{25.062};
  }));
  sensor.stop();
  EXPECT_EQ(context.of("outdoor").front(), availability("outdoor", true));
  EXPECT_EQ(context.of("outdoor").size(), context.count("outdoor") + 1);  // available only once
  // Published with two decimals: 23.125 °C (t=23125) and 25.0625 °C (t=25062).
  EXPECT_EQ(test::payload(context.values("outdoor").front(), sensor.entities()[0]), "23.13");
  EXPECT_EQ(test::payload(context.values("outdoor").back(), sensor.entities()[0]), "25.06");
}

TEST(Ds18b20, NothingAfterStop) {
  const FakeW1 w1;
  w1.write(k23_125);
  test::RecordingContext context;
  Ds18b20Sensor sensor(options(w1.root(), 20ms));
  sensor.start(context);
  ASSERT_TRUE(context.run_publishes("outdoor", 2));
  sensor.stop();
  // A read may still be on the worker: let it finish and its completion run.
  ASSERT_TRUE(context.run_until([&] { return context.worker().pending() == 0; }));
  const std::size_t seen = context.events.size();
  context.run_for(150ms);
  EXPECT_EQ(context.events.size(), seen);
  EXPECT_FALSE(sensor.reading());
}

// ---- faults -------------------------------------------------------------------------------------

TEST(Ds18b20, MissingDeviceIsUnavailableUntilItAppears) {
  const FakeW1 w1;
  test::LogCapture log;
  test::RecordingContext context;
  Ds18b20Sensor sensor(options(w1.root(), 60s));
  sensor.start(context);
  ASSERT_TRUE(context.run_until([&] { return !context.events.empty(); }));
  EXPECT_EQ(context.events, (std::vector<Event>{availability("outdoor", false)}));
  const std::string directory = (w1.root() / "sys/bus/w1/devices" / kAddress).string();
  EXPECT_EQ(log.lines(), (std::vector<std::string>{
                             "warning outdoor: unavailable until it answers again: " + directory +
                             ": no such 1-Wire device (1-Wire not enabled, or the sensor not "
                             "connected or not found yet)"}));
  // Retried (20 ms, 40 ms, 40 ms...) without another log line or availability change.
  context.run_for(150ms);
  EXPECT_EQ(context.events, (std::vector<Event>{availability("outdoor", false)}));
  EXPECT_EQ(log.lines().size(), 1u);

  w1.write(k23_125);
  ASSERT_TRUE(context.run_publishes("outdoor", 1));
  EXPECT_EQ(context.events,
            (std::vector<Event>{availability("outdoor", false), availability("outdoor", true),
                                published("outdoor", 23.125)}));
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[1].rfind("info outdoor: answering again after ", 0), 0u) << log.lines()[1];
}

TEST(Ds18b20, PowerOnValueAndBadCrcAreNotPublished) {
  const FakeW1 w1;
  w1.write(k23_125);
  test::LogCapture log;
  test::RecordingContext context;
  Ds18b20Sensor sensor(options(w1.root(), 20ms));
  sensor.start(context);
  ASSERT_TRUE(context.run_publishes("outdoor", 1));

  // The sensor lost power: 85 degC until its next conversion.
  w1.write(kPowerOn);
  ASSERT_TRUE(
      context.run_until([&] { return context.of("outdoor").back() == availability("outdoor", false); }));
  ASSERT_FALSE(log.lines().empty());
  EXPECT_EQ(log.lines().back(), "warning outdoor: unavailable until it answers again: " +
                                    w1.file().string() +
                                    ": 85 °C, the power-on value of the temperature register: "
                                    "the sensor has not completed a conversion since it was "
                                    "powered");
  // Then a CRC failure: a different reason, logged too.
  w1.write("ff ff ff ff ff ff ff ff ff : crc=c9 NO\n72 01 4b 46 7f ff 0e 10 57 t=-62\n");
  ASSERT_TRUE(context.run_until([&] {
    return log.lines().back().find("CRC check failed (crc=c9 NO)") != std::string::npos;
  }));
  w1.write(k25_062);
  ASSERT_TRUE(context.run_publishes("outdoor", 1));
  EXPECT_EQ(context.values("outdoor"), (std::vector<Value>{23.125, 25.062}));
  EXPECT_EQ(context.of("outdoor"),
            (std::vector<Event>{availability("outdoor", true), published("outdoor", 23.125),
                                availability("outdoor", false), availability("outdoor", true),
                                published("outdoor", 25.062)}));
}

// ---- one read at a time, stop with a read in flight ---------------------------------------------

TEST(Ds18b20, StopWithAReadInFlightDropsItsResult) {
  const FakeW1 w1;
  test::Gate gate;
  test::RecordingContext context;
  const test::OpenOnExit opener{gate};
  Ds18b20Sensor sensor(options(w1.root(), 20ms), gated_read(gate));
  sensor.start(context);
  ASSERT_TRUE(gate.wait_entered(1));
  sensor.stop();
  gate.open();
  ASSERT_TRUE(context.run_until([&] { return context.worker().pending() == 0; }));
  context.run_for(50ms);
  EXPECT_TRUE(context.events.empty());
  EXPECT_EQ(gate.passed(), 1);
  EXPECT_FALSE(sensor.reading());
}

TEST(Ds18b20, ARestartWaitsForTheReadStillInFlight) {
  const FakeW1 w1;
  test::Gate gate;
  test::RecordingContext context;
  const test::OpenOnExit opener{gate};
  Ds18b20Sensor sensor(options(w1.root(), 60s), gated_read(gate));
  sensor.start(context);
  ASSERT_TRUE(gate.wait_entered(1));
  sensor.stop();
  sensor.start(context);  // the first read is still blocked on the worker
  EXPECT_TRUE(sensor.reading());
  context.run_for(30ms);
  EXPECT_EQ(gate.passed(), 0);
  gate.open();
  // The stale read's result is dropped; the read the restart asked for follows it.
  ASSERT_TRUE(context.run_publishes("outdoor", 1));
  EXPECT_EQ(context.events, (std::vector<Event>{availability("outdoor", true), published("outdoor", 21.5)}));
  EXPECT_EQ(gate.passed(), 2);
  EXPECT_EQ(gate.max_inside(), 1);
}

TEST(Ds18b20, DestroyedWithAReadInFlight) {
  const FakeW1 w1;
  test::Gate gate;
  test::RecordingContext context;
  const test::OpenOnExit opener{gate};
  auto sensor = std::make_unique<Ds18b20Sensor>(options(w1.root(), 20ms), gated_read(gate));
  sensor->start(context);
  ASSERT_TRUE(gate.wait_entered(1));
  sensor.reset();
  gate.open();
  ASSERT_TRUE(context.run_until([&] { return context.worker().pending() == 0; }));
  EXPECT_TRUE(context.events.empty());
  EXPECT_EQ(gate.passed(), 1);
}

}  // namespace
}  // namespace pimqttd::sensors
