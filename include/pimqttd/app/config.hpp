#pragma once
// Config: the daemon's configuration (/etc/pimqttd/config.json), parsed, defaulted and validated.
//
// The file is JSON with comments (`//` and `/* */`). Validation is strict and complete: every
// problem in the file is reported at once, in document order, each as `<json path>: <message>`
// saying what was expected and what was found; unknown keys are errors with a did-you-mean:
//
//   mqtt.port: expected an integer from 1 to 65535, found 70000
//   mqtt.host: required key missing
//   sensors[2].intervall: unknown key, did you mean 'interval'?
//
// A JSON syntax error is reported alone, as `<file>:<line>:<column>: <what>`, where the column
// (in bytes) is that of the last character the parser read: the end of the offending token.
// Duplicate keys are errors. `null` is the same as leaving a key out. Relative paths are relative
// to the directory of the configuration file.
//
// Every key and default is documented in config/full.json (and pimqttd.json(5)); the defaults
// below are the single source in code.
//
// Secrets: the MQTT password comes from `mqtt.password` (inline; a warning when the file is
// readable by every user), `mqtt.password_file` (read at load, one trailing newline dropped), or,
// when neither is given, the systemd credential `mqtt-password` in $CREDENTIALS_DIRECTORY.
// Messages never contain a password, and to_json_text() shows it as "***".

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/sensors/sensor_config.hpp"

namespace pimqttd::app {

// The words of the configuration that live below app: the JSON toolkit (core) and the sensor
// entries with their schema (sensors).
using core::Diagnostics;
using core::DurationRule;
using core::Json;
using core::Location;
using core::ObjectReader;
using core::StringRule;
using sensors::EntityConfig;
using sensors::SensorConfig;
using sensors::SensorFilters;
using sensors::SensorTypeRegistry;

struct DeviceConfig {
  /// Display name in Home Assistant. Default: the host name (up to its first dot).
  std::string name;
  /// The node id in topics and unique ids, 1 to 64 of [a-zA-Z0-9_-]. Default:
  /// reduce_hostname(host name).
  std::string id;
  /// Home Assistant's `suggested_area` for the device.
  std::optional<std::string> suggested_area;
  friend bool operator==(const DeviceConfig&, const DeviceConfig&) = default;
};

enum class TlsVersion : std::uint8_t { v1_2, v1_3 };

[[nodiscard]] std::string_view to_string(TlsVersion version) noexcept;

/// `mqtt.tls`. The files are checked by the TLS transport when it starts, not here.
struct TlsConfig {
  bool enabled = false;
  /// Trust anchors; neither given: the system's default store.
  std::optional<std::filesystem::path> ca_file;
  std::optional<std::filesystem::path> ca_path;
  /// Client certificate and its key: both or neither.
  std::optional<std::filesystem::path> cert_file;
  std::optional<std::filesystem::path> key_file;
  /// Holds the passphrase of an encrypted key_file.
  std::optional<std::filesystem::path> key_password_file;
  /// Skips verifying the broker's certificate and name (a warning is issued).
  bool insecure = false;
  std::vector<std::string> alpn;
  TlsVersion min_version = TlsVersion::v1_2;
  /// Unset: the newest the library supports.
  std::optional<TlsVersion> max_version;
  /// Name sent as SNI and verified against the certificate. Unset: mqtt.host.
  std::optional<std::string> server_name;
  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

enum class PasswordSource : std::uint8_t { none, inline_value, file, credential };

struct MqttConfig {
  /// Broker host name or address (required).
  std::string host;
  /// Default 1883, or 8883 when TLS is enabled.
  std::uint16_t port = 1883;
  /// Default "pimqttd-<device id>".
  std::string client_id;
  std::optional<std::string> username;
  /// The resolved password (a secret: never log it).
  std::optional<std::string> password;
  PasswordSource password_source = PasswordSource::none;
  /// The file the password was read from (password_file, or the credential's file).
  std::optional<std::filesystem::path> password_file;
  /// 0 disables keep-alive.
  std::chrono::seconds keep_alive{60};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds{10}};
  bool clean_session = true;
  std::chrono::milliseconds backoff_initial{std::chrono::seconds{1}};
  std::chrono::milliseconds backoff_max{std::chrono::seconds{60}};
  /// Messages kept while offline.
  std::size_t outbox_size = 1000;
  TlsConfig tls;
  std::string base_topic = "pimqttd";
  friend bool operator==(const MqttConfig&, const MqttConfig&) = default;
};

struct HomeAssistantConfig {
  std::string discovery_prefix = "homeassistant";
  /// Home Assistant's birth/last-will topic; "online" there triggers a re-announce.
  std::string status_topic = "homeassistant/status";
  /// The re-announce waits a random delay from 0 to this.
  std::chrono::milliseconds reannounce_delay_max{std::chrono::seconds{5}};
  friend bool operator==(const HomeAssistantConfig&, const HomeAssistantConfig&) = default;
};

enum class LogLevel : std::uint8_t { trace, debug, info, warning, error, critical, off };

[[nodiscard]] std::string_view to_string(LogLevel level) noexcept;

struct LoggingConfig {
  LogLevel level = LogLevel::info;
};

struct Config {
  DeviceConfig device;
  MqttConfig mqtt;
  HomeAssistantConfig homeassistant;
  LoggingConfig logging;
  std::vector<SensorConfig> sensors;
  /// Problems that do not stop the daemon (a world-readable inline password...). Log them.
  std::vector<std::string> warnings;
};

/// What loading needs from outside the file. Injectable for tests.
struct LoadOptions {
  /// The machine's host name, for the device defaults.
  std::string hostname;
  /// $CREDENTIALS_DIRECTORY (systemd credentials); unset: none.
  std::optional<std::filesystem::path> credentials_directory;
  /// Names the document in syntax errors and warnings (load_config: the file's path).
  std::string source_name = "config";
  /// The file's permission bits, for the world-readable password warning (load_config: from
  /// the file itself).
  std::optional<std::filesystem::perms> file_mode;
  /// Relative paths are resolved against it; empty: left relative (load_config: the file's
  /// directory).
  std::filesystem::path base_directory;
  /// The sensor types; nullptr: builtin_sensor_types().
  const SensorTypeRegistry* sensor_types = nullptr;

