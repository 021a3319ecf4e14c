#pragma once
// Parsing one `sensors` entry through the whole configuration parser, for the tests of sensor
// types (app layer).

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"

namespace pimqttd::test {

/// A configuration with a broker and the one sensor entry `entry` (JSON text).
inline std::string config_with_sensor(const std::string& entry) {
  return R"({"mqtt": {"host": "broker"}, "sensors": [)" + entry + "]}";
}

inline app::LoadOptions sensor_entry_options() {
  app::LoadOptions options;
  options.hostname = "testpi";
  options.base_directory = "/etc/pimqttd";
  return options;
}

/// The entry parsed; a test failure (and an empty entry) when it has errors.
inline app::SensorConfig parse_sensor_entry(const std::string& entry) {
  try {
    app::Config config = app::parse_config(config_with_sensor(entry), sensor_entry_options());
    EXPECT_EQ(config.sensors.size(), 1u);
    if (!config.sensors.empty()) return config.sensors.front();
  } catch (const app::ConfigError& error) {
    ADD_FAILURE() << "unexpected errors: " << testing::PrintToString(error.errors());
  }
  return {};
}

/// The errors of a configuration with the entry `entry`; none when it is valid.
inline std::vector<std::string> sensor_entry_errors(const std::string& entry) {
  try {
    (void)app::parse_config(config_with_sensor(entry), sensor_entry_options());
  } catch (const app::ConfigError& error) {
    return error.errors();
  }
  return {};
}

/// The entry as --print-config shows it: its object in the printed configuration.
inline app::Json printed_sensor_entry(const std::string& entry) {
  const app::Config config = app::parse_config(config_with_sensor(entry), sensor_entry_options());
  return app::Json::parse(app::to_json_text(config)).at("sensors").at(0);
}

}  // namespace pimqttd::test
