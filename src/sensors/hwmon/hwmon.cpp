#include "sensors/hwmon/hwmon.hpp"

#include <algorithm>
#include <utility>

#include "pimqttd/core/file.hpp"
#include "pimqttd/sensors/sensor_config.hpp"

namespace pimqttd::sensors {
namespace fs = std::filesystem;

namespace {

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

constexpr std::string_view kTypes[] = {"temp", "fan", "in", "curr", "power", "energy", "humidity"};
constexpr std::string_view kAlarmSuffix = "_alarm";

// The "<type><n>" a channel starts with ("in0" of "in0_lcrit_alarm"); empty when it does not.
std::string_view base_channel(std::string_view channel) {
  std::size_t i = 0;
  while (i < channel.size() && lower(channel[i])) ++i;
  const std::string_view type = channel.substr(0, i);
  if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes)) return {};
  std::size_t j = i;
  while (j < channel.size() && digit(channel[j])) ++j;
  if (j == i) return {};
  return channel.substr(0, j);
}

std::string_view type_of(std::string_view channel) {
  std::size_t i = 0;
  while (i < channel.size() && lower(channel[i])) ++i;
  return channel.substr(0, i);
}

struct Row {
  std::string_view type;
  std::string_view device_class;
  std::string_view state_class;
  std::string_view unit;
  int precision;
  double divide;
};

// Precision (readings are published rounded to it): the resolution of the ABI's unit after
// conversion, capped at what hwmon chips resolve:
// - temp 2: millidegrees (3), capped at 0.01 °C, which keeps the 0.0625 °C steps of the finer
//   chips (TMP102, MCP9808) apart;
// - in, curr 3: the ABI's mV and mA;
// - power 3: µW (6), capped at mW: the power monitors' LSB is some mW (INA219: 20 x its current
//   LSB);
// - energy 3: µJ, capped at mWh;
// - humidity 2: milli-%RH (3), capped as the I2C humidity chips: they repeat to 0.08 %RH;
// - fan 0: whole RPM.
const Row kRows[] = {
    {"temp", "temperature", "measurement", "°C", 2, 1e3},
    {"in", "voltage", "measurement", "V", 3, 1e3},
    {"curr", "current", "measurement", "A", 3, 1e3},
    {"power", "power", "measurement", "W", 3, 1e6},
    {"energy", "energy", "total_increasing", "Wh", 3, 3.6e9},
    {"humidity", "humidity", "measurement", "%", 2, 1e3},
    {"fan", "", "measurement", "RPM", 0, 1},
};

// The alarm's kind in words: "lcrit" -> "critical low".
std::string kind_words(std::string_view kind) {
  static const std::pair<std::string_view, std::string_view> kKinds[] = {
      {"lcrit", "critical low"}, {"crit", "critical"}, {"min", "low"},
      {"max", "high"},           {"emergency", "emergency"}, {"beep", "beep"}};
  for (const auto& [key, words] : kKinds) {
    if (kind == key) return std::string(words);
  }
  std::string out(kind);
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (prefix.empty() || text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (fold(text[i]) != fold(prefix[i])) return false;
  }
  return text.size() == prefix.size() || text[prefix.size()] == ' ';
}

