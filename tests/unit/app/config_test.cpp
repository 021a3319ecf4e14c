#include "pimqttd/app/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/core/file.hpp"
#include "sensors/system/system_config.hpp"
#include "support/temp_dir.hpp"

namespace pimqttd::app {
namespace {

using core::Presence;
using sensors::builtin_sensor_types;
using sensors::SensorParseContext;
using sensors::SensorSettings;
using sensors::SensorType;
using sensors::system_sensor_type;
using sensors::SystemSettings;

using std::chrono::milliseconds;
using std::chrono::seconds;
using Errors = std::vector<std::string>;
namespace fs = std::filesystem;

/// Every sensor type as the "expected one of" messages list them (the list itself is pinned in
/// sensor_config_test).
const std::string kTypes = [] {
  std::string out;
  for (const std::string& name : builtin_sensor_types().names()) {
    out += (out.empty() ? "\"" : ", \"") + name + "\"";
  }
  return out;
}();

LoadOptions test_options() {
  LoadOptions options;
  options.hostname = "testpi";
  return options;
}

Errors errors_of(const std::string& text, const LoadOptions& options = test_options()) {
  try {
    (void)parse_config(text, options);
  } catch (const ConfigError& error) {
    return error.errors();
  }
  return {};
}

void write_file(const fs::path& path, const std::string& text, fs::perms mode = fs::perms(0600)) {
  std::ofstream(path, std::ios::binary) << text;
  fs::permissions(path, mode);
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

fs::path examples_dir() { return fs::path(PIMQTTD_SOURCE_DIR) / "config"; }

// ---------------------------------------------------------------------------------------------
// Every bad configuration, pinned to its exact messages. "{dir}" stands for a scratch directory
// holding: "empty" (an empty file), "secret" (a password), "adir/" (a directory).

struct BadCase {
  const char* what;
  std::string config;
  Errors errors;
};

std::string mqtt(const std::string& members) {
  return R"({"mqtt": {"host": "broker", )" + members + "}}";
}

std::string sensors(const std::string& entries) {
  return R"({"mqtt": {"host": "broker"}, "sensors": [)" + entries + "]}";
}

const std::string kTopicExpected =
    "expected a topic name of at most 255 bytes without '+', '#', empty levels or a leading '$'";

std::vector<BadCase> bad_cases() {
  return {
      // The document
      {"empty document", "", {"config:1:1: the file is empty; expected an object"}},
      {"blank document", " \n\t\n", {"config:1:1: the file is empty; expected an object"}},
      {"syntax error",
       "{\n  \"mqtt\": {\n    \"host\" \"broker\"\n  }\n}",
       {"config:3:19: syntax error while parsing object separator - unexpected string literal; "
        "expected ':'"}},
      {"trailing comma",
       "{\"mqtt\": {\"host\": \"broker\",}}",
       {"config:1:28: syntax error while parsing object key - unexpected '}'; expected string "
        "literal"}},
      // Found by config_fuzz: nlohmann throws out_of_range, not parse_error, for these.
      {"number beyond a double",
       R"({"mqtt": {"host": "broker", "port": 1e400}})",
       {"config:1:37: number out of range: 1e400"}},
      {"number beyond a double on a later line",
       "{\"mqtt\": {\"host\": \"broker\"},\n \"sensors\": [-66666666666666666e6666666666]}",
       {"config:2:14: number out of range: -66666666666666666e6666666666"}},
      {"unterminated comment",
       "{\"mqtt\": {\"host\": \"broker\"}} /* no end",
       {"config:1:39: syntax error while parsing value - invalid comment; missing closing '*/'"}},
      {"top level not an object", "[]", {"(top level): expected an object, found an array"}},
      {"duplicate key", mqtt(R"("port": 1883, "port": 1884)"), {"mqtt.port: duplicate key"}},
      {"unknown top-level key",
       R"({"mqtt": {"host": "broker"}, "sensor": []})",
       {"sensor: unknown key, did you mean 'sensors'?"}},
      // mqtt
      {"missing mqtt", "{}", {"mqtt: required key missing"}},
      {"mqtt not an object",
       R"({"mqtt": "broker"})",
       {"mqtt: expected an object, found string \"broker\""}},
      {"missing broker", R"({"mqtt": {"port": 1883}})", {"mqtt.host: required key missing"}},
      {"host wrong type",
       R"({"mqtt": {"host": 5}})",
       {"mqtt.host: expected a string, found number 5"}},
      {"host is a URL",
       R"({"mqtt": {"host": "mqtt://broker:1883"}})",
       {"mqtt.host: expected a host name or IP address, found \"mqtt://broker:1883\""}},
      {"port too large",
       mqtt(R"("port": 70000)"),
       {"mqtt.port: expected an integer from 1 to 65535, found 70000"}},
      {"port zero",
       mqtt(R"("port": 0)"),
       {"mqtt.port: expected an integer from 1 to 65535, found 0"}},
      {"port as string",
       mqtt(R"("port": "1883")"),
       {"mqtt.port: expected an integer, found string \"1883\""}},
      {"port fractional",
       mqtt(R"("port": 1883.5)"),
       {"mqtt.port: expected an integer, found number 1883.5"}},
      {"misspelt key", mqtt(R"("prot": 1883)"), {"mqtt.prot: unknown key, did you mean 'port'?"}},
      {"unknown key, no hint", mqtt(R"("qos": 1)"), {"mqtt.qos: unknown key"}},
      {"non-identifier key", mqtt(R"("a b": 1)"), {"mqtt[\"a b\"]: unknown key"}},
      {"empty client id",
       mqtt(R"("client_id": "")"),
       {"mqtt.client_id: expected a non-empty string, found \"\""}},
      {"empty username",
       mqtt(R"("username": "")"),
       {"mqtt.username: expected a non-empty string, found \"\""}},
      {"keep-alive too long",
       mqtt(R"("keep_alive": 70000)"),
       {"mqtt.keep_alive: expected a duration in whole seconds from 0s to 65535s, found 70000"}},
      {"keep-alive fractional",
       mqtt(R"("keep_alive": "1.5s")"),
       {"mqtt.keep_alive: expected a duration in whole seconds from 0s to 65535s, found "
        "\"1.5s\""}},
      {"connect timeout zero",
       mqtt(R"("connect_timeout": "0s")"),
       {"mqtt.connect_timeout: expected a duration from 1s to 5m, found \"0s\""}},
      {"connect timeout nonsense",
       mqtt(R"("connect_timeout": "ten seconds")"),
       {"mqtt.connect_timeout: expected a duration (seconds, or a string such as \"500ms\", "
        "\"30s\", \"5m\", \"1h\"), found string \"ten seconds\""}},
      {"clean session not boolean",
       mqtt(R"("clean_session": "yes")"),
       {"mqtt.clean_session: expected true or false, found string \"yes\""}},
      {"back-off bounds crossed",
       mqtt(R"("backoff_initial": "10s", "backoff_max": "5s")"),
       {"mqtt.backoff_max: expected a duration not below backoff_initial (10s), found 5s"}},
      {"back-off initial above default max",
       mqtt(R"("backoff_initial": "5m")"),
       {"mqtt.backoff_initial: expected a duration not above backoff_max (1m), found 5m"}},
      {"outbox size zero",
       mqtt(R"("outbox_size": 0)"),
       {"mqtt.outbox_size: expected an integer from 1 to 1000000, found 0"}},
      {"base topic with trailing slash",
       mqtt(R"("base_topic": "pimqttd/")"),
       {"mqtt.base_topic: " + kTopicExpected + ", found \"pimqttd/\""}},
      {"base topic with wildcard",
       mqtt(R"("base_topic": "a/+/b")"),
       {"mqtt.base_topic: " + kTopicExpected + ", found \"a/+/b\""}},
      // Secrets
      {"password and password_file",
       mqtt(R"("username": "u", "password": "x", "password_file": "{dir}/secret")"),
       {"mqtt.password_file: cannot be used together with \"password\""}},
      {"password without username",
       mqtt(R"("password": "hunter2")"),
       {"mqtt.password: requires \"username\" (MQTT 3.1.1 sends a password only with a user "
        "name)"}},
      {"password_file without username",
       mqtt(R"("password_file": "{dir}/secret")"),
       {"mqtt.password_file: requires \"username\" (MQTT 3.1.1 sends a password only with a "
        "user name)"}},
      {"password of the wrong type is not echoed",
       mqtt(R"("username": "u", "password": 123456)"),
       {"mqtt.password: expected a string, found a number"}},
      {"password file missing",
       mqtt(R"("username": "u", "password_file": "{dir}/nope")"),
       {"mqtt.password_file: cannot read \"{dir}/nope\": No such file or directory"}},
      {"password file is a directory",
       mqtt(R"("username": "u", "password_file": "{dir}/adir")"),
       {"mqtt.password_file: cannot read \"{dir}/adir\": Is a directory"}},
      {"password file empty",
       mqtt(R"("username": "u", "password_file": "{dir}/empty")"),
       {"mqtt.password_file: \"{dir}/empty\" is empty"}},
      // TLS
      {"tls not an object",
       mqtt(R"("tls": "yes")"),
       {"mqtt.tls: expected true, false or an object, found string \"yes\""}},
      {"tls version unknown",
       mqtt(R"("tls": {"min_version": "1.1"})"),
       {"mqtt.tls.min_version: expected one of \"1.2\", \"1.3\", found \"1.1\"; did you mean "
        "\"1.2\"?"}},
      {"tls version as number",
       mqtt(R"("tls": {"max_version": 1.3})"),
       {"mqtt.tls.max_version: expected one of \"1.2\", \"1.3\", found number 1.3"}},
      {"tls versions crossed",
       mqtt(R"("tls": {"min_version": "1.3", "max_version": "1.2"})"),
       {"mqtt.tls.max_version: expected a version not below min_version (\"1.3\"), found "
        "\"1.2\""}},
      {"tls certificate without key",
       mqtt(R"("tls": {"cert_file": "client.pem"})"),
       {"mqtt.tls.key_file: required when \"cert_file\" is given"}},
      {"tls key without certificate",
       mqtt(R"("tls": {"key_file": "client.key"})"),
       {"mqtt.tls.cert_file: required when \"key_file\" is given"}},
      {"tls key password without key",
       mqtt(R"("tls": {"key_password_file": "pass"})"),
       {"mqtt.tls.key_password_file: needs \"key_file\""}},
      {"tls empty alpn",
       mqtt(R"("tls": {"alpn": ["mqtt", ""]})"),
       {"mqtt.tls.alpn[1]: expected a non-empty string of at most 255 bytes, found \"\""}},
      {"tls misspelt key",
       mqtt(R"("tls": {"cafile": "ca.pem"})"),
       {"mqtt.tls.cafile: unknown key, did you mean 'ca_file'?"}},
      {"tls insecure not boolean",
       mqtt(R"("tls": {"insecure": 1})"),
       {"mqtt.tls.insecure: expected true or false, found number 1"}},
      // device, homeassistant, logging
      {"device id with a space",
       R"({"device": {"id": "my pi"}, "mqtt": {"host": "broker"}})",
       {"device.id: expected 1 to 64 characters from [a-zA-Z0-9_-], found \"my pi\""}},
      {"device name wrong type",
       R"({"device": {"name": 5}, "mqtt": {"host": "broker"}})",
       {"device.name: expected a string, found number 5"}},
      {"device unknown key",
       R"({"device": {"area": "Kitchen"}, "mqtt": {"host": "broker"}})",
       {"device.area: unknown key"}},
      {"discovery prefix",
       R"({"mqtt": {"host": "broker"}, "homeassistant": {"discovery_prefix": "/ha"}})",
       {"homeassistant.discovery_prefix: " + kTopicExpected + ", found \"/ha\""}},
      {"status topic",
       R"({"mqtt": {"host": "broker"}, "homeassistant": {"status_topic": "$SYS/x"}})",
       {"homeassistant.status_topic: " + kTopicExpected + ", found \"$SYS/x\""}},
      {"re-announce delay too long",
       R"({"mqtt": {"host": "broker"}, "homeassistant": {"reannounce_delay_max": "10m"}})",
       {"homeassistant.reannounce_delay_max: expected a duration from 0s to 5m, found \"10m\""}},
      {"log level unknown",
       R"({"mqtt": {"host": "broker"}, "logging": {"level": "verbose"}})",
       {"logging.level: expected one of \"trace\", \"debug\", \"info\", \"warning\", \"error\", "
        "\"critical\", \"off\", found \"verbose\""}},
      {"log level misspelt",
       R"({"mqtt": {"host": "broker"}, "logging": {"level": "debgu"}})",
       {"logging.level: expected one of \"trace\", \"debug\", \"info\", \"warning\", \"error\", "
        "\"critical\", \"off\", found \"debgu\"; did you mean \"debug\"?"}},
      // sensors
      {"sensors not a list",
       R"({"mqtt": {"host": "broker"}, "sensors": {}})",
       {"sensors: expected an array, found an object"}},
      {"sensor not an object", sensors("5"), {"sensors[0]: expected an object, found number 5"}},
      {"sensor without type",
       sensors(R"({"name": "x"})"),
       {"sensors[0].type: required key missing"}},
      {"sensor type misspelt",
       sensors(R"({"type": "sytem", "bogus": 1})"),
       {"sensors[0].type: expected one of " + kTypes + ", found \"sytem\"; did you mean "
        "\"system\"?"}},
      {"sensor type unknown",
       sensors(R"({"type": "bogus"})"),
       {"sensors[0].type: expected one of " + kTypes + ", found \"bogus\""}},
      {"interval too short",
       sensors(R"({"type": "system", "interval": "0s"})"),
       {"sensors[0].interval: expected a duration from 1s to 1d, found \"0s\""}},
      {"interval too long",
       sensors(R"({"type": "system", "interval": "2d"})"),
       {"sensors[0].interval: expected a duration from 1s to 1d, found \"2d\""}},
      {"interval negative",
       sensors(R"({"type": "system", "interval": -5})"),
       {"sensors[0].interval: expected a duration from 1s to 1d, found -5"}},
      {"misspelt sensor key",
       sensors(R"({"type": "system", "name": "A"}, {"type": "system", "name": "B"},
                  {"type": "system", "name": "C", "intervall": 30})"),
       {"sensors[2].intervall: unknown key, did you mean 'interval'?"}},
      {"sensor id invalid",
       sensors(R"({"type": "system", "id": "CPU"})"),
       {"sensors[0].id: expected 1 to 64 characters from [a-z0-9_], found \"CPU\""}},
      {"sensor name without letters",
       sensors(R"({"type": "system", "name": "\u00b0\u00b0"})"),
       {"sensors[0].name: expected a name with at least one ASCII letter or digit (or an "
        "explicit \"id\"), found \"\u00b0\u00b0\""}},
      {"duplicate sensor ids",
       sensors(R"({"type": "system"}, {"type": "system", "name": "SYSTEM"})"),
       {"sensors[1].name: sensor id \"system\" is already used by sensors[0]"}},
      {"duplicate entity ids",
       sensors(R"({"type": "system", "id": "x_disk_used"},
                  {"type": "system", "id": "x",
                   "metrics": {"disk": {"mounts": ["/cpu/temperature"]}}})"),
       {"sensors[1].id: entity id \"x_disk_used_cpu_temperature\" is already used by sensors[0]"}},
  };
}

TEST(ConfigErrors, EveryBadConfigIsPinnedToItsMessages) {
  const test::TempDir dir("pimqttd-config");
  write_file(dir / "empty", "");
  write_file(dir / "secret", "s3cret\n");
  fs::create_directory(dir / "adir");
  const std::string base = dir.path().string();
  const auto cases = bad_cases();
  EXPECT_GE(cases.size(), 35u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Errors expected;
    for (const auto& e : c.errors) expected.push_back(replace_all(e, "{dir}", base));
    EXPECT_EQ(errors_of(replace_all(c.config, "{dir}", base)), expected);
  }
}

TEST(ConfigErrors, AllReportedAtOnceInDocumentOrder) {
  // Written in an order that differs from the order the parser reads sections in.
  const std::string text = R"({
    "sensors": [{"type": "system", "intervall": 30}],
    "logging": {"level": "loud"},
    "mqtt": {"port": 0, "host": "broker"}
  })";
  EXPECT_EQ(errors_of(text),
            (Errors{"sensors[0].intervall: unknown key, did you mean 'interval'?",
                    "logging.level: expected one of \"trace\", \"debug\", \"info\", \"warning\", "
                    "\"error\", \"critical\", \"off\", found \"loud\"",
                    "mqtt.port: expected an integer from 1 to 65535, found 0"}));
  try {
    (void)parse_config(text, test_options());
    FAIL() << "no ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              error.errors()[0] + "\n" + error.errors()[1] + "\n" + error.errors()[2]);
  }
}

TEST(ConfigErrors, MissingKeysComeAfterTheirObjectsOtherErrors) {
  EXPECT_EQ(
      errors_of(R"({"mqtt": {"port": "x", "tls": {"alpn": 1}}, "logging": 3})"),
      (Errors{"mqtt.port: expected an integer, found string \"x\"",
              "mqtt.tls.alpn: expected an array of strings, found number 1",
              "mqtt.host: required key missing", "logging: expected an object, found number 3"}));
}

TEST(ConfigErrors, DuplicateKeysAreFoundAtAnyDepth) {
  EXPECT_EQ(errors_of(R"({"mqtt": {"host": "a"}, "sensors": [{"type": "system",
                          "metrics": {"load": true, "load": false}}], "mqtt": {"host": "b"}})"),
            (Errors{"mqtt: duplicate key", "sensors[0].metrics.load: duplicate key"}));
}

