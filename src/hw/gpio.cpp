#include "pimqttd/hw/gpio.hpp"

#include <fcntl.h>
#include <gpiod.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace pimqttd::hw {
namespace {

namespace fs = std::filesystem;

struct ChipCloser {
  void operator()(gpiod_chip* chip) const noexcept { gpiod_chip_close(chip); }
};
using ChipPtr = std::unique_ptr<gpiod_chip, ChipCloser>;

constexpr std::string_view kChipPrefix = "gpiochip";

std::error_code last_error() { return {errno, std::generic_category()}; }

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
std::string chip_title(gpiod_chip* chip) {
  return fmt::format("{} [{}]", gpiod_chip_name(chip), gpiod_chip_label(chip));
}

/// "GPIO17 (gpiochip0 line 17)", or "gpiochip0 line 17" for a line without a name.
std::string line_title(gpiod_chip* chip, gpiod_line* line) {
  const std::string where =
      fmt::format("{} line {}", gpiod_chip_name(chip), gpiod_line_offset(line));
  const char* name = gpiod_line_name(line);
  return (name == nullptr || *name == '\0') ? where : fmt::format("{} ({})", name, where);
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
  return fmt::format("{} ({} lines)", chip_title(file.chip.get()),
                     gpiod_chip_num_lines(file.chip.get()));
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
    file.chip.reset(gpiod_chip_open(file.path.c_str()));
    if (!file.chip) file.error = errno;
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
  ChipPtr opened(gpiod_chip_open(path.c_str()));
  if (opened) return opened;
  const int error = errno;
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
    if (file.file_name == chip || (file.chip && chip == gpiod_chip_name(file.chip.get()))) {
      if (!file.chip) cannot_open(file.path, file.error);
      return std::move(file.chip);
    }
  }
  for (ChipFile& file : files) {
    if (file.chip && chip == gpiod_chip_label(file.chip.get())) return std::move(file.chip);
  }
  throw GpioError(fmt::format("GPIO chip \"{}\" not found; {}", chip, present(files, directory)));
}

struct FoundLine {
  ChipPtr chip;
  gpiod_line* line = nullptr;  ///< belongs to chip
};

FoundLine find_line(const GpioLineSpec& spec, const fs::path& directory) {
  if (const auto* offset = std::get_if<std::uint32_t>(&spec.line)) {
    if (spec.chip.empty()) {
      throw GpioError(fmt::format("line {}: a line given by its offset needs its chip", *offset));
    }
    ChipPtr chip = open_chip(spec.chip, directory);
    const unsigned int count = gpiod_chip_num_lines(chip.get());
    if (*offset >= count) {
      throw GpioError(fmt::format("{} has {} lines (offsets 0 to {}): there is no line {}",
                                  chip_title(chip.get()), count, count == 0 ? 0 : count - 1,
                                  *offset));
    }
    gpiod_line* line = gpiod_chip_get_line(chip.get(), *offset);
    if (line == nullptr) {
      throw GpioError(fmt::format("cannot read {} line {}: {}", chip_title(chip.get()), *offset,
                                  error_text(errno)));
    }
    return {std::move(chip), line};
  }
  const auto& name = std::get<std::string>(spec.line);
  if (!spec.chip.empty()) {
    ChipPtr chip = open_chip(spec.chip, directory);
    errno = 0;
    gpiod_line* line = gpiod_chip_find_line(chip.get(), name.c_str());
    if (line != nullptr) return {std::move(chip), line};
    if (errno != ENOENT && errno != 0) {
      throw GpioError(fmt::format("cannot read the line names of {}: {}", chip_title(chip.get()),
                                  error_text(errno)));
    }
    throw GpioError(
        fmt::format("GPIO line \"{}\" not found on {}", name, chip_title(chip.get())));
  }
  std::vector<ChipFile> files = open_all(directory);
  for (ChipFile& file : files) {
    if (!file.chip) continue;
    if (gpiod_line* line = gpiod_chip_find_line(file.chip.get(), name.c_str())) {
      return {std::move(file.chip), line};
    }
  }
  throw GpioError(
      fmt::format("GPIO line \"{}\" not found on any chip; {}", name, present(files, directory)));
}

class LibgpiodLine final : public GpioLine {
 public:
  LibgpiodLine(ChipPtr chip, gpiod_line* line, std::string name, bool output, int event_fd)
      : chip_(std::move(chip)),
        line_(line),
        name_(std::move(name)),
        output_(output),
        event_fd_(event_fd) {}
  ~LibgpiodLine() override { gpiod_line_release(line_); }
  LibgpiodLine(const LibgpiodLine&) = delete;
  LibgpiodLine& operator=(const LibgpiodLine&) = delete;

  [[nodiscard]] const std::string& name() const override { return name_; }

  std::error_code value(bool& value) override {
    const int read = gpiod_line_get_value(line_);
    if (read < 0) return last_error();
    value = read != 0;
    return {};
  }

  std::error_code set_value(bool value) override {
    if (!output_) return std::make_error_code(std::errc::operation_not_permitted);
    if (gpiod_line_set_value(line_, value ? 1 : 0) < 0) return last_error();
    return {};
  }

