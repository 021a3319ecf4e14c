// The sensor types over devices the kernel drives (iio, hwmon) and the pwm_output type, through
// the real daemon process and a real mosquitto: their discovery components, their states with
// exact values, a filter on one of them, availability going offline and back when a file or a
// device goes and comes back, light commands written to the fake PWM channel before the state
// says so, and --once on the same configuration.
//
// The devices are fake sysfs trees (support/fake_sysfs.hpp, support/fake_pwm.hpp) given to the
// sensors as their `root`; the harness is support/daemon_harness.hpp.

#include "support/daemon_harness.hpp"
#include "support/fake_pwm.hpp"
#include "support/fake_sysfs.hpp"
#include "support/mqtt_sub.hpp"
#include "support/wait.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace pimqttd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kIioClass = "sys/bus/iio/devices";
constexpr const char* kHwmonClass = "sys/class/hwmon";
constexpr const char* kBme680 = "platform/soc/fe804000.i2c/i2c-1/1-0077/iio:device0";

const FakeSysfs::Files& bme680_files() {
  static const FakeSysfs::Files files = {{"name", "bme680\n"},
                                         {"in_temp_input", "23450\n"},
                                         {"in_pressure_input", "100.125\n"},
                                         {"in_humidityrelative_input", "45123\n"}};
  return files;
}

/// The entities of the configuration below and their first states (humidity rounded by its
/// filter).
const std::map<std::string, std::string>& first_states() {
  static const std::map<std::string, std::string> states = {
      {"weather_temp", "23.45"},
      {"air_pressure", "1001.25"},
      {"weather_humidityrelative", "45.1"},
      {"power_in0_lcrit_alarm", "OFF"},
      {"fan_fan1", "2950"},
      {"led", R"({"brightness":255,"state":"OFF"})"}};
  return states;
}

class KernelDevicesTest : public DaemonTest {
 protected:
  KernelDevicesTest() {
    iio_device_ = sysfs_.add_device(kIioClass, "iio:device0", kBme680, bme680_files());
    const fs::path volt = sysfs_.add_device(
        kHwmonClass, "hwmon0", "platform/soc/soc:firmware/raspberrypi-hwmon/hwmon/hwmon0",
        {{"name", "rpi_volt\n"}, {"in0_lcrit_alarm", "0\n"}});
    alarm_file_ = volt / "in0_lcrit_alarm";
    // pwm1 is no channel of the hwmon type: not announced.
    sysfs_.add_device(kHwmonClass, "hwmon1", "platform/cooling_fan/hwmon/hwmon1",
                      {{"name", "pwmfan\n"},
                       {"fan1_input", "2950\n"},
                       {"fan1_label", "Fan speed\n"},
                       {"pwm1", "128\n"}});
    const fs::path chip = pwm_.add_chip(0, "platform/soc/fe20c000.pwm", 2, "brcm,bcm2835-pwm");
    pwm_channel_ = pwm_.add_channel(chip, 0);
    export_file_ = chip / "export";
  }

  /// The iio weather station (one channel renamed, humidity rounded), the under-voltage alarm
  /// and the fan (every channel its device offers) on the fake sysfs tree, and an LED on the fake
  /// PWM tree; polled every second, unavailable after one failed cycle.
  [[nodiscard]] Json kernel_sensors() const {
    const std::string root = sysfs_.root().string();
    return Json::array(
        {Json{{"type", "iio"},
              {"name", "Weather"},
              {"device", "bme680"},
              {"channels",
               Json::array(
                   {"temp",
                    Json{{"channel", "pressure"}, {"id", "air_pressure"}, {"name", "Air pressure"}},
                    "humidityrelative"})},
              {"interval", "1s"},
              {"unavailable_after", 1},
              {"root", root},
              {"filters", Json{{"weather_humidityrelative", Json::array({Json{{"round", 1}}})}}}},
         Json{{"type", "hwmon"},
              {"name", "Power"},
              {"device", "rpi_volt"},
              {"channels", Json::array({"in0_lcrit_alarm"})},
              {"interval", "1s"},
              {"unavailable_after", 1},
              {"root", root}},
         Json{{"type", "hwmon"},
              {"name", "Fan"},
              {"device", "pwmfan"},
              {"interval", "1s"},
              {"root", root}},
         Json{{"type", "pwm_output"},
              {"name", "LED"},
              {"chip", "fe20c000.pwm"},
              {"root", pwm_.root().string()}}});
  }

  [[nodiscard]] std::string pwm_file(const std::string& name) const {
    return FakePwmTree::read(pwm_channel_ / name);
  }

