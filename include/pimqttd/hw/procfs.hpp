#pragma once
// procfs and sysfs readers: the machine's own health (CPU, memory, disks, network, the Raspberry
// Pi firmware's throttling flags) as plain numbers.
//
// Two halves:
// - pure parse functions over the text of one file (no I/O; a malformed text gives nullopt, never
//   a guess), tested on exact samples;
// - SystemFiles, which reads those files under a root directory ("/" on a real system, a fake
//   tree in tests) and says what failed when a read or a parse does.
//
// The files are small virtual files the kernel fills on read: reading them is fast enough to do
// on the event loop.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

struct statvfs;

namespace pimqttd::hw {

// ---- pure parsers ------------------------------------------------------------------------------

/// The aggregate "cpu" line of /proc/stat, in clock ticks (USER_HZ) since boot. Fields a kernel
/// does not print (iowait and later came with 2.6) are 0. guest and guest_nice are left out:
/// the kernel already counts them in user and nice.
struct CpuTimes {
  std::uint64_t user = 0;
  std::uint64_t nice = 0;
  std::uint64_t system = 0;
  std::uint64_t idle = 0;
  std::uint64_t iowait = 0;
  std::uint64_t irq = 0;
  std::uint64_t softirq = 0;
  std::uint64_t steal = 0;

