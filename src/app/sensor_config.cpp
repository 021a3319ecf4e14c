#include "pimqttd/app/sensor_config.hpp"

#include <algorithm>
#include <stdexcept>

#include "pimqttd/app/gpio_config.hpp"
#include "pimqttd/app/bh1750_config.hpp"
#include "pimqttd/app/bme280_config.hpp"
#include "pimqttd/app/mcp9808_config.hpp"
#include "pimqttd/app/ds18b20_config.hpp"
#include "pimqttd/app/ads1115_config.hpp"
#include "pimqttd/app/humidity_sensor_config.hpp"
#include "pimqttd/app/ina219_config.hpp"
#include "pimqttd/app/system_sensor_config.hpp"

namespace pimqttd::app {

std::filesystem::path SensorParseContext::resolve(const std::filesystem::path& path) const {
  if (path.is_absolute() || base_directory.empty()) return path;
  return base_directory / path;
}

void SensorTypeRegistry::add(SensorType type) {
  if (find(type.name) != nullptr) {
    throw std::logic_error("sensor type registered twice: " + type.name);
  }
  types_.push_back(std::move(type));
}

const SensorType* SensorTypeRegistry::find(std::string_view name) const noexcept {
  const auto it = std::find_if(types_.begin(), types_.end(),
                               [&](const SensorType& type) { return type.name == name; });
  return it == types_.end() ? nullptr : &*it;
}

std::vector<std::string> SensorTypeRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(types_.size());
  for (const auto& type : types_) out.push_back(type.name);
  return out;
}

const SensorTypeRegistry& builtin_sensor_types() {
  static const SensorTypeRegistry registry = [] {
    SensorTypeRegistry types;
    types.add(system_sensor_type());
    types.add(gpio_input_sensor_type());
    types.add(gpio_counter_sensor_type());
    types.add(gpio_output_sensor_type());
    types.add(bme280_sensor_type());
    types.add(bmp280_sensor_type());
    types.add(mcp9808_sensor_type());
    types.add(bh1750_sensor_type());
    types.add(ds18b20_sensor_type());
    types.add(sht3x_sensor_type());
    types.add(sht4x_sensor_type());
    types.add(htu21d_sensor_type());
    types.add(si7021_sensor_type());
    types.add(aht20_sensor_type());
    types.add(ads1115_sensor_type());
    types.add(ina219_sensor_type());
    return types;
  }();
  return registry;
}

std::string slugify(std::string_view text) {
  std::string out;
  bool gap = false;
  for (const char c : text) {
    const bool digit = c >= '0' && c <= '9';
    const bool lower = c >= 'a' && c <= 'z';
    const bool upper = c >= 'A' && c <= 'Z';
    if (digit || lower || upper) {
      if (gap && !out.empty()) out.push_back('_');
      gap = false;
      out.push_back(upper ? static_cast<char>(c - 'A' + 'a') : c);
    } else {
      gap = true;
    }
  }
  return out;
}

bool is_valid_sensor_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace pimqttd::app