  /// The host name from gethostname(2) and $CREDENTIALS_DIRECTORY.
  [[nodiscard]] static LoadOptions from_environment();
};

/// Thrown with every error in the configuration (what() joins them with newlines).
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> errors);
  [[nodiscard]] const std::vector<std::string>& errors() const noexcept { return errors_; }

 private:
  std::vector<std::string> errors_;
};

/// Reads and parses `file` (at most 1 MiB). A file that cannot be read is a ConfigError
/// "<file>: cannot read: <reason>". Fills source_name, file_mode and base_directory in from the
/// file where the options leave them unset.
[[nodiscard]] Config load_config(const std::filesystem::path& file, const LoadOptions& options);

/// Parses a configuration document. Throws ConfigError with every error found.
[[nodiscard]] Config parse_config(std::string_view text, const LoadOptions& options);

/// The effective configuration as JSON (valid input for parse_config), every default filled in,
/// unset optional keys as null. An inline password shows as "***"; one read from a file or a
/// systemd credential shows as that file's path in "password_file" (the path is no secret).
[[nodiscard]] std::string to_json_text(const Config& config);
/// One sensor entry as to_json_text() prints it, without its filters: what its driver is built
/// from (two entries that print alike build the same driver).
[[nodiscard]] Json sensor_to_json(const SensorConfig& sensor);

/// The default device id: the host name up to its first dot, with every character outside
/// [a-zA-Z0-9_-] dropped, at most 64 characters; "pimqttd" when nothing is left.
[[nodiscard]] std::string reduce_hostname(std::string_view hostname);

}  // namespace pimqttd::app