TEST(ConfigErrors, SyntaxErrorNeverEchoesThePassword) {
  const Errors errors = errors_of("{\"mqtt\": {\"host\": \"b\", \"password\": \"hunter2\n\"}}");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].find("hunter2"), std::string::npos) << errors[0];
  EXPECT_EQ(errors[0].rfind("config:1:", 0), 0u) << errors[0];
}

TEST(ConfigErrors, TwoEntriesCannotShareAChipOrALine) {
  EXPECT_EQ(errors_of(sensors(R"({"type": "bme280", "name": "a"},
                                 {"type": "sht4x", "name": "b"},
                                 {"type": "bmp280", "name": "c", "address": 118},
                                 {"type": "bmp280", "name": "d", "bus": 0, "address": 118},
                                 {"type": "ads1115", "name": "e", "address": "0x48",
                                  "channels": [{"name": "x", "input": "A0"}]},
                                 {"type": "ads1115", "name": "f",
                                  "channels": [{"name": "y", "input": "A1"}]},
                                 {"type": "gpio_input", "name": "g", "line": "GPIO17"},
                                 {"type": "gpio_counter", "name": "h", "line": "GPIO17"},
                                 {"type": "gpio_output", "name": "i", "chip": "gpiochip0",
                                  "line": 17},
                                 {"type": "ds18b20", "name": "j", "address": "28-0316a2794aff"},
                                 {"type": "ds18b20", "name": "k", "address": "28-0316A2794AFF"})")),
            (Errors{"sensors[2].address: I2C address 0x76 on bus 1 is already used by sensors[0]",
                    "sensors[5].address: I2C address 0x48 on bus 1 is already used by sensors[4]",
                    "sensors[7].line: GPIO line GPIO17 is already used by sensors[6]",
                    "sensors[10].address: 1-Wire device 28-0316a2794aff is already used by "
                    "sensors[9]"}));
  // An entry with an error of its own holds defaults, which are not compared: one error only.
  EXPECT_EQ(errors_of(sensors(R"({"type": "bme280", "name": "a"},
                                 {"type": "bme280", "name": "b", "address": "0x78"})")),
            (Errors{"sensors[1].address: expected one of 0x76, 0x77, found string \"0x78\""}));
}

TEST(ConfigErrors, UnknownTypeHidesTheEntrysOtherKeys) {
  // Without a known type its keys cannot be judged: only the type is reported.
  EXPECT_EQ(errors_of(sensors(R"({"type": "gpio", "pin": 4, "name": 5})")),
            (Errors{"sensors[0].type: expected one of " + kTypes + ", found \"gpio\""}));
}

// ---------------------------------------------------------------------------------------------
// Defaults and values

TEST(Config, DefaultsFilledIn) {
  const Config config = parse_config(R"({"mqtt": {"host": "homeassistant"}})", test_options());
  EXPECT_EQ(config.device.name, "testpi");
  EXPECT_EQ(config.device.id, "testpi");
  EXPECT_EQ(config.device.suggested_area, std::nullopt);
  const MqttConfig& m = config.mqtt;
  EXPECT_EQ(m.host, "homeassistant");
  EXPECT_EQ(m.port, 1883);
  EXPECT_EQ(m.client_id, "pimqttd-testpi");
  EXPECT_EQ(m.username, std::nullopt);
  EXPECT_EQ(m.password, std::nullopt);
  EXPECT_EQ(m.password_source, PasswordSource::none);
  EXPECT_EQ(m.keep_alive, seconds{60});
  EXPECT_EQ(m.connect_timeout, seconds{10});
  EXPECT_TRUE(m.clean_session);
  EXPECT_EQ(m.backoff_initial, seconds{1});
  EXPECT_EQ(m.backoff_max, seconds{60});
  EXPECT_EQ(m.outbox_size, 1000u);
  EXPECT_EQ(m.base_topic, "pimqttd");
  EXPECT_FALSE(m.tls.enabled);
  EXPECT_FALSE(m.tls.insecure);
  EXPECT_EQ(m.tls.min_version, TlsVersion::v1_2);
  EXPECT_EQ(m.tls.max_version, std::nullopt);
  EXPECT_TRUE(m.tls.alpn.empty());
  EXPECT_EQ(config.homeassistant.discovery_prefix, "homeassistant");
  EXPECT_EQ(config.homeassistant.status_topic, "homeassistant/status");
  EXPECT_EQ(config.homeassistant.reannounce_delay_max, seconds{5});
  EXPECT_EQ(config.logging.level, LogLevel::info);
  EXPECT_TRUE(config.sensors.empty());
  EXPECT_TRUE(config.warnings.empty());
}

TEST(Config, EveryValueRead) {
  const Config config = parse_config(R"({
    "device": {"name": "Kitchen Pi", "id": "kitchen-pi", "suggested_area": "Kitchen"},
    "mqtt": {"host": "10.0.0.2", "port": 1884, "client_id": "me", "username": "u",
             "password": "p", "keep_alive": "2m", "connect_timeout": 2.5, "clean_session": false,
             "backoff_initial": "500ms", "backoff_max": "1h", "outbox_size": 50,
             "base_topic": "home/pis"},
    "homeassistant": {"discovery_prefix": "ha", "status_topic": "ha/status",
                      "reannounce_delay_max": 0},
    "logging": {"level": "debug"}
  })",
                                     test_options());
  EXPECT_EQ(config.device.name, "Kitchen Pi");
  EXPECT_EQ(config.device.id, "kitchen-pi");
  EXPECT_EQ(config.device.suggested_area, "Kitchen");
  EXPECT_EQ(config.mqtt.host, "10.0.0.2");
  EXPECT_EQ(config.mqtt.port, 1884);
  EXPECT_EQ(config.mqtt.client_id, "me");
  EXPECT_EQ(config.mqtt.username, "u");
  EXPECT_EQ(config.mqtt.password, "p");
  EXPECT_EQ(config.mqtt.password_source, PasswordSource::inline_value);
  EXPECT_EQ(config.mqtt.keep_alive, seconds{120});
  EXPECT_EQ(config.mqtt.connect_timeout, milliseconds{2'500});
  EXPECT_FALSE(config.mqtt.clean_session);
  EXPECT_EQ(config.mqtt.backoff_initial, milliseconds{500});
  EXPECT_EQ(config.mqtt.backoff_max, std::chrono::hours{1});
  EXPECT_EQ(config.mqtt.outbox_size, 50u);
  EXPECT_EQ(config.mqtt.base_topic, "home/pis");
  EXPECT_EQ(config.homeassistant.discovery_prefix, "ha");
  EXPECT_EQ(config.homeassistant.status_topic, "ha/status");
  EXPECT_EQ(config.homeassistant.reannounce_delay_max, milliseconds{0});
  EXPECT_EQ(config.logging.level, LogLevel::debug);
}

TEST(Config, NullMeansDefault) {
  const Config config = parse_config(
      R"({"device": {"id": null}, "mqtt": {"host": "b", "port": null, "tls": null},
          "sensors": null})",
      test_options());
  EXPECT_EQ(config.device.id, "testpi");
  EXPECT_EQ(config.mqtt.port, 1883);
  EXPECT_FALSE(config.mqtt.tls.enabled);
}

