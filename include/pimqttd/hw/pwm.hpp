#pragma once
// One PWM channel through the Linux kernel's sysfs PWM interface
// (Documentation/ABI/testing/ sysfs-class-pwm), under a root directory ("/" on
// a real system, a fake tree in tests).
//
// The kernel lists each PWM controller as /sys/class/pwm/pwmchipN, a link into
// the controller's device directory. Its files: `npwm` (how many channels),
// `export` and `unexport` (write a channel number to make pwmM/ appear or go).
// An exported channel's directory pwmM/ holds `period` and `duty_cycle`
// (nanoseconds, decimal), `polarity` ("normal" or "inversed") and `enable` ("0"
// or "1").
//
// The chip is found by what it is, never by its number N, which depends on the
// order the drivers probed in (a Raspberry Pi 5 lists the RP1's two PWM blocks
// and whatever else has a PWM in any order): `chip` is
// - the name of the chip's device, the last part of the target of
// pwmchipN/device:
//   "fe20c000.pwm" (Raspberry Pi 4, the BCM2711's PWM), "1f00098000.pwm"
//   (Raspberry Pi 5, the RP1's PWM0);
// - or the full path of that device ("/sys/devices/platform/soc/fe20c000.pwm"),
// compared after
//   resolving links;
// - or a device-tree compatible string of the device's of_node
// ("brcm,bcm2835-pwm",
//   "raspberrypi,rp1-pwm"), which must then match exactly one chip (the RP1 has
//   two PWM blocks of the same compatible: name the device instead).
// The chip is looked up again on every open(), so a controller whose driver
// binds late, or a chip renumbered by a reboot, is found where it is now.
//
// open() checks the channel against `npwm`, writes the channel to `export`
// unless pwmM/ exists (EBUSY from that write means it was exported meanwhile,
// which is fine), and reads the channel's current settings. The kernel creates
// pwmM/ while the export write runs; udev fixes its permissions a moment later,
// so a first write may fail with EACCES on a system where the daemon is not
// root: that is a fault like any other and the caller retries.
//
// apply() writes only what differs from what the channel holds, in the order
// the kernel accepts:
// - the polarity can only change while the channel is disabled: it disables it
// first;
// - the kernel refuses a duty cycle longer than the period at every write: when
// the period grows
//   it is written before the duty cycle, when it shrinks after it;
// - enable last.
// Writes are short writes to sysfs attributes (the driver programs a few
// registers): they do not block, and run on the event loop.
//
// Nothing is unexported or disabled on close or destruction: the output keeps
// its last setting, like a GPIO line the daemon released.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pimqttd::hw {

/// A fault of the PWM channel: chip not found, channel out of range, a file
/// that cannot be read or written. The message names the file and the errno
/// text, for the log.
class PwmError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class PwmPolarity : std::uint8_t { normal, inversed };

/// What a channel is set to.
struct PwmSettings {
  std::uint64_t period_ns = 0;
  std::uint64_t duty_ns = 0;
  PwmPolarity polarity = PwmPolarity::normal;
  bool enabled = false;
  friend bool operator==(const PwmSettings&, const PwmSettings&) = default;
};

/// root/sys/class/pwm/pwmchipN of the chip `chip` names (see above). Throws
/// PwmError when no chip matches, or a compatible string matches several.
[[nodiscard]] std::filesystem::path find_pwm_chip(const std::filesystem::path& root,
                                                  std::string_view chip);

class SysfsPwm {
 public:
  /// Nothing is touched until open().
  SysfsPwm(std::filesystem::path root, std::string chip, std::uint32_t channel);

  /// Finds the chip, checks the channel, exports it if needed and reads its
  /// settings. Throws PwmError; the channel is then closed.
  void open();
  /// Brings the channel to `target` (see above for the order). Only while open.
  /// Throws PwmError; what was written before the failing write stays written
  /// (and known).
  void apply(const PwmSettings& target);
  /// Forgets the channel's directory; the next use needs open(). The output is
  /// left as it is.
  void close() noexcept;

  [[nodiscard]] bool is_open() const noexcept { return !directory_.empty(); }
  /// The settings the channel holds, as read by open() and changed by apply().
  [[nodiscard]] const PwmSettings& settings() const noexcept { return settings_; }
  /// "PWM channel 2 of 1f00098000.pwm", for messages.
  [[nodiscard]] std::string describe() const;

 private:
  void write(std::string_view file, std::string_view text);

  std::filesystem::path root_;
  std::string chip_;
  std::uint32_t channel_;
  /// root/sys/class/pwm/pwmchipN/pwmM while open, else empty.
  std::filesystem::path directory_;
  PwmSettings settings_;
};

}  // namespace pimqttd::hw
