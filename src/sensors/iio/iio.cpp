#include "sensors/iio/iio.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "pimqttd/sensors/sensor_config.hpp"

namespace pimqttd::sensors {
namespace fs = std::filesystem;

namespace {

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

// "concentration_co2" -> {"concentration", "", "_co2"}; "voltage0" -> {"voltage", "0", ""}.
struct ChannelParts {
  std::string_view type;
  std::string_view index;
  std::string_view modifier;
};

ChannelParts split(std::string_view channel) {
  std::size_t i = 0;
  while (i < channel.size() && lower(channel[i])) ++i;
  std::size_t j = i;
  while (j < channel.size() && digit(channel[j])) ++j;
  return {channel.substr(0, i), channel.substr(i, j - i), channel.substr(j)};
}

struct Row {
  std::string_view type;
  std::string_view modifier;
  std::string_view label;
  std::string_view device_class;
  std::string_view unit;
  std::optional<int> precision;
  double multiply;
  double divide;
};

constexpr std::string_view kMeasurement = "measurement";

// Precision (readings are published rounded to it): the resolution of the ABI's unit after
// conversion, capped at what the chips behind the type resolve:
// - temp 2: millidegrees (3), capped at the 0.01 °C of the BMP280/BME280 compensation;
// - humidityrelative 2: milli-%RH (3), capped as the I2C humidity chips: they repeat to 0.08 %RH;
// - pressure 2 (1 Pa): kPa with fractions, capped at the BMP280/BME280's noise of about 1 Pa;
// - illuminance 1: lux with fractions, capped at 0.1 lx: the BH1750's finest step is 0.42 lx;
// - voltage, current, power 3: the ABI's mV, mA and mW;
// - CO2 and VOC 0 (ppm, ppb), resistance 0 (Ω), proximity 0 (a count).
const Row kRows[] = {
    {"temp", "", "temperature", "temperature", "°C", 2, 1, 1000},
    {"humidityrelative", "", "humidity", "humidity", "%", 2, 1, 1000},
    {"pressure", "", "pressure", "pressure", "hPa", 2, 10, 1},
    {"illuminance", "", "illuminance", "illuminance", "lx", 1, 1, 1},
    {"voltage", "", "voltage", "voltage", "V", 3, 1, 1000},
    {"current", "", "current", "current", "A", 3, 1, 1000},
    {"power", "", "power", "power", "W", 3, 1, 1000},
    {"concentration", "_co2", "CO2", "carbon_dioxide", "ppm", 0, 1e4, 1},
    {"concentration", "_voc", "VOC", "volatile_organic_compounds_parts", "ppb", 0, 1e7, 1},
    {"resistance", "", "resistance", "", "Ω", 0, 1, 1},
    {"proximity", "", "proximity", "", "", 0, 1, 1},
};

const Row* find_row(std::string_view channel) {
  const ChannelParts parts = split(channel);
  for (const Row& row : kRows) {
    if (row.type == parts.type && row.modifier == parts.modifier) return &row;
  }
  return nullptr;
}

std::string spaced(std::string_view text) {
  std::string out(text);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

// A scale or offset: the channel's own attribute, else the shared one, else `fallback`.
ChannelReading optional_factor(const fs::path& device, const std::string& channel,
                               std::string_view what, double fallback, const ReadAttribute& read) {
  std::vector<std::string> names{"in_" + channel + "_" + std::string(what)};
  const std::string shared = iio_shared_channel(channel);
  if (shared != channel) names.push_back("in_" + shared + "_" + std::string(what));
  for (const std::string& name : names) {
    ChannelReading got = read_number_attribute(read, device / name);
    if (got.value || got.error_number != ENOENT) return got;
  }
  return ChannelReading::of(fallback);
}

}  // namespace

bool is_iio_channel(std::string_view channel) noexcept {
  if (channel.empty() || channel.size() > 48) return false;
  const ChannelParts parts = split(channel);
  if (parts.type.empty()) return false;
  std::string_view rest = parts.modifier;
  while (!rest.empty()) {
    if (rest.front() != '_' || rest.size() < 2) return false;
    rest.remove_prefix(1);
    std::size_t n = 0;
    while (n < rest.size() && (lower(rest[n]) || digit(rest[n]))) ++n;
    if (n == 0) return false;
    rest.remove_prefix(n);
  }
  return true;
}

KernelQuantity iio_quantity(std::string_view channel) {
  KernelQuantity out;
  out.quantity.key = channel;
  out.quantity.state_class = kMeasurement;
  if (const Row* row = find_row(channel)) {
    out.quantity.label = row->label;
    out.quantity.device_class = row->device_class;
    out.quantity.unit = row->unit;
    out.quantity.precision = row->precision;
    out.multiply = row->multiply;
    out.divide = row->divide;
  }
  return out;
}

std::string iio_channel_label(std::string_view channel) {
  const Row* row = find_row(channel);
  if (row == nullptr) return spaced(channel);
  const ChannelParts parts = split(channel);
  std::string label(row->label);
  if (!parts.index.empty()) label += " " + std::string(parts.index);
  return label;
}

std::string iio_shared_channel(std::string_view channel) {
  const ChannelParts parts = split(channel);
  return std::string(parts.type) + std::string(parts.modifier);
}

std::vector<std::string> list_iio_channels(const fs::path& device) {
  std::vector<std::string> out;
  for (const std::string& file : list_attributes(device)) {
    std::string_view name = file;
    if (!name.starts_with("in_")) continue;
    name.remove_prefix(3);
    for (const std::string_view suffix : {std::string_view("_input"), std::string_view("_raw")}) {
      if (!name.ends_with(suffix)) continue;
      const std::string_view channel = name.substr(0, name.size() - suffix.size());
      if (is_iio_channel(channel)) out.emplace_back(channel);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

ChannelReading read_iio_channel(const fs::path& device, const std::string& channel,
                                const ReadAttribute& read) {
  const KernelQuantity quantity = iio_quantity(channel);
  ChannelReading input = read_number_attribute(read, device / ("in_" + channel + "_input"));
  if (input.value) return ChannelReading::of(quantity.convert(std::get<double>(*input.value)));
  if (input.error_number != ENOENT) return input;

  const fs::path raw_file = device / ("in_" + channel + "_raw");
  ChannelReading raw = read_number_attribute(read, raw_file);
  if (!raw.value) {
    if (raw.error_number == ENOENT) {
      return ChannelReading::failure(
          (device / ("in_" + channel + "_input")).string() + " and " + raw_file.string() +
              ": no such file (the device offers no channel \"" + channel + "\")",
          ENOENT);
    }
    return raw;
  }
  ChannelReading offset = optional_factor(device, channel, "offset", 0, read);
  if (!offset.value) return offset;
  ChannelReading scale = optional_factor(device, channel, "scale", 1, read);
  if (!scale.value) return scale;
  return ChannelReading::of(
      quantity.convert((std::get<double>(*raw.value) + std::get<double>(*offset.value)) *
                       std::get<double>(*scale.value)));
}

KernelChannel iio_channel(const std::string& sensor_id, const std::string& sensor_name,
                          const std::string& channel, std::chrono::milliseconds interval) {
  const KernelQuantity quantity = iio_quantity(channel);
  KernelChannel out;
  out.channel = channel;
  out.info = quantity_entity(sensor_id, sensor_name, quantity.quantity, interval);
  out.info.id = slugify(sensor_id + "_" + channel);
  out.info.name = sensor_name + " " + iio_channel_label(channel);
  out.read = [channel](const fs::path& device, const ReadAttribute& read) {
    return read_iio_channel(device, channel, read);
  };
  return out;
}

}  // namespace pimqttd::sensors
