#include "pimqttd/app/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pimqttd/core/file.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/ha/discovery.hpp"

namespace pimqttd::app {

using core::describe;
using core::format_duration;
using core::Presence;
using core::quote;
using sensors::is_valid_sensor_id;
using sensors::read_filters;
using sensors::slugify;
using sensors::SensorResource;
using sensors::SensorSettings;
using sensors::SensorType;
using sensors::SensorParseContext;
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
constexpr std::size_t kMaxPasswordBytes = 65535;
constexpr std::string_view kCredentialName = "mqtt-password";

const std::array<std::string, 7> kLogLevels{"trace", "debug",    "info", "warning",
                                            "error", "critical", "off"};
const std::array<std::string, 2> kTlsVersions{"1.2", "1.3"};

// ---------------------------------------------------------------------------------------------
// Files

using core::FileContents;
using core::read_file;

std::string reason(int error) { return std::generic_category().message(error); }

bool others_can_read(std::filesystem::perms mode) {
  return (mode & std::filesystem::perms::others_read) != std::filesystem::perms::none;
}

std::filesystem::path resolve(const std::filesystem::path& path,
                              const std::filesystem::path& base) {
  if (path.is_absolute() || base.empty()) return path;
  return base / path;
}

// ---------------------------------------------------------------------------------------------
// JSON syntax and duplicate keys

std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// "<source>:<line>:<column>" of the byte at `index` (clamped to the text).
std::string position(std::string_view text, std::size_t index, const std::string& source) {
  index = std::min(index, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < index; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return fmt::format("{}:{}:{}", source, line, index - line_start + 1);
}

[[noreturn]] void throw_syntax_error(const Json::parse_error& error, std::string_view text,
                                     const std::string& source) {
  const std::size_t index = error.byte == 0 ? 0 : error.byte - 1;
  // nlohmann's text: "[json.exception.parse_error.101] parse error at line L, column C: <what>";
  // keep <what>, without the "; last read: '...'" echo (it could hold a password).
  std::string_view what = error.what();
  if (const auto column = what.find(", column "); column != std::string_view::npos) {
    if (const auto colon = what.find(": ", column); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
  } else if (const auto colon = what.find("] "); colon != std::string_view::npos) {
    what.remove_prefix(colon + 2);
  }
  if (const auto echo = what.find("; last read:"); echo != std::string_view::npos) {
    what = what.substr(0, echo);
  }
  throw ConfigError({fmt::format("{}: {}", position(text, index, source), printable(what))});
}

// nlohmann reports a number beyond a double's range ("1e400") as out_of_range 406, quoting the
// number but not saying where it is: the first place the text holds it.
[[noreturn]] void throw_number_overflow(const Json::out_of_range& error, std::string_view text,
                                        const std::string& source) {
  std::string_view what = error.what();
  std::string_view number;
  if (const auto open = what.find('\''); open != std::string_view::npos) {
    number = what.substr(open + 1);
    number = number.substr(0, number.rfind('\''));
  }
  const std::size_t index = number.empty() ? 0 : text.find(number);
  throw ConfigError({fmt::format("{}: number out of range: {}", position(text, index, source),
                                 printable(number))});
}

// Tracks where the parser is, to report duplicate keys (which the parser would silently merge,
// keeping the later value) by path. Frames hold only keys and indices, so that memory stays
// linear in the document's size however deep it nests; paths are built only for a duplicate.
class DuplicateKeyFinder {
 public:
  explicit DuplicateKeyFinder(Diagnostics& diagnostics) : diagnostics_(&diagnostics) {}

  bool operator()(int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start: frames_.push_back(Frame{false, {}, 0}); break;
      case Json::parse_event_t::array_start: frames_.push_back(Frame{true, {}, 0}); break;
      case Json::parse_event_t::key: on_key(parsed.get<std::string>()); break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        frames_.pop_back();
        value_done();
        break;
      case Json::parse_event_t::value: value_done(); break;
    }
    return true;
  }

 private:
  struct Frame {
    bool array;
    std::vector<std::string> keys;  // objects: distinct keys in order
    std::size_t current;            // objects: index of the current key; arrays: element index
  };

  void on_key(const std::string& key) {
    Frame& top = frames_.back();
    const auto it = std::find(top.keys.begin(), top.keys.end(), key);
    if (it == top.keys.end()) {
      top.keys.push_back(key);
      top.current = top.keys.size() - 1;
      return;
    }
    top.current = static_cast<std::size_t>(it - top.keys.begin());
    Location where;
    for (const Frame& frame : frames_) {
      where = frame.array ? where.element(frame.current)
                          : where.key(frame.keys[frame.current], frame.current);
    }
    diagnostics_->error(where, "duplicate key");
  }

  void value_done() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().current;
  }

  Diagnostics* diagnostics_;
  std::vector<Frame> frames_;
};

Json parse_document(std::string_view text, const std::string& source, Diagnostics& diagnostics) {
  // Said in our words: nlohmann's text for this case differs between its versions.
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    throw ConfigError({fmt::format("{}:1:1: the file is empty; expected an object", source)});
  }
  DuplicateKeyFinder finder(diagnostics);
  try {
    return Json::parse(text, std::ref(finder), true, true);
  } catch (const Json::parse_error& error) {
    throw_syntax_error(error, text, source);
  } catch (const Json::out_of_range& error) {
    throw_number_overflow(error, text, source);
  }
}