TEST(Config, CommentsAccepted) {
  const Config config = parse_config(R"(// leading comment
    {
      /* block
         comment */
      "mqtt": {
        "host": "broker", // trailing comment
        "port": /* inline */ 1884
      }
    })",
                                     test_options());
  EXPECT_EQ(config.mqtt.port, 1884);
}

TEST(Config, TlsDefaultsAndPort) {
  const auto load = [](const std::string& tls) {
    return parse_config(R"({"mqtt": {"host": "broker", "tls": )" + tls + "}}", test_options());
  };
  EXPECT_EQ(load("true").mqtt.port, 8883);
  EXPECT_TRUE(load("true").mqtt.tls.enabled);
  EXPECT_EQ(load("{}").mqtt.port, 8883);
  EXPECT_EQ(load("false").mqtt.port, 1883);
  EXPECT_EQ(load(R"({"enabled": false})").mqtt.port, 1883);
  EXPECT_EQ(parse_config(R"({"mqtt": {"host": "b", "port": 1883, "tls": true}})", test_options())
                .mqtt.port,
            1883);

  LoadOptions options = test_options();
  options.base_directory = "/etc/pimqttd";
  const Config config = parse_config(R"({"mqtt": {"host": "broker", "tls": {
      "ca_file": "ca.pem", "ca_path": "/etc/ssl/certs", "cert_file": "c.pem", "key_file": "c.key",
      "key_password_file": "pass", "insecure": true, "alpn": ["mqtt", "x-amzn-mqtt-ca"],
      "min_version": "1.3", "max_version": "1.3", "server_name": "broker.example"}}})",
                                     options);
  const TlsConfig& tls = config.mqtt.tls;
  EXPECT_TRUE(tls.enabled);
  EXPECT_EQ(tls.ca_file, fs::path("/etc/pimqttd/ca.pem"));
  EXPECT_EQ(tls.ca_path, fs::path("/etc/ssl/certs"));
  EXPECT_EQ(tls.cert_file, fs::path("/etc/pimqttd/c.pem"));
  EXPECT_EQ(tls.key_file, fs::path("/etc/pimqttd/c.key"));
  EXPECT_EQ(tls.key_password_file, fs::path("/etc/pimqttd/pass"));
  EXPECT_TRUE(tls.insecure);
  EXPECT_EQ(tls.alpn, (std::vector<std::string>{"mqtt", "x-amzn-mqtt-ca"}));
  EXPECT_EQ(tls.min_version, TlsVersion::v1_3);
  EXPECT_EQ(tls.max_version, TlsVersion::v1_3);
  EXPECT_EQ(tls.server_name, "broker.example");
  EXPECT_EQ(config.warnings,
            (Errors{"mqtt.tls.insecure: the broker's certificate and name are not verified"}));
}

