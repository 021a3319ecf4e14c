#include "pimqttd/sensors/kernel_sensor.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "support/fake_sysfs.hpp"
#include "support/log_capture.hpp"
#include "support/recording_context.hpp"

namespace pimqttd::sensors {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::availability;
using test::published;
using Event = test::SensorEvent;
using test::FakeSysfs;
using test::ScriptedRead;

constexpr const char* kIio = "sys/bus/iio/devices";

// A channel read from one attribute, as is.
KernelChannel channel(const std::string& id, const std::string& file) {
  KernelChannel out;
  out.channel = file;
  out.info.id = id;
  out.info.name = id;
  out.read = [file](const fs::path& device, const ReadAttribute& read) {
    return read_number_attribute(read, device / file);
  };
  return out;
}

std::vector<std::string> list_inputs(const fs::path& device) {
  std::vector<std::string> out;
  for (const std::string& file : list_attributes(device)) {
    if (file.ends_with("_input")) out.push_back(file);
  }
  return out;
}

KernelSensorOptions dht_options(const fs::path& root) {
  KernelSensorOptions o;
  o.id = "dht";
  o.name = "DHT";
  o.root = root;
  o.selector = {DeviceSelector::By::name, "dht11", 0};
  o.interval = 40ms;
  o.retries = 2;
  o.retry_pause = 5ms;
  o.unavailable_after = 3;
  o.retry_min = 20ms;
  o.retry_max = 40ms;
  return o;
}

fs::path add_dht11(const FakeSysfs& sysfs, const std::string& entry = "iio:device0",
                   const std::string& temp = "23000\n") {
  return sysfs.add_device(kIio, entry, "platform/dht11@4/" + entry,
                          {{"name", "dht11\n"}, {"t_input", temp}, {"h_input", "41000\n"}});
}

KernelSensor dht_sensor(const FakeSysfs& sysfs, ScriptedRead& reads) {
  return KernelSensor(dht_options(sysfs.root()), kIioClass,
                      {channel("dht_t", "t_input"), channel("dht_h", "h_input")}, list_inputs,
                      reads.function());
}

TEST(KernelSensor, ReadsEveryChannelOnTheWorkerAndListsTheDevice) {
  const FakeSysfs sysfs;
  add_dht11(sysfs);
  ScriptedRead reads;
  test::RecordingContext context;
  KernelSensor sensor = dht_sensor(sysfs, reads);
  EXPECT_EQ(sensor.listings(), (std::vector<SensorListing>{{"dht_channels", {}}}));
  sensor.start(context);
  EXPECT_TRUE(context.events.empty());  // the reads are on the worker
  EXPECT_TRUE(sensor.reading());
  ASSERT_TRUE(context.run_publishes("dht_h", 1));
  EXPECT_EQ(context.events,
            (std::vector<Event>{availability("dht_t", true), published("dht_t", 23000.0),
                                availability("dht_h", true), published("dht_h", 41000.0)}));
  EXPECT_EQ(sensor.listings(),
            (std::vector<SensorListing>{{"dht_channels", {"h_input", "t_input"}}}));
  EXPECT_EQ(sensor.device(), sysfs.root() / kIio / "iio:device0");
  EXPECT_GT(sensor.max_read_duration().count(), 0);
  // Every interval.
  ASSERT_TRUE(context.run_publishes("dht_t", 2));
  sensor.stop();
}

TEST(KernelSensor, TransientFailuresAreRetriedWithinTheCycle) {
  const FakeSysfs sysfs;
  add_dht11(sysfs);
  ScriptedRead reads;
  reads.script("t_input", {EIO, ETIMEDOUT});
  test::LogCapture log;
  test::RecordingContext context;
  KernelSensor sensor = dht_sensor(sysfs, reads);
  sensor.start(context);
  ASSERT_TRUE(context.run_publishes("dht_t", 1));
  sensor.stop();
  EXPECT_EQ(reads.reads("t_input"), 3u);  // fail, fail, ok
  EXPECT_EQ(reads.reads("h_input"), 1u);  // read once: it did not fail
  EXPECT_EQ(context.of("dht_t"),
            (std::vector<Event>{availability("dht_t", true), published("dht_t", 23000.0)}));
  EXPECT_EQ(log.lines(), std::vector<std::string>{});  // nothing worth a warning
}

TEST(KernelSensor, UnavailableOnlyAfterConsecutiveFailedCyclesAndOnlyThatChannel) {
  const FakeSysfs sysfs;
  const fs::path device = add_dht11(sysfs);
  ScriptedRead reads;
  test::LogCapture log;
  test::RecordingContext context;
  KernelSensor sensor = dht_sensor(sysfs, reads);
  sensor.start(context);
  ASSERT_TRUE(context.run_publishes("dht_t", 1));
  reads.fail_always("t_input", EIO);
  const std::size_t before = reads.reads("t_input");
  ASSERT_TRUE(context.run_until([&] { return context.of("dht_t").back().type == Event::available; }));
  EXPECT_EQ(context.of("dht_t").back(), availability("dht_t", false));
  // Three cycles of three attempts each.
  EXPECT_EQ(reads.reads("t_input") - before, 9u);
  EXPECT_EQ(log.lines(), (std::vector<std::string>{
                             "warning dht_t: unavailable until it answers again: " +
                             (device / "t_input").string() + ": Input/output error"}));
  // The other channel went on publishing, and stayed available.
  ASSERT_TRUE(context.run_publishes("dht_h", 2));
  EXPECT_EQ(context.count(Event::available, "dht_h"), 1u);

  reads.fail_always("t_input", 0);
  ASSERT_TRUE(context.run_publishes("dht_t", 1));
  sensor.stop();
  const auto t = context.of("dht_t");
  ASSERT_GE(t.size(), 4u);
  EXPECT_EQ(std::vector<Event>(t.end() - 3, t.end()),
            (std::vector<Event>{availability("dht_t", false), availability("dht_t", true),
                                published("dht_t", 23000.0)}));
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[1].rfind("info dht_t: answering again after ", 0), 0u) << log.lines()[1];
}

