// libgpiod 2.x (Debian 13 trixie, Raspberry Pi OS since 2025-10): a requested line is a
// gpiod_line_request, independent of the chip it came from; edge events come through a buffer.
#include <gpiod.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "gpio_backend.hpp"

namespace pimqttd::hw::gpio_backend {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* handle) const noexcept {
    Free(handle);
  }
};
using ChipPtr = std::unique_ptr<gpiod_chip, Deleter<gpiod_chip_close>>;
using ChipInfoPtr = std::unique_ptr<gpiod_chip_info, Deleter<gpiod_chip_info_free>>;
using LineInfoPtr = std::unique_ptr<gpiod_line_info, Deleter<gpiod_line_info_free>>;
using SettingsPtr = std::unique_ptr<gpiod_line_settings, Deleter<gpiod_line_settings_free>>;
using LineConfigPtr = std::unique_ptr<gpiod_line_config, Deleter<gpiod_line_config_free>>;
using RequestConfigPtr =
    std::unique_ptr<gpiod_request_config, Deleter<gpiod_request_config_free>>;
using RequestPtr = std::unique_ptr<gpiod_line_request, Deleter<gpiod_line_request_release>>;
using EventBufferPtr =
    std::unique_ptr<gpiod_edge_event_buffer, Deleter<gpiod_edge_event_buffer_free>>;

std::error_code last_error() { return {errno, std::generic_category()}; }

/// Events read from the kernel per call of gpiod_line_request_read_edge_events().
constexpr std::size_t kReadBatch = 64;

class Libgpiod2Line final : public GpioLine {
 public:
  Libgpiod2Line(RequestPtr request, EventBufferPtr events, std::uint32_t offset, std::string name,
                bool output)
      : request_(std::move(request)),
        events_(std::move(events)),
        offset_(offset),
        name_(std::move(name)),
        output_(output) {}

  [[nodiscard]] const std::string& name() const override { return name_; }

  std::error_code value(bool& value) override {
    const gpiod_line_value read = gpiod_line_request_get_value(request_.get(), offset_);
    if (read == GPIOD_LINE_VALUE_ERROR) return last_error();
    value = read == GPIOD_LINE_VALUE_ACTIVE;
    return {};
  }

  std::error_code set_value(bool value) override {
    if (!output_) return std::make_error_code(std::errc::operation_not_permitted);
    if (gpiod_line_request_set_value(request_.get(), offset_,
                                     value ? GPIOD_LINE_VALUE_ACTIVE
                                           : GPIOD_LINE_VALUE_INACTIVE) < 0) {
      return last_error();
    }
    return {};
  }

  [[nodiscard]] int event_fd() const override {
    return events_ ? gpiod_line_request_get_fd(request_.get()) : -1;
  }

  std::error_code read_events(std::vector<GpioEvent>& events) override {
    if (!events_) return std::make_error_code(std::errc::operation_not_permitted);
    constexpr int kMaxBatches = 16;  // the rest on the next call: the fd stays readable
    for (int batch = 0; batch < kMaxBatches; ++batch) {
      const int read = gpiod_line_request_read_edge_events(request_.get(), events_.get(),
                                                           kReadBatch);
      if (read < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return {};
        return last_error();
      }
      for (int i = 0; i < read; ++i) {
        gpiod_edge_event* event =
            gpiod_edge_event_buffer_get_event(events_.get(), static_cast<unsigned long>(i));
        const auto nanoseconds = gpiod_edge_event_get_timestamp_ns(event);
        events.push_back(GpioEvent{
            gpiod_edge_event_get_event_type(event) == GPIOD_EDGE_EVENT_RISING_EDGE
                ? GpioEdge::rising
                : GpioEdge::falling,
            std::chrono::nanoseconds{static_cast<std::chrono::nanoseconds::rep>(nanoseconds)}});
      }
      if (static_cast<std::size_t>(read) < kReadBatch) return {};
    }
    return {};
  }

 private:
  RequestPtr request_;
  EventBufferPtr events_;  ///< null for a line without edge events
  std::uint32_t offset_;
  std::string name_;
  bool output_;
};

gpiod_line_edge edge_detection(GpioEdges edges) {
  switch (edges) {
    case GpioEdges::none: return GPIOD_LINE_EDGE_NONE;
    case GpioEdges::rising: return GPIOD_LINE_EDGE_RISING;
    case GpioEdges::falling: return GPIOD_LINE_EDGE_FALLING;
    case GpioEdges::both: return GPIOD_LINE_EDGE_BOTH;
  }
  return GPIOD_LINE_EDGE_NONE;
}

gpiod_line_bias bias_setting(GpioBias bias) {
  switch (bias) {
    case GpioBias::as_is: return GPIOD_LINE_BIAS_AS_IS;
    case GpioBias::disabled: return GPIOD_LINE_BIAS_DISABLED;
    case GpioBias::pull_up: return GPIOD_LINE_BIAS_PULL_UP;
    case GpioBias::pull_down: return GPIOD_LINE_BIAS_PULL_DOWN;
  }
  return GPIOD_LINE_BIAS_AS_IS;
}

