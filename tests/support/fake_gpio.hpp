#pragma once
// FakeGpioLines: the GPIO seam (hw::GpioLines / hw::GpioLine) for driver tests, standing in for
// the chips and nothing above them.
//
// Each fake line has a physical level the test sets. While a driver holds the line:
// - as an input, value() reads the level made logical (inverted with active_low), and a change
//   of level queues an edge event (of the logical value, with the timestamp the test gives, or
//   1 ms after the previous one) when the request asked for that edge. The line's event fd is
//   an eventfd, readable while events are queued, so the driver's watch fires on the real loop;
// - as an output, set_value() drives the level (inverted with active_low) and is logged.
// Faults: fail_requests() makes requests throw hw::GpioError with a given message; a line's
// read_error / write_error make its reads / writes fail with that error code. A line that is not
// known, or already held, is refused as the real one would be.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/hw/gpio.hpp"

namespace pimqttd::test {

class FakeGpioLines final : public hw::GpioLines {
 public:
  struct Line {
    std::string name;    ///< what GpioLine::name() returns
    bool level = false;  ///< physical
    // While held:
    bool held = false;
    bool output = false;
    hw::GpioInputConfig input;    ///< the last input request's settings
    hw::GpioOutputConfig output_config;  ///< the last output request's settings
    std::deque<hw::GpioEvent> pending;
    core::UniqueFd event_fd;  ///< an eventfd while held with edges
    // What happened:
    int requests = 0;            ///< successful requests
    std::vector<bool> writes;    ///< logical values set, in order
    // Faults:
    std::error_code read_error;   ///< value() and read_events() fail with it
    std::error_code write_error;  ///< set_value() fails with it
  };

  /// Adds a line that requests for `spec` find, named `name` in messages.
  Line& add_line(const hw::GpioLineSpec& spec, std::string name, bool level = false);
  /// The line added for `spec` (throws std::out_of_range for another).
  Line& line(const hw::GpioLineSpec& spec);

  /// Sets the physical level of a line; `timestamp` is the kernel's time of the edge (default:
  /// 1 ms after the previous edge of any line). Queues an event when the level changes and the
  /// line is held for that edge.
  void set_level(Line& line, bool level);
  void set_level(Line& line, bool level, std::chrono::nanoseconds timestamp);
  /// From now on requests throw hw::GpioError(message); an empty message lets them succeed.
  void fail_requests(std::string message) { failure_ = std::move(message); }
  /// Requests refused so far (by fail_requests, unknown or held lines).
  [[nodiscard]] int refused() const noexcept { return refused_; }

  std::unique_ptr<hw::GpioLine> request_input(const hw::GpioLineSpec& spec,
                                              const hw::GpioInputConfig& config) override;
  std::unique_ptr<hw::GpioLine> request_output(const hw::GpioLineSpec& spec,
                                               const hw::GpioOutputConfig& config) override;

 private:
  Line& acquire(const hw::GpioLineSpec& spec);

  std::vector<std::pair<hw::GpioLineSpec, std::unique_ptr<Line>>> lines_;
  std::string failure_;
  int refused_ = 0;
  std::chrono::nanoseconds clock_{std::chrono::seconds{1000}};
};

}  // namespace pimqttd::test