  /// Every tick counted: user + nice + system + idle + iowait + irq + softirq + steal.
  [[nodiscard]] std::uint64_t total() const noexcept;
  /// Ticks the CPUs did nothing: idle + iowait.
  [[nodiscard]] std::uint64_t idle_total() const noexcept;
  friend bool operator==(const CpuTimes&, const CpuTimes&) = default;
};

/// The first line of /proc/stat that starts with "cpu" and a blank ("cpu  229846 0 61147 ...").
/// Needs at least the four fields user, nice, system, idle, all unsigned decimal integers.
[[nodiscard]] std::optional<CpuTimes> parse_proc_stat_cpu(std::string_view proc_stat);

/// The "btime" line of /proc/stat: the boot time in seconds since the Unix epoch (> 0).
[[nodiscard]] std::optional<std::int64_t> parse_btime(std::string_view proc_stat);

struct LoadAverage {
  double one_minute = 0;
  double five_minutes = 0;
  double fifteen_minutes = 0;
  friend bool operator==(const LoadAverage&, const LoadAverage&) = default;
};

/// /proc/loadavg ("0.52 0.58 0.59 2/98 19362"): the first three fields, finite and >= 0.
[[nodiscard]] std::optional<LoadAverage> parse_loadavg(std::string_view text);

/// The lines of /proc/meminfo this project uses, in KiB.
struct MemInfo {
  std::uint64_t total_kib = 0;
  /// MemAvailable; on kernels before 3.14, which lack it, MemFree + Buffers + Cached.
  std::uint64_t available_kib = 0;
  std::uint64_t swap_total_kib = 0;  ///< 0 without swap (or when the lines are absent)
  std::uint64_t swap_free_kib = 0;
  friend bool operator==(const MemInfo&, const MemInfo&) = default;
};

/// /proc/meminfo ("MemTotal:  948304 kB" lines). Needs MemTotal > 0 and either MemAvailable or
/// all of MemFree, Buffers and Cached; SwapTotal and SwapFree come together or not at all. A
/// line of a key it needs that does not read "<key>: <unsigned> kB" makes the whole text
/// malformed; other lines are ignored.
[[nodiscard]] std::optional<MemInfo> parse_meminfo(std::string_view text);

/// Memory in use, in percent: 100 * (total - available) / total, clamped to [0, 100].
[[nodiscard]] double memory_used_percent(const MemInfo& info) noexcept;
/// Swap in use, in percent: 100 * (swap total - swap free) / swap total, clamped to [0, 100];
/// nullopt when the machine has no swap (swap total 0).
[[nodiscard]] std::optional<double> swap_used_percent(const MemInfo& info) noexcept;

/// Byte counters of one interface since it came up.
struct NetCounters {
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  friend bool operator==(const NetCounters&, const NetCounters&) = default;
};

/// The line of `interface` in /proc/net/dev ("  eth0: 35097251 1119 0 ..."): 16 unsigned
/// fields after the colon, receive bytes first, transmit bytes ninth. nullopt when the
/// interface has no line or its line is malformed.
[[nodiscard]] std::optional<NetCounters> parse_net_dev(std::string_view text,
                                                       std::string_view interface);

/// One interface's line of /proc/net/wireless (wireless extensions' statistics).
struct WirelessStats {
  double link_quality = 0;
  /// Signal level: dBm (negative) when the driver reports dBm, as every cfg80211 driver does.
  double level = 0;
  double noise = 0;
  friend bool operator==(const WirelessStats&, const WirelessStats&) = default;
};

/// The line of `interface` in /proc/net/wireless
/// (" wlan0: 0000   70.  -40.  -256        0      0      0      0      0        0"):
/// status, then link quality, level and noise, each number possibly followed by '.' (the kernel
/// marks updated values that way). nullopt when the interface has no line (it is not
/// associated) or the line is malformed.
[[nodiscard]] std::optional<WirelessStats> parse_net_wireless(std::string_view text,
                                                              std::string_view interface);

/// A thermal zone's temp file: millidegrees Celsius as a signed decimal integer ("48312\n").
[[nodiscard]] std::optional<std::int64_t> parse_thermal_millidegrees(std::string_view text);

/// The Raspberry Pi firmware's get_throttled file: the flags as hexadecimal ("50005\n"; a
/// leading "0x" as vcgencmd prints it is accepted), at most 32 bits.
[[nodiscard]] std::optional<std::uint32_t> parse_throttled(std::string_view text);

/// Bits of the throttled flags (as documented for vcgencmd get_throttled).
enum ThrottledBit : std::uint32_t {
  kUnderVoltage = 1u << 0,
  kFrequencyCapped = 1u << 1,
  kThrottled = 1u << 2,
  kSoftTemperatureLimit = 1u << 3,
};
/// The "has occurred since boot" bit of a flag is the flag shifted left by this.
inline constexpr unsigned kThrottledSinceBootShift = 16;

/// The device tree's model property ("Raspberry Pi 4 Model B Rev 1.4\0"): the text up to the
/// first NUL, trailing blanks removed. nullopt when that leaves nothing.
[[nodiscard]] std::optional<std::string> parse_device_tree_model(std::string_view text);

/// A device tree's string-list property, such as a node's `compatible` ("brcm,bcm2711-pwm\0
/// brcm,bcm2835-pwm\0"): each NUL-terminated string, trailing blanks removed, empty ones left
/// out.
[[nodiscard]] std::vector<std::string> parse_device_tree_strings(std::string_view text);

/// What statvfs says about a file system, in fragments (f_frsize bytes).
struct DiskUsage {
  std::uint64_t fragment_size = 0;
  std::uint64_t total = 0;      ///< f_blocks
  std::uint64_t free = 0;       ///< f_bfree (including what is reserved for root)
  std::uint64_t available = 0;  ///< f_bavail (what an unprivileged user may still use)
  friend bool operator==(const DiskUsage&, const DiskUsage&) = default;
};

/// Disk space in use, in percent, as `df` computes it: used = total - free, and
/// 100 * used / (used + available), so that the space reserved for root counts as neither.
/// nullopt when used + available is 0 (a pseudo file system).
[[nodiscard]] std::optional<double> disk_used_percent(const DiskUsage& usage) noexcept;

// ---- reading the files -------------------------------------------------------------------------

/// A value read from a file, or a message that says what failed ("/proc/loadavg: No such file
/// or directory", "/proc/loadavg: cannot parse \"garbage\"").
template <class T>
class ReadResult {
 public:
  /// Implicit, so that a reader can `return value;`.
  ReadResult(T result) : state_(std::in_place_index<0>, std::move(result)) {}
  [[nodiscard]] static ReadResult failure(std::string message) {
    return ReadResult(std::in_place_index<1>, std::move(message));
  }
  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  /// The value; only when ok().
  [[nodiscard]] const T& value() const { return std::get<0>(state_); }
  /// The failure message; only when !ok().
  [[nodiscard]] const std::string& error() const { return std::get<1>(state_); }

