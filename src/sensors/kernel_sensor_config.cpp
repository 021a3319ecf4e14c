#include "pimqttd/sensors/kernel_sensor_config.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pimqttd::sensors {
namespace {

constexpr std::array<std::string_view, 3> kSelectorKeys = {"device", "compatible", "path"};

bool valid_sysfs_path(std::string_view path) {
  return path.starts_with("/sys/") && path.find('\0') == std::string_view::npos &&
         path.find("/../") == std::string_view::npos && !path.ends_with("/..");
}

std::optional<DeviceSelector> read_selector(ObjectReader& reader) {
  std::optional<DeviceSelector> selector;
  std::string_view first_key;
  for (std::size_t i = 0; i < kSelectorKeys.size(); ++i) {
    const std::string_view key = kSelectorKeys[i];
    StringRule rule;
    rule.max_length = 4096;
    if (key == "path") {
      rule = StringRule::checked(4096, valid_sysfs_path,
                                 "an absolute sysfs path such as "
                                 "\"/sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0077\"");
    }
    std::optional<std::string> value = reader.string(key, rule);
    if (!value) continue;
    if (selector) {
      reader.error(key, fmt::format("\"{}\" already selects the device: give only one of "
                                    "\"device\", \"compatible\" and \"path\"",
                                    first_key));
      continue;
    }
    selector = DeviceSelector{static_cast<DeviceSelector::By>(i), std::move(*value), 0};
    first_key = key;
  }
  if (!selector && !reader.has("device") && !reader.has("compatible") && !reader.has("path")) {
    reader.error("device", "required key missing: give one of \"device\" (the device's name), "
                           "\"compatible\" or \"path\"");
  }
  return selector;
}

std::string_view selector_key(const DeviceSelector& selector) {
  return kSelectorKeys[static_cast<std::size_t>(selector.by)];
}

std::optional<ChannelChoice> read_choice_item(const Json& item, const Location& where,
                                              Diagnostics& diagnostics,
                                              const KernelFamily& family) {
  const StringRule channel_rule =
      StringRule::checked(64, family.valid_channel, family.channel_expected);
  if (!item.is_object()) {
    if (!item.is_string()) {
      diagnostics.error(where, "expected a channel name or an object with \"channel\", found " +
                                   describe(item));
      return std::nullopt;
    }
    auto channel = read_string(item, where, diagnostics, channel_rule);
    if (!channel) return std::nullopt;
    return ChannelChoice{std::move(*channel), {}, {}};
  }
  ObjectReader object(item, where, diagnostics);
  ChannelChoice choice;
  const auto channel = object.string("channel", channel_rule, Presence::required);
  choice.name = object.string("name").value_or("");
  choice.id = object
                  .string("id", StringRule::checked(64, is_valid_sensor_id,
                                                    "1 to 64 characters from [a-z0-9_]"))
                  .value_or("");
  object.finish();
  if (!channel) return std::nullopt;
  choice.channel = *channel;
  return choice;
}

KernelChannel resolve(const SensorConfig& sensor, const KernelFamily& family,
                      const ChannelChoice& choice, const std::filesystem::path& device) {
  KernelChannel channel = family.make_channel(sensor, choice.channel, device);
  if (!choice.id.empty()) channel.info.id = choice.id;
  if (!choice.name.empty()) channel.info.name = choice.name;
  return channel;
}

std::shared_ptr<const SensorSettings> parse_kernel_sensor(ObjectReader& reader,
                                                          const SensorParseContext& context,
                                                          const KernelFamily& family) {
  auto settings = std::make_shared<KernelSensorSettings>();
  settings->family = &family;
  KernelSensorOptions& options = settings->options;
  context.read_root(reader, options.root);
  const std::optional<DeviceSelector> selector = read_selector(reader);
  if (selector) options.selector = *selector;
  options.selector.index = static_cast<std::size_t>(reader.integer("index", 0, 63).value_or(0));
  options.retries = static_cast<int>(reader.integer("retries", 0, 10).value_or(options.retries));
  options.retry_pause =
      reader.duration("retry_pause", DurationRule{std::chrono::milliseconds{0},
                                                  std::chrono::seconds{10}, false})
          .value_or(options.retry_pause);
  options.unavailable_after = static_cast<int>(
      reader.integer("unavailable_after", 1, 100).value_or(options.unavailable_after));

  bool listed = false;
  std::vector<Location> item_locations;
  reader.array("channels", [&](const Json& item, const Location& where) {
    listed = true;
    if (auto choice = read_choice_item(item, where, reader.diagnostics(), family)) {
      settings->chosen.push_back(std::move(*choice));
      item_locations.push_back(where);
    }
  });
  if (reader.has("channels") && !listed && reader.find("channels")->is_array()) {
    reader.error("channels", "expected at least one channel, found an empty array");
  }
  if (!selector) return settings;

  // The device as it is now: where labels are read, and the channels when none are listed.
  const auto found = find_sysfs_device(options.root, family.sysfs_class, options.selector);
  const std::filesystem::path device = found ? found.value().directory : std::filesystem::path();
  if (!reader.has("channels")) {
    if (!found) {
      reader.error(selector_key(options.selector),
                   found.error() + "; list \"channels\" to let the daemon start before the "
                                   "device appears");
      return settings;
    }
    for (std::string& channel : family.list(device)) {
      settings->chosen.push_back(ChannelChoice{std::move(channel), {}, {}});
      item_locations.push_back(reader.location_of(selector_key(options.selector)));
    }
    if (settings->chosen.empty()) {
      reader.error(selector_key(options.selector),
                   fmt::format("the {} {} offers no channel this type reads",
                               family.sysfs_class.what, options.selector.describe()));
    }
  }
  for (std::size_t i = 0; i < settings->chosen.size(); ++i) {
    KernelChannel channel = resolve(context.sensor, family, settings->chosen[i], device);
    const Location& where = item_locations[i];
    bool clash = false;
    for (std::size_t j = 0; j < settings->channels.size() && !clash; ++j) {
      if (settings->channels[j].info.id == channel.info.id) {
        reader.diagnostics().error(where, fmt::format("entity id \"{}\" is already used by "
                                                      "channels[{}]",
                                                      channel.info.id, j));
        clash = true;
      }
    }
    for (const std::string& problem : context.problems_of(channel.info)) {
      reader.diagnostics().error(where, problem);
    }
    if (!clash) settings->channels.push_back(std::move(channel));
  }
  return settings;
}

}  // namespace