// ---------------------------------------------------------------------------------------------
// Value rules

StringRule text_rule(std::size_t max) {
  StringRule rule;
  rule.max_length = max;
  return rule;
}

StringRule path_rule() { return text_rule(4096); }

bool valid_topic(std::string_view topic) {
  if (topic.front() == '$' || topic.front() == '/' || topic.back() == '/') return false;
  if (topic.find("//") != std::string_view::npos) return false;
  return topic.find_first_of("+#") == std::string_view::npos;
}

StringRule topic_rule() {
  return StringRule::checked(
      255, valid_topic,
      "a topic name of at most 255 bytes without '+', '#', empty levels or a leading '$'");
}

bool valid_host(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == ':' || c == '%';
  });
}

StringRule host_rule() {
  return StringRule::checked(253, valid_host, "a host name or IP address");
}

bool valid_device_id(std::string_view id) {
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

StringRule device_id_rule() {
  return StringRule::checked(64, valid_device_id, "1 to 64 characters from [a-zA-Z0-9_-]");
}

StringRule sensor_id_rule() {
  return StringRule::checked(64, is_valid_sensor_id, "1 to 64 characters from [a-z0-9_]");
}

// ---------------------------------------------------------------------------------------------
// Sections

std::string short_hostname(std::string_view hostname) {
  return std::string(hostname.substr(0, hostname.find('.')));
}

DeviceConfig parse_device(ObjectReader& root, const LoadOptions& options) {
  DeviceConfig device;
  device.id = reduce_hostname(options.hostname);
  device.name = short_hostname(options.hostname);
  if (device.name.empty()) device.name = device.id;
  root.object("device", [&](ObjectReader& r) {
    device.name = r.string("name", text_rule(255)).value_or(device.name);
    device.id = r.string("id", device_id_rule()).value_or(device.id);
    device.suggested_area = r.string("suggested_area", text_rule(255));
  });
  return device;
}

TlsConfig parse_tls(ObjectReader& mqtt, const LoadOptions& options) {
  TlsConfig tls;
  const Json* value = mqtt.find("tls");
  if (value == nullptr) return tls;
  if (value->is_boolean()) {
    tls.enabled = value->get<bool>();
    return tls;
  }
  if (!value->is_object()) {
    mqtt.error("tls", "expected true, false or an object, found " + describe(*value));
    return tls;
  }
  ObjectReader r(*value, mqtt.location_of("tls"), mqtt.diagnostics());
  const auto path = [&](std::string_view key) -> std::optional<std::filesystem::path> {
    if (auto text = r.string(key, path_rule())) return resolve(*text, options.base_directory);
    return std::nullopt;
  };
  tls.enabled = r.boolean("enabled").value_or(true);
  tls.ca_file = path("ca_file");
  tls.ca_path = path("ca_path");
  tls.cert_file = path("cert_file");
  tls.key_file = path("key_file");
  tls.key_password_file = path("key_password_file");
  tls.insecure = r.boolean("insecure").value_or(false);
  tls.alpn = r.string_list("alpn", text_rule(255)).value_or(std::vector<std::string>{});
  const auto min_version = r.choice("min_version", kTlsVersions);
  const auto max_version = r.choice("max_version", kTlsVersions);
  if (min_version) tls.min_version = static_cast<TlsVersion>(*min_version);
  if (max_version) tls.max_version = static_cast<TlsVersion>(*max_version);
  if (min_version && max_version && *max_version < *min_version) {
    r.error("max_version",
            fmt::format("expected a version not below min_version (\"{}\"), found \"{}\"",
                        kTlsVersions[*min_version], kTlsVersions[*max_version]));
  }
  tls.server_name = r.string("server_name", host_rule());
  if (r.has("cert_file") && !r.has("key_file")) {
    r.error("key_file", "required when \"cert_file\" is given");
  }
  if (r.has("key_file") && !r.has("cert_file")) {
    r.error("cert_file", "required when \"key_file\" is given");
  }
  if (r.has("key_password_file") && !r.has("key_file")) {
    r.error("key_password_file", "needs \"key_file\"");
  }
  r.finish();
  if (tls.enabled && tls.insecure) {
    mqtt.diagnostics().warning(
        "mqtt.tls.insecure: the broker's certificate and name are not verified");
  }
  return tls;
}

// Reads a password file: one trailing newline ("\n" or "\r\n") dropped. Returns an error message
// (without the path's key) on failure.
std::optional<std::string> read_password(const std::filesystem::path& path, std::string& password,
                                         mode_t& mode) {
  FileContents file = read_file(path, kMaxPasswordBytes + 2);
  if (file.error) {
    return fmt::format("cannot read {}: {}", quote(path.string(), std::string::npos),
                       reason(file.error.value()));
  }
  std::string& text = file.text;
  if (!text.empty() && text.back() == '\n') {
    text.pop_back();
    if (!text.empty() && text.back() == '\r') text.pop_back();
  }
  if (file.too_big || text.size() > kMaxPasswordBytes) {
    return fmt::format("{} is larger than {} bytes", quote(path.string(), std::string::npos),
                       kMaxPasswordBytes);
  }
  if (text.empty()) return fmt::format("{} is empty", quote(path.string(), std::string::npos));
  password = std::move(text);
  mode = file.mode;
  return std::nullopt;
}

void resolve_password(ObjectReader& r, MqttConfig& mqtt, const LoadOptions& options) {
  Diagnostics& diagnostics = r.diagnostics();
  StringRule secret;
  secret.min_length = 0;
  secret.secret = true;
  const auto inline_password = r.string("password", secret);
  const auto file_name = r.string("password_file", path_rule());
  if (r.has("password") && r.has("password_file")) {
    r.error("password_file", "cannot be used together with \"password\"");
    return;
  }
  if (inline_password) {
    mqtt.password = inline_password;
    mqtt.password_source = PasswordSource::inline_value;
    if (options.file_mode && others_can_read(*options.file_mode)) {
      diagnostics.warning(fmt::format(
          "{}: holds mqtt.password and is readable by every user; use \"password_file\" or the "
          "systemd credential \"{}\" instead, or chmod o-r the file",
          options.source_name, kCredentialName));
    }
  } else if (file_name) {
    const std::filesystem::path path = resolve(*file_name, options.base_directory);
    std::string password;
    mode_t mode = 0;
    if (auto failure = read_password(path, password, mode)) {
      r.error("password_file", *failure);
      return;
    }
    mqtt.password = std::move(password);
    mqtt.password_source = PasswordSource::file;
    mqtt.password_file = path;
    if ((mode & S_IROTH) != 0) {
      diagnostics.warning(
          fmt::format("mqtt.password_file: {} is readable by every user (chmod o-r)",
                      quote(path.string(), std::string::npos)));
    }
  } else if (options.credentials_directory && !r.has("password") && !r.has("password_file")) {
    const std::filesystem::path path = *options.credentials_directory / kCredentialName;
    std::error_code ignored;
    if (!std::filesystem::exists(std::filesystem::symlink_status(path, ignored))) return;
    if (!r.has("username")) {
      diagnostics.warning(
          fmt::format("mqtt.username is not set, so the systemd credential \"{}\" is not used",
                      kCredentialName));
      return;
    }
    std::string password;
    mode_t mode = 0;
    if (auto failure = read_password(path, password, mode)) {
      diagnostics.error(r.location(), fmt::format("systemd credential: {}", *failure));
      return;
    }
    mqtt.password = std::move(password);
    mqtt.password_source = PasswordSource::credential;
    mqtt.password_file = path;
  }
  if (mqtt.password && !r.has("username") && mqtt.password_source != PasswordSource::credential) {
    r.error(mqtt.password_source == PasswordSource::file ? "password_file" : "password",
            "requires \"username\" (MQTT 3.1.1 sends a password only with a user name)");
  }
}

MqttConfig parse_mqtt(ObjectReader& root, const DeviceConfig& device, const LoadOptions& options) {
  MqttConfig mqtt;
  mqtt.client_id = "pimqttd-" + device.id;
  root.object(
      "mqtt",
      [&](ObjectReader& r) {
        mqtt.tls = parse_tls(r, options);
        mqtt.host = r.string("host", host_rule(), Presence::required).value_or("");
        mqtt.port = static_cast<std::uint16_t>(
            r.integer("port", 1, 65535).value_or(mqtt.tls.enabled ? 8883 : 1883));
        mqtt.client_id = r.string("client_id").value_or(mqtt.client_id);
        mqtt.username = r.string("username");
        resolve_password(r, mqtt, options);
        mqtt.keep_alive = std::chrono::duration_cast<seconds>(
            r.duration("keep_alive", DurationRule{seconds{0}, seconds{65535}, true})
                .value_or(mqtt.keep_alive));
        mqtt.connect_timeout =
            r.duration("connect_timeout", DurationRule{seconds{1}, std::chrono::minutes{5}, false})
                .value_or(mqtt.connect_timeout);
        mqtt.clean_session = r.boolean("clean_session").value_or(mqtt.clean_session);
        const auto initial = r.duration(
            "backoff_initial", DurationRule{milliseconds{100}, std::chrono::hours{1}, false});
        const auto max =
            r.duration("backoff_max", DurationRule{seconds{1}, std::chrono::hours{24}, false});
        mqtt.backoff_initial = initial.value_or(mqtt.backoff_initial);
        mqtt.backoff_max = max.value_or(mqtt.backoff_max);
        if ((initial || !r.has("backoff_initial")) && (max || !r.has("backoff_max")) &&
            mqtt.backoff_max < mqtt.backoff_initial) {
          if (max) {
            r.error("backoff_max",
                    fmt::format("expected a duration not below backoff_initial ({}), found {}",
                                format_duration(mqtt.backoff_initial),
                                format_duration(mqtt.backoff_max)));
          } else {
            r.error("backoff_initial",
                    fmt::format("expected a duration not above backoff_max ({}), found {}",
                                format_duration(mqtt.backoff_max),
                                format_duration(mqtt.backoff_initial)));
          }
        }
        mqtt.outbox_size =
            static_cast<std::size_t>(r.integer("outbox_size", 1, 1'000'000).value_or(1000));
        mqtt.base_topic = r.string("base_topic", topic_rule()).value_or(mqtt.base_topic);
      },
      Presence::required);
  return mqtt;
}

HomeAssistantConfig parse_homeassistant(ObjectReader& root) {
  HomeAssistantConfig ha;
  root.object("homeassistant", [&](ObjectReader& r) {
    ha.discovery_prefix = r.string("discovery_prefix", topic_rule()).value_or(ha.discovery_prefix);
    ha.status_topic = r.string("status_topic", topic_rule()).value_or(ha.status_topic);
    ha.reannounce_delay_max =
        r.duration("reannounce_delay_max", DurationRule{seconds{0}, std::chrono::minutes{5}, false})
            .value_or(ha.reannounce_delay_max);
  });
  return ha;
}

LoggingConfig parse_logging(ObjectReader& root) {
  LoggingConfig logging;
  root.object("logging", [&](ObjectReader& r) {
    if (auto level = r.choice("level", kLogLevels)) logging.level = static_cast<LogLevel>(*level);
  });
  return logging;
}

// Reads `sensors`, entry by entry, and keeps sensor and entity ids unique across entries.
class SensorListParser {
 public:
  SensorListParser(const LoadOptions& options, Diagnostics& diagnostics)
      : registry_(options.sensor_types != nullptr ? *options.sensor_types
                                                   : sensors::builtin_sensor_types()),
        names_(registry_.names()),
        base_directory_(options.base_directory),
        diagnostics_(diagnostics) {}

  std::vector<SensorConfig> parse(ObjectReader& root) {
    root.array("sensors", [&](const Json& item, const Location& where) {
      parse_entry(item, where);
      ++index_;
    });
    return std::move(sensors_);
  }

 private:
  void parse_entry(const Json& item, const Location& where) {
    ObjectReader r(item, where, diagnostics_);
    if (!r.ok()) return;
    const auto type_index = r.choice("type", names_, Presence::required);
    if (!type_index) return;  // without a type, its keys are unknown: report nothing more
    const SensorType& type = *registry_.find(names_[*type_index]);

    SensorConfig sensor;
    sensor.type = type.name;
    const auto presence = type.default_name.empty() ? Presence::required : Presence::optional;
    const auto name = r.string("name", text_rule(255), presence);
    sensor.name = name.value_or(type.default_name);
    const bool name_ok = name.has_value() || (!r.has("name") && presence == Presence::optional);
    std::string_view id_key = "name";
    bool id_ok = name_ok;
    if (r.has("id")) {
      id_key = "id";
      StringRule rule = sensor_id_rule();
      if (!type.id_hint.empty()) rule.expected += " (" + type.id_hint + ")";
      const auto id = r.string("id", rule);
      id_ok = id.has_value();
      sensor.id = id.value_or("");
    } else {
      r.allow("id");
      sensor.id = slugify(sensor.name).substr(0, 64);
      while (!sensor.id.empty() && sensor.id.back() == '_') sensor.id.pop_back();
      if (name_ok && sensor.id.empty()) {
        r.error("name",
                "expected a name with at least one ASCII letter or digit (or an explicit "
                "\"id\"), found " +
                    quote(sensor.name));
        id_ok = false;
      }
    }
    if (type.polls) {
      sensor.interval =
          r.duration("interval", DurationRule{type.min_interval, type.max_interval, false})
              .value_or(type.default_interval);
    }
    const std::size_t errors_before = diagnostics_.error_count();
    const SensorParseContext context{sensor, base_directory_, ha::validate_entity};
    sensor.settings = type.parse(r, context);
    if (sensor.settings) sensor.entities = sensor.settings->entities(sensor);
    std::vector<std::string> entity_ids;
    for (const auto& entity : sensor.entities) entity_ids.push_back(entity.id);
    sensor.filters = read_filters(r, sensor.id, entity_ids);
    if (id_ok) check_unique(r, id_key, sensor);
    // Settings with errors hold defaults in place of what was written: nothing to compare.
    if (sensor.settings && diagnostics_.error_count() == errors_before) {
      check_resources(r, *sensor.settings);
    }
    r.finish();
    sensors_.push_back(std::move(sensor));
  }

  // Errors go on the key the ids came from ("id", or "name" they were derived from).
  void check_unique(ObjectReader& r, std::string_view id_key, const SensorConfig& sensor) {
    if (const auto seen = sensor_ids_.find(sensor.id); seen != sensor_ids_.end()) {
      r.error(id_key, fmt::format("sensor id \"{}\" is already used by sensors[{}]", sensor.id,
                                  seen->second));
      return;
    }
    sensor_ids_.emplace(sensor.id, index_);
    for (const auto& entity : sensor.entities) {
      const auto [it, added] = entity_ids_.emplace(entity.id, index_);
      if (!added && it->second != index_) {
        r.error(id_key, fmt::format("entity id \"{}\" is already used by sensors[{}]", entity.id,
                                    it->second));
        return;
      }
    }
  }

  // Two entries cannot share a chip or a line: the second would fight the first for it (a GPIO
  // line is busy) or read the same chip twice under two names.
  void check_resources(ObjectReader& r, const SensorSettings& settings) {
    for (const SensorResource& resource : settings.resources()) {
      const auto [it, added] = resources_.emplace(resource.id, index_);
      if (!added && it->second != index_) {
        r.error(resource.key, fmt::format("{} is already used by sensors[{}]",
                                          resource.description, it->second));
      }
    }
  }

  const SensorTypeRegistry& registry_;
  const std::vector<std::string> names_;
  const std::filesystem::path& base_directory_;
  Diagnostics& diagnostics_;
  std::vector<SensorConfig> sensors_;
  std::map<std::string, std::size_t> sensor_ids_;
  std::map<std::string, std::size_t> entity_ids_;
  std::map<std::string, std::size_t> resources_;
  std::size_t index_ = 0;  // of the entry in the document
};

// ---------------------------------------------------------------------------------------------
// Output

Json optional_json(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json optional_json(const std::optional<std::filesystem::path>& value) {
  return value ? Json(value->string()) : Json(nullptr);
}

}  // namespace

std::string_view to_string(TlsVersion version) noexcept {
  return version == TlsVersion::v1_3 ? "1.3" : "1.2";
}

std::string_view to_string(LogLevel level) noexcept {
  const auto index = static_cast<std::size_t>(level);
  return index < kLogLevels.size() ? std::string_view(kLogLevels[index]) : std::string_view("?");
}

ConfigError::ConfigError(std::vector<std::string> errors)
    : std::runtime_error([&] {
        std::string text;
        for (const auto& error : errors) {
          if (!text.empty()) text += '\n';
          text += error;
        }
        return text;
      }()),
      errors_(std::move(errors)) {}

std::string reduce_hostname(std::string_view hostname) {
  std::string id;
  for (const char c : short_hostname(hostname)) {
    if (valid_device_id(std::string_view(&c, 1)) && id.size() < 64) id.push_back(c);
  }
  return id.empty() ? std::string("pimqttd") : id;
}

LoadOptions LoadOptions::from_environment() {
  LoadOptions options;
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) == 0) options.hostname = name.data();
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
    options.credentials_directory = dir;
  }
  return options;
}

