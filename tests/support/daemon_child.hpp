#pragma once
// The whole daemon in the calling process (meant for a forked child) on fake GPIO lines: real
// configuration, loop, worker, MQTT client and state directory, with one gpio_counter fed by a
// pulse source on the loop. For tests and benchmarks that kill the daemon (power_cut_test) or
// measure what it writes (bench/disk_writes). A target that includes this links pimqttd::app and
// pimqttd::test_support.

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "pimqttd/app/config.hpp"
#include "pimqttd/app/daemon.hpp"
#include "pimqttd/app/logging.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/hw/gpio.hpp"
#include "sensors/gpio/gpio_config.hpp"
#include "support/fake_gpio.hpp"

namespace pimqttd::test {

/// The counter's line: gpiochip0 line 27, pulled up (the meter pulls it low for each pulse).
inline const hw::GpioLineSpec kCounterLine{"gpiochip0", std::uint32_t{27}};

/// A gpio_counter entry on kCounterLine.
inline nlohmann::json counter_entry(const std::string& name) {
  return {{"type", "gpio_counter"}, {"name", name},          {"chip", "gpiochip0"},
          {"line", 27},             {"bias", "pull_up"}};
}

struct DaemonChildOptions {
  /// The configuration (parsed as the daemon parses its file); every gpio_* line it names must
  /// be gpiochip0 line 27 (the counter) or one of `extra_lines`.
  nlohmann::json config;
  std::filesystem::path state_directory;
  std::vector<std::uint32_t> extra_lines;
  /// Replaces every counter's save_interval (below the configuration's minimum if need be).
  std::optional<std::chrono::milliseconds> save_interval;
  /// One pulse every `pulse_period`.
  std::chrono::milliseconds pulse_period{1};
  /// When >= 0: the number of pulses sent so far (std::uint32_t) is written here before each
  /// pulse, so a reader never counts fewer pulses than the counter.
  int report_fd = -1;
  app::LogLevel log_level = app::LogLevel::warning;
};

/// Runs the daemon until the process is killed; exits with status 2 when it fails to start.
[[noreturn]] inline void run_daemon_child(const DaemonChildOptions& o) {
  try {
    auto lines = std::make_shared<FakeGpioLines>();
    FakeGpioLines::Line& meter = lines->add_line(kCounterLine, "GPIO27", true);
    for (const std::uint32_t offset : o.extra_lines) {
      lines->add_line(hw::GpioLineSpec{"gpiochip0", offset}, "GPIO" + std::to_string(offset));
    }
    hw::use_gpio_lines(lines);
    app::setup_logging(o.log_level);

    app::Config config = app::parse_config(o.config.dump(), app::LoadOptions{});
    for (sensors::SensorConfig& sensor : config.sensors) {
      const auto* counter = sensor.settings_as<sensors::GpioCounterSettings>();
      if (counter == nullptr || !o.save_interval) continue;
      auto changed = std::make_shared<sensors::GpioCounterSettings>(*counter);
      changed->options.save_interval = *o.save_interval;
      sensor.settings = std::move(changed);
    }
    core::EventLoop loop;
    core::Worker worker(loop);
    app::DaemonOptions options;
    options.state_directory = o.state_directory;
    app::Daemon daemon(loop, worker, std::move(config), std::move(options));
    daemon.start();
    std::uint32_t sent = 0;
    const int report_fd = o.report_fd;
    core::TimerHandle pulses = loop.start_periodic(o.pulse_period, [&] {
      ++sent;
      if (report_fd >= 0 &&
          ::write(report_fd, &sent, sizeof sent) != static_cast<ssize_t>(sizeof sent)) {
        std::_Exit(3);
      }
      lines->set_level(meter, false);
      lines->set_level(meter, true);
    });
    loop.run();
  } catch (const std::exception& error) {
    const std::string text = std::string("daemon child: ") + error.what() + "\n";
    [[maybe_unused]] const auto written = ::write(2, text.data(), text.size());
  }
  std::_Exit(2);
}

}  // namespace pimqttd::test