std::string channel_entity_id(const SensorConfig& sensor, std::string_view channel) {
  return slugify(sensor.id + "_" + std::string(channel));
}

std::vector<EntityConfig> KernelSensorSettings::entities(const SensorConfig& /*sensor*/) const {
  std::vector<EntityConfig> out;
  for (const KernelChannel& channel : channels) {
    out.push_back(EntityConfig{channel.info.id, channel.info.name});
  }
  return out;
}

void KernelSensorSettings::to_json(Json& object) const {
  object[std::string(selector_key(options.selector))] = options.selector.value;
  object["index"] = options.selector.index;
  Json list = Json::array();
  for (const ChannelChoice& choice : chosen) {
    if (choice.name.empty() && choice.id.empty()) {
      list.push_back(choice.channel);
      continue;
    }
    Json item = Json::object();
    item["channel"] = choice.channel;
    if (!choice.name.empty()) item["name"] = choice.name;
    if (!choice.id.empty()) item["id"] = choice.id;
    list.push_back(std::move(item));
  }
  object["channels"] = std::move(list);
  object["retries"] = options.retries;
  object["retry_pause"] = format_duration(options.retry_pause);
  object["unavailable_after"] = options.unavailable_after;
  object["root"] = options.root.string();
}

SensorType kernel_sensor_type(std::string name, const KernelFamily& family) {
  SensorType type;
  type.name = std::move(name);
  type.default_interval = std::chrono::seconds{60};
  type.min_interval = std::chrono::milliseconds{100};
  type.parse = [&family](ObjectReader& reader, const SensorParseContext& context) {
    return parse_kernel_sensor(reader, context, family);
  };
  type.make = [](const SensorConfig& config) -> std::unique_ptr<Sensor> {
    const auto& settings = config.settings_of<KernelSensorSettings>();
    return std::make_unique<KernelSensor>(options_for(settings.options, config),
                                          settings.family->sysfs_class, settings.channels,
                                          settings.family->list);
  };
  return type;
}

}  // namespace pimqttd::sensors