  [[nodiscard]] int event_fd() const override { return event_fd_; }

  std::error_code read_events(std::vector<GpioEvent>& events) override {
    if (event_fd_ < 0) return std::make_error_code(std::errc::operation_not_permitted);
    constexpr unsigned int kBatch = 16;
    constexpr int kMaxBatches = 64;  // the rest on the next call: the fd stays readable
    std::array<gpiod_line_event, kBatch> buffer{};
    for (int batch = 0; batch < kMaxBatches; ++batch) {
      const int read = gpiod_line_event_read_multiple(line_, buffer.data(), kBatch);
      if (read < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return {};
        return last_error();
      }
      for (int i = 0; i < read; ++i) {
        const gpiod_line_event& event = buffer[static_cast<std::size_t>(i)];
        const auto timestamp = std::chrono::seconds{event.ts.tv_sec} +
                               std::chrono::nanoseconds{event.ts.tv_nsec};
        events.push_back(GpioEvent{event.event_type == GPIOD_LINE_EVENT_RISING_EDGE
                                       ? GpioEdge::rising
                                       : GpioEdge::falling,
                                   timestamp});
      }
      if (static_cast<unsigned int>(read) < kBatch) return {};
    }
    return {};
  }

 private:
  ChipPtr chip_;  // destroyed last: the line belongs to it
  gpiod_line* line_;
  std::string name_;
  bool output_;
  int event_fd_;
};

int request_type(GpioEdges edges) {
  switch (edges) {
    case GpioEdges::none: return GPIOD_LINE_REQUEST_DIRECTION_INPUT;
    case GpioEdges::rising: return GPIOD_LINE_REQUEST_EVENT_RISING_EDGE;
    case GpioEdges::falling: return GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE;
    case GpioEdges::both: return GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES;
  }
  return GPIOD_LINE_REQUEST_DIRECTION_INPUT;
}

int bias_flag(GpioBias bias) {
  switch (bias) {
    case GpioBias::as_is: return 0;
    case GpioBias::disabled: return static_cast<int>(GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE);
    case GpioBias::pull_up: return static_cast<int>(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP);
    case GpioBias::pull_down: return static_cast<int>(GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN);
  }
  return 0;
}

int active_low_flag(bool active_low) {
  return active_low ? static_cast<int>(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0;
}

struct Request {
  int type;
  int flags;
  int value;
  bool output;
  bool events;
  std::string_view as;  ///< "an input", "an output"
};

std::unique_ptr<GpioLine> request_line(const GpioLineSpec& spec, const Request& request,
                                       const fs::path& directory, const std::string& consumer) {
  FoundLine found = find_line(spec, directory);
  std::string name = line_title(found.chip.get(), found.line);
  gpiod_line_request_config config{consumer.c_str(), request.type, request.flags};
  if (gpiod_line_request(found.line, &config, request.value) < 0) {
    const int error = errno;
    if (error == EBUSY) {
      const char* user =
          gpiod_line_update(found.line) == 0 ? gpiod_line_consumer(found.line) : nullptr;
      if (user != nullptr && *user != '\0') {
        throw GpioError(fmt::format("{} is busy: used by \"{}\"", name, user));
      }
      throw GpioError(fmt::format("{} is busy: used by the kernel or another process", name));
    }
    throw GpioError(
        fmt::format("cannot request {} as {}: {}", name, request.as, error_text(error)));
  }
  int event_fd = -1;
  if (request.events) {
    event_fd = gpiod_line_event_get_fd(found.line);
    const int flags = event_fd < 0 ? -1 : ::fcntl(event_fd, F_GETFL);
    if (flags < 0 || ::fcntl(event_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
      const int error = errno;
      gpiod_line_release(found.line);
      throw GpioError(fmt::format("cannot watch the edges of {}: {}", name, error_text(error)));
    }
  }
  return std::make_unique<LibgpiodLine>(std::move(found.chip), found.line, std::move(name),
                                        request.output, event_fd);
}

}  // namespace

LibgpiodLines::LibgpiodLines(std::filesystem::path device_directory, std::string consumer)
    : directory_(std::move(device_directory)), consumer_(std::move(consumer)) {}

std::unique_ptr<GpioLine> LibgpiodLines::request_input(const GpioLineSpec& spec,
                                                       const GpioInputConfig& config) {
  return request_line(spec,
                      Request{request_type(config.edges),
                              bias_flag(config.bias) | active_low_flag(config.active_low), 0,
                              false, config.edges != GpioEdges::none, "an input"},
                      directory_, consumer_);
}

std::unique_ptr<GpioLine> LibgpiodLines::request_output(const GpioLineSpec& spec,
                                                        const GpioOutputConfig& config) {
  return request_line(spec,
                      Request{GPIOD_LINE_REQUEST_DIRECTION_OUTPUT,
                              active_low_flag(config.active_low), config.value ? 1 : 0, true,
                              false, "an output"},
                      directory_, consumer_);
}

std::vector<std::string> LibgpiodLines::chips() const {
  std::vector<std::string> out;
  for (const ChipFile& file : open_all(directory_)) out.push_back(listing(file));
  return out;
}

}  // namespace pimqttd::hw
