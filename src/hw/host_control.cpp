#include "pimqttd/hw/host_control.hpp"

#include <poll.h>
#include <systemd/sd-bus.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <optional>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "pimqttd/core/event_loop.hpp"

namespace pimqttd::hw {
namespace {

using Clock = core::EventLoop::Clock;

/// How long after the call's own timeout a request gives up when sd-bus has not (a connection
/// whose authentication never finishes).
constexpr std::chrono::seconds kGrace{1};

struct BusDeleter {
  void operator()(sd_bus* bus) const noexcept { static_cast<void>(sd_bus_close_unref(bus)); }
};
struct MessageDeleter {
  void operator()(sd_bus_message* m) const noexcept { static_cast<void>(sd_bus_message_unref(m)); }
};
struct FreeDeleter {
  void operator()(char* text) const noexcept { std::free(text); }  // NOLINT: sd-bus's malloc
};
using BusPtr = std::unique_ptr<sd_bus, BusDeleter>;
using MessagePtr = std::unique_ptr<sd_bus_message, MessageDeleter>;
using CString = std::unique_ptr<char, FreeDeleter>;

struct Method {
  const char* destination;
  const char* path;
  const char* interface;
  const char* member;
};

constexpr Method kReboot{"org.freedesktop.login1", "/org/freedesktop/login1",
                         "org.freedesktop.login1.Manager", "Reboot"};
constexpr Method kPowerOff{"org.freedesktop.login1", "/org/freedesktop/login1",
                           "org.freedesktop.login1.Manager", "PowerOff"};
constexpr Method kGetUnitByPid{"org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnitByPID"};
constexpr Method kRestartUnit{"org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                              "org.freedesktop.systemd1.Manager", "RestartUnit"};
/// Where systemd's unit objects live: the unit's name is the rest of the path, escaped.
constexpr const char* kUnitPathPrefix = "/org/freedesktop/systemd1/unit";

std::string errno_text(int negative_errno) {
  return std::error_code(-negative_errno, std::generic_category()).message();
}

}  // namespace

std::string_view action_name(HostAction action) noexcept {
  switch (action) {
    case HostAction::restart_service: return "restart";
    case HostAction::reboot: return "reboot";
    case HostAction::power_off: return "power-off";
  }
  return "?";
}

std::string_view action_service(HostAction action) noexcept {
  return action == HostAction::restart_service ? "systemd" : "systemd-logind";
}

std::string restart_problem(std::string_view unit) {
  if (unit.starts_with("user@") && unit.ends_with(".service")) {
    return fmt::format("the daemon runs under a user's service manager ({}), not as a system "
                       "service",
                       unit);
  }
  if (!unit.ends_with(".service")) {
    return fmt::format("the daemon does not run as a systemd service (it runs in {})", unit);
  }
  return "";
}

// One request: its own connection, the call sent on it, the loop's watch of its fd and one timer
// (sd-bus's next deadline or the request's, whichever comes first).
class DbusHostControl::Call {
 public:
  Call(DbusHostControl& owner, HostAction action, Done done)
      : owner_(owner), action_(action), done_(std::move(done)),
        deadline_(Clock::now() + owner.options_.timeout + kGrace) {}

  void start() {
    if (const int r = connect(); r < 0) {
      return fail_soon(fmt::format("cannot connect to {}: {}", bus_name(), errno_text(r)));
    }
    // A restart first asks systemd which unit the daemon runs in (on_unit sends the restart).
    const int r = action_ == HostAction::reboot      ? send(kReboot, &Call::on_reply)
                  : action_ == HostAction::power_off ? send(kPowerOff, &Call::on_reply)
                                                     : send(kGetUnitByPid, &Call::on_unit);
    if (r < 0) {
      return fail_soon(fmt::format("cannot send the call on {}: {}", bus_name(), errno_text(r)));
    }
    const int fd = sd_bus_get_fd(bus_.get());
    if (fd < 0) return fail_soon(fmt::format("{} has no fd: {}", bus_name(), errno_text(fd)));
    watch_ = owner_.loop_.start_watch(fd, 0, [this](std::uint32_t) { drive(); });
    rearm();
  }