TEST(Config, HostnameReducedForTheDefaultDeviceId) {
  EXPECT_EQ(reduce_hostname("kitchen-pi"), "kitchen-pi");
  EXPECT_EQ(reduce_hostname("kitchen-pi.fritz.box"), "kitchen-pi");
  EXPECT_EQ(reduce_hostname("my pi_2!"), "mypi_2");
  EXPECT_EQ(reduce_hostname("K\xc3\xbc"
                            "che"),
            "Kche");
  EXPECT_EQ(reduce_hostname(""), "pimqttd");
  EXPECT_EQ(reduce_hostname("!!!"), "pimqttd");
  EXPECT_EQ(reduce_hostname(".local"), "pimqttd");
  EXPECT_EQ(reduce_hostname(std::string(80, 'a')), std::string(64, 'a'));

  LoadOptions options = test_options();
  options.hostname = "Kitchen Pi.lan";
  const Config config = parse_config(R"({"mqtt": {"host": "broker"}})", options);
  EXPECT_EQ(config.device.id, "KitchenPi");
  EXPECT_EQ(config.device.name, "Kitchen Pi");
  EXPECT_EQ(config.mqtt.client_id, "pimqttd-KitchenPi");
  options.hostname = "";
  EXPECT_EQ(parse_config(R"({"mqtt": {"host": "broker"}})", options).device.name, "pimqttd");
}

