#pragma once
// Sensor entries of the configuration (`sensors[]`) and the registry of sensor types.
//
// Every entry has the common keys `type`, `name`, `id`, `filters` (filter_config.hpp) and (for
// types that poll) `interval`; everything else belongs to its type. A type is a `SensorType`:
// its name, its defaults and a parse function that reads its own keys with an ObjectReader
// (core/config_reader.hpp, named in schema.hpp) and returns an immutable `SensorSettings`
// object, which holds the driver's own options; its make function builds the driver from them.
//
// Each type lives in one folder, src/sensors/<folder>/: its driver, its schema (the parse and
// make functions and the settings class) and nothing else, and is registered by one line in
// src/sensors/types.cpp. Its tests are in tests/unit/sensors/<folder>/. The app layer sees only
// this header: it never includes a type's own files.
//
// Entity ids: each sensor has an id (given, or its name slugified: "Living room" ->
// "living_room"), and each of its entities an id derived from it (`<sensor id>_<metric>`, or the
// sensor id alone for a single-entity sensor). Entity ids name MQTT topics and make up Home
// Assistant unique ids, so they depend only on the configuration, never on its order, and two
// entities with the same id are a configuration error.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/sensors/schema.hpp"
#include "pimqttd/sensors/filter_config.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {

struct SensorConfig;

/// One thing Home Assistant will see (a sensor value, a binary sensor, a switch...).
struct EntityConfig {
  /// Unique within the device: [a-z0-9_], at most 64 + suffix characters.
  std::string id;
  /// Display name, without the device name (Home Assistant prefixes that).
  std::string name;

  friend bool operator==(const EntityConfig&, const EntityConfig&) = default;
};

/// A piece of hardware a sensor entry uses.
struct SensorResource {
  std::string id;           ///< compared across entries: "i2c 1 0x76"
  std::string key;          ///< the entry's key an error about it goes on: "address"
  std::string description;  ///< for the message: "I2C address 0x76 on bus 1"
};

/// The type-specific part of a sensor entry. Immutable once parsed; shared between copies of a
/// Config.
class SensorSettings {
 public:
  SensorSettings() = default;
  SensorSettings(const SensorSettings&) = default;
  SensorSettings& operator=(const SensorSettings&) = default;
  virtual ~SensorSettings() = default;

  /// The entities this sensor announces, ids already made unique within the sensor.
  [[nodiscard]] virtual std::vector<EntityConfig> entities(const SensorConfig& sensor) const = 0;
  /// Adds the type's own keys, every default filled in, to `object` (for --print-config).
  virtual void to_json(Json& object) const = 0;
  /// The hardware this sensor uses alone (an I2C address, a GPIO line, a 1-Wire device): two
  /// entries with the same resource are a configuration error, reported on the later one.
  [[nodiscard]] virtual std::vector<SensorResource> resources() const { return {}; }
};

/// One entry of `sensors`.
struct SensorConfig {
  std::string type;
  std::string name;
  std::string id;
  /// The polling interval (the type's default unless given); unset for types that do not poll.
  std::optional<std::chrono::milliseconds> interval;
  std::shared_ptr<const SensorSettings> settings;
  /// settings->entities(*this), computed once at load.
  std::vector<EntityConfig> entities;
  /// `filters`: what happens to the entities' numeric readings before they are published.
  SensorFilters filters;

  /// The settings as the type's own class, or nullptr for another type.
  template <class T>
  [[nodiscard]] const T* settings_as() const noexcept {
    return dynamic_cast<const T*>(settings.get());
  }
  /// The settings as the type's own class, for the type's `make`; throws std::logic_error when
  /// they are of another class (a programming error, never a configuration one).
  template <class T>
  [[nodiscard]] const T& settings_of() const {
    if (const T* own = settings_as<T>()) return *own;
    throw std::logic_error("sensor '" + id + "' of type " + type + " has no settings of its type");
  }
};

