#include "pimqttd/sensors/sysfs_device.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <system_error>

#include <fmt/format.h>

#include "pimqttd/core/config_reader.hpp"
#include "pimqttd/core/file.hpp"

namespace pimqttd::sensors {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kAttributeLimit = 4096;

std::string strip_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// The compatible lists of the device's node and its parent device's node.
std::vector<std::string> compatibles(const SysfsDevice& device) {
  std::vector<std::string> out;
  for (const fs::path& file :
       {device.directory / "of_node/compatible", device.directory / "device/of_node/compatible",
        device.real_path.parent_path() / "of_node/compatible"}) {
    const core::FileContents contents = core::read_file(file, kAttributeLimit);
    if (!contents) continue;
    for (std::string& compatible : hw::parse_device_tree_strings(contents.text)) {
      out.push_back(std::move(compatible));
    }
  }
  return out;
}

fs::path real(const fs::path& path) {
  std::error_code error;
  fs::path resolved = fs::weakly_canonical(path, error);
  return error ? path.lexically_normal() : resolved;
}

bool matches(const fs::path& root, const SysfsDevice& device, const DeviceSelector& selector) {
  switch (selector.by) {
    case DeviceSelector::By::name:
      return device.name == selector.value;
    case DeviceSelector::By::compatible: {
      const auto list = compatibles(device);
      return std::find(list.begin(), list.end(), selector.value) != list.end();
    }
    case DeviceSelector::By::path: {
      const fs::path target = real(root / fs::path(selector.value).relative_path());
      std::error_code error;
      const bool has_parent_link = fs::exists(device.directory / "device", error);
      return device.real_path == target || device.real_path.parent_path() == target ||
             (has_parent_link && real(device.directory / "device") == target);
    }
  }
  return false;
}

// The devices' names, quoted and comma-separated; "none" when there is none.
std::string names_of(const std::vector<SysfsDevice>& devices) {
  std::string out;
  for (const SysfsDevice& device : devices) {
    if (!out.empty()) out += ", ";
    out += core::quote(device.name);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string DeviceSelector::describe() const {
  std::string text;
  switch (by) {
    case By::name:
      text = "named " + core::quote(value);
      break;
    case By::compatible:
      text = "compatible with " + core::quote(value);
      break;
    case By::path:
      text = "at " + core::quote(value, std::string::npos);
      break;
  }
  if (index != 0) text += fmt::format(" (index {})", index);
  return text;
}

std::vector<SysfsDevice> list_sysfs_devices(const fs::path& root, const SysfsClass& sysfs_class) {
  std::vector<SysfsDevice> devices;
  std::error_code error;
  fs::directory_iterator it(root / sysfs_class.directory, error);
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    const std::string entry = it->path().filename().string();
    if (!entry.starts_with(sysfs_class.entry_prefix)) continue;
    std::error_code kind_error;
    if (!fs::is_directory(it->path(), kind_error)) continue;
    SysfsDevice device;
    device.directory = it->path();
    device.real_path = real(it->path());
    const core::FileContents name = core::read_file(it->path() / "name", kAttributeLimit);
    if (name) device.name = strip_newlines(name.text);
    devices.push_back(std::move(device));
  }
  std::sort(devices.begin(), devices.end(),
            [](const SysfsDevice& a, const SysfsDevice& b) { return a.real_path < b.real_path; });
  return devices;
}

std::string sysfs_device_names(const fs::path& root, const SysfsClass& sysfs_class) {
  return names_of(list_sysfs_devices(root, sysfs_class));
}

hw::ReadResult<SysfsDevice> find_sysfs_device(const fs::path& root, const SysfsClass& sysfs_class,
                                              const DeviceSelector& selector) {
  const std::vector<SysfsDevice> devices = list_sysfs_devices(root, sysfs_class);
  std::vector<const SysfsDevice*> found;
  for (const SysfsDevice& device : devices) {
    if (matches(root, device, selector)) found.push_back(&device);
  }
  if (selector.index < found.size()) return *found[selector.index];
  const fs::path directory = root / sysfs_class.directory;
  if (!found.empty()) {
    return hw::ReadResult<SysfsDevice>::failure(
        fmt::format("{} {}{} {} under {}, so there is no index {}", found.size(),
                    sysfs_class.what, found.size() == 1 ? "" : "s", selector.describe(),
                    directory.string(), selector.index));
  }
  DeviceSelector first = selector;
  first.index = 0;
  return hw::ReadResult<SysfsDevice>::failure(
      fmt::format("no {} {} under {}; the {}s there are named {}", sysfs_class.what,
                  first.describe(), directory.string(), sysfs_class.what, names_of(devices)));
}

std::vector<std::string> list_attributes(const fs::path& directory) {
  std::vector<std::string> out;
  std::error_code error;
  fs::directory_iterator it(directory, error);
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    std::error_code kind_error;
    if (it->is_symlink(kind_error) || !it->is_regular_file(kind_error)) continue;
    out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

AttributeRead read_attribute(const fs::path& path) {
  core::FileContents contents = core::read_file(path, kAttributeLimit);
  AttributeRead result;
  if (contents.error) {
    result.error = contents.error.value();
  } else if (contents.too_big) {
    result.error = EFBIG;
  } else {
    result.text = std::move(contents.text);
  }
  return result;
}

std::optional<double> parse_attribute_number(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  // Only plain decimals: digits, one optional sign and one optional point.
  const std::string_view digits = text.front() == '-' || text.front() == '+' ? text.substr(1) : text;
  if (digits.empty() || digits.front() == '.' || digits.back() == '.' ||
      std::count(digits.begin(), digits.end(), '.') > 1 ||
      !std::all_of(digits.begin(), digits.end(),
                   [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) {
    return std::nullopt;
  }
  double value = 0;
  const char* first = text.data() + (text.front() == '+' ? 1 : 0);
  const auto [end, error] = std::from_chars(first, text.data() + text.size(), value,
                                            std::chars_format::fixed);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_transient_read_error(int error) noexcept {
  switch (error) {
    case EIO:
    case ETIMEDOUT:
    case EAGAIN:
    case EBUSY:
    case ENODATA:
    case EREMOTEIO:
    case EINTR:
      return true;
    default:
      return false;
  }
}

}  // namespace pimqttd::sensors