TEST(Config, OptionsFromTheEnvironment) {
  ASSERT_EQ(::setenv("CREDENTIALS_DIRECTORY", "/run/credentials/pimqttd.service", 1), 0);
  LoadOptions options = LoadOptions::from_environment();
  EXPECT_EQ(options.credentials_directory, fs::path("/run/credentials/pimqttd.service"));
  EXPECT_FALSE(options.hostname.empty());
  EXPECT_EQ(options.sensor_types, nullptr);
  ASSERT_EQ(::unsetenv("CREDENTIALS_DIRECTORY"), 0);
  EXPECT_EQ(LoadOptions::from_environment().credentials_directory, std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Secrets

TEST(ConfigSecrets, PasswordFileRead) {
  const test::TempDir dir("pimqttd-config");
  write_file(dir / "lf", "s3cret\n");
  write_file(dir / "crlf", "s3cret\r\n");
  write_file(dir / "bare", "two\nlines");
  const auto password = [&](const std::string& name) {
    const Config config =
        parse_config(mqtt(R"("username": "u", "password_file": ")" + (dir / name).string() + "\""),
                     test_options());
    EXPECT_EQ(config.mqtt.password_source, PasswordSource::file);
    EXPECT_EQ(config.mqtt.password_file, dir / name);
    EXPECT_TRUE(config.warnings.empty());
    return config.mqtt.password.value_or("<none>");
  };
  EXPECT_EQ(password("lf"), "s3cret");
  EXPECT_EQ(password("crlf"), "s3cret");
  EXPECT_EQ(password("bare"), "two\nlines");
}

TEST(ConfigSecrets, RelativePasswordFileIsNextToTheConfig) {
  const test::TempDir dir("pimqttd-config");
  write_file(dir / "mqtt-password", "s3cret\n");
  write_file(dir / "config.json", mqtt(R"("username": "u", "password_file": "mqtt-password")"));
  const Config config = load_config(dir / "config.json", test_options());
  EXPECT_EQ(config.mqtt.password, "s3cret");
  EXPECT_EQ(config.mqtt.password_file, dir / "mqtt-password");
}

TEST(ConfigSecrets, WorldReadablePasswordFileWarns) {
  const test::TempDir dir("pimqttd-config");
  write_file(dir / "secret", "s3cret", fs::perms(0644));
  const Config config = parse_config(
      mqtt(R"("username": "u", "password_file": ")" + (dir / "secret").string() + "\""),
      test_options());
  EXPECT_EQ(config.warnings, (Errors{"mqtt.password_file: \"" + (dir / "secret").string() +
                                     "\" is readable by every user (chmod o-r)"}));
}

