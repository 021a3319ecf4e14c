#pragma once
// Parsing `sensors` entries through the whole configuration parser, for the tests of sensor
// types and their filters (app layer). Every configuration is read with the same options: host
// name "testpi", relative paths resolved against /etc/pimqttd.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"

namespace pimqttd::test {

/// A configuration with a broker and the sensor entries `entries` (JSON text: one entry, or
/// several separated by commas).
inline std::string config_with_sensors(const std::string& entries) {
  return R"({"mqtt": {"host": "broker"}, "sensors": [)" + entries + "]}";
}

inline app::LoadOptions sensor_entry_options() {
  app::LoadOptions options;
  options.hostname = "testpi";
  options.base_directory = "/etc/pimqttd";
  return options;
}

/// The configuration `text` parsed with the options above; ConfigError passes through.
inline app::Config parse_test_config(const std::string& text) {
  return app::parse_config(text, sensor_entry_options());
}

/// A configuration with the entries `entries` parsed; ConfigError passes through.
inline app::Config parse_sensor_entries(const std::string& entries) {
  return parse_test_config(config_with_sensors(entries));
}

/// The entry parsed; a test failure (and an empty entry) when it has errors.
inline app::SensorConfig parse_sensor_entry(const std::string& entry) {
  try {
    app::Config config = parse_sensor_entries(entry);
    EXPECT_EQ(config.sensors.size(), 1u);
    if (!config.sensors.empty()) return config.sensors.front();
  } catch (const app::ConfigError& error) {
    ADD_FAILURE() << "unexpected errors: " << testing::PrintToString(error.errors());
  }
  return {};
}

/// The errors of a configuration with the entries `entry`; none when it is valid.
inline std::vector<std::string> sensor_entry_errors(const std::string& entry) {
  try {
    (void)parse_sensor_entries(entry);
  } catch (const app::ConfigError& error) {
    return error.errors();
  }
  return {};
}

/// The entry as --print-config shows it: its object in the printed configuration.
inline app::Json printed_sensor_entry(const std::string& entry) {
  return app::Json::parse(app::to_json_text(parse_sensor_entries(entry))).at("sensors").at(0);
}

/// The settings of `sensor` as --print-config shows them (without the common keys).
inline std::string settings_json(const app::SensorConfig& sensor) {
  app::Json out = app::Json::object();
  sensor.settings->to_json(out);
  return out.dump();
}

}  // namespace pimqttd::test