  /// Brings the iio device back as the kernel would bind it: its files first, then its entry.
  void rebind_iio_device() const {
    const fs::path real = sysfs_.root() / "sys/devices" / kBme680;
    for (const auto& [name, text] : bme680_files()) write_text(real / name, text);
    fs::create_directory_symlink(real, iio_device_);
  }

  FakeSysfs sysfs_;
  FakePwmTree pwm_;
  fs::path iio_device_;
  fs::path alarm_file_;
  fs::path pwm_channel_;
  fs::path export_file_;
};

std::set<std::string> kernel_ids() {
  std::set<std::string> ids;
  for (const auto& [id, state] : first_states()) ids.insert(id);
  return ids;
}

/// Waits until the last payload received on `topic` is `payload`.
bool wait_for_last(const Subscriber& subscriber, const std::string& topic,
                   const std::string& payload) {
  return wait_until(
      [&] {
        const auto got = payloads(subscriber, topic);
        return !got.empty() && got.back() == payload;
      },
      kDeadline);
}

std::vector<Json> availability_of(const std::string& id) {
  return {{{"topic", kStatus}}, {{"topic", availability_topic(id)}}};
}

TEST_F(KernelDevicesTest, AnnouncesEveryEntityWithItsPlatformUnitAndClass) {
  write_config(config(broker_.port(), kernel_sensors()));
  auto all = subscribe();
  auto daemon = start_daemon();
  ASSERT_TRUE(wait_on(*all, kDiscovery, 1)) << logs();

  // Retained: a later subscriber gets the same payload.
  auto late = subscribe(kDiscovery);
  ASSERT_TRUE(late->wait_for_count(1, kDeadline)) << logs();
  EXPECT_EQ(late->lines()[0].payload, payloads(*all, kDiscovery)[0]);
  const Json discovery = Json::parse(late->lines()[0].payload);
  EXPECT_EQ(component_ids(discovery), with_diagnostics(kernel_ids())) << discovery.dump(2);
  const Json& cmps = discovery.at("cmps");

  EXPECT_EQ(cmps.at("weather_temp"), (Json{{"p", "sensor"},
                                           {"unique_id", "testpi_weather_temp"},
                                           {"default_entity_id", "sensor.testpi_weather_temp"},
                                           {"name", "Weather temperature"},
                                           {"state_topic", state_topic("weather_temp")},
                                           {"availability", availability_of("weather_temp")},
                                           {"availability_mode", "all"},
                                           {"device_class", "temperature"},
                                           {"state_class", "measurement"},
                                           {"unit_of_measurement", "°C"},
                                           {"suggested_display_precision", 2},
                                           {"expire_after", 3},
                                           {"qos", 1}}))
      << cmps.at("weather_temp").dump(2);

  // The renamed channel: its own id and name, the channel's metadata.
  const Json& pressure = cmps.at("air_pressure");
  EXPECT_EQ(pressure.at("unique_id"), "testpi_air_pressure");
  EXPECT_EQ(pressure.at("name"), "Air pressure");
  EXPECT_EQ(pressure.at("state_topic"), state_topic("air_pressure"));
  EXPECT_EQ(pressure.at("device_class"), "pressure");
  EXPECT_EQ(pressure.at("unit_of_measurement"), "hPa");
  EXPECT_EQ(pressure.at("state_class"), "measurement");
  EXPECT_EQ(pressure.at("expire_after"), 3);

  const Json& humidity = cmps.at("weather_humidityrelative");
  EXPECT_EQ(humidity.at("device_class"), "humidity");
  EXPECT_EQ(humidity.at("unit_of_measurement"), "%");
  EXPECT_EQ(humidity.at("expire_after"), 3);  // a round filter holds nothing back
  // ... and announces its decimals, not the channel's 2.
  EXPECT_EQ(humidity.at("suggested_display_precision"), 1);
  EXPECT_EQ(pressure.at("suggested_display_precision"), 2);

  EXPECT_EQ(cmps.at("power_in0_lcrit_alarm"),
            (Json{{"p", "binary_sensor"},
                  {"unique_id", "testpi_power_in0_lcrit_alarm"},
                  {"default_entity_id", "binary_sensor.testpi_power_in0_lcrit_alarm"},
                  {"name", "Power undervoltage"},
                  {"state_topic", state_topic("power_in0_lcrit_alarm")},
                  {"availability", availability_of("power_in0_lcrit_alarm")},
                  {"availability_mode", "all"},
                  {"device_class", "problem"},
                  {"expire_after", 3},
                  {"payload_on", "ON"},
                  {"payload_off", "OFF"},
                  {"qos", 1}}))
      << cmps.at("power_in0_lcrit_alarm").dump(2);

  // Found at load without `channels`: named after its label, in RPM, no device class.
  const Json& fan = cmps.at("fan_fan1");
  EXPECT_EQ(fan.at("p"), "sensor");
  EXPECT_EQ(fan.at("name"), "Fan speed");
  EXPECT_EQ(fan.at("unit_of_measurement"), "RPM");
  EXPECT_EQ(fan.at("state_class"), "measurement");
  EXPECT_EQ(fan.at("icon"), "mdi:fan");
  EXPECT_FALSE(fan.contains("device_class")) << fan.dump(2);

  EXPECT_EQ(cmps.at("led"), (Json{{"p", "light"},
                                  {"unique_id", "testpi_led"},
                                  {"default_entity_id", "light.testpi_led"},
                                  {"name", "LED"},
                                  {"schema", "json"},
                                  {"state_topic", state_topic("led")},
                                  {"availability", availability_of("led")},
                                  {"availability_mode", "all"},
                                  {"command_topic", "pimqttd/testpi/led/set"},
                                  {"brightness", true},
                                  {"brightness_scale", 255},
                                  {"supported_color_modes", Json::array({"brightness"})},
                                  {"qos", 1}}))
      << cmps.at("led").dump(2);

  // Every entity available, retained.
  auto retained = subscribe("pimqttd/testpi/+/availability");
  ASSERT_TRUE(wait_until(
      [&] {
        for (const std::string& id : kernel_ids()) {
          if (payloads(*retained, availability_topic(id)) != std::vector<std::string>{"online"}) {
            return false;
          }
        }
        return true;
      },
      kDeadline))
      << logs();
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

TEST_F(KernelDevicesTest, PublishesTheReadingsAndTracksAvailability) {
  write_config(config(broker_.port(), kernel_sensors()));
  auto all = subscribe();
  auto daemon = start_daemon();
  for (const auto& [id, state] : first_states()) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(wait_on(*all, state_topic(id), 1)) << logs();
    EXPECT_EQ(payloads(*all, state_topic(id))[0], state);
    ASSERT_TRUE(wait_for_payload(*all, availability_topic(id), "online")) << logs();
  }

  // The alarm raised.
  write_text(alarm_file_, "1\n");
  ASSERT_TRUE(wait_for_payload(*all, state_topic("power_in0_lcrit_alarm"), "ON")) << logs();

  // One channel's file gone: that entity alone goes unavailable (retained), the device's other
  // channels keep publishing.
  const fs::path temp_file = iio_device_ / "in_temp_input";
  fs::remove(temp_file);
  ASSERT_TRUE(wait_for_payload(*all, availability_topic("weather_temp"), "offline")) << logs();
  {
    auto late = subscribe(availability_topic("weather_temp"));
    ASSERT_TRUE(late->wait_for_count(1, kDeadline)) << logs();
    EXPECT_EQ(late->lines()[0].payload, "offline");
  }
  const std::size_t pressures = payloads(*all, state_topic("air_pressure")).size();
  ASSERT_TRUE(wait_on(*all, state_topic("air_pressure"), pressures + 2)) << logs();
  EXPECT_EQ(payloads(*all, availability_topic("air_pressure")), std::vector<std::string>{"online"});
  const std::size_t temps = payloads(*all, state_topic("weather_temp")).size();

  // Back, with a new value: available again and that value published.
  write_text(temp_file, "24125\n");
  ASSERT_TRUE(wait_for_payload(*all, availability_topic("weather_temp"), "online", 2)) << logs();
  ASSERT_TRUE(wait_for_payload(*all, state_topic("weather_temp"), "24.13")) << logs();
  EXPECT_EQ(payloads(*all, state_topic("weather_temp")).at(temps), "24.13");  // 24.125
  EXPECT_EQ(payloads(*all, availability_topic("weather_temp")),
            (std::vector<std::string>{"online", "offline", "online"}));

  // The whole device unbound: all its entities unavailable; bound again: all back.
  sysfs_.remove_device(iio_device_);
  for (const char* id : {"weather_temp", "air_pressure", "weather_humidityrelative"}) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(wait_for_last(*all, availability_topic(id), "offline")) << logs();
  }
  // The other devices are not affected.
  EXPECT_EQ(payloads(*all, availability_topic("fan_fan1")), std::vector<std::string>{"online"});
  const std::size_t humidities = payloads(*all, state_topic("weather_humidityrelative")).size();
  rebind_iio_device();
  for (const char* id : {"weather_temp", "air_pressure", "weather_humidityrelative"}) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(wait_for_last(*all, availability_topic(id), "online")) << logs();
  }
  ASSERT_TRUE(wait_on(*all, state_topic("weather_humidityrelative"), humidities + 1)) << logs();
  EXPECT_EQ(payloads(*all, state_topic("weather_humidityrelative")).at(humidities), "45.1");
  ASSERT_TRUE(wait_for_payload(*all, state_topic("weather_temp"), "23.45", 2)) << logs();
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