/// What a type's parse function gets besides the reader.
struct SensorParseContext {
  /// The common keys, already read (type, name, id, interval).
  const SensorConfig& sensor;
  /// Relative paths in the configuration are relative to this directory (the config file's);
  /// empty: left as written.
  const std::filesystem::path& base_directory;
  /// What Home Assistant would reject in an entity (device class, unit, state class...), one
  /// message each, every message starting with "<entity id>: "; unset: nothing is checked. The
  /// configuration loader passes Home Assistant's tables (ha::validate_entity): a type's schema
  /// never includes ha, which sits above sensors.
  std::function<std::vector<std::string>(const EntityInfo&)> entity_problems;

  [[nodiscard]] std::filesystem::path resolve(const std::filesystem::path& path) const;
  /// Reads the entry's `root` key (the directory holding sys/ and proc/: "/" on a real system,
  /// a fake tree in tests; up to 4096 characters, resolved) into `root`; left as it is when the
  /// key is absent.
  void read_root(ObjectReader& reader, std::filesystem::path& root) const;
  /// entity_problems() of `entity`, each message without the entity id it starts with.
  [[nodiscard]] std::vector<std::string> problems_of(EntityInfo entity) const;
};

/// The driver's options as a type's schema read them (`options`: one struct, one set of
/// defaults, the driver's), completed with what every entry has: the sensor id and name, and the
/// polling interval when the entry has one, each only where the options have such a member.
template <class Options>
[[nodiscard]] Options options_for(Options options, const SensorConfig& sensor) {
  if constexpr (requires { options.id = sensor.id; }) options.id = sensor.id;
  if constexpr (requires { options.name = sensor.name; }) options.name = sensor.name;
  if constexpr (requires { options.interval = *sensor.interval; }) {
    if (sensor.interval) options.interval = *sensor.interval;
  }
  return options;
}

struct SensorType {
  using Parse = std::function<std::shared_ptr<const SensorSettings>(ObjectReader& reader,
                                                                    const SensorParseContext&)>;
  /// The `type` string.
  std::string name;
  /// Used when the entry has no `name`; empty: `name` is required.
  std::string default_name;
  /// The type reads on a timer: it accepts `interval`, bounded and defaulted as below.
  bool polls = true;
  /// Added to the error for an `id` that is not a sensor id, where users of the type are likely
  /// to put something else there (a DS18B20's 1-Wire id).
  std::string id_hint;
  std::chrono::milliseconds default_interval{std::chrono::seconds{60}};
  std::chrono::milliseconds min_interval{std::chrono::seconds{1}};
  std::chrono::milliseconds max_interval{std::chrono::hours{24}};
  /// Reads the type's own keys from the entry (the common ones are already declared) and
  /// returns its settings. Records errors in reader.diagnostics(); never throws for bad input.
  /// Entity ids that clash within the entry (two list items that slugify alike) are the type's
  /// to report, on the item; clashes between entries are checked by the caller.
  Parse parse;
  using Make = std::function<std::unique_ptr<Sensor>(const SensorConfig&)>;
  /// Builds the driver for an entry of this type from its settings (see sensor_factory.hpp).
  Make make;
};

/// Sensor types by name, in registration order.
class SensorTypeRegistry {
 public:
  /// Throws std::logic_error when a type of that name is already registered.
  void add(SensorType type);
  [[nodiscard]] const SensorType* find(std::string_view name) const noexcept;
  [[nodiscard]] std::vector<std::string> names() const;

 private:
  std::vector<SensorType> types_;
};

/// Every type this build knows.
[[nodiscard]] const SensorTypeRegistry& builtin_sensor_types();

/// Lower-case ASCII letters and digits kept, every other run of characters becomes one `_`,
/// no `_` at either end: "Living room / CPU" -> "living_room_cpu". May return "".
[[nodiscard]] std::string slugify(std::string_view text);

/// An explicit sensor `id`: 1 to 64 characters from [a-z0-9_].
[[nodiscard]] bool is_valid_sensor_id(std::string_view id) noexcept;

}  // namespace pimqttd::sensors