/// The settings of one line; nullptr (errno set) when libgpiod refuses them.
SettingsPtr line_settings(const LineRequest& request) {
  SettingsPtr settings(gpiod_line_settings_new());
  if (!settings) return nullptr;
  gpiod_line_settings* s = settings.get();
  gpiod_line_settings_set_active_low(s, request.active_low);
  if (request.output) {
    if (gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT) < 0 ||
        gpiod_line_settings_set_output_value(
            s, request.value ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE) < 0) {
      return nullptr;
    }
    return settings;
  }
  if (gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT) < 0 ||
      gpiod_line_settings_set_bias(s, bias_setting(request.bias)) < 0 ||
      gpiod_line_settings_set_edge_detection(s, edge_detection(request.edges)) < 0 ||
      gpiod_line_settings_set_event_clock(s, GPIOD_LINE_CLOCK_MONOTONIC) < 0) {
    return nullptr;
  }
  return settings;
}

class Libgpiod2Chip final : public Chip {
 public:
  Libgpiod2Chip(ChipPtr chip, const ChipInfoPtr& info)
      : Chip(gpiod_chip_info_get_name(info.get()), gpiod_chip_info_get_label(info.get()),
             static_cast<std::uint32_t>(gpiod_chip_info_get_num_lines(info.get()))),
        chip_(std::move(chip)) {}

  std::optional<std::uint32_t> find_line(const std::string& line_name, int& error) override {
    errno = 0;
    const int offset = gpiod_chip_get_line_offset_from_name(chip_.get(), line_name.c_str());
    error = (offset < 0 && errno != ENOENT) ? errno : 0;
    if (offset < 0) return std::nullopt;
    return static_cast<std::uint32_t>(offset);
  }

  std::string line_name(std::uint32_t offset) override {
    const LineInfoPtr info(gpiod_chip_get_line_info(chip_.get(), offset));
    const char* name = info ? gpiod_line_info_get_name(info.get()) : nullptr;
    return name == nullptr ? std::string() : std::string(name);
  }

  std::string consumer(std::uint32_t offset) override {
    const LineInfoPtr info(gpiod_chip_get_line_info(chip_.get(), offset));
    const char* user = info ? gpiod_line_info_get_consumer(info.get()) : nullptr;
    return user == nullptr ? std::string() : std::string(user);
  }

  std::unique_ptr<GpioLine> request(std::uint32_t offset, const LineRequest& request,
                                    std::string title, const std::string& consumer,
                                    int& error) override {
    const bool events = !request.output && request.edges != GpioEdges::none;
    const SettingsPtr settings = line_settings(request);
    const LineConfigPtr line_config(gpiod_line_config_new());
    const RequestConfigPtr request_config(gpiod_request_config_new());
    EventBufferPtr buffer(events ? gpiod_edge_event_buffer_new(kReadBatch) : nullptr);
    if (!settings || !line_config || !request_config || (events && !buffer) ||
        gpiod_line_config_add_line_settings(line_config.get(), &offset, 1, settings.get()) < 0) {
      error = errno;
      return nullptr;
    }
    gpiod_request_config_set_consumer(request_config.get(), consumer.c_str());
    if (events) {
      gpiod_request_config_set_event_buffer_size(request_config.get(), kKernelEventQueue);
    }
    RequestPtr line(
        gpiod_chip_request_lines(chip_.get(), request_config.get(), line_config.get()));
    if (!line) {
      error = errno;
      return nullptr;
    }
    if (events) {
      const int fd = gpiod_line_request_get_fd(line.get());
      error = fd < 0 ? errno : make_nonblocking(fd);
      if (error != 0) return nullptr;
    }
    return std::make_unique<Libgpiod2Line>(std::move(line), std::move(buffer), offset,
                                           std::move(title), request.output);
  }

 private:
  ChipPtr chip_;
};

}  // namespace

// The v2 uAPI lets a request choose its queue (the kernel caps it at 1024 for one line): 256 is
// four times the 64-edge burst a loop that was busy for a moment must survive, in 12 KiB of
// kernel memory per line.
const std::uint32_t kKernelEventQueue = 256;

std::unique_ptr<Chip> open_chip(const std::filesystem::path& path, int& error) {
  ChipPtr chip(gpiod_chip_open(path.c_str()));
  if (!chip) {
    error = errno;
    return nullptr;
  }
  const ChipInfoPtr info(gpiod_chip_get_info(chip.get()));
  if (!info) {
    error = errno;
    return nullptr;
  }
  return std::make_unique<Libgpiod2Chip>(std::move(chip), info);
}

std::string library_version() { return gpiod_api_version(); }

}  // namespace pimqttd::hw::gpio_backend