TEST(ConfigSecrets, InlinePasswordInAWorldReadableFileWarns) {
  const std::string text = mqtt(R"("username": "u", "password": "hunter2")");
  LoadOptions options = test_options();
  options.source_name = "/etc/pimqttd/config.json";
  options.file_mode = fs::perms(0644);
  const std::string warning =
      "/etc/pimqttd/config.json: holds mqtt.password and is readable by every user; use "
      "\"password_file\" or the systemd credential \"mqtt-password\" instead, or chmod o-r the "
      "file";
  EXPECT_EQ(parse_config(text, options).warnings, (Errors{warning}));
  options.file_mode = fs::perms(0640);
  EXPECT_TRUE(parse_config(text, options).warnings.empty());
  options.file_mode.reset();
  EXPECT_TRUE(parse_config(text, options).warnings.empty());

  // load_config takes the mode from the file itself.
  const test::TempDir dir("pimqttd-config");
  write_file(dir / "config.json", text, fs::perms(0644));
  const Config loaded = load_config(dir / "config.json", test_options());
  ASSERT_EQ(loaded.warnings.size(), 1u);
  EXPECT_EQ(loaded.warnings[0].rfind((dir / "config.json").string() + ": holds mqtt.password", 0),
            0u);
  write_file(dir / "config.json", text, fs::perms(0600));
  EXPECT_TRUE(load_config(dir / "config.json", test_options()).warnings.empty());
}

TEST(ConfigSecrets, SystemdCredential) {
  const test::TempDir dir("pimqttd-config");
  fs::create_directory(dir / "creds");
  write_file(dir / "creds" / "mqtt-password", "from-credential\n");
  write_file(dir / "secret", "from-file\n");
  LoadOptions options = test_options();
  options.credentials_directory = dir / "creds";

  Config config = parse_config(mqtt(R"("username": "u")"), options);
  EXPECT_EQ(config.mqtt.password, "from-credential");
  EXPECT_EQ(config.mqtt.password_source, PasswordSource::credential);
  EXPECT_EQ(config.mqtt.password_file, dir / "creds" / "mqtt-password");

  // An explicit password or password_file wins.
  config = parse_config(
      mqtt(R"("username": "u", "password_file": ")" + (dir / "secret").string() + "\""), options);
  EXPECT_EQ(config.mqtt.password, "from-file");
  config = parse_config(mqtt(R"("username": "u", "password": "inline")"), options);
  EXPECT_EQ(config.mqtt.password, "inline");

  // Without a user name the credential is not used.
  config = parse_config(mqtt(R"("port": 1883)"), options);
  EXPECT_EQ(config.mqtt.password, std::nullopt);
  EXPECT_EQ(config.warnings,
            (Errors{"mqtt.username is not set, so the systemd credential \"mqtt-password\" is not "
                    "used"}));

  // No credential of that name: no password, no complaint.
  options.credentials_directory = dir.path();
  config = parse_config(mqtt(R"("username": "u")"), options);
  EXPECT_EQ(config.mqtt.password, std::nullopt);
  EXPECT_TRUE(config.warnings.empty());

  // A credential that cannot be read.
  fs::create_directory(dir / "bad");
  fs::create_directory(dir / "bad" / "mqtt-password");
  options.credentials_directory = dir / "bad";
  EXPECT_EQ(errors_of(mqtt(R"("username": "u")"), options),
            (Errors{"mqtt: systemd credential: cannot read \"" +
                    (dir / "bad" / "mqtt-password").string() + "\": Is a directory"}));
}