TEST(KernelSensor, TwoFailedCyclesAreNotEnough) {
  const FakeSysfs sysfs;
  add_dht11(sysfs);
  ScriptedRead reads;
  // Two whole cycles fail (three attempts each), the third reads.
  reads.script("t_input", {EIO, ETIMEDOUT, EIO, EIO, EIO, ETIMEDOUT});
  test::LogCapture log;
  test::RecordingContext context;
  KernelSensor sensor = dht_sensor(sysfs, reads);
  sensor.start(context);
  ASSERT_TRUE(context.run_publishes("dht_t", 1));
  sensor.stop();
  EXPECT_EQ(reads.reads("t_input"), 7u);
  EXPECT_EQ(context.of("dht_t"),
            (std::vector<Event>{availability("dht_t", true), published("dht_t", 23000.0)}));
  EXPECT_EQ(context.count("dht_h"), 3u);
  EXPECT_EQ(log.lines(), std::vector<std::string>{});
}

TEST(KernelSensor, AMissingAttributeIsNotRetried) {
  const FakeSysfs sysfs;
  add_dht11(sysfs);
  ScriptedRead reads;
  KernelSensorOptions options = dht_options(sysfs.root());
  options.unavailable_after = 1;
  test::RecordingContext context;
  KernelSensor sensor(options, kIioClass, {channel("dht_x", "x_input")}, list_inputs,
                      reads.function());
  sensor.start(context);
  ASSERT_TRUE(context.run_until([&] { return !context.events.empty(); }));
  sensor.stop();
  EXPECT_EQ(context.events, (std::vector<Event>{availability("dht_x", false)}));
  EXPECT_EQ(reads.reads("x_input"), 1u);
}

TEST(KernelSensor, MissingDeviceMakesEveryEntityUnavailableUntilItAppears) {
  const FakeSysfs sysfs;
  sysfs.add_device(kIio, "iio:device0", "platform/x/iio:device0", {{"name", "bme680\n"}});
  ScriptedRead reads;
  test::LogCapture log;
  test::RecordingContext context;
  KernelSensor sensor = dht_sensor(sysfs, reads);
  sensor.start(context);
  ASSERT_TRUE(context.run_until([&] { return context.events.size() >= 2; }));
  EXPECT_EQ(context.events,
            (std::vector<Event>{availability("dht_t", false), availability("dht_h", false)}));
  EXPECT_EQ(log.lines(),
            (std::vector<std::string>{"warning dht: unavailable until it answers again: no IIO "
                                      "device named \"dht11\" under " +
                                      (sysfs.root() / kIio).string() +
                                      "; the IIO devices there are named \"bme680\""}));
  context.run_for(100ms);  // retried with back-off, without more events or log lines
  EXPECT_EQ(context.events.size(), 2u);
  EXPECT_EQ(log.lines().size(), 1u);

  add_dht11(sysfs, "iio:device1");
  ASSERT_TRUE(context.run_publishes("dht_h", 1));
  sensor.stop();
  EXPECT_EQ(context.events,
            (std::vector<Event>{availability("dht_t", false), availability("dht_h", false),
                                availability("dht_t", true), published("dht_t", 23000.0),
                                availability("dht_h", true), published("dht_h", 41000.0)}));
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[1].rfind("info dht: answering again after ", 0), 0u) << log.lines()[1];
}

TEST(KernelSensor, ARenumberedDeviceIsFoundAgainByItsName) {
  const FakeSysfs sysfs;
  const fs::path first = add_dht11(sysfs, "iio:device0", "20000\n");
  ScriptedRead reads;
  test::RecordingContext context;
  KernelSensor sensor = dht_sensor(sysfs, reads);
  sensor.start(context);
  ASSERT_TRUE(context.run_publishes("dht_t", 1));
  EXPECT_EQ(sensor.device(), first);

  // "Reboot": the device comes back under another number, with the same name.
  sysfs.remove_device(first);
  add_dht11(sysfs, "iio:device3", "25000\n");
  ASSERT_TRUE(context.run_until([&] { return context.values("dht_t").back() == Value{25000.0}; }));
  sensor.stop();
  EXPECT_EQ(sensor.device(), sysfs.root() / kIio / "iio:device3");
  EXPECT_EQ(context.count(Event::available, "dht_t"), 1u);  // never unavailable
}

TEST(KernelSensor, NothingAfterStopAndSafeDestructionWithAJobInFlight) {
  const FakeSysfs sysfs;
  add_dht11(sysfs);
  ScriptedRead reads;
  test::RecordingContext context;
  {
    KernelSensor sensor = dht_sensor(sysfs, reads);
    sensor.start(context);
    ASSERT_TRUE(context.run_publishes("dht_t", 2));
    sensor.stop();
    sensor.start(context);  // a job may still be in flight: the new run waits for it
    ASSERT_TRUE(context.run_publishes("dht_t", 1));
  }  // destroyed with a job possibly in flight
  ASSERT_TRUE(context.run_until([&] { return context.worker().pending() == 0; }));
  const std::size_t seen = context.events.size();
  context.run_for(100ms);
  EXPECT_EQ(context.events.size(), seen);
}

}  // namespace
}  // namespace pimqttd::sensors
