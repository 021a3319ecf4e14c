#include "pimqttd/hw/procfs.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include "pimqttd/core/file.hpp"
#include "pimqttd/core/unique_fd.hpp"

namespace pimqttd::hw {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// Calls `f` for every line (without its '\n') until it returns true.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (f(line)) return;
    if (end == std::string_view::npos) return;
    text.remove_prefix(end + 1);
  }
}

std::vector<std::string_view> split_blanks(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_blank(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

template <class T>
std::optional<T> parse_integer(std::string_view text, int base = 10) {
  T value{};
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value, base);
  if (text.empty() || result.ec != std::errc{} || result.ptr != end) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  if (text.empty() || result.ec != std::errc{} || result.ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// "<name>: rest" lines of /proc/net/dev and /proc/net/wireless: the fields of `interface`'s line.
std::optional<std::vector<std::string_view>> interface_fields(std::string_view text,
                                                              std::string_view interface) {
  std::optional<std::vector<std::string_view>> out;
  for_each_line(text, [&](std::string_view line) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || trim(line.substr(0, colon)) != interface) return false;
    out = split_blanks(line.substr(colon + 1));
    return true;
  });
  return out;
}

double clamp_percent(double value) { return std::clamp(value, 0.0, 100.0); }

std::string excerpt(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string_view line = trim(text.substr(0, text.find('\n')));
  std::string out;
  for (const char c : line.substr(0, kMax)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (line.size() > kMax) out += "...";
  return out;
}

std::string errno_message(int error) {
  return std::error_code(error, std::generic_category()).message();
}

}  // namespace

std::uint64_t CpuTimes::total() const noexcept {
  return user + nice + system + idle + iowait + irq + softirq + steal;
}

std::uint64_t CpuTimes::idle_total() const noexcept { return idle + iowait; }

std::optional<CpuTimes> parse_proc_stat_cpu(std::string_view proc_stat) {
  std::optional<CpuTimes> out;
  for_each_line(proc_stat, [&](std::string_view line) {
    if (line.size() < 4 || line.substr(0, 3) != "cpu" || !is_blank(line[3])) return false;
    const auto fields = split_blanks(line.substr(3));
    if (fields.size() < 4) return true;
    std::array<std::uint64_t, 8> values{};
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const auto value = parse_integer<std::uint64_t>(fields[i]);
      if (!value) return true;
      if (i < values.size()) values[i] = *value;
    }
    out = CpuTimes{values[0], values[1], values[2], values[3],
                   values[4], values[5], values[6], values[7]};
    return true;
  });
  return out;
}

std::optional<std::int64_t> parse_btime(std::string_view proc_stat) {
  std::optional<std::int64_t> out;
  for_each_line(proc_stat, [&](std::string_view line) {
    const auto fields = split_blanks(line);
    if (fields.empty() || fields[0] != "btime") return false;
    if (fields.size() == 2) {
      const auto value = parse_integer<std::int64_t>(fields[1]);
      if (value && *value > 0) out = *value;
    }
    return true;
  });
  return out;
}

std::optional<LoadAverage> parse_loadavg(std::string_view text) {
  const auto fields = split_blanks(text);
  if (fields.size() < 3) return std::nullopt;
  std::array<double, 3> values{};
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto value = parse_double(fields[i]);
    if (!value || *value < 0) return std::nullopt;
    values[i] = *value;
  }
  return LoadAverage{values[0], values[1], values[2]};
}

std::optional<MemInfo> parse_meminfo(std::string_view text) {
  constexpr std::array<std::string_view, 7> kKeys = {
      "MemTotal", "MemAvailable", "MemFree", "Buffers", "Cached", "SwapTotal", "SwapFree"};
  enum Key : std::size_t { kTotal, kAvailable, kFree, kBuffers, kCached, kSwapTotal, kSwapFree };
  std::array<std::optional<std::uint64_t>, kKeys.size()> values{};
  bool malformed = false;
  for_each_line(text, [&](std::string_view line) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    const auto key = std::find(kKeys.begin(), kKeys.end(), line.substr(0, colon));
    if (key == kKeys.end()) return false;
    auto& slot = values[static_cast<std::size_t>(key - kKeys.begin())];
    if (slot) return false;  // the first line of a key counts
    const auto fields = split_blanks(line.substr(colon + 1));
    const auto value = fields.size() == 2 && fields[1] == "kB"
                           ? parse_integer<std::uint64_t>(fields[0])
                           : std::nullopt;
    if (!value) {
      malformed = true;
      return true;
    }
    slot = *value;
    return false;
  });
  if (malformed || !values[kTotal] || *values[kTotal] == 0) return std::nullopt;
  MemInfo info;
  info.total_kib = *values[kTotal];
  if (values[kAvailable]) {
    info.available_kib = *values[kAvailable];
  } else if (values[kFree] && values[kBuffers] && values[kCached]) {
    info.available_kib = *values[kFree] + *values[kBuffers] + *values[kCached];
  } else {
    return std::nullopt;
  }
  if (values[kSwapTotal].has_value() != values[kSwapFree].has_value()) return std::nullopt;
  info.swap_total_kib = values[kSwapTotal].value_or(0);
  info.swap_free_kib = values[kSwapFree].value_or(0);
  return info;
}