  [[nodiscard]] Done take_done() { return std::move(done_); }
  [[nodiscard]] HostActionResult take_result() { return std::move(*result_); }

 private:
  [[nodiscard]] std::string bus_name() const {
    const std::string& address = owner_.options_.bus_address;
    return address.empty() ? std::string("the system bus") : "the bus at " + address;
  }

  /// "reboot", "power-off", "restart of pimqttd.service".
  [[nodiscard]] std::string what() const {
    std::string out(action_name(action_));
    if (!unit_.empty()) out += " of " + unit_;
    return out;
  }

  int connect() {
    sd_bus* raw = nullptr;
    const std::string& address = owner_.options_.bus_address;
    if (address.empty()) {
      const int r = sd_bus_open_system(&raw);
      bus_.reset(raw);
      return r;
    }
    int r = sd_bus_new(&raw);
    bus_.reset(raw);
    if (r < 0) return r;
    if ((r = sd_bus_set_address(raw, address.c_str())) < 0) return r;
    if ((r = sd_bus_set_bus_client(raw, 1)) < 0) return r;
    return sd_bus_start(raw);
  }

  /// Sends `method` with its arguments: logind's "interactive" false (no password prompt),
  /// GetUnitByPID's PID 0 (the caller), RestartUnit's unit and job mode.
  int send(const Method& method, sd_bus_message_handler_t on_answer) {
    sd_bus_message* raw = nullptr;
    int r = sd_bus_message_new_method_call(bus_.get(), &raw, method.destination, method.path,
                                           method.interface, method.member);
    const MessagePtr message(raw);
    if (r < 0) return r;
    if (&method == &kRestartUnit) {
      r = sd_bus_message_append(raw, "ss", unit_.c_str(), "replace");
    } else if (&method == &kGetUnitByPid) {
      r = sd_bus_message_append(raw, "u", 0u);
    } else {
      r = sd_bus_message_append(raw, "b", 0);
    }
    if (r < 0) return r;
    const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(
        owner_.options_.timeout);
    return sd_bus_call_async(bus_.get(), nullptr, raw, on_answer, this,
                             static_cast<std::uint64_t>(usec.count()));
  }

  /// GetUnitByPID's answer: the unit's object path, whose last part is its escaped name.
  static int on_unit(sd_bus_message* reply, void* userdata, sd_bus_error* /*error*/) {
    Call& call = *static_cast<Call*>(userdata);
    if (const sd_bus_error* error = sd_bus_message_get_error(reply); error != nullptr) {
      call.fail(fmt::format("systemd does not know the daemon's unit: {}: {}",
                            error->name != nullptr ? error->name : "",
                            error->message != nullptr ? error->message : ""),
                error->name != nullptr ? error->name : "");
      return 0;
    }
    const char* path = nullptr;
    char* raw = nullptr;
    if (sd_bus_message_read(reply, "o", &path) < 0 ||
        sd_bus_path_decode(path, kUnitPathPrefix, &raw) <= 0) {
      call.fail(fmt::format("systemd answered GetUnitByPID with {}, not a unit",
                            path != nullptr ? path : "nothing"));
      return 0;
    }
    const CString unit(raw);
    if (std::string problem = restart_problem(unit.get()); !problem.empty()) {
      call.fail(problem);
      return 0;
    }
    call.unit_ = unit.get();
    if (const int r = call.send(kRestartUnit, &Call::on_reply); r < 0) {
      call.fail(fmt::format("cannot send the call on {}: {}", call.bus_name(), errno_text(r)));
    }
    return 0;
  }

  static int on_reply(sd_bus_message* reply, void* userdata, sd_bus_error* /*error*/) {
    Call& call = *static_cast<Call*>(userdata);
    const std::string service(action_service(call.action_));
    HostActionResult result;
    if (const sd_bus_error* error = sd_bus_message_get_error(reply); error != nullptr) {
      result.error_name = error->name != nullptr ? error->name : "";
      result.summary = fmt::format("{} refused the {}: {}: {}", service, call.what(),
                                   result.error_name,
                                   error->message != nullptr ? error->message : "");
    } else {
      result.accepted = true;
      result.summary = fmt::format("{} accepted the {}", service, call.what());
      const char* job = nullptr;
      if (call.action_ == HostAction::restart_service &&
          sd_bus_message_read(reply, "o", &job) >= 0 && job != nullptr) {
        result.summary += fmt::format(" (job {})", job);
      }
    }
    call.result_ = std::move(result);
    return 0;
  }

