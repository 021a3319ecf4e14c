#pragma once
// The part of LibgpiodLines that differs between libgpiod 1.6 (bookworm: gpiod_line, the
// kernel's v1 uAPI) and libgpiod 2.x (trixie: line requests, settings and edge-event buffers,
// the v2 uAPI). Exactly one of gpio_libgpiod1.cpp and gpio_libgpiod2.cpp is built, chosen at
// configure time from the version pkg-config reports; gpio.cpp holds everything else (finding
// chips and lines, the messages), so both behave the same by construction.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "pimqttd/hw/gpio.hpp"

namespace pimqttd::hw::gpio_backend {

/// How a line is requested, in the backend-neutral terms of gpio.hpp.
struct LineRequest {
  bool output = false;
  GpioBias bias = GpioBias::as_is;   ///< inputs only
  GpioEdges edges = GpioEdges::none; ///< inputs only
  bool active_low = false;
  bool value = false;                ///< outputs only: the logical value taken at once
};

/// An open GPIO chip. Errors are errno values: the caller turns them into messages.
class Chip {
 public:
  virtual ~Chip() = default;
  Chip(const Chip&) = delete;
  Chip& operator=(const Chip&) = delete;

  /// The kernel's name ("gpiochip0"), label ("pinctrl-bcm2711") and number of lines.
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& label() const { return label_; }
  [[nodiscard]] std::uint32_t num_lines() const { return lines_; }

  /// The offset of the first line called `line_name`; nullopt with error 0 when no line has that
  /// name, nullopt with an errno when the names cannot be read.
  virtual std::optional<std::uint32_t> find_line(const std::string& line_name, int& error) = 0;
  /// The line's name ("GPIO17"), empty when it has none or it cannot be read.
  virtual std::string line_name(std::uint32_t offset) = 0;
  /// Who holds the line now ("gpiomon"), empty when nobody does or nobody says.
  virtual std::string consumer(std::uint32_t offset) = 0;

  /// Requests the line for `consumer`. On success the returned line owns what it needs of the
  /// chip (this object may be destroyed first); on failure nullptr and `error` is the errno.
  /// The event fd of an input with edges is non-blocking.
  virtual std::unique_ptr<GpioLine> request(std::uint32_t offset, const LineRequest& request,
                                            std::string title, const std::string& consumer,
                                            int& error) = 0;

 protected:
  Chip(std::string name, std::string label, std::uint32_t lines)
      : name_(std::move(name)), label_(std::move(label)), lines_(lines) {}

 private:
  std::string name_;
  std::string label_;
  std::uint32_t lines_;
};

/// Opens the chip device at `path`; nullptr and the errno in `error` when it cannot (ENOTTY or
/// ENODEV for a file that is not a GPIO chip).
std::unique_ptr<Chip> open_chip(const std::filesystem::path& path, int& error);

/// Makes an event fd non-blocking (read_events() must never block the loop): 0, or the errno.
int make_nonblocking(int fd);

/// "1.6.3" or "2.2.1": the version of the libgpiod this process runs with.
std::string library_version();

/// Edge events a line can hold in the kernel between two reads; beyond it the kernel drops new
/// ones. 16 with libgpiod 1.6 (fixed by the v1 uAPI); set per request with libgpiod 2.
extern const std::uint32_t kKernelEventQueue;

}  // namespace pimqttd::hw::gpio_backend