TEST_F(KernelDevicesTest, LightCommandsAreWrittenToTheChannelBeforeTheState) {
  write_config(config(broker_.port(), kernel_sensors()));
  auto all = subscribe();
  auto daemon = start_daemon();

  // Initially off: the channel set to 1000 Hz, duty 0, enabled.
  const std::string off = R"({"brightness":255,"state":"OFF"})";
  ASSERT_TRUE(wait_for_payload(*all, state_topic("led"), off)) << logs();
  EXPECT_EQ(pwm_file("period"), "1000000");
  EXPECT_EQ(pwm_file("duty_cycle"), "0\n");  // never written: it already held 0
  EXPECT_EQ(pwm_file("polarity"), "normal\n");
  EXPECT_EQ(pwm_file("enable"), "1");
  EXPECT_EQ(FakePwmTree::read(export_file_), "");  // pwm0/ was there: not exported again
  ASSERT_TRUE(wait_for_payload(*all, availability_topic("led"), "online")) << logs();

  // Brightness 128 of 255: 128 / 255 of the 1000000 ns period, 501960.78 rounded.
  PublishOptions on;
  on.port = broker_.port();
  on.topic = "pimqttd/testpi/led/set";
  on.payload = R"({"state":"ON","brightness":128})";
  on.qos = 1;
  ASSERT_TRUE(mosquitto_pub(on).success());
  const std::string on_state = R"({"brightness":128,"state":"ON"})";
  ASSERT_TRUE(wait_for_payload(*all, state_topic("led"), on_state)) << logs();
  // Read as soon as the state arrived: it was written before.
  EXPECT_EQ(pwm_file("duty_cycle"), "501961");
  EXPECT_EQ(pwm_file("enable"), "1");
  EXPECT_EQ(pwm_file("period"), "1000000");

  // Off keeps the brightness ON returns to; the duty cycle goes to 0.
  PublishOptions off_command = on;
  off_command.payload = R"({"state":"OFF"})";
  ASSERT_TRUE(mosquitto_pub(off_command).success());
  const std::string off_state = R"({"brightness":128,"state":"OFF"})";
  ASSERT_TRUE(wait_for_payload(*all, state_topic("led"), off_state)) << logs();
  EXPECT_EQ(pwm_file("duty_cycle"), "0");
  EXPECT_EQ(pwm_file("enable"), "1");
  EXPECT_EQ(payloads(*all, state_topic("led")),
            (std::vector<std::string>{off, on_state, off_state}));
  ASSERT_NO_FATAL_FAILURE(stop_daemon(daemon));
}

