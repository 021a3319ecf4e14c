#include "pimqttd/hw/procfs.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

#include <sys/statvfs.h>

#include "support/temp_dir.hpp"

namespace pimqttd::hw {
namespace {

// ---- /proc/stat --------------------------------------------------------------------------------

constexpr std::string_view kProcStat =
    "cpu  229846 10 61147 516554 2749 3 1967 725 11 12\n"
    "cpu0 103517 0 30057 270399 1262 0 803 357 0 0\n"
    "cpu1 126328 0 31090 246155 1486 0 1163 367 0 0\n"
    "intr 55006414 0 9 0 0 0\n"
    "ctxt 96718201\n"
    "btime 1700000000\n"
    "processes 19542\n";

TEST(ParseProcStatCpu, AggregateLine) {
  const auto times = parse_proc_stat_cpu(kProcStat);
  ASSERT_TRUE(times);
  EXPECT_EQ(*times, (CpuTimes{229846, 10, 61147, 516554, 2749, 3, 1967, 725}));
  EXPECT_EQ(times->total(), 229846u + 10 + 61147 + 516554 + 2749 + 3 + 1967 + 725);
  EXPECT_EQ(times->idle_total(), 516554u + 2749);
}

TEST(ParseProcStatCpu, OldKernelsWithFourFields) {
  EXPECT_EQ(parse_proc_stat_cpu("cpu 1 2 3 4\n"), (CpuTimes{1, 2, 3, 4, 0, 0, 0, 0}));
  EXPECT_EQ(parse_proc_stat_cpu("cpu\t1 2 3 4 5"), (CpuTimes{1, 2, 3, 4, 5, 0, 0, 0}));
}

TEST(ParseProcStatCpu, Malformed) {
  EXPECT_FALSE(parse_proc_stat_cpu(""));
  EXPECT_FALSE(parse_proc_stat_cpu("cpu0 1 2 3 4\n"));       // no aggregate line
  EXPECT_FALSE(parse_proc_stat_cpu("cpu 1 2 3\n"));          // too few fields
  EXPECT_FALSE(parse_proc_stat_cpu("cpu 1 2 x 4\n"));        // not a number
  EXPECT_FALSE(parse_proc_stat_cpu("cpu 1 2 -3 4\n"));       // negative
  EXPECT_FALSE(parse_proc_stat_cpu("cpu 1 2 3 4 5 6 7 8 9 1.5\n"));
  EXPECT_FALSE(parse_proc_stat_cpu("cpu 1 2 3 99999999999999999999\n"));
  EXPECT_FALSE(parse_proc_stat_cpu("cpux 1 2 3 4\n"));
  // The first aggregate line decides.
  EXPECT_FALSE(parse_proc_stat_cpu("cpu 1 2\ncpu 1 2 3 4\n"));
}

TEST(ParseBtime, FindsTheLine) {
  EXPECT_EQ(parse_btime(kProcStat), 1700000000);
  EXPECT_EQ(parse_btime("btime 1"), 1);
}

TEST(ParseBtime, Malformed) {
  EXPECT_FALSE(parse_btime("cpu 1 2 3 4\n"));
  EXPECT_FALSE(parse_btime("btime\n"));
  EXPECT_FALSE(parse_btime("btime 0\n"));
  EXPECT_FALSE(parse_btime("btime -5\n"));
  EXPECT_FALSE(parse_btime("btime 12x\n"));
  EXPECT_FALSE(parse_btime("btime 1 2\n"));
  EXPECT_FALSE(parse_btime("btime 99999999999999999999\n"));
}

// ---- /proc/loadavg -----------------------------------------------------------------------------

TEST(ParseLoadavg, ThreeFields) {
  EXPECT_EQ(parse_loadavg("1.41 2.58 2.15 2/98 19362\n"), (LoadAverage{1.41, 2.58, 2.15}));
  EXPECT_EQ(parse_loadavg("0.00 0.00 0.00 1/1 1"), (LoadAverage{0, 0, 0}));
  EXPECT_EQ(parse_loadavg("12 3.5 0.25"), (LoadAverage{12, 3.5, 0.25}));
}

TEST(ParseLoadavg, Malformed) {
  EXPECT_FALSE(parse_loadavg(""));
  EXPECT_FALSE(parse_loadavg("1.41 2.58\n"));
  EXPECT_FALSE(parse_loadavg("1.41 2.58 abc 2/98 19362\n"));
  EXPECT_FALSE(parse_loadavg("1.41 2.58 2.15x 2/98 19362\n"));
  EXPECT_FALSE(parse_loadavg("1.41 -2.58 2.15 2/98 19362\n"));
  EXPECT_FALSE(parse_loadavg("1.41 nan 2.15\n"));
  EXPECT_FALSE(parse_loadavg("1.41 inf 2.15\n"));
  EXPECT_FALSE(parse_loadavg("1,41 2,58 2,15\n"));
}

// ---- /proc/meminfo -----------------------------------------------------------------------------

constexpr std::string_view kMeminfo =
    "MemTotal:        1000000 kB\n"
    "MemFree:          100000 kB\n"
    "MemAvailable:     250000 kB\n"
    "Buffers:           31116 kB\n"
    "Cached:           408824 kB\n"
    "SwapCached:            0 kB\n"
    "SwapTotal:        204800 kB\n"
    "SwapFree:         153600 kB\n"
    "HugePages_Total:       0\n"
    "Hugepagesize:       2048 kB\n";

TEST(ParseMeminfo, TheLinesItNeeds) {
  const auto info = parse_meminfo(kMeminfo);
  ASSERT_TRUE(info);
  EXPECT_EQ(*info, (MemInfo{1000000, 250000, 204800, 153600}));
  EXPECT_EQ(memory_used_percent(*info), 75.0);
  EXPECT_EQ(swap_used_percent(*info), 25.0);
}

TEST(ParseMeminfo, OldKernelWithoutMemAvailable) {
  const auto info = parse_meminfo(
      "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n"
      "SwapTotal: 0 kB\nSwapFree: 0 kB\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(*info, (MemInfo{1000, 400, 0, 0}));
  EXPECT_EQ(memory_used_percent(*info), 60.0);
  EXPECT_FALSE(swap_used_percent(*info));  // no swap configured
}

TEST(ParseMeminfo, SwapLinesAbsent) {
  EXPECT_EQ(parse_meminfo("MemTotal: 1000 kB\nMemAvailable: 1000 kB\n"),
            (MemInfo{1000, 1000, 0, 0}));
}

TEST(ParseMeminfo, Malformed) {
  EXPECT_FALSE(parse_meminfo(""));
  EXPECT_FALSE(parse_meminfo("MemAvailable: 100 kB\n"));                      // no total
  EXPECT_FALSE(parse_meminfo("MemTotal: 0 kB\nMemAvailable: 0 kB\n"));        // total 0
  EXPECT_FALSE(parse_meminfo("MemTotal: 1000 kB\n"));                         // no available
  EXPECT_FALSE(parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\n"));        // nor its parts
  EXPECT_FALSE(parse_meminfo("MemTotal: 1000\nMemAvailable: 100 kB\n"));      // no unit
  EXPECT_FALSE(parse_meminfo("MemTotal: 1000 MB\nMemAvailable: 100 kB\n"));   // wrong unit
  EXPECT_FALSE(parse_meminfo("MemTotal: x kB\nMemAvailable: 100 kB\n"));
  EXPECT_FALSE(parse_meminfo("MemTotal: 1000 kB\nMemAvailable: 100 kB\nSwapTotal: 5 kB\n"));
}

TEST(MemoryPercent, Clamped) {
  EXPECT_EQ(memory_used_percent(MemInfo{1000, 2000, 0, 0}), 0.0);
  EXPECT_EQ(memory_used_percent(MemInfo{1000, 0, 0, 0}), 100.0);
  EXPECT_EQ(swap_used_percent(MemInfo{1000, 0, 100, 200}), 0.0);
  EXPECT_EQ(swap_used_percent(MemInfo{1000, 0, 100, 0}), 100.0);
}

// ---- /proc/net/dev -----------------------------------------------------------------------------

constexpr std::string_view kNetDev =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo: 3381312783 13000851    0    0    0     0          0         0 3381312783 13000851 "
    "   0    0    0     0       0          0\n"
    "  eth0: 35097251    1119    0    0    0     0          0         0    78850     765    0 "
    "   0    0     0       0          0\n"
    "wlan0:18446744073709551615 1 2 3 4 5 6 7 42 1 2 3 4 5 6 7\n";

TEST(ParseNetDev, ByteCounters) {
  EXPECT_EQ(parse_net_dev(kNetDev, "eth0"), (NetCounters{35097251, 78850}));
  EXPECT_EQ(parse_net_dev(kNetDev, "lo"), (NetCounters{3381312783, 3381312783}));
  EXPECT_EQ(parse_net_dev(kNetDev, "wlan0"), (NetCounters{18446744073709551615u, 42}));
}

TEST(ParseNetDev, MissingOrMalformed) {
  EXPECT_FALSE(parse_net_dev(kNetDev, "eth1"));
  EXPECT_FALSE(parse_net_dev(kNetDev, "eth"));
  EXPECT_FALSE(parse_net_dev(kNetDev, "face"));
  EXPECT_FALSE(parse_net_dev("", "eth0"));
  EXPECT_FALSE(parse_net_dev("eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n", "eth0"));  // 15
  EXPECT_FALSE(parse_net_dev("eth0: 1 2 3 4 5 6 7 8 x 10 11 12 13 14 15 16\n", "eth0"));
  EXPECT_FALSE(
      parse_net_dev("eth0: 1 2 3 4 5 6 7 8 18446744073709551616 1 1 1 1 1 1 1\n", "eth0"));
}

// ---- /proc/net/wireless ------------------------------------------------------------------------

constexpr std::string_view kWireless =
    "Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n"
    " face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n"
    " wlan0: 0000   70.  -40.  -256        0      0      0      0      0        0\n"
    " wlan1: 0000   41   -69   -95         0      0      0      0      0        0\n";

TEST(ParseNetWireless, SignalLine) {
  EXPECT_EQ(parse_net_wireless(kWireless, "wlan0"), (WirelessStats{70, -40, -256}));
  EXPECT_EQ(parse_net_wireless(kWireless, "wlan1"), (WirelessStats{41, -69, -95}));
}

TEST(ParseNetWireless, MissingOrMalformed) {
  EXPECT_FALSE(parse_net_wireless(kWireless, "wlan2"));  // not associated: no line
  EXPECT_FALSE(parse_net_wireless("", "wlan0"));
  EXPECT_FALSE(parse_net_wireless(" wlan0: 0000   70.  -40.\n", "wlan0"));
  EXPECT_FALSE(parse_net_wireless(" wlan0: 0000   70.  -4x.  -256\n", "wlan0"));
  EXPECT_FALSE(parse_net_wireless(" wlan0: zz   70.  -40.  -256\n", "wlan0"));
  EXPECT_FALSE(parse_net_wireless(" wlan0: 0000   70..  -40.  -256\n", "wlan0"));
}

// ---- sysfs single values -----------------------------------------------------------------------

TEST(ParseThermal, Millidegrees) {
  EXPECT_EQ(parse_thermal_millidegrees("48312\n"), 48312);
  EXPECT_EQ(parse_thermal_millidegrees("-5000\n"), -5000);
  EXPECT_EQ(parse_thermal_millidegrees("0"), 0);
  EXPECT_FALSE(parse_thermal_millidegrees(""));
  EXPECT_FALSE(parse_thermal_millidegrees("\n"));
  EXPECT_FALSE(parse_thermal_millidegrees("48.3\n"));
  EXPECT_FALSE(parse_thermal_millidegrees("hot\n"));
  EXPECT_FALSE(parse_thermal_millidegrees("48312 1\n"));
}

TEST(ParseThrottled, Hex) {
  EXPECT_EQ(parse_throttled("0\n"), 0u);
  EXPECT_EQ(parse_throttled("50005\n"), 0x50005u);
  EXPECT_EQ(parse_throttled("0x80008"), 0x80008u);
  EXPECT_EQ(parse_throttled("e000f\n"), 0xe000fu);
  EXPECT_EQ(parse_throttled("FFFFFFFF"), 0xffffffffu);
  EXPECT_FALSE(parse_throttled(""));
  EXPECT_FALSE(parse_throttled("0x"));
  EXPECT_FALSE(parse_throttled("100000000"));  // more than 32 bits
  EXPECT_FALSE(parse_throttled("throttled=0x0"));
  EXPECT_FALSE(parse_throttled("-1"));
  EXPECT_FALSE(parse_throttled("5g"));
}

TEST(ParseThrottled, Bits) {
  EXPECT_EQ(kUnderVoltage, 0x1u);
  EXPECT_EQ(kFrequencyCapped, 0x2u);
  EXPECT_EQ(kThrottled, 0x4u);
  EXPECT_EQ(kSoftTemperatureLimit, 0x8u);
  EXPECT_EQ(kUnderVoltage << kThrottledSinceBootShift, 0x10000u);
}

TEST(ParseDeviceTreeModel, NulTerminated) {
  using namespace std::string_view_literals;
  EXPECT_EQ(parse_device_tree_model("Raspberry Pi 4 Model B Rev 1.4\0"sv),
            "Raspberry Pi 4 Model B Rev 1.4");
  EXPECT_EQ(parse_device_tree_model("Raspberry Pi 5\0junk"sv), "Raspberry Pi 5");
  EXPECT_EQ(parse_device_tree_model("Model \n"sv), "Model");
  EXPECT_FALSE(parse_device_tree_model("\0"sv));
  EXPECT_FALSE(parse_device_tree_model(""sv));
}

TEST(ParseDeviceTreeStrings, EachNulTerminatedString) {
  using namespace std::string_view_literals;
  EXPECT_EQ(parse_device_tree_strings("brcm,bcm2711-pwm\0brcm,bcm2835-pwm\0"sv),
            (std::vector<std::string>{"brcm,bcm2711-pwm", "brcm,bcm2835-pwm"}));
  EXPECT_EQ(parse_device_tree_strings("pwm-fan"sv), (std::vector<std::string>{"pwm-fan"}));
  EXPECT_EQ(parse_device_tree_strings("a\n\0\0b \0"sv), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(parse_device_tree_strings("\0"sv).empty());
  EXPECT_TRUE(parse_device_tree_strings(""sv).empty());
}

TEST(DiskUsedPercent, AsDfComputesIt) {
  // used 750, available 50: the 200 reserved for root count as neither.
  EXPECT_EQ(disk_used_percent(DiskUsage{4096, 1000, 250, 50}), 93.75);
  EXPECT_EQ(disk_used_percent(DiskUsage{4096, 1000, 1000, 1000}), 0.0);
  EXPECT_EQ(disk_used_percent(DiskUsage{4096, 1000, 0, 0}), 100.0);
  EXPECT_FALSE(disk_used_percent(DiskUsage{4096, 0, 0, 0}));
}

// ---- SystemFiles -------------------------------------------------------------------------------

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  ASSERT_TRUE(out.good()) << path;
}

class SystemFilesTest : public ::testing::Test {
 protected:
  test::TempDir dir_{"pimqttd-procfs"};
  SystemFiles files_{dir_.path()};
};

TEST_F(SystemFilesTest, PathsBelowTheRoot) {
  EXPECT_EQ(files_.path("proc/stat"), dir_.path() / "proc/stat");
  EXPECT_EQ(files_.path("/boot/firmware"), dir_.path() / "boot/firmware");
  EXPECT_EQ(files_.path("/"), dir_.path());
  EXPECT_EQ(SystemFiles("/").path("proc/stat"), std::filesystem::path("/proc/stat"));
  EXPECT_EQ(SystemFiles("/").path("/"), std::filesystem::path("/"));
}

TEST_F(SystemFilesTest, ReadsEveryFile) {
  write_file(dir_ / "proc/stat", kProcStat);
  write_file(dir_ / "proc/loadavg", "0.50 1.25 2.00 1/2 3\n");
  write_file(dir_ / "proc/meminfo", kMeminfo);
  write_file(dir_ / "proc/net/dev", kNetDev);
  write_file(dir_ / "proc/net/wireless", kWireless);
  write_file(dir_ / "sys/class/thermal/thermal_zone3/temp", "51234\n");
  write_file(dir_ / "proc/device-tree/model", std::string("Raspberry Pi 3 Model B\0", 23));

  EXPECT_EQ(files_.cpu_times().value().user, 229846u);
  EXPECT_EQ(files_.boot_time().value(), 1700000000);
  EXPECT_EQ(files_.load_average().value(), (LoadAverage{0.5, 1.25, 2}));
  EXPECT_EQ(files_.memory().value().available_kib, 250000u);
  EXPECT_EQ(files_.net_counters("eth0").value(), (NetCounters{35097251, 78850}));
  EXPECT_EQ(files_.wireless("wlan0").value().level, -40);
  EXPECT_EQ(files_.thermal_millidegrees(3).value(), 51234);
  EXPECT_EQ(files_.device_tree_model().value(), "Raspberry Pi 3 Model B");
  EXPECT_EQ(files_.read_text("proc/loadavg").value(), "0.50 1.25 2.00 1/2 3\n");
}

TEST_F(SystemFilesTest, SaysWhatFailed) {
  const std::string root = dir_.path().string();
  const auto missing = files_.load_average();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), root + "/proc/loadavg: No such file or directory");

  write_file(dir_ / "proc/loadavg", "garbage\twith\x01 control\nsecond line\n");
  EXPECT_EQ(files_.load_average().error(),
            root + "/proc/loadavg: cannot parse \"garbage?with? control\"");
  write_file(dir_ / "sys/class/thermal/thermal_zone0/temp", std::string(50, '9') + "\n");
  EXPECT_EQ(files_.thermal_millidegrees(0).error(),
            root + "/sys/class/thermal/thermal_zone0/temp: cannot parse \"" +
                std::string(40, '9') + "...\"");

  write_file(dir_ / "proc/net/dev", kNetDev);
  EXPECT_EQ(files_.net_counters("eth9").error(), root + "/proc/net/dev: no valid line for eth9");
  write_file(dir_ / "proc/net/wireless", kWireless);
  EXPECT_EQ(files_.wireless("wlan9").error(),
            root + "/proc/net/wireless: no valid line for wlan9 (not associated?)");

  std::filesystem::create_directories(dir_ / "proc/stat");
  EXPECT_EQ(files_.cpu_times().error(), root + "/proc/stat: Is a directory");
}

TEST_F(SystemFilesTest, RefusesHugeFiles) {
  write_file(dir_ / "proc/loadavg", std::string(SystemFiles::kMaxFileSize + 1, ' '));
  EXPECT_EQ(files_.read_text("proc/loadavg").error(),
            dir_.path().string() + "/proc/loadavg: longer than 1048576 bytes");
  write_file(dir_ / "proc/loadavg", std::string(SystemFiles::kMaxFileSize, ' '));
  EXPECT_TRUE(files_.read_text("proc/loadavg"));
}

TEST_F(SystemFilesTest, WirelessInterfaces) {
  EXPECT_FALSE(files_.is_wireless("wlan0"));
  std::filesystem::create_directories(dir_ / "sys/class/net/wlan0/wireless");
  std::filesystem::create_directories(dir_ / "sys/class/net/eth0");
  EXPECT_TRUE(files_.is_wireless("wlan0"));
  EXPECT_FALSE(files_.is_wireless("eth0"));
}

TEST_F(SystemFilesTest, ThrottledOnRaspberryPiOs) {
  EXPECT_FALSE(files_.find_throttled_file());
  write_file(dir_ / "sys/devices/platform/soc/soc:firmware/get_throttled", "50005\n");
  const auto file = files_.find_throttled_file();
  ASSERT_TRUE(file);
  EXPECT_EQ(*file, std::filesystem::path("sys/devices/platform/soc/soc:firmware/get_throttled"));
  EXPECT_EQ(files_.throttled(*file).value(), 0x50005u);
}

TEST_F(SystemFilesTest, ThrottledThroughTheDriverDirectory) {
  const auto driver = dir_ / "sys/bus/platform/drivers/raspberrypi-firmware";
  std::filesystem::create_directories(driver);
  write_file(driver / "bind", "");
  EXPECT_FALSE(files_.find_throttled_file());
  // The driver directory links to the bound device, wherever the device tree put it.
  write_file(dir_ / "sys/devices/platform/axi/axi:firmware/get_throttled", "0x2\n");
  std::filesystem::create_directory_symlink(dir_ / "sys/devices/platform/axi/axi:firmware",
                                            driver / "axi:firmware");
  const auto file = files_.find_throttled_file();
  ASSERT_TRUE(file);
  EXPECT_EQ(*file, std::filesystem::path(
                       "sys/bus/platform/drivers/raspberrypi-firmware/axi:firmware/get_throttled"));
  EXPECT_EQ(files_.throttled(*file).value(), 0x2u);
}

TEST_F(SystemFilesTest, DiskUsageThroughStatvfs) {
  std::string asked;
  SystemFiles fake(dir_.path(), [&](const char* path, struct statvfs* out) {
    asked = path;
    *out = {};
    out->f_frsize = 4096;
    out->f_blocks = 1000;
    out->f_bfree = 250;
    out->f_bavail = 50;
    return 0;
  });
  EXPECT_EQ(fake.disk_usage("/boot/firmware").value(), (DiskUsage{4096, 1000, 250, 50}));
  EXPECT_EQ(asked, (dir_.path() / "boot/firmware").string());

  SystemFiles empty(dir_.path(), [](const char*, struct statvfs* out) {
    *out = {};
    out->f_bsize = 512;
    return 0;
  });
  EXPECT_EQ(empty.disk_usage("/").error(),
            dir_.path().string() + ": the file system reports no blocks");

  SystemFiles failing(dir_.path(), [](const char*, struct statvfs*) {
    errno = EACCES;
    return -1;
  });
  EXPECT_EQ(failing.disk_usage("/srv").error(), dir_.path().string() + "/srv: Permission denied");
}

TEST_F(SystemFilesTest, RealStatvfs) {
  const auto usage = files_.disk_usage("/");
  ASSERT_TRUE(usage) << usage.error();
  EXPECT_GT(usage.value().total, 0u);
  EXPECT_GT(usage.value().fragment_size, 0u);
  EXPECT_EQ(files_.disk_usage("/no/such/mount").error(),
            dir_.path().string() + "/no/such/mount: No such file or directory");
}

}  // namespace
}  // namespace pimqttd::hw