Config parse_config(std::string_view text, const LoadOptions& options) {
  Diagnostics diagnostics;
  const Json document = parse_document(text, options.source_name, diagnostics);
  ObjectReader root(document, Location{}, diagnostics);
  Config config;
  if (root.ok()) {
    config.device = parse_device(root, options);
    config.mqtt = parse_mqtt(root, config.device, options);
    config.homeassistant = parse_homeassistant(root);
    config.logging = parse_logging(root);
    config.sensors = SensorListParser(options, diagnostics).parse(root);
    root.finish();
  }
  if (diagnostics.has_errors()) throw ConfigError(diagnostics.errors());
  config.warnings = diagnostics.warnings();
  return config;
}

Config load_config(const std::filesystem::path& file, const LoadOptions& options) {
  const FileContents contents = read_file(file, kMaxConfigBytes);
  if (contents.error) {
    throw ConfigError(
        {fmt::format("{}: cannot read: {}", file.string(), reason(contents.error.value()))});
  }
  if (contents.too_big) {
    throw ConfigError({fmt::format("{}: larger than {} bytes", file.string(), kMaxConfigBytes)});
  }
  LoadOptions effective = options;
  effective.source_name = file.string();
  if (!effective.file_mode) {
    effective.file_mode = static_cast<std::filesystem::perms>(contents.mode & 07777);
  }
  if (effective.base_directory.empty()) {
    std::error_code ignored;
    effective.base_directory = std::filesystem::absolute(file, ignored).parent_path();
  }
  return parse_config(contents.text, effective);
}