 private:
  template <std::size_t I, class U>
  ReadResult(std::in_place_index_t<I> index, U&& content)
      : state_(index, std::forward<U>(content)) {}
  std::variant<T, std::string> state_;
};

/// Reads the system's files under a root directory. Paths below are relative to the root;
/// messages name the full path. Never throws for a missing or malformed file (only for
/// std::bad_alloc).
class SystemFiles {
 public:
  /// statvfs(2) or a stand-in with its contract (tests): returns 0 and fills the struct, or -1
  /// with errno set.
  using StatvfsFunction = std::function<int(const char* path, struct statvfs* out)>;

  /// Files longer than this are refused (every file read here is a few KiB at most).
  static constexpr std::size_t kMaxFileSize = std::size_t{1} << 20;

  /// `statvfs_function` empty: the real statvfs(2).
  explicit SystemFiles(std::filesystem::path root, StatvfsFunction statvfs_function = {});

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }
  /// root / relative; an absolute `relative` ("/boot/firmware") is taken below the root too.
  [[nodiscard]] std::filesystem::path path(const std::filesystem::path& relative) const;

  /// The whole file (relative to the root).
  [[nodiscard]] ReadResult<std::string> read_text(const std::filesystem::path& relative) const;

  /// proc/stat
  [[nodiscard]] ReadResult<CpuTimes> cpu_times() const;
  /// proc/stat's btime
  [[nodiscard]] ReadResult<std::int64_t> boot_time() const;
  /// proc/loadavg
  [[nodiscard]] ReadResult<LoadAverage> load_average() const;
  /// proc/meminfo
  [[nodiscard]] ReadResult<MemInfo> memory() const;
  /// proc/net/dev, the interface's line
  [[nodiscard]] ReadResult<NetCounters> net_counters(std::string_view interface) const;
  /// proc/net/wireless, the interface's line (absent while it is not associated)
  [[nodiscard]] ReadResult<WirelessStats> wireless(std::string_view interface) const;
  /// sys/class/net/<interface>/wireless exists: a wireless interface (associated or not).
  [[nodiscard]] bool is_wireless(std::string_view interface) const;
  /// sys/class/thermal/thermal_zone<zone>/temp
  [[nodiscard]] ReadResult<std::int64_t> thermal_millidegrees(int zone) const;
  /// Where the Raspberry Pi firmware driver exposes the throttled flags:
  /// sys/devices/platform/soc/soc:firmware/get_throttled (Raspberry Pi OS kernels), else the
  /// first get_throttled under sys/bus/platform/drivers/raspberrypi-firmware/<device>/ (the
  /// same attribute wherever the board's device tree puts the firmware node). Relative to the
  /// root; nullopt when there is none (not a Pi, or a kernel without the attribute).
  /// The attribute shows the flags the kernel last fetched from the firmware (its hwmon driver
  /// polls them every 2 s). Current Raspberry Pi kernels log a one-time "deprecated, use hwmon
  /// sysfs instead" warning on its first read after boot; the hwmon alternative
  /// (in0_lcrit_alarm) carries under-voltage only, so this file stays the one source of all
  /// the flags.
  [[nodiscard]] std::optional<std::filesystem::path> find_throttled_file() const;
  /// The flags from a file find_throttled_file() returned.
  [[nodiscard]] ReadResult<std::uint32_t> throttled(const std::filesystem::path& relative) const;
  /// proc/device-tree/model
  [[nodiscard]] ReadResult<std::string> device_tree_model() const;
  /// statvfs of the mount point below the root. A file system that reports no blocks fails.
  [[nodiscard]] ReadResult<DiskUsage> disk_usage(const std::filesystem::path& mount) const;

 private:
  template <class T, class Parse>
  ReadResult<T> read_parsed(const std::filesystem::path& relative, Parse parse) const;

  std::filesystem::path root_;
  StatvfsFunction statvfs_;
};

}  // namespace pimqttd::hw
