#include "pimqttd/hw/gpio.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "gpio_backend.hpp"

namespace pimqttd::hw {
namespace {

namespace fs = std::filesystem;
using gpio_backend::Chip;
using ChipPtr = std::unique_ptr<Chip>;

constexpr std::string_view kChipPrefix = "gpiochip";

std::string error_text(int error) { return std::generic_category().message(error); }

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// "gpiochip12" -> 12; nullopt for names without a number after the prefix.
std::optional<unsigned long> chip_number(std::string_view file_name) {
  if (!file_name.starts_with(kChipPrefix)) return std::nullopt;
  const std::string_view digits = file_name.substr(kChipPrefix.size());
  if (!all_digits(digits)) return std::nullopt;
  unsigned long number = 0;
  const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (result.ec != std::errc{}) return std::nullopt;
  return number;
}

/// "gpiochip0 [pinctrl-bcm2711]"
std::string chip_title(const Chip& chip) { return fmt::format("{} [{}]", chip.name(), chip.label()); }

/// "GPIO17 (gpiochip0 line 17)", or "gpiochip0 line 17" for a line without a name.
std::string line_title(Chip& chip, std::uint32_t offset) {
  const std::string where = fmt::format("{} line {}", chip.name(), offset);
  const std::string name = chip.line_name(offset);
  return name.empty() ? where : fmt::format("{} ({})", name, where);
}

/// One gpiochip* entry of the device directory, opened if it can be.
struct ChipFile {
  fs::path path;
  std::string file_name;
  ChipPtr chip;
  int error = 0;  ///< errno of the failed open
};

std::string open_failure(int error) {
  return (error == ENOTTY || error == ENODEV) ? std::string("not a GPIO chip")
                                              : "cannot open: " + error_text(error);
}

std::string listing(const ChipFile& file) {
  if (!file.chip) return fmt::format("{} ({})", file.file_name, open_failure(file.error));
  return fmt::format("{} ({} lines)", chip_title(*file.chip), file.chip->num_lines());
}

/// Every gpiochip* entry of `directory`, by number (then by name), each opened.
std::vector<ChipFile> open_all(const fs::path& directory) {
  std::vector<ChipFile> files;
  std::error_code error;
  for (fs::directory_iterator it(directory, error), end; !error && it != end;
       it.increment(error)) {
    std::string name = it->path().filename().string();
    if (name.starts_with(kChipPrefix)) {
      files.push_back(ChipFile{it->path(), std::move(name), {}, 0});
    }
  }
  std::sort(files.begin(), files.end(), [](const ChipFile& a, const ChipFile& b) {
    const auto na = chip_number(a.file_name);
    const auto nb = chip_number(b.file_name);
    if (na.has_value() != nb.has_value()) return na.has_value();
    if (na && *na != *nb) return *na < *nb;
    return a.file_name < b.file_name;
  });
  for (ChipFile& file : files) {
    file.chip = gpio_backend::open_chip(file.path, file.error);
  }
  return files;
}

/// "chips present: a, b" or "there is no GPIO chip in /dev".
std::string present(const std::vector<ChipFile>& files, const fs::path& directory) {
  if (files.empty()) return fmt::format("there is no GPIO chip in {}", directory.string());
  std::string out = "chips present: ";
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (i > 0) out += ", ";
    out += listing(files[i]);
  }
  return out;
}

[[noreturn]] void chip_not_found(const std::string& chip, const fs::path& directory) {
  throw GpioError(
      fmt::format("GPIO chip \"{}\" not found; {}", chip, present(open_all(directory), directory)));
}

[[noreturn]] void cannot_open(const fs::path& path, int error) {
  if (error == ENOTTY || error == ENODEV) {
    throw GpioError(fmt::format("{} is not a GPIO chip", path.string()));
  }
  throw GpioError(fmt::format("cannot open GPIO chip {}: {}", path.string(), error_text(error)));
}

ChipPtr open_path(const fs::path& path, const std::string& chip, const fs::path& directory) {
  int error = 0;
  ChipPtr opened = gpio_backend::open_chip(path, error);
  if (opened) return opened;
  if (error == ENOENT) chip_not_found(chip, directory);
  cannot_open(path, error);
}

/// The chip `chip` names: a number, a path, a name or a label (in that order of tries).
ChipPtr open_chip(const std::string& chip, const fs::path& directory) {
  if (all_digits(chip)) {
    return open_path(directory / (std::string(kChipPrefix) + chip), chip, directory);
  }
  if (chip.find('/') != std::string::npos) return open_path(chip, chip, directory);
  std::vector<ChipFile> files = open_all(directory);
  for (ChipFile& file : files) {
    if (file.file_name == chip || (file.chip && chip == file.chip->name())) {
      if (!file.chip) cannot_open(file.path, file.error);
      return std::move(file.chip);
    }
  }
  for (ChipFile& file : files) {
    if (file.chip && chip == file.chip->label()) return std::move(file.chip);
  }
  throw GpioError(fmt::format("GPIO chip \"{}\" not found; {}", chip, present(files, directory)));
}

struct FoundLine {
  ChipPtr chip;
  std::uint32_t offset = 0;
};

FoundLine find_line(const GpioLineSpec& spec, const fs::path& directory) {
  if (const auto* offset = std::get_if<std::uint32_t>(&spec.line)) {
    if (spec.chip.empty()) {
      throw GpioError(fmt::format("line {}: a line given by its offset needs its chip", *offset));
    }
    ChipPtr chip = open_chip(spec.chip, directory);
    const std::uint32_t count = chip->num_lines();
    if (*offset >= count) {
      throw GpioError(fmt::format("{} has {} lines (offsets 0 to {}): there is no line {}",
                                  chip_title(*chip), count, count == 0 ? 0 : count - 1,
                                  *offset));
    }
    return {std::move(chip), *offset};
  }
  const auto& name = std::get<std::string>(spec.line);
  int error = 0;
  if (!spec.chip.empty()) {
    ChipPtr chip = open_chip(spec.chip, directory);
    if (const auto offset = chip->find_line(name, error)) return {std::move(chip), *offset};
    if (error != 0) {
      throw GpioError(fmt::format("cannot read the line names of {}: {}", chip_title(*chip),
                                  error_text(error)));
    }
    throw GpioError(fmt::format("GPIO line \"{}\" not found on {}", name, chip_title(*chip)));
  }
  std::vector<ChipFile> files = open_all(directory);
  for (ChipFile& file : files) {
    if (!file.chip) continue;
    if (const auto offset = file.chip->find_line(name, error)) {
      return {std::move(file.chip), *offset};
    }
  }
  throw GpioError(
      fmt::format("GPIO line \"{}\" not found on any chip; {}", name, present(files, directory)));
}

std::unique_ptr<GpioLine> request_line(const GpioLineSpec& spec,
                                       const gpio_backend::LineRequest& request,
                                       const fs::path& directory, const std::string& consumer) {
  FoundLine found = find_line(spec, directory);
  std::string name = line_title(*found.chip, found.offset);
  int error = 0;
  if (auto line = found.chip->request(found.offset, request, name, consumer, error)) return line;
  if (error == EBUSY) {
    const std::string user = found.chip->consumer(found.offset);
    if (!user.empty()) throw GpioError(fmt::format("{} is busy: used by \"{}\"", name, user));
    throw GpioError(fmt::format("{} is busy: used by the kernel or another process", name));
  }
  throw GpioError(fmt::format("cannot request {} as {}: {}", name,
                              request.output ? "an output" : "an input", error_text(error)));
}

}  // namespace