  /// The request ends without the service's verdict on it: `why`, and the D-Bus error behind
  /// it if there is one.
  void fail(std::string_view why, std::string error_name = {}) {
    HostActionResult result;
    result.error_name = std::move(error_name);
    result.summary =
        fmt::format("cannot ask {} for the {}: {}", action_service(action_), what(), why);
    result_ = std::move(result);
  }

  /// fail(), reported from the loop (never from request()).
  void fail_soon(std::string_view why) {
    fail(why);
    watch_.reset();
    timer_ = owner_.loop_.start_timer(Clock::duration::zero(), [this] { drive(); });
  }

  void drive() {
    while (!result_) {
      const int r = sd_bus_process(bus_.get(), nullptr);
      if (r < 0) {
        fail_soon(fmt::format("the connection to {} failed: {}", bus_name(), errno_text(r)));
        break;
      }
      if (r == 0) break;
    }
    if (!result_ && Clock::now() >= deadline_) {
      fail_soon(fmt::format("no answer within {} ms",
                            std::chrono::duration_cast<std::chrono::milliseconds>(
                                owner_.options_.timeout + kGrace)
                                .count()));
    }
    if (result_) {
      owner_.finish(*this);  // destroys *this
      return;
    }
    rearm();
  }

  void rearm() {
    const int events = sd_bus_get_events(bus_.get());
    if (events < 0) {
      return fail_soon(fmt::format("the connection to {} failed: {}", bus_name(),
                                   errno_text(events)));
    }
    const auto bits = static_cast<unsigned>(events);
    watch_.set_interest(((bits & POLLIN) != 0 ? core::kReadable : 0u) |
                        ((bits & POLLOUT) != 0 ? core::kWritable : 0u));
    Clock::time_point wake = deadline_;
    std::uint64_t usec = 0;
    if (sd_bus_get_timeout(bus_.get(), &usec) >= 0 &&
        usec != std::numeric_limits<std::uint64_t>::max()) {
      // sd-bus's deadlines are CLOCK_MONOTONIC, the steady clock's.
      wake = std::min(wake, Clock::time_point(std::chrono::duration_cast<Clock::duration>(
                                std::chrono::microseconds(usec))));
    }
    if (!timer_.active() || wake != armed_) {
      timer_ = owner_.loop_.start_timer(wake, [this] { drive(); });
      armed_ = wake;
    }
  }

  DbusHostControl& owner_;
  HostAction action_;
  Done done_;
  Clock::time_point deadline_;
  std::string unit_;  ///< the unit to restart, once systemd named it
  std::optional<HostActionResult> result_;
  BusPtr bus_;
  core::WatchHandle watch_;  ///< of bus_'s fd: declared after it, so destroyed before it closes
  core::TimerHandle timer_;
  Clock::time_point armed_{};
};

DbusHostControl::DbusHostControl(core::EventLoop& loop, DbusHostControlOptions options)
    : loop_(loop), options_(std::move(options)) {}

DbusHostControl::~DbusHostControl() = default;

void DbusHostControl::request(HostAction action, Done done) {
  calls_.push_back(std::make_unique<Call>(*this, action, std::move(done)));
  calls_.back()->start();
}

std::size_t DbusHostControl::pending() const noexcept { return calls_.size(); }

void DbusHostControl::finish(Call& call) {
  const auto it = std::find_if(calls_.begin(), calls_.end(),
                               [&call](const auto& c) { return c.get() == &call; });
  std::unique_ptr<Call> owned = std::move(*it);
  calls_.erase(it);
  Done done = owned->take_done();
  HostActionResult result = owned->take_result();
  owned.reset();  // closes the connection
  if (done) done(std::move(result));
}

}  // namespace pimqttd::hw
