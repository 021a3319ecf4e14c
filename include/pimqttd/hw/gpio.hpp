#pragma once
// The GPIO seam: request one line as an input (optionally with edge events) or as an output, and
// use it through a small interface of our own.
//
// Drivers in `sensors` talk to a GpioLines provider and the GpioLine objects it hands out, and
// nothing else, so they run unchanged on a Pi (LibgpiodLines, over libgpiod and the kernel's GPIO
// character device), in the system test (gpio-sim in a VM), and against the fake of the unit
// tests, which stands in at exactly this seam. This header is the only place drivers learn about
// GPIO. libgpiod 1.6 (Debian 12 bookworm) and 2.x (Debian 13 trixie) have different APIs: one of
// two backends (src/hw/gpio_libgpiod1.cpp, gpio_libgpiod2.cpp) is built, chosen at configure
// time, and only they include gpiod.h; the rest of LibgpiodLines is shared.
//
// Lines are named the way users know them (GpioLineSpec): by chip and offset ("gpiochip0", 17),
// or by the name the device tree gives the line ("GPIO17"), searched on every chip when no chip is
// given. Line names survive the Raspberry Pi 5, whose header pins sit on another chip than on
// earlier models.
//
// Values are logical: with active_low, an input reads true while the line is low, an output
// drives it low for true, and edge events are rising and falling edges of the logical value.
//
// Errors: requesting a line throws GpioError with a message written for the log, naming what was
// looked for ("GPIO line \"GPIO99\" not found on any chip; chips present: gpiochip0
// [pinctrl-bcm2711] (58 lines)"), a busy line and its user ("GPIO17 (gpiochip0 line 17) is busy:
// used by \"gpiomon\""), or the failed call. Operations on a requested line return a
// std::error_code (errno values in the generic category): a line can fail later, when its chip
// goes away.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

namespace pimqttd::hw {

/// A request that cannot be satisfied; the message names the line or chip and the reason.
class GpioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Which line, as the configuration names it.
struct GpioLineSpec {
  /// The chip: its name ("gpiochip0"), label ("pinctrl-bcm2711"), number ("0") or device path
  /// ("/dev/gpiochip0"). Empty: every chip is searched for a line given by name (a line given by
  /// offset needs its chip).
  std::string chip;
  /// The line: its offset on the chip, or its name ("GPIO17"; the first line of that name).
  std::variant<std::uint32_t, std::string> line;

  friend bool operator==(const GpioLineSpec&, const GpioLineSpec&) = default;
};

/// The spec as written, for messages about a line that is not (yet) found: "GPIO17",
/// "GPIO17 on gpiochip0", "gpiochip0 line 17".
[[nodiscard]] inline std::string describe(const GpioLineSpec& spec) {
  if (const auto* offset = std::get_if<std::uint32_t>(&spec.line)) {
    return spec.chip + " line " + std::to_string(*offset);
  }
  const auto& name = std::get<std::string>(spec.line);
  return spec.chip.empty() ? name : name + " on " + spec.chip;
}

/// The pull resistor of an input. as_is leaves whatever the line has (firmware, device tree or
/// an earlier user set it).
enum class GpioBias : std::uint8_t { as_is, disabled, pull_up, pull_down };

/// One edge of the logical value.
enum class GpioEdge : std::uint8_t { rising, falling };

/// Which edges an input reports as events.
enum class GpioEdges : std::uint8_t { none, rising, falling, both };

struct GpioInputConfig {
  GpioBias bias = GpioBias::as_is;
  bool active_low = false;
  GpioEdges edges = GpioEdges::none;
};

struct GpioOutputConfig {
  bool active_low = false;
  /// The logical value the line takes when it is requested (no glitch to the other value).
  bool value = false;
};

/// An edge the kernel saw, in the order it saw them.
struct GpioEvent {
  GpioEdge edge;
  /// The kernel's timestamp of the edge (CLOCK_MONOTONIC on Linux 5.7 and later, the real-time
  /// clock before). Only differences between the timestamps of one line are meaningful.
  std::chrono::nanoseconds timestamp{0};

  friend bool operator==(const GpioEvent&, const GpioEvent&) = default;
};

/// One requested line. Releasing it (destroying the object) gives the line back to the kernel.
class GpioLine {
 public:
  virtual ~GpioLine() = default;