namespace {
std::shared_ptr<GpioLines>& replaced_lines() {
  static std::shared_ptr<GpioLines> lines;
  return lines;
}
}  // namespace

std::shared_ptr<GpioLines> configured_gpio_lines() {
  const std::shared_ptr<GpioLines>& replaced = replaced_lines();
  if (replaced) return replaced;
  return std::make_shared<LibgpiodLines>();
}

void use_gpio_lines(std::shared_ptr<GpioLines> lines) { replaced_lines() = std::move(lines); }

LibgpiodLines::LibgpiodLines(std::filesystem::path device_directory, std::string consumer)
    : directory_(std::move(device_directory)), consumer_(std::move(consumer)) {}

std::unique_ptr<GpioLine> LibgpiodLines::request_input(const GpioLineSpec& spec,
                                                       const GpioInputConfig& config) {
  return request_line(spec,
                      gpio_backend::LineRequest{.output = false,
                                                .bias = config.bias,
                                                .edges = config.edges,
                                                .active_low = config.active_low,
                                                .value = false},
                      directory_, consumer_);
}

std::unique_ptr<GpioLine> LibgpiodLines::request_output(const GpioLineSpec& spec,
                                                        const GpioOutputConfig& config) {
  return request_line(spec,
                      gpio_backend::LineRequest{.output = true,
                                                .bias = GpioBias::as_is,
                                                .edges = GpioEdges::none,
                                                .active_low = config.active_low,
                                                .value = config.value},
                      directory_, consumer_);
}

std::vector<std::string> LibgpiodLines::chips() const {
  std::vector<std::string> out;
  for (const ChipFile& file : open_all(directory_)) out.push_back(listing(file));
  return out;
}

namespace gpio_backend {

int make_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
  return 0;
}

}  // namespace gpio_backend

std::string libgpiod_version() { return gpio_backend::library_version(); }

std::uint32_t edge_event_queue_size() { return gpio_backend::kKernelEventQueue; }

}  // namespace pimqttd::hw
