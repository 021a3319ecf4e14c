#include "pimqttd/hw/pwm.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "pimqttd/core/file.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/hw/procfs.hpp"

namespace pimqttd::hw {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxFileSize = 4096;
constexpr std::string_view kClassDirectory = "sys/class/pwm";

// A path under `root` as the system would name it
// ("/sys/class/pwm/pwmchip0/npwm").
std::string shown(const fs::path& root, const fs::path& path) {
  const fs::path relative = path.lexically_relative(root);
  if (relative.empty() || relative.native().starts_with("..")) return path.string();
  return "/" + relative.string();
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\0')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string read_text(const fs::path& root, const fs::path& path) {
  const core::FileContents file = core::read_file(path, kMaxFileSize);
  if (file.error) {
    throw PwmError(fmt::format("cannot read {}: {}", shown(root, path), file.error.message()));
  }
  if (file.too_big) throw PwmError(fmt::format("{} is too long", shown(root, path)));
  return file.text;
}

std::uint64_t read_number(const fs::path& root, const fs::path& path) {
  const std::string text = read_text(root, path);
  const std::string_view digits = trim(text);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size()) {
    throw PwmError(fmt::format("{} holds \"{}\", not a number", shown(root, path), digits));
  }
  return value;
}

// The error of writing `text` to `path` (one write(2), as sysfs attributes take
// it).
std::error_code write_text(const fs::path& path, std::string_view text) {
  int raw = -1;
  do {
    raw = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return {errno, std::system_category()};
  const core::UniqueFd fd(std::move(raw));
  ssize_t written = -1;
  do {
    written = ::write(fd.get(), text.data(), text.size());
  } while (written < 0 && errno == EINTR);
  if (written < 0) return {errno, std::system_category()};
  if (static_cast<std::size_t>(written) != text.size()) {
    return std::make_error_code(std::errc::io_error);
  }
  return {};
}

// The compatible strings of the chip's device-tree node.
std::vector<std::string> compatibles(const fs::path& chip_directory) {
  const core::FileContents file =
      core::read_file(chip_directory / "device" / "of_node" / "compatible", kMaxFileSize);
  if (!file) return {};
  return parse_device_tree_strings(file.text);
}

std::string_view polarity_text(PwmPolarity polarity) {
  return polarity == PwmPolarity::inversed ? "inversed" : "normal";
}

}  // namespace

fs::path find_pwm_chip(const fs::path& root, std::string_view chip) {
  const fs::path directory = root / kClassDirectory;
  std::error_code error;
  std::vector<fs::path> chips;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    if (it->path().filename().native().starts_with("pwmchip")) chips.push_back(it->path());
  }
  if (error && error != std::errc::no_such_file_or_directory) {
    throw PwmError(fmt::format("cannot list {}: {}", shown(root, directory), error.message()));
  }
  std::sort(chips.begin(), chips.end());

  std::optional<fs::path> wanted_device;
  if (chip.starts_with('/')) {
    wanted_device = fs::weakly_canonical(root / fs::path(chip).relative_path(), error);
  }
  std::vector<fs::path> by_compatible;
  std::vector<std::string> seen;
  for (const fs::path& entry : chips) {
    const fs::path device = fs::canonical(entry / "device", error);
    const std::string name = error ? std::string("?") : device.filename().string();
    if (!error && (wanted_device ? device == *wanted_device : name == chip)) return entry;
    if (!wanted_device) {
      const auto list = compatibles(entry);
      if (std::find(list.begin(), list.end(), chip) != list.end()) by_compatible.push_back(entry);
    }
    seen.push_back(fmt::format("{} ({})", entry.filename().string(), name));
  }
  if (by_compatible.size() == 1) return by_compatible.front();
  if (by_compatible.size() > 1) {
    std::vector<std::string> names;
    for (const fs::path& entry : by_compatible) {
      names.push_back(fs::canonical(entry / "device", error).filename().string());
    }
    throw PwmError(fmt::format("{} PWM chips are compatible with \"{}\" ({}): name the device",
                               by_compatible.size(), chip, fmt::join(names, ", ")));
  }
  throw PwmError(
      fmt::format("no PWM chip \"{}\" in {} (found: {})", chip, shown(root, directory),
                  seen.empty() ? std::string("none") : fmt::format("{}", fmt::join(seen, ", "))));
}

SysfsPwm::SysfsPwm(fs::path root, std::string chip, std::uint32_t channel)
    : root_(std::move(root)), chip_(std::move(chip)), channel_(channel) {}

std::string SysfsPwm::describe() const {
  return fmt::format("PWM channel {} of {}", channel_, chip_);
}

void SysfsPwm::open() {
  close();
  const fs::path chip = find_pwm_chip(root_, chip_);
  const std::uint64_t count = read_number(root_, chip / "npwm");
  if (channel_ >= count) {
    throw PwmError(fmt::format("{}: {} has {} channel{} (0 to {})", describe(), shown(root_, chip),
                               count, count == 1 ? "" : "s", count == 0 ? 0 : count - 1));
  }
  const fs::path directory = chip / fmt::format("pwm{}", channel_);
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    const std::error_code failed = write_text(chip / "export", std::to_string(channel_));
    if (failed && failed != std::errc::device_or_resource_busy) {
      throw PwmError(fmt::format("cannot export {}: writing {}: {}", describe(),
                                 shown(root_, chip / "export"), failed.message()));
    }
    if (!fs::is_directory(directory, error)) {
      throw PwmError(
          fmt::format("{} did not appear after exporting {}", shown(root_, directory), describe()));
    }
  }
  PwmSettings now;
  now.period_ns = read_number(root_, directory / "period");
  now.duty_ns = read_number(root_, directory / "duty_cycle");
  const std::string polarity(trim(read_text(root_, directory / "polarity")));
  now.polarity = polarity == "inversed" ? PwmPolarity::inversed : PwmPolarity::normal;
  now.enabled = read_number(root_, directory / "enable") != 0;
  settings_ = now;
  directory_ = directory;
}

void SysfsPwm::close() noexcept { directory_.clear(); }

void SysfsPwm::write(std::string_view file, std::string_view text) {
  const fs::path path = directory_ / file;
  if (const std::error_code error = write_text(path, text)) {
    throw PwmError(
        fmt::format("cannot write \"{}\" to {}: {}", text, shown(root_, path), error.message()));
  }
}

void SysfsPwm::apply(const PwmSettings& target) {
  if (!is_open()) throw PwmError(describe() + " is not open");
  if (target.duty_ns > target.period_ns) {
    throw PwmError(fmt::format("{}: a duty cycle of {} ns is longer than the period of {} ns",
                               describe(), target.duty_ns, target.period_ns));
  }
  if (target.polarity != settings_.polarity) {
    if (settings_.enabled) {
      write("enable", "0");
      settings_.enabled = false;
    }
    write("polarity", polarity_text(target.polarity));
    settings_.polarity = target.polarity;
  }
  const auto write_duty = [&] {
    if (target.duty_ns == settings_.duty_ns) return;
    write("duty_cycle", std::to_string(target.duty_ns));
    settings_.duty_ns = target.duty_ns;
  };
  if (target.period_ns != settings_.period_ns) {
    const bool shrinking = settings_.duty_ns > target.period_ns;
    if (shrinking) write_duty();
    write("period", std::to_string(target.period_ns));
    settings_.period_ns = target.period_ns;
  }
  write_duty();
  if (target.enabled != settings_.enabled) {
    write("enable", target.enabled ? "1" : "0");
    settings_.enabled = target.enabled;
  }
}

}  // namespace pimqttd::hw