std::string to_json_text(const Config& config) {
  Json out = Json::object();

  Json& device = out["device"] = Json::object();
  device["name"] = config.device.name;
  device["id"] = config.device.id;
  device["suggested_area"] = optional_json(config.device.suggested_area);

  const MqttConfig& m = config.mqtt;
  Json& mqtt = out["mqtt"] = Json::object();
  mqtt["host"] = m.host;
  mqtt["port"] = m.port;
  mqtt["client_id"] = m.client_id;
  mqtt["username"] = optional_json(m.username);
  mqtt["password"] =
      m.password_source == PasswordSource::inline_value ? Json("***") : Json(nullptr);
  mqtt["password_file"] = optional_json(m.password_file);
  mqtt["keep_alive"] = format_duration(m.keep_alive);
  mqtt["connect_timeout"] = format_duration(m.connect_timeout);
  mqtt["clean_session"] = m.clean_session;
  mqtt["backoff_initial"] = format_duration(m.backoff_initial);
  mqtt["backoff_max"] = format_duration(m.backoff_max);
  mqtt["outbox_size"] = m.outbox_size;
  mqtt["base_topic"] = m.base_topic;
  Json& tls = mqtt["tls"] = Json::object();
  tls["enabled"] = m.tls.enabled;
  tls["ca_file"] = optional_json(m.tls.ca_file);
  tls["ca_path"] = optional_json(m.tls.ca_path);
  tls["cert_file"] = optional_json(m.tls.cert_file);
  tls["key_file"] = optional_json(m.tls.key_file);
  tls["key_password_file"] = optional_json(m.tls.key_password_file);
  tls["insecure"] = m.tls.insecure;
  tls["alpn"] = m.tls.alpn;
  tls["min_version"] = to_string(m.tls.min_version);
  tls["max_version"] = m.tls.max_version ? Json(to_string(*m.tls.max_version)) : Json(nullptr);
  tls["server_name"] = optional_json(m.tls.server_name);

  Json& ha = out["homeassistant"] = Json::object();
  ha["discovery_prefix"] = config.homeassistant.discovery_prefix;
  ha["status_topic"] = config.homeassistant.status_topic;
  ha["reannounce_delay_max"] = format_duration(config.homeassistant.reannounce_delay_max);

  out["logging"] = Json::object({{"level", to_string(config.logging.level)}});

  Json& sensors = out["sensors"] = Json::array();
  for (const auto& sensor : config.sensors) {
    Json entry = sensor_to_json(sensor);
    entry["filters"] = filters_to_json(sensor.filters);
    sensors.push_back(std::move(entry));
  }
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json sensor_to_json(const SensorConfig& sensor) {
  Json entry = Json::object();
  entry["type"] = sensor.type;
  entry["name"] = sensor.name;
  entry["id"] = sensor.id;
  if (sensor.interval) entry["interval"] = format_duration(*sensor.interval);
  if (sensor.settings) sensor.settings->to_json(entry);
  return entry;
}

}  // namespace pimqttd::app
