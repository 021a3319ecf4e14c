#include "support/fake_gpio.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <system_error>

namespace pimqttd::test {
namespace {

using Line = FakeGpioLines::Line;

void signal(const core::UniqueFd& fd) {
  const std::uint64_t one = 1;
  if (::write(fd.get(), &one, sizeof one) != static_cast<ssize_t>(sizeof one)) {
    throw std::system_error(errno, std::generic_category(), "fake gpio: eventfd write");
  }
}

void drain(const core::UniqueFd& fd) {
  std::uint64_t count = 0;
  static_cast<void>(::read(fd.get(), &count, sizeof count));  // EAGAIN when already drained
}

bool wants(hw::GpioEdges edges, hw::GpioEdge edge) {
  switch (edges) {
    case hw::GpioEdges::none: return false;
    case hw::GpioEdges::rising: return edge == hw::GpioEdge::rising;
    case hw::GpioEdges::falling: return edge == hw::GpioEdge::falling;
    case hw::GpioEdges::both: return true;
  }
  return false;
}

class FakeLine final : public hw::GpioLine {
 public:
  explicit FakeLine(Line& line) : line_(line) {}
  ~FakeLine() override {
    line_.held = false;
    line_.pending.clear();
    line_.event_fd.reset();
  }
  FakeLine(const FakeLine&) = delete;
  FakeLine& operator=(const FakeLine&) = delete;

  [[nodiscard]] const std::string& name() const override { return line_.name; }

  std::error_code value(bool& value) override {
    if (line_.read_error) return line_.read_error;
    const bool active_low = line_.output ? line_.output_config.active_low : line_.input.active_low;
    value = line_.level != active_low;
    return {};
  }

  std::error_code set_value(bool value) override {
    if (!line_.output) return std::make_error_code(std::errc::operation_not_permitted);
    if (line_.write_error) return line_.write_error;
    line_.level = value != line_.output_config.active_low;
    line_.writes.push_back(value);
    return {};
  }

  [[nodiscard]] int event_fd() const override { return line_.event_fd.get(); }

  std::error_code read_events(std::vector<hw::GpioEvent>& events) override {
    if (!line_.event_fd) return std::make_error_code(std::errc::operation_not_permitted);
    if (line_.read_error) return line_.read_error;
    drain(line_.event_fd);
    events.insert(events.end(), line_.pending.begin(), line_.pending.end());
    line_.pending.clear();
    return {};
  }

 private:
  Line& line_;
};

}  // namespace

Line& FakeGpioLines::add_line(const hw::GpioLineSpec& spec, std::string name, bool level) {
  auto line = std::make_unique<Line>();
  line->name = std::move(name);
  line->level = level;
  lines_.emplace_back(spec, std::move(line));
  return *lines_.back().second;
}

Line& FakeGpioLines::line(const hw::GpioLineSpec& spec) {
  const auto it = std::find_if(lines_.begin(), lines_.end(),
                               [&](const auto& entry) { return entry.first == spec; });
  if (it == lines_.end()) throw std::out_of_range("fake gpio: no line " + hw::describe(spec));
  return *it->second;
}

void FakeGpioLines::set_level(Line& line, bool level) {
  set_level(line, level, clock_ + std::chrono::milliseconds{1});
}

void FakeGpioLines::set_level(Line& line, bool level, std::chrono::nanoseconds timestamp) {
  clock_ = std::max(clock_, timestamp);
  if (line.level == level) return;
  line.level = level;
  if (!line.held || line.output || !line.event_fd) return;
  const bool logical = level != line.input.active_low;
  const hw::GpioEdge edge = logical ? hw::GpioEdge::rising : hw::GpioEdge::falling;
  if (!wants(line.input.edges, edge)) return;
  line.pending.push_back(hw::GpioEvent{edge, timestamp});
  signal(line.event_fd);
}

Line& FakeGpioLines::acquire(const hw::GpioLineSpec& spec) {
  if (!failure_.empty()) {
    ++refused_;
    throw hw::GpioError(failure_);
  }
  const auto it = std::find_if(lines_.begin(), lines_.end(),
                               [&](const auto& entry) { return entry.first == spec; });
  if (it == lines_.end()) {
    ++refused_;
    throw hw::GpioError("GPIO line " + hw::describe(spec) + " not found (fake)");
  }
  Line& line = *it->second;
  if (line.held) {
    ++refused_;
    throw hw::GpioError(line.name + " is busy: used by \"pimqttd\"");
  }
  return line;
}

std::unique_ptr<hw::GpioLine> FakeGpioLines::request_input(const hw::GpioLineSpec& spec,
                                                           const hw::GpioInputConfig& config) {
  Line& line = acquire(spec);
  line.held = true;
  line.output = false;
  line.input = config;
  line.pending.clear();
  if (config.edges != hw::GpioEdges::none) {
    line.event_fd = core::UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!line.event_fd) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  ++line.requests;
  return std::make_unique<FakeLine>(line);
}

std::unique_ptr<hw::GpioLine> FakeGpioLines::request_output(const hw::GpioLineSpec& spec,
                                                            const hw::GpioOutputConfig& config) {
  Line& line = acquire(spec);
  line.held = true;
  line.output = true;
  line.output_config = config;
  line.level = config.value != config.active_low;
  ++line.requests;
  return std::make_unique<FakeLine>(line);
}

}  // namespace pimqttd::test