TEST_F(KernelDevicesTest, OnceReadsTheDevicesAndLeavesThePwmChannelAlone) {
  write_config(config(broker_.port(), kernel_sensors()));
  std::map<std::string, std::string> before;
  for (const char* file : {"period", "duty_cycle", "polarity", "enable"}) {
    before[file] = pwm_file(file);
  }
  const auto result = run({"--config", config_path().string(), "--once"});
  ASSERT_TRUE(result.status);
  EXPECT_EQ(*result.status, ExitStatus::exited(0)) << result.err;
  // Readings as the devices give them, rounded to their display precision as published
  // (humidity 45.123 to 45.12); filters belong to publishing (its round 1 is not applied).
  EXPECT_EQ(Json::parse(result.out),
            (Json{{"weather_temp", 23.45},
                  {"weather_temp_unit", "°C"},
                  {"air_pressure", 1001.25},
                  {"air_pressure_unit", "hPa"},
                  {"weather_humidityrelative", 45.12},
                  {"weather_humidityrelative_unit", "%"},
                  {"weather_channels", Json::array({"humidityrelative", "pressure", "temp"})},
                  {"power_in0_lcrit_alarm", false},
                  {"power_channels", Json::array({"in0_lcrit_alarm"})},
                  {"fan_fan1", 2950.0},
                  {"fan_fan1_unit", "RPM"},
                  {"fan_channels", Json::array({"fan1"})}}))
      << result.out;
  EXPECT_NE(result.err.find("pimqttd: led is an output: --once does not drive it\n"),
            std::string::npos)
      << result.err;
  for (const auto& [file, text] : before) EXPECT_EQ(pwm_file(file), text) << file;
  EXPECT_EQ(FakePwmTree::read(export_file_), "");
}

}  // namespace
}  // namespace pimqttd::test
