#include "sensors/command/command_config.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pimqttd::sensors {
namespace {

using std::chrono::milliseconds;

const std::vector<std::string> kPlatforms = {"button", "switch", "sensor"};
const std::vector<std::string> kStateFrom = {"exit", "output"};
constexpr std::size_t kMaxArguments = 256;
constexpr std::size_t kMaxArgument = 4096;

// Which platforms take a key that not all of them take.
struct PlatformKey {
  std::string_view key;
  std::array<bool, 3> taken_by;  // button, switch, sensor
};
constexpr int kMaxPrecision = 6;  // as the round filter
constexpr std::array<PlatformKey, 10> kPlatformKeys = {{
    {"command", {true, false, true}},
    {"on", {false, true, false}},
    {"off", {false, true, false}},
    {"state", {false, true, false}},
    {"state_from", {false, true, false}},
    {"value", {false, false, true}},
    {"interval", {false, true, true}},
    {"unit", {false, false, true}},
    {"state_class", {false, false, true}},
    {"precision", {false, false, true}},
}};

std::string_view platform_name(CommandPlatform platform) {
  return kPlatforms.at(static_cast<std::size_t>(platform));
}

// Keys of other platforms are errors that name their platforms (and are declared, so that they
// are not reported as unknown as well).
void reject_other_platforms(ObjectReader& r, CommandPlatform platform) {
  for (const PlatformKey& entry : kPlatformKeys) {
    r.allow(entry.key);
    if (entry.taken_by.at(static_cast<std::size_t>(platform)) || !r.has(entry.key)) continue;
    std::string owners;
    for (std::size_t i = 0; i < kPlatforms.size(); ++i) {
      if (!entry.taken_by.at(i)) continue;
      if (!owners.empty()) owners += " and ";
      owners += quote(kPlatforms[i]);
    }
    r.error(entry.key, fmt::format("not a key of platform {} (only of {})",
                                   quote(platform_name(platform)), owners));
  }
}

bool valid_variable_name(std::string_view name) {
  const auto letter = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  };
  return !name.empty() && letter(name.front()) &&
         std::all_of(name.begin() + 1, name.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

bool valid_pointer(std::string_view text) {
  if (text.empty() || text.front() != '/') return false;
  try {
    static_cast<void>(nlohmann::json::json_pointer(std::string(text)));
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return true;
}

StringRule text_rule(std::size_t max) {
  StringRule rule;
  rule.max_length = max;
  return rule;
}

// A program and its arguments: an array of non-empty strings, the first an absolute path.
std::vector<std::string> read_argv(ObjectReader& r, std::string_view key, Presence presence) {
  if (const Json* value = r.find(key, presence); value != nullptr && value->is_string()) {
    r.error(key, "expected an array: the program's absolute path, then each argument as a string "
                 "(no shell), found " + describe(*value));
    return {};
  }
  auto argv = r.string_list(key, text_rule(kMaxArgument), 1, Presence::optional);
  if (!argv) return {};
  const Location where = r.location_of(key);
  if (argv->size() > kMaxArguments) {
    r.error(key, fmt::format("expected at most {} items, found {}", kMaxArguments, argv->size()));
    return {};
  }
  if (argv->front().front() != '/') {
    r.diagnostics().error(where.element(0),
                          "expected the program's absolute path (it is run as it is: no PATH "
                          "search, no shell), found " + quote(argv->front()));
    return {};
  }
  return std::move(*argv);
}

std::vector<std::pair<std::string, std::string>> read_environment(ObjectReader& r) {
  std::vector<std::pair<std::string, std::string>> out;
  const Json* value = r.find("environment");
  if (value == nullptr) return out;
  const Location where = r.location_of("environment");
  if (!value->is_object()) {
    r.error("environment", "expected an object of variables ({\"NAME\": \"value\"}), found " +
                               describe(*value));
    return out;
  }
  StringRule rule = text_rule(kMaxArgument);
  rule.min_length = 0;
  std::size_t index = 0;
  for (auto it = value->begin(); it != value->end(); ++it, ++index) {
    const Location at = where.key(it.key(), index);
    if (!valid_variable_name(it.key())) {
      r.diagnostics().error(at, "expected a variable name of letters, digits and '_' that does "
                                "not start with a digit, found " + quote(it.key()));
      continue;
    }
    if (auto text = read_string(it.value(), at, r.diagnostics(), rule)) {
      out.emplace_back(it.key(), std::move(*text));
    }
  }
  return out;
}

// Home Assistant's rules for what the entity shows: `device_class`, and for a sensor `unit`
// and `state_class` with it (a problem of the three goes on the first one given); `icon`.
void read_presentation(ObjectReader& r, const SensorParseContext& context, CommandOptions& o) {
  EntityInfo entity;
  switch (o.platform) {
    case CommandPlatform::button: entity.platform = Platform::button; break;
    case CommandPlatform::switch_: entity.platform = Platform::switch_; break;
    case CommandPlatform::sensor: entity.platform = Platform::sensor; break;
  }
  entity.commandable = o.platform != CommandPlatform::sensor;
  if (auto icon = r.string("icon", text_rule(64))) {
    EntityInfo with_icon = entity;
    with_icon.icon = *icon;
    const auto problems = context.problems_of(with_icon);
    for (const std::string& problem : problems) r.error("icon", problem);
    if (problems.empty()) o.icon = std::move(*icon);
  }
  const auto device_class = r.string("device_class", text_rule(64));
  std::optional<std::string> unit;
  std::optional<std::string> state_class;
  if (o.platform == CommandPlatform::sensor) {
    unit = r.string("unit", text_rule(32));
    state_class = r.string("state_class", text_rule(32));
  }
  entity.device_class = device_class.value_or("");
  entity.unit = unit.value_or("");
  entity.state_class = state_class.value_or("");
  std::string_view blamed = device_class ? "device_class" : state_class ? "state_class" : "unit";
  auto problems = context.problems_of(entity);
  if (problems.empty() && device_class && o.platform == CommandPlatform::sensor) {
    // A class that takes no display precision is not numeric (a timestamp, a date).
    EntityInfo with_precision = entity;
    with_precision.display_precision = 0;
    if (!context.problems_of(with_precision).empty()) {
      problems.push_back(fmt::format(
          "expected a numeric device class (a command sensor's value is a number), found {}",
          quote(*device_class)));
    }
  }
  for (const std::string& problem : problems) r.error(blamed, problem);
  if (!problems.empty()) return;
  o.device_class = entity.device_class;
  o.unit = entity.unit;
  o.state_class = entity.state_class;
}

std::shared_ptr<const SensorSettings> parse_command(ObjectReader& r,
                                                    const SensorParseContext& context) {
  auto settings = std::make_shared<CommandSettings>();
  CommandOptions& o = settings->options;
  const auto platform = r.choice("platform", kPlatforms, Presence::required);
  if (!platform) {
    // Without a platform, which keys belong is unknown: report nothing more.
    for (const PlatformKey& entry : kPlatformKeys) r.allow(entry.key);
    for (std::string_view key : {"timeout", "environment", "device_class", "icon"}) r.allow(key);
    return settings;
  }
  o.platform = static_cast<CommandPlatform>(*platform);
  reject_other_platforms(r, o.platform);
  const DurationRule interval_rule{std::chrono::seconds{1}, std::chrono::hours{24}, false};
  switch (o.platform) {
    case CommandPlatform::button:
      o.command = read_argv(r, "command", Presence::required);
      break;
    case CommandPlatform::switch_:
      o.on = read_argv(r, "on", Presence::required);
      o.off = read_argv(r, "off", Presence::required);
      o.state = read_argv(r, "state", Presence::optional);
      if (r.has("state")) {
        if (r.choice("state_from", kStateFrom) == 1U) o.state_from = StateFrom::output;
        o.interval = r.duration("interval", interval_rule).value_or(o.interval);
      } else {
        for (std::string_view key : {"state_from", "interval"}) {
          if (r.has(key)) r.error(key, "only with \"state\" (a switch without it does not poll)");
        }
      }
      break;
    case CommandPlatform::sensor:
      o.command = read_argv(r, "command", Presence::required);
      o.value = r.string("value", StringRule::checked(1024, valid_pointer,
                                                      "a JSON pointer such as \"/data/temperature\""))
                    .value_or("");
      o.interval = r.duration("interval", interval_rule).value_or(o.interval);
      if (auto precision = r.integer("precision", 0, kMaxPrecision)) {
        o.precision = static_cast<int>(*precision);
      }
      break;
  }
  o.timeout = r.duration("timeout", DurationRule{milliseconds{100}, std::chrono::hours{1}, false})
                  .value_or(o.timeout);
  o.environment = read_environment(r);
  read_presentation(r, context, o);
  return settings;
}

Json optional_text(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

std::unique_ptr<Sensor> make_command(const SensorConfig& config) {
  return std::make_unique<CommandSensor>(
      options_for(config.settings_of<CommandSettings>().options, config));
}

}  // namespace

std::vector<EntityConfig> CommandSettings::entities(const SensorConfig& sensor) const {
  return {EntityConfig{sensor.id, sensor.name}};
}

void CommandSettings::to_json(Json& object) const {
  const CommandOptions& o = options;
  object["platform"] = platform_name(o.platform);
  switch (o.platform) {
    case CommandPlatform::button:
      object["command"] = o.command;
      break;
    case CommandPlatform::switch_:
      object["on"] = o.on;
      object["off"] = o.off;
      if (o.state.empty()) {
        object["state"] = nullptr;
      } else {
        object["state"] = o.state;
        object["state_from"] = kStateFrom.at(static_cast<std::size_t>(o.state_from));
        object["interval"] = format_duration(o.interval);
      }
      break;
    case CommandPlatform::sensor:
      object["command"] = o.command;
      object["value"] = optional_text(o.value);
      object["interval"] = format_duration(o.interval);
      object["unit"] = optional_text(o.unit);
      object["state_class"] = optional_text(o.state_class);
      object["precision"] = o.precision ? Json(*o.precision) : Json(nullptr);
      break;
  }
  object["timeout"] = format_duration(o.timeout);
  Json environment = Json::object();
  for (const auto& [name, value] : o.environment) environment[name] = value;
  object["environment"] = std::move(environment);
  object["device_class"] = optional_text(o.device_class);
  object["icon"] = optional_text(o.icon);
}

SensorType command_sensor_type() {
  SensorType type;
  type.name = "command";
  // `interval` is read by the type itself: a button and an optimistic switch do not poll.
  type.polls = false;
  type.parse = parse_command;
  type.make = make_command;
  return type;
}

}  // namespace pimqttd::sensors
