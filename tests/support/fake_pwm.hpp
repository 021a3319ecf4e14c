#pragma once
// FakePwmTree: the part of sysfs the PWM seam reads and writes, built in a
// temporary directory the way the kernel lays it out:
//
//   sys/devices/<device path>/            the controller's device, with
//   of_node/compatible sys/devices/<device path>/pwm/pwmchipN/   npwm, export,
//   unexport and the exported pwmM/ sys/class/pwm/pwmchipN ->
//   ../../devices/<device path>/pwm/pwmchipN
//   .../pwmchipN/device -> ../../../<device name>
//
// The kernel creates pwmM/ while the export write runs; a fake file cannot, so
// a test creates the channel with add_channel() (or leaves it out to see the
// export written). Files hold what was last written to them.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "support/temp_dir.hpp"

namespace pimqttd::test {

class FakePwmTree {
 public:
  /// The root to give hw::SysfsPwm.
  [[nodiscard]] const std::filesystem::path& root() const { return dir_.path(); }

  /// A chip numbered `number` for the device at sys/devices/`device_path` (its
  /// last part is the device name) with `npwm` channels and the device-tree
  /// `compatible` string. Returns the chip's directory (the link's target).
  std::filesystem::path add_chip(int number, const std::string& device_path, unsigned npwm,
                                 const std::string& compatible) {
    namespace fs = std::filesystem;
    const fs::path device = root() / "sys/devices" / device_path;
    const std::string chip_name = "pwmchip" + std::to_string(number);
    const fs::path chip = device / "pwm" / chip_name;
    fs::create_directories(chip);
    fs::create_directories(device / "of_node");
    write(device / "of_node" / "compatible", compatible + std::string(1, '\0'));
    write(chip / "npwm", std::to_string(npwm) + "\n");
    write(chip / "export", "");
    write(chip / "unexport", "");
    fs::create_directory_symlink(fs::path("../../..") / device.filename(), chip / "device");
    fs::create_directories(root() / "sys/class/pwm");
    fs::create_directory_symlink(fs::path("../../devices") / device_path / "pwm" / chip_name,
                                 root() / "sys/class/pwm" / chip_name);
    return chip;
  }

  /// The exported channel's directory under `chip`, as the kernel makes it
  /// (disabled, period and duty cycle 0, normal polarity, unless given).
  std::filesystem::path add_channel(const std::filesystem::path& chip, unsigned channel,
                                    const std::string& period = "0\n",
                                    const std::string& duty = "0\n",
                                    const std::string& polarity = "normal\n",
                                    const std::string& enable = "0\n") {
    const std::filesystem::path dir = chip / ("pwm" + std::to_string(channel));
    std::filesystem::create_directories(dir);
    write(dir / "period", period);
    write(dir / "duty_cycle", duty);
    write(dir / "polarity", polarity);
    write(dir / "enable", enable);
    return dir;
  }

  static void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  [[nodiscard]] static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  TempDir dir_{"pimqttd-pwm"};
};

}  // namespace pimqttd::test