double memory_used_percent(const MemInfo& info) noexcept {
  if (info.total_kib == 0) return 0;
  const std::uint64_t used =
      info.total_kib > info.available_kib ? info.total_kib - info.available_kib : 0;
  return clamp_percent(100.0 * static_cast<double>(used) / static_cast<double>(info.total_kib));
}

std::optional<double> swap_used_percent(const MemInfo& info) noexcept {
  if (info.swap_total_kib == 0) return std::nullopt;
  const std::uint64_t used =
      info.swap_total_kib > info.swap_free_kib ? info.swap_total_kib - info.swap_free_kib : 0;
  return clamp_percent(100.0 * static_cast<double>(used) /
                       static_cast<double>(info.swap_total_kib));
}

std::optional<NetCounters> parse_net_dev(std::string_view text, std::string_view interface) {
  constexpr std::size_t kFields = 16;
  constexpr std::size_t kTxBytes = 8;
  const auto fields = interface_fields(text, interface);
  if (!fields || fields->size() < kFields) return std::nullopt;
  std::array<std::uint64_t, kFields> values{};
  for (std::size_t i = 0; i < kFields; ++i) {
    const auto value = parse_integer<std::uint64_t>((*fields)[i]);
    if (!value) return std::nullopt;
    values[i] = *value;
  }
  return NetCounters{values[0], values[kTxBytes]};
}

std::optional<WirelessStats> parse_net_wireless(std::string_view text,
                                                std::string_view interface) {
  const auto fields = interface_fields(text, interface);
  if (!fields || fields->size() < 4 || !parse_integer<std::uint32_t>((*fields)[0], 16)) {
    return std::nullopt;
  }
  std::array<double, 3> values{};
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::string_view field = (*fields)[i + 1];
    if (!field.empty() && field.back() == '.') field.remove_suffix(1);
    const auto value = parse_integer<std::int64_t>(field);
    if (!value) return std::nullopt;
    values[i] = static_cast<double>(*value);
  }
  return WirelessStats{values[0], values[1], values[2]};
}

std::optional<std::int64_t> parse_thermal_millidegrees(std::string_view text) {
  return parse_integer<std::int64_t>(trim(text));
}

std::optional<std::uint32_t> parse_throttled(std::string_view text) {
  text = trim(text);
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
  }
  return parse_integer<std::uint32_t>(text, 16);
}

std::optional<std::string> parse_device_tree_model(std::string_view text) {
  const auto model = trim(text.substr(0, text.find('\0')));
  if (model.empty()) return std::nullopt;
  return std::string(model);
}

