// libgpiod 1.6 (Debian 12 bookworm): lines are gpiod_line objects that belong to their chip.
#include <gpiod.h>

#include <array>
#include <cerrno>
#include <utility>
#include <vector>

#include "gpio_backend.hpp"

namespace pimqttd::hw::gpio_backend {
namespace {

struct ChipCloser {
  void operator()(gpiod_chip* chip) const noexcept { gpiod_chip_close(chip); }
};
using ChipPtr = std::unique_ptr<gpiod_chip, ChipCloser>;

std::error_code last_error() { return {errno, std::generic_category()}; }

class Libgpiod1Line final : public GpioLine {
 public:
  Libgpiod1Line(ChipPtr chip, gpiod_line* line, std::string name, bool output, int event_fd)
      : chip_(std::move(chip)),
        line_(line),
        name_(std::move(name)),
        output_(output),
        event_fd_(event_fd) {}
  ~Libgpiod1Line() override { gpiod_line_release(line_); }
  Libgpiod1Line(const Libgpiod1Line&) = delete;
  Libgpiod1Line& operator=(const Libgpiod1Line&) = delete;

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

int request_type(const LineRequest& request) {
  if (request.output) return GPIOD_LINE_REQUEST_DIRECTION_OUTPUT;
  switch (request.edges) {
    case GpioEdges::none: return GPIOD_LINE_REQUEST_DIRECTION_INPUT;
    case GpioEdges::rising: return GPIOD_LINE_REQUEST_EVENT_RISING_EDGE;
    case GpioEdges::falling: return GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE;
    case GpioEdges::both: return GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES;
  }
  return GPIOD_LINE_REQUEST_DIRECTION_INPUT;
}

int request_flags(const LineRequest& request) {
  int flags = request.active_low ? static_cast<int>(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0;
  if (request.output) return flags;
  switch (request.bias) {
    case GpioBias::as_is: break;
    case GpioBias::disabled: flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE; break;
    case GpioBias::pull_up: flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP; break;
    case GpioBias::pull_down: flags |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN; break;
  }
  return flags;
}

class Libgpiod1Chip final : public Chip {
 public:
  explicit Libgpiod1Chip(ChipPtr chip)
      : Chip(gpiod_chip_name(chip.get()), gpiod_chip_label(chip.get()),
             gpiod_chip_num_lines(chip.get())),
        chip_(std::move(chip)) {}

  std::optional<std::uint32_t> find_line(const std::string& line_name, int& error) override {
    errno = 0;
    gpiod_line* line = gpiod_chip_find_line(chip_.get(), line_name.c_str());
    error = (line == nullptr && errno != ENOENT) ? errno : 0;
    if (line == nullptr) return std::nullopt;
    return gpiod_line_offset(line);
  }

  std::string line_name(std::uint32_t offset) override {
    gpiod_line* line = gpiod_chip_get_line(chip_.get(), offset);
    const char* name = line == nullptr ? nullptr : gpiod_line_name(line);
    return name == nullptr ? std::string() : std::string(name);
  }

  std::string consumer(std::uint32_t offset) override {
    gpiod_line* line = gpiod_chip_get_line(chip_.get(), offset);
    if (line == nullptr || gpiod_line_update(line) != 0) return {};
    const char* user = gpiod_line_consumer(line);
    return user == nullptr ? std::string() : std::string(user);
  }

  std::unique_ptr<GpioLine> request(std::uint32_t offset, const LineRequest& request,
                                    std::string title, const std::string& consumer,
                                    int& error) override {
    gpiod_line* line = gpiod_chip_get_line(chip_.get(), offset);
    if (line == nullptr) {
      error = errno;
      return nullptr;
    }
    const gpiod_line_request_config config{consumer.c_str(), request_type(request),
                                           request_flags(request)};
    if (gpiod_line_request(line, &config, request.value ? 1 : 0) < 0) {
      error = errno;
      return nullptr;
    }
    int event_fd = -1;
    if (!request.output && request.edges != GpioEdges::none) {
      event_fd = gpiod_line_event_get_fd(line);
      error = event_fd < 0 ? errno : make_nonblocking(event_fd);
      if (error != 0) {
        gpiod_line_release(line);
        return nullptr;
      }
    }
    return std::make_unique<Libgpiod1Line>(std::move(chip_), line, std::move(title),
                                           request.output, event_fd);
  }

 private:
  ChipPtr chip_;
};

}  // namespace

const std::uint32_t kKernelEventQueue = 16;

std::unique_ptr<Chip> open_chip(const std::filesystem::path& path, int& error) {
  ChipPtr chip(gpiod_chip_open(path.c_str()));
  if (!chip) {
    error = errno;
    return nullptr;
  }
  return std::make_unique<Libgpiod1Chip>(std::move(chip));
}

std::string library_version() { return gpiod_version_string(); }

}  // namespace pimqttd::hw::gpio_backend
