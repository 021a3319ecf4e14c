#include "pimqttd/sensors/sensor_config.hpp"

#include <algorithm>
#include <stdexcept>


namespace pimqttd::sensors {

std::filesystem::path SensorParseContext::resolve(const std::filesystem::path& path) const {
  if (path.is_absolute() || base_directory.empty()) return path;
  return base_directory / path;
}

void SensorParseContext::read_root(ObjectReader& reader, std::filesystem::path& root) const {
  StringRule rule;
  rule.max_length = 4096;
  if (auto text = reader.string("root", rule)) root = resolve(*text);
}

std::vector<std::string> SensorParseContext::problems_of(EntityInfo entity) const {
  if (!entity_problems) return {};
  entity.id = "x";
  entity.name = "x";
  std::vector<std::string> problems = entity_problems(entity);
  for (std::string& problem : problems) {
    if (problem.starts_with("x: ")) problem.erase(0, 3);
  }
  return problems;
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

}  // namespace pimqttd::sensors