std::vector<std::string> parse_device_tree_strings(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t end = text.find('\0');
    const std::string_view item = trim(text.substr(0, end));
    if (!item.empty()) out.emplace_back(item);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

std::optional<double> disk_used_percent(const DiskUsage& usage) noexcept {
  const std::uint64_t used = usage.total > usage.free ? usage.total - usage.free : 0;
  const double denominator = static_cast<double>(used) + static_cast<double>(usage.available);
  if (denominator <= 0) return std::nullopt;
  return clamp_percent(100.0 * static_cast<double>(used) / denominator);
}

// ---- SystemFiles ------------------------------------------------------------------------------

SystemFiles::SystemFiles(std::filesystem::path root, StatvfsFunction statvfs_function)
    : root_(std::move(root)), statvfs_(std::move(statvfs_function)) {}

std::filesystem::path SystemFiles::path(const std::filesystem::path& relative) const {
  const std::filesystem::path below = relative.is_absolute() ? relative.relative_path() : relative;
  return below.empty() ? root_ : root_ / below;
}

ReadResult<std::string> SystemFiles::read_text(const std::filesystem::path& relative) const {
  const std::filesystem::path full = path(relative);
  core::FileContents file = core::read_file(full, kMaxFileSize);
  if (file.error) {
    return ReadResult<std::string>::failure(full.string() + ": " +
                                            errno_message(file.error.value()));
  }
  if (file.too_big) {
    return ReadResult<std::string>::failure(
        fmt::format("{}: longer than {} bytes", full.string(), kMaxFileSize));
  }
  return std::move(file.text);
}

template <class T, class Parse>
ReadResult<T> SystemFiles::read_parsed(const std::filesystem::path& relative, Parse parse) const {
  auto text = read_text(relative);
  if (!text) return ReadResult<T>::failure(text.error());
  std::optional<T> value = parse(text.value());
  if (!value) {
    return ReadResult<T>::failure(
        fmt::format("{}: cannot parse \"{}\"", path(relative).string(), excerpt(text.value())));
  }
  return std::move(*value);
}

ReadResult<CpuTimes> SystemFiles::cpu_times() const {
  return read_parsed<CpuTimes>("proc/stat", parse_proc_stat_cpu);
}

ReadResult<std::int64_t> SystemFiles::boot_time() const {
  return read_parsed<std::int64_t>("proc/stat", parse_btime);
}

ReadResult<LoadAverage> SystemFiles::load_average() const {
  return read_parsed<LoadAverage>("proc/loadavg", parse_loadavg);
}

ReadResult<MemInfo> SystemFiles::memory() const {
  return read_parsed<MemInfo>("proc/meminfo", parse_meminfo);
}

ReadResult<NetCounters> SystemFiles::net_counters(std::string_view interface) const {
  const std::filesystem::path relative = "proc/net/dev";
  auto text = read_text(relative);
  if (!text) return ReadResult<NetCounters>::failure(text.error());
  if (auto counters = parse_net_dev(text.value(), interface)) return *counters;
  return ReadResult<NetCounters>::failure(
      fmt::format("{}: no valid line for {}", path(relative).string(), interface));
}

ReadResult<WirelessStats> SystemFiles::wireless(std::string_view interface) const {
  const std::filesystem::path relative = "proc/net/wireless";
  auto text = read_text(relative);
  if (!text) return ReadResult<WirelessStats>::failure(text.error());
  if (auto stats = parse_net_wireless(text.value(), interface)) return *stats;
  return ReadResult<WirelessStats>::failure(fmt::format(
      "{}: no valid line for {} (not associated?)", path(relative).string(), interface));
}

bool SystemFiles::is_wireless(std::string_view interface) const {
  std::error_code ignored;
  return std::filesystem::is_directory(
      path(std::filesystem::path("sys/class/net") / interface / "wireless"), ignored);
}

ReadResult<std::int64_t> SystemFiles::thermal_millidegrees(int zone) const {
  return read_parsed<std::int64_t>(fmt::format("sys/class/thermal/thermal_zone{}/temp", zone),
                                   parse_thermal_millidegrees);
}

std::optional<std::filesystem::path> SystemFiles::find_throttled_file() const {
  constexpr std::string_view kAttribute = "get_throttled";
  std::error_code error;
  const std::filesystem::path soc =
      std::filesystem::path("sys/devices/platform/soc/soc:firmware") / kAttribute;
  if (std::filesystem::is_regular_file(path(soc), error)) return soc;
  const std::filesystem::path driver = "sys/bus/platform/drivers/raspberrypi-firmware";
  std::vector<std::filesystem::path> found;
  for (std::filesystem::directory_iterator it(path(driver), error), end; !error && it != end;
       it.increment(error)) {
    const std::filesystem::path candidate = driver / it->path().filename() / kAttribute;
    std::error_code ignored;
    if (std::filesystem::is_regular_file(path(candidate), ignored)) found.push_back(candidate);
  }
  if (found.empty()) return std::nullopt;
  return *std::min_element(found.begin(), found.end());
}

ReadResult<std::uint32_t> SystemFiles::throttled(const std::filesystem::path& relative) const {
  return read_parsed<std::uint32_t>(relative, parse_throttled);
}

ReadResult<std::string> SystemFiles::device_tree_model() const {
  return read_parsed<std::string>("proc/device-tree/model", parse_device_tree_model);
}

ReadResult<DiskUsage> SystemFiles::disk_usage(const std::filesystem::path& mount) const {
  const std::filesystem::path full = path(mount);
  struct statvfs st {};
  int rc = -1;
  do {
    rc = statvfs_ ? statvfs_(full.c_str(), &st) : ::statvfs(full.c_str(), &st);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    return ReadResult<DiskUsage>::failure(full.string() + ": " + errno_message(errno));
  }
  if (st.f_blocks == 0) {
    return ReadResult<DiskUsage>::failure(full.string() + ": the file system reports no blocks");
  }
  DiskUsage usage;
  usage.fragment_size = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  usage.total = st.f_blocks;
  usage.free = st.f_bfree;
  usage.available = st.f_bavail;
  return usage;
}

}  // namespace pimqttd::hw