std::string read_label(const fs::path& device, std::string_view channel) {
  if (device.empty()) return {};
  const core::FileContents label =
      core::read_file(device / (std::string(channel) + "_label"), 4096);
  if (!label) return {};
  std::string text = label.text;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

bool is_hwmon_alarm(std::string_view channel) noexcept {
  const std::string_view base = base_channel(channel);
  if (base.empty() || !channel.ends_with(kAlarmSuffix)) return false;
  // Between the base and "_alarm": nothing, or "_<kind>" of lower-case letters.
  std::string_view kind = channel.substr(base.size(), channel.size() - base.size() -
                                                          kAlarmSuffix.size());
  if (kind.empty()) return true;
  if (kind.front() != '_' || kind.size() < 2) return false;
  kind.remove_prefix(1);
  return std::all_of(kind.begin(), kind.end(), [](char c) { return lower(c) || c == '_'; }) &&
         kind.back() != '_' && kind.find("__") == std::string_view::npos;
}

bool is_hwmon_channel(std::string_view channel) noexcept {
  if (channel.size() > 48) return false;
  const std::string_view base = base_channel(channel);
  if (base.empty()) return false;
  return base.size() == channel.size() || is_hwmon_alarm(channel);
}

KernelQuantity hwmon_quantity(std::string_view channel) {
  KernelQuantity out;
  out.quantity.key = channel;
  out.quantity.label = channel;
  const std::string_view type = type_of(channel);
  for (const Row& row : kRows) {
    if (row.type != type) continue;
    out.quantity.device_class = row.device_class;
    out.quantity.state_class = row.state_class;
    out.quantity.unit = row.unit;
    out.quantity.precision = row.precision;
    out.divide = row.divide;
  }
  return out;
}

std::vector<std::string> list_hwmon_channels(const fs::path& device) {
  std::vector<std::string> values;
  std::vector<std::string> alarms;
  for (const std::string& file : list_attributes(device)) {
    if (is_hwmon_alarm(file)) {
      alarms.push_back(file);
      continue;
    }
    constexpr std::string_view kInput = "_input";
    if (!std::string_view(file).ends_with(kInput)) continue;
    const std::string channel = file.substr(0, file.size() - kInput.size());
    if (is_hwmon_channel(channel) && !is_hwmon_alarm(channel)) values.push_back(channel);
  }
  values.insert(values.end(), alarms.begin(), alarms.end());
  return values;
}

ChannelReading read_hwmon_channel(const fs::path& device, const std::string& channel,
                                  const ReadAttribute& read) {
  if (is_hwmon_alarm(channel)) {
    ChannelReading got = read_number_attribute(read, device / channel);
    if (!got.value) return got;
    return ChannelReading::of(std::get<double>(*got.value) != 0);
  }
  ChannelReading got = read_number_attribute(read, device / (channel + "_input"));
  if (!got.value) return got;
  return ChannelReading::of(hwmon_quantity(channel).convert(std::get<double>(*got.value)));
}

std::string hwmon_entity_name(const std::string& sensor_name, const std::string& channel,
                              const std::string& label) {
  const auto with_sensor = [&](const std::string& rest) {
    if (starts_with_ignoring_case(rest, sensor_name)) return rest;
    return sensor_name + " " + rest;
  };
  if (!is_hwmon_alarm(channel)) return with_sensor(label.empty() ? channel : label);
  const std::string_view base = base_channel(channel);
  std::string_view kind = std::string_view(channel).substr(
      base.size(), channel.size() - base.size() - kAlarmSuffix.size());
  if (!kind.empty()) kind.remove_prefix(1);
  if (type_of(base) == "in" && kind == "lcrit") {
    return label.empty() ? sensor_name + " undervoltage" : with_sensor(label + " undervoltage");
  }
  std::string rest = label.empty() ? std::string(base) : label;
  if (!kind.empty()) rest += " " + kind_words(kind);
  return with_sensor(rest + " alarm");
}

KernelChannel hwmon_channel(const std::string& sensor_id, const std::string& sensor_name,
                            const std::string& channel, std::chrono::milliseconds interval,
                            const fs::path& device) {
  KernelChannel out;
  out.channel = channel;
  const bool alarm = is_hwmon_alarm(channel);
  if (alarm) {
    out.info.platform = Platform::binary_sensor;
    out.info.device_class = "problem";
    out.info.interval = interval;
  } else {
    const KernelQuantity quantity = hwmon_quantity(channel);
    out.info = quantity_entity(sensor_id, sensor_name, quantity.quantity, interval);
    if (type_of(channel) == "fan") out.info.icon = "mdi:fan";
  }
  out.info.id = slugify(sensor_id + "_" + channel);
  out.info.name = hwmon_entity_name(sensor_name, channel,
                                    read_label(device, alarm ? base_channel(channel) : channel));
  out.read = [channel](const fs::path& directory, const ReadAttribute& read) {
    return read_hwmon_channel(directory, channel, read);
  };
  return out;
}

}  // namespace pimqttd::sensors
