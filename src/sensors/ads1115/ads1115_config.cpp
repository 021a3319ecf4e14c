#include "sensors/ads1115/ads1115_config.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {
namespace {


constexpr std::size_t kMaxChannels = 8;

const std::vector<std::string>& input_names() {
  static const std::vector<std::string> names{"A0",    "A1",    "A2",    "A3",
                                              "A0-A1", "A0-A3", "A1-A3", "A2-A3"};
  return names;
}

constexpr std::array<Ads1115Input, 8> kInputs{Ads1115Input::a0,    Ads1115Input::a1,
                                              Ads1115Input::a2,    Ads1115Input::a3,
                                              Ads1115Input::a0_a1, Ads1115Input::a0_a3,
                                              Ads1115Input::a1_a3, Ads1115Input::a2_a3};

bool has_alnum(std::string_view text) { return !slugify(text).empty(); }

Ads1115ChannelSettings read_channel(ObjectReader& reader) {
  Ads1115ChannelSettings channel;
  channel.name =
      reader
          .string("name",
                  StringRule::checked(64, has_alnum,
                                      "a name of 1 to 64 bytes with an ASCII letter or digit"),
                  Presence::required)
          .value_or("");
  channel.channel.key = slugify(channel.name);
  if (const auto input = reader.choice("input", input_names(), Presence::required)) {
    channel.input = input_names()[*input];
    channel.channel.input = kInputs[*input];
  }
  channel.channel.full_scale =
      reader
          .number("gain",
                  {[](double gain) { return Ads1115::pga_code(gain).has_value(); },
                   "one of 6.144, 4.096, 2.048, 1.024, 0.512, 0.256 (the full-scale range in V)"})
          .value_or(channel.channel.full_scale);
  channel.channel.multiplier =
      reader
          .number("multiplier", {[](double m) { return m > 0 && m <= 1e6; },
                                 "a number greater than 0 and at most 1000000"})
          .value_or(1.0);
  return channel;
}

std::shared_ptr<const SensorSettings> parse_ads1115(ObjectReader& reader,
                                                    const SensorParseContext& context) {
  auto settings = std::make_shared<Ads1115Settings>();
  settings->location = read_i2c_location(reader, I2cAddresses{{0x48, 0x49, 0x4A, 0x4B}});
  const Json* list = reader.find("channels", Presence::required);
  if (list == nullptr) return settings;
  const Location where = reader.location_of("channels");
  if (!list->is_array()) {
    reader.error("channels", "expected an array of channel objects, found " + describe(*list));
    return settings;
  }
  if (list->empty() || list->size() > kMaxChannels) {
    reader.error("channels", fmt::format("expected 1 to {} channels, found {}", kMaxChannels,
                                         list->size()));
    return settings;
  }
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Location item = where.element(i);
    ObjectReader channel_reader((*list)[i], item, reader.diagnostics());
    if (!channel_reader.ok()) continue;
    Ads1115ChannelSettings channel = read_channel(channel_reader);
    channel_reader.finish();
    const auto clash = std::find_if(
        settings->channels.begin(), settings->channels.end(), [&](const auto& earlier) {
          return !channel.channel.key.empty() && earlier.channel.key == channel.channel.key;
        });
    if (clash != settings->channels.end()) {
      reader.diagnostics().error(
          item,
          fmt::format("entity id \"{}_{}\" is already used by channels[{}]", context.sensor.id,
                      channel.channel.key, clash - settings->channels.begin()));
    }
    settings->channels.push_back(std::move(channel));
  }
  return settings;
}

Quantity channel_quantity(const Ads1115ChannelSettings& channel) {
  return {channel.channel.key, channel.name, "voltage", "measurement", "V",
          Ads1115::display_precision(channel.channel)};
}

std::unique_ptr<Sensor> make_ads1115(const SensorConfig& config) {
  const Ads1115Settings& settings = config.settings_of<Ads1115Settings>();
  const PolledOptions options = polled_options(config);
  std::vector<PolledSensor::Entity> entities;
  std::vector<Ads1115Channel> channels;
  for (const Ads1115ChannelSettings& channel : settings.channels) {
    entities.push_back({channel.channel.key, quantity_entity(config.id, config.name,
                                                               channel_quantity(channel),
                                                               options.interval)});
    channels.push_back(channel.channel);
  }
  const I2cLocation& location = settings.location;
  return std::make_unique<PolledSensor>(
      options, std::move(entities),
      std::make_unique<Ads1115>(open_i2c_bus(location.bus), location.address,
                                         std::move(channels)));
}

}  // namespace

std::vector<EntityConfig> Ads1115Settings::entities(const SensorConfig& sensor) const {
  std::vector<Quantity> quantities;
  quantities.reserve(channels.size());
  for (const Ads1115ChannelSettings& channel : channels) {
    quantities.push_back(channel_quantity(channel));
  }
  return quantity_entities(sensor, quantities);
}

void Ads1115Settings::to_json(Json& object) const {
  i2c_location_to_json(location, object);
  Json list = Json::array();
  for (const Ads1115ChannelSettings& channel : channels) {
    Json item = Json::object();
    item["name"] = channel.name;
    item["input"] = channel.input;
    item["gain"] = channel.channel.full_scale;
    item["multiplier"] = channel.channel.multiplier;
    list.push_back(std::move(item));
  }
  object["channels"] = std::move(list);
}

SensorType ads1115_sensor_type() {
  SensorType type;
  type.name = "ads1115";
  type.default_name = "ADS1115";
  type.parse = parse_ads1115;
  type.make = make_ads1115;
  return type;
}

}  // namespace pimqttd::sensors