  /// The line as logs name it: "GPIO17 (gpiochip0 line 17)", or "gpiochip0 line 17" for a line
  /// without a name.
  [[nodiscard]] virtual const std::string& name() const = 0;
  /// Reads the logical value.
  virtual std::error_code value(bool& value) = 0;
  /// Drives the logical value (output lines only; an input fails with EPERM).
  virtual std::error_code set_value(bool value) = 0;
  /// Readable while edge events are pending (inputs requested with edges; -1 otherwise). The
  /// line owns it: unwatch it before the line is released.
  [[nodiscard]] virtual int event_fd() const = 0;
  /// Appends the pending edge events to `events`, oldest first, without blocking (none pending
  /// is not an error). A line with very many pending events may keep some for the next call;
  /// its fd then stays readable.
  virtual std::error_code read_events(std::vector<GpioEvent>& events) = 0;
};

/// Requests lines. Each request is independent: the line stays requested while the returned
/// object lives.
class GpioLines {
 public:
  virtual ~GpioLines() = default;
  /// Requests `spec` as an input. Throws GpioError.
  virtual std::unique_ptr<GpioLine> request_input(const GpioLineSpec& spec,
                                                  const GpioInputConfig& config) = 0;
  /// Requests `spec` as an output, driven to config.value at once. Throws GpioError.
  virtual std::unique_ptr<GpioLine> request_output(const GpioLineSpec& spec,
                                                   const GpioOutputConfig& config) = 0;
};

/// Lines of the GPIO character devices (/dev/gpiochipN) through libgpiod: 1.6 (the kernel's v1
/// uAPI: bias flags need Linux 5.5; a line holds its chip open) or 2.x (the v2 uAPI, Linux 5.10:
/// a line request of its own, with a larger edge-event queue, see edge_event_queue_size()).
/// Event fds are made non-blocking, so read_events() never blocks the loop.
///
/// Chips are looked up like gpiod_chip_open_lookup() does, in `device_directory`: a number N is
/// gpiochipN, a string with a '/' is a path, anything else is matched against the chips' names,
/// then their labels. A line name is looked for on the given chip, or on every chip in the order
/// of their numbers.
class LibgpiodLines final : public GpioLines {
 public:
  /// `device_directory` holds the gpiochip device files (tests point it elsewhere); `consumer`
  /// is the label the kernel shows as the user of the lines requested here (at most 31 bytes
  /// are kept).
  explicit LibgpiodLines(std::filesystem::path device_directory = "/dev",
                         std::string consumer = "pimqttd");

  std::unique_ptr<GpioLine> request_input(const GpioLineSpec& spec,
                                          const GpioInputConfig& config) override;
  std::unique_ptr<GpioLine> request_output(const GpioLineSpec& spec,
                                           const GpioOutputConfig& config) override;

  /// Every chip in the directory, by number, as messages list them:
  /// "gpiochip0 [pinctrl-bcm2711] (58 lines)", or "gpiochip3 (cannot open: Permission denied)".
  [[nodiscard]] std::vector<std::string> chips() const;

 private:
  std::filesystem::path directory_;
  std::string consumer_;
};

/// The lines that drivers built from the configuration request: a LibgpiodLines on /dev unless
/// replaced by use_gpio_lines(). Loop thread only.
[[nodiscard]] std::shared_ptr<GpioLines> configured_gpio_lines();
/// Replaces what configured_gpio_lines() returns (nullptr: back to libgpiod), so that a test can
/// run the whole daemon in its own process on fake lines. Affects drivers built afterwards.
void use_gpio_lines(std::shared_ptr<GpioLines> lines);

/// The version of the libgpiod this process runs with: "1.6.3", "2.2.1".
[[nodiscard]] std::string libgpiod_version();

/// How many edge events the kernel keeps for one input line between two reads (it drops newer
/// ones beyond that): 16 with libgpiod 1.6, whose v1 uAPI fixes it; 256 with libgpiod 2, which
/// asks for it per request. A burst of edges longer than this while the loop is busy loses edges.
[[nodiscard]] std::uint32_t edge_event_queue_size();

}  // namespace pimqttd::hw