TEST(ConfigSecrets, PrintConfigHidesThePassword) {
  const Config config =
      parse_config(mqtt(R"("username": "u", "password": "hunter2")"), test_options());
  const std::string text = to_json_text(config);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  const Json printed = Json::parse(text);
  EXPECT_EQ(printed["mqtt"]["password"], "***");
  EXPECT_EQ(printed["mqtt"]["username"], "u");
  EXPECT_TRUE(printed["mqtt"]["password_file"].is_null());

  const test::TempDir dir("pimqttd-config");
  write_file(dir / "secret", "hunter2\n");
  const Config from_file = parse_config(
      mqtt(R"("username": "u", "password_file": ")" + (dir / "secret").string() + "\""),
      test_options());
  const std::string file_text = to_json_text(from_file);
  EXPECT_EQ(file_text.find("hunter2"), std::string::npos);
  EXPECT_TRUE(Json::parse(file_text)["mqtt"]["password"].is_null());
  EXPECT_EQ(Json::parse(file_text)["mqtt"]["password_file"], (dir / "secret").string());
}

// ---------------------------------------------------------------------------------------------
// Printing

TEST(ConfigPrint, EveryDefaultFilledIn) {
  const Config config =
      parse_config(R"({"mqtt": {"host": "homeassistant"}, "sensors": [{"type": "system",
                       "metrics": {"cpu_usage": {"interval": "10s"}}}]})",
                   test_options());
  const std::string expected = R"({
  "device": {
    "name": "testpi",
    "id": "testpi",
    "suggested_area": null
  },
  "mqtt": {
    "host": "homeassistant",
    "port": 1883,
    "client_id": "pimqttd-testpi",
    "username": null,
    "password": null,
    "password_file": null,
    "keep_alive": "1m",
    "connect_timeout": "10s",
    "clean_session": true,
    "backoff_initial": "1s",
    "backoff_max": "1m",
    "outbox_size": 1000,
    "base_topic": "pimqttd",
    "tls": {
      "enabled": false,
      "ca_file": null,
      "ca_path": null,
      "cert_file": null,
      "key_file": null,
      "key_password_file": null,
      "insecure": false,
      "alpn": [],
      "min_version": "1.2",
      "max_version": null,
      "server_name": null
    }
  },
  "homeassistant": {
    "discovery_prefix": "homeassistant",
    "status_topic": "homeassistant/status",
    "reannounce_delay_max": "5s"
  },
  "logging": {
    "level": "info"
  },
  "sensors": [
    {
      "type": "system",
      "name": "System",
      "id": "system",
      "interval": "1m",
      "root": "/",
      "metrics": {
        "cpu_temperature": {
          "enabled": true,
          "interval": "1m",
          "zone": 0
        },
        "cpu_usage": {
          "enabled": true,
          "interval": "10s"
        },
        "load": {
          "enabled": true,
          "interval": "1m"
        },
        "memory": {
          "enabled": true,
          "interval": "1m"
        },
        "swap": {
          "enabled": true,
          "interval": "1m"
        },
        "disk": {
          "enabled": true,
          "interval": "1m",
          "mounts": [
            "/"
          ]
        },
        "uptime": {
          "enabled": true,
          "interval": "1m"
        },
        "network": {
          "enabled": false,
          "interval": "1m",
          "interfaces": []
        },
        "wifi": {
          "enabled": false,
          "interval": "1m",
          "interfaces": []
        },
        "throttled": {
          "enabled": true,
          "interval": "1m"
        }
      },
      "filters": []
    }
  ]
}
)";
  EXPECT_EQ(to_json_text(config), expected);
}

TEST(ConfigPrint, OutputParsesBackToTheSameConfig) {
  const test::TempDir dir("pimqttd-config");
  write_file(dir / "secret", "hunter2\n");
  const std::string text = R"({
    "device": {"name": "Kitchen Pi", "suggested_area": "Kitchen"},
    "mqtt": {"host": "broker", "username": "u", "password_file": ")" +
                           (dir / "secret").string() + R"(",
             "keep_alive": 90,
             "tls": {"ca_file": "/ca.pem", "alpn": ["mqtt"], "max_version": "1.3"}},
    "sensors": [{"type": "system", "name": "Health", "interval": 1.5,
                 "metrics": {"network": {"interfaces": ["eth0"]}, "load": false}}]})";
  const Config first = parse_config(text, test_options());
  const std::string printed = to_json_text(first);
  const Config second = parse_config(printed, test_options());
  EXPECT_EQ(to_json_text(second), printed);
  EXPECT_EQ(second.mqtt.password, "hunter2");
  EXPECT_EQ(second.sensors.at(0).entities, first.sensors.at(0).entities);
}

// ---------------------------------------------------------------------------------------------
// Files and examples

TEST(ConfigFiles, UnreadableConfigFile) {
  const test::TempDir dir("pimqttd-config");
  try {
    (void)load_config(dir / "missing.json", test_options());
    FAIL() << "no ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.errors(), (Errors{(dir / "missing.json").string() +
                                      ": cannot read: No such file or directory"}));
  }
  write_file(dir / "bad.json", "{\n  \"mqtt\": 1,\n}");
  try {
    (void)load_config(dir / "bad.json", test_options());
    FAIL() << "no ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.errors(),
              (Errors{(dir / "bad.json").string() +
                      ":3:1: syntax error while parsing object key - unexpected '}'; expected "
                      "string literal"}));
  }
}

