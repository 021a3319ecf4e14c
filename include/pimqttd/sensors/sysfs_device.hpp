#pragma once
// Devices the Linux kernel already drives, found in sysfs: what the `iio` and `hwmon` sensor
// types share below their read cycle (kernel_sensor.hpp).
//
// - Finding a device. A class directory (sys/bus/iio/devices, sys/class/hwmon under a root
//   directory: "/" on a real system, a fake tree in tests) holds one entry per device
//   (iio:deviceN, hwmonN), symlinks into sys/devices/... on a real system, plain directories or
//   symlinks in a fake tree. The number N is given out at probe time and changes between boots,
//   so a device is never selected by it: a DeviceSelector names it by its `name` file, by a
//   device-tree compatible of its node (or its parent device's), or by the sysfs path of the
//   device or its parent. Several devices matching one selector are told apart by `index`
//   (0-based, among the matches sorted by their real path).
// - Reading an attribute. Every value is one small file whose read makes the driver talk to
//   the chip; a failed read keeps its errno (EIO and ETIMEDOUT from a DHT11 that did not
//   answer, ENODATA, EAGAIN...) so that the read cycle can tell a transient failure from a
//   missing attribute. The read is a function (ReadAttribute) so that tests can script failures
//   a plain file cannot produce.
//
// Listing a class directory and reading `name` files does not start a conversion: the
// configuration loader may do it (to discover channels), the sensors do it on the worker.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/hw/procfs.hpp"

namespace pimqttd::sensors {

/// A class of kernel devices in sysfs.
struct SysfsClass {
  /// The class directory, relative to the root: "sys/bus/iio/devices".
  std::string_view directory;
  /// The entries' names start with this: "iio:device" (other entries, such as IIO triggers,
  /// are skipped).
  std::string_view entry_prefix;
  /// For messages: "IIO device".
  std::string_view what;
};

inline constexpr SysfsClass kIioClass{"sys/bus/iio/devices", "iio:device", "IIO device"};
inline constexpr SysfsClass kHwmonClass{"sys/class/hwmon", "hwmon", "hwmon device"};

/// How a device is selected: by exactly one of its name, a compatible or a path.
struct DeviceSelector {
  enum class By : std::uint8_t { name, compatible, path };
  By by = By::name;
  /// The `name` file's content ("bmp280"), a compatible ("bosch,bme680") or an absolute sysfs
  /// path ("/sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0077", taken below the root).
  std::string value;
  /// Which of several matches, in the order of their real paths.
  std::size_t index = 0;

  /// "named \"bmp280\"", "compatible with \"bosch,bme680\"", "at \"/sys/...\"", with
  /// " (index 1)" when the index is not 0.
  [[nodiscard]] std::string describe() const;
  friend bool operator==(const DeviceSelector&, const DeviceSelector&) = default;
};

/// One device of a class, as listed.
struct SysfsDevice {
  /// The entry under the class directory (root / directory / "iio:device0").
  std::filesystem::path directory;
  /// Its real path (symlinks resolved).
  std::filesystem::path real_path;
  /// The `name` file's content without its trailing newline; empty when it has none.
  std::string name;
};

/// Every device of `sysfs_class` under `root`, sorted by real path. None when the class
/// directory does not exist.
[[nodiscard]] std::vector<SysfsDevice> list_sysfs_devices(const std::filesystem::path& root,
                                                          const SysfsClass& sysfs_class);

/// The device `selector` picks, or a message that says what exists ("no IIO device named
/// \"bmp280\" under /sys/bus/iio/devices; the IIO devices there are named \"bme680\"").
[[nodiscard]] hw::ReadResult<SysfsDevice> find_sysfs_device(const std::filesystem::path& root,
                                                            const SysfsClass& sysfs_class,
                                                            const DeviceSelector& selector);

/// The names of the class's devices, quoted and comma-separated, in order ("\"bme680\",
/// \"rpi_volt\""); "none" when there is none.
[[nodiscard]] std::string sysfs_device_names(const std::filesystem::path& root,
                                             const SysfsClass& sysfs_class);

/// The regular files of a device directory, sorted (subdirectories and symlinks such as
/// `device`, `of_node`, `subsystem` are left out).
[[nodiscard]] std::vector<std::string> list_attributes(const std::filesystem::path& directory);

/// What one attribute read gave: its text, or the errno of the open or read that failed.
struct AttributeRead {
  std::string text;
  int error = 0;
  [[nodiscard]] bool ok() const noexcept { return error == 0; }
};

/// Reads one attribute (runs on the worker; must be safe to call from any thread).
using ReadAttribute = std::function<AttributeRead(const std::filesystem::path&)>;

/// The default ReadAttribute: the whole file through core::read_file (at most 4 KiB, a sysfs
/// attribute's page).
[[nodiscard]] AttributeRead read_attribute(const std::filesystem::path& path);

/// An attribute's number: a decimal integer or fraction ("23125\n", "-5", "100.125000000",
/// "0.000976562"), surrounding blanks and newlines ignored. nullopt for anything else.
[[nodiscard]] std::optional<double> parse_attribute_number(std::string_view text);

/// Errors a driver reports for a read that may well succeed if repeated: EIO and ETIMEDOUT (a
/// DHT11 that missed its answer), EAGAIN, EBUSY, ENODATA, EREMOTEIO (a NACK on I2C), EINTR.
[[nodiscard]] bool is_transient_read_error(int error) noexcept;

}  // namespace pimqttd::sensors