TEST(ConfigFiles, ExamplesParse) {
  const Config minimal = load_config(examples_dir() / "minimal.json", test_options());
  EXPECT_EQ(minimal.mqtt.host, "homeassistant");
  ASSERT_EQ(minimal.sensors.size(), 1u);
  EXPECT_EQ(minimal.sensors[0].type, "system");
  EXPECT_TRUE(minimal.warnings.empty());

  const Config full = load_config(examples_dir() / "full.json", test_options());
  EXPECT_EQ(full.mqtt.host, "homeassistant");
  EXPECT_TRUE(full.warnings.empty());
  // The annotated example shows the defaults: apart from the values it sets on purpose (and the
  // sensors it adds) it is the minimal one.
  Json a = Json::parse(to_json_text(full));
  Json b = Json::parse(to_json_text(minimal));
  const auto* metrics = full.sensors.at(0).settings_as<SystemSettings>();
  ASSERT_NE(metrics, nullptr);
  EXPECT_EQ(metrics->cpu_usage.interval, seconds{10});
  EXPECT_EQ(metrics->network.interfaces, (std::vector<std::string>{"eth0", "wlan0"}));
  EXPECT_EQ(full.sensors.at(0).filters.by_entity.size(), 2u);
  // After the system sensor, an example of each kind of sensor: every type this build knows is
  // an entry's type or, for a chip that takes another one's keys, named in that entry's comment.
  std::vector<std::string> types;
  for (const SensorConfig& sensor : full.sensors) types.push_back(sensor.type);
  EXPECT_EQ(types.at(0), "system");
  const std::string text = core::read_file(examples_dir() / "full.json").text;
  for (const std::string& type : builtin_sensor_types().names()) {
    EXPECT_NE(text.find('"' + type + '"'), std::string::npos) << type << " has no example";
  }
  const auto ds18b20 = std::find(types.begin(), types.end(), "ds18b20") - types.begin();
  EXPECT_EQ(full.sensors.at(static_cast<std::size_t>(ds18b20)).filters.every_entity.size(), 3u);
  a["sensors"][0].erase("metrics");
  a["sensors"][0].erase("filters");
  a["sensors"].erase(a["sensors"].begin() + 1, a["sensors"].end());
  b["sensors"][0].erase("metrics");
  b["sensors"][0].erase("filters");
  EXPECT_EQ(a, b);
}

// ---------------------------------------------------------------------------------------------
// Pluggable sensor types

class ProbeSettings final : public SensorSettings {
 public:
  std::int64_t pin = 0;
  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override {
    return {EntityConfig{sensor.id, sensor.name}};
  }
  void to_json(Json& object) const override { object["pin"] = pin; }
};

SensorTypeRegistry registry_with_probe() {
  SensorTypeRegistry registry;
  registry.add(system_sensor_type());
  SensorType probe;
  probe.name = "probe";
  probe.polls = false;
  probe.parse = [](ObjectReader& reader, const SensorParseContext&) {
    auto settings = std::make_shared<ProbeSettings>();
    settings->pin = reader.integer("pin", 0, 27, Presence::required).value_or(0);
    return settings;
  };
  registry.add(std::move(probe));
  return registry;
}

TEST(ConfigSensorTypes, RegisteredTypeIsParsedWithItsOwnKeys) {
  const SensorTypeRegistry registry = registry_with_probe();
  LoadOptions options = test_options();
  options.sensor_types = &registry;
  const Config config =
      parse_config(sensors(R"({"type": "probe", "name": "Front door", "pin": 17})"), options);
  ASSERT_EQ(config.sensors.size(), 1u);
  const SensorConfig& sensor = config.sensors[0];
  EXPECT_EQ(sensor.id, "front_door");
  EXPECT_EQ(sensor.interval, std::nullopt);
  ASSERT_NE(sensor.settings_as<ProbeSettings>(), nullptr);
  EXPECT_EQ(sensor.settings_as<ProbeSettings>()->pin, 17);
  EXPECT_EQ(sensor.settings_as<SystemSettings>(), nullptr);
  EXPECT_EQ(sensor.entities, (std::vector<EntityConfig>{{"front_door", "Front door"}}));
  EXPECT_NE(to_json_text(config).find("\"pin\": 17"), std::string::npos);

  EXPECT_EQ(errors_of(sensors(R"({"type": "probe", "interval": 5, "pin": 30})"), options),
            (Errors{"sensors[0].interval: unknown key",
                    "sensors[0].pin: expected an integer from 0 to 27, found 30",
                    "sensors[0].name: required key missing"}));
  EXPECT_EQ(errors_of(sensors(R"({"type": "prob", "name": "x"})"), options),
            (Errors{"sensors[0].type: expected one of \"system\", \"probe\", found \"prob\"; did "
                    "you mean \"probe\"?"}));
}

TEST(ConfigSensorTypes, EntityIdsAreUniqueAcrossTypes) {
  const SensorTypeRegistry registry = registry_with_probe();
  LoadOptions options = test_options();
  options.sensor_types = &registry;
  EXPECT_EQ(
      errors_of(sensors(R"({"type": "system"}, {"type": "probe", "name": "System uptime", "pin": 1},
                                 {"type": "probe", "name": "Door", "pin": 2},
                                 {"type": "probe", "id": "door", "name": "Back door", "pin": 3})"),
                options),
      (Errors{"sensors[1].name: entity id \"system_uptime\" is already used by sensors[0]",
              "sensors[3].id: sensor id \"door\" is already used by sensors[2]"}));
}

}  // namespace
}  // namespace pimqttd::app
