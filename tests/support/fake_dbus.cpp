#include "support/fake_dbus.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "support/wait.hpp"

namespace pimqttd::test {
namespace {

constexpr std::chrono::milliseconds kStartDeadline{10000};

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const char* or_empty(const char* text) { return text != nullptr ? text : ""; }

void check(int r, const std::string& what) {
  if (r < 0) throw std::system_error(-r, std::generic_category(), what);
}

/// The message's arguments as "false", "0", "\"text\"", "?" for anything else, comma-separated.
/// (Called from sd-bus: never throws.)
std::string arguments_of(sd_bus_message* m) {
  std::string out;
  char type = 0;
  const char* contents = nullptr;
  while (sd_bus_message_peek_type(m, &type, &contents) > 0) {
    if (!out.empty()) out += ", ";
    int boolean = 0;
    std::uint32_t number = 0;
    const char* text = nullptr;
    if (type == SD_BUS_TYPE_BOOLEAN && sd_bus_message_read_basic(m, type, &boolean) >= 0) {
      out += boolean != 0 ? "true" : "false";
    } else if (type == SD_BUS_TYPE_UINT32 && sd_bus_message_read_basic(m, type, &number) >= 0) {
      out += std::to_string(number);
    } else if ((type == SD_BUS_TYPE_STRING || type == SD_BUS_TYPE_OBJECT_PATH) &&
               sd_bus_message_read_basic(m, type, &text) >= 0) {
      out += '"' + std::string(or_empty(text)) + '"';
    } else {
      out += '?';
      if (sd_bus_message_skip(m, nullptr) < 0) break;
    }
  }
  return out;
}

}  // namespace

PrivateBus::PrivateBus() {
  const auto config = dir_ / "bus.conf";
  std::ofstream(config) << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus "
                           "Configuration 1.0//EN\"\n"
                           " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                           "<busconfig>\n"
                           "  <listen>unix:path="
                        << (dir_ / "bus").string()
                        << "</listen>\n"
                           "  <auth>EXTERNAL</auth>\n"
                           "  <policy context=\"default\">\n"
                           "    <allow user=\"*\"/>\n"
                           "    <allow own=\"*\"/>\n"
                           "    <allow send_destination=\"*\"/>\n"
                           "    <allow receive_sender=\"*\"/>\n"
                           "  </policy>\n"
                           "</busconfig>\n";
  if (!find_program("dbus-daemon")) {
    throw std::runtime_error("dbus-daemon is not installed (scripts/setup installs it)");
  }
  ProcessOptions options;
  options.stdout_path = dir_ / "address";
  options.stderr_path = dir_ / "dbus-daemon.log";
  daemon_ = Process({"dbus-daemon", "--config-file=" + config.string(), "--nofork", "--nopidfile",
                     "--print-address=1"},
                    options);
  const bool listening = wait_until(
      [&] { return read_text(dir_ / "address").find('\n') != std::string::npos; }, kStartDeadline);
  if (!listening) {
    throw std::runtime_error("dbus-daemon printed no address within 10 s: " +
                             read_text(dir_ / "dbus-daemon.log"));
  }
  address_ = read_text(dir_ / "address");
  address_.erase(address_.find('\n'));
}

PrivateBus::~PrivateBus() { static_cast<void>(daemon_.terminate(std::chrono::seconds{5})); }

struct FakeHostServices::Handler {
  static int on_call(sd_bus_message* call, void* userdata, sd_bus_error* error);
};

void FakeHostServices::BusDeleter::operator()(sd_bus* bus) const noexcept {
  static_cast<void>(sd_bus_flush_close_unref(bus));
}

FakeHostServices::FakeHostServices(const std::string& address) {
  sd_bus* raw = nullptr;
  check(sd_bus_new(&raw), "sd_bus_new");
  bus_.reset(raw);
  check(sd_bus_set_address(raw, address.c_str()), "sd_bus_set_address " + address);
  check(sd_bus_set_bus_client(raw, 1), "sd_bus_set_bus_client");
  check(sd_bus_start(raw), "connect to " + address);
  for (const char* name : {"org.freedesktop.login1", "org.freedesktop.systemd1"}) {
    check(sd_bus_request_name(raw, name, 0), std::string("own ") + name);
  }
  for (const char* path : {"/org/freedesktop/login1", "/org/freedesktop/systemd1"}) {
    check(sd_bus_add_object(raw, nullptr, path, &Handler::on_call, this),
          std::string("serve ") + path);
  }
  stop_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_) throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { serve(); });
}

FakeHostServices::~FakeHostServices() {
  const std::uint64_t one = 1;
  static_cast<void>(::write(stop_.get(), &one, sizeof one));
  thread_.join();
  for (sd_bus_message* call : unanswered_) sd_bus_message_unref(call);
}

void FakeHostServices::set_caller_unit(std::string unit) {
  const std::lock_guard lock(mutex_);
  caller_unit_ = std::move(unit);
}

void FakeHostServices::refuse(std::string error_name, std::string message) {
  const std::lock_guard lock(mutex_);
  answer_ = Answer::refuse;
  error_name_ = std::move(error_name);
  error_message_ = std::move(message);
}

void FakeHostServices::accept() {
  const std::lock_guard lock(mutex_);
  answer_ = Answer::accept;
}

void FakeHostServices::stay_silent() {
  const std::lock_guard lock(mutex_);
  answer_ = Answer::silent;
}

std::vector<std::string> FakeHostServices::calls() const {
  const std::lock_guard lock(mutex_);
  return calls_;
}

int FakeHostServices::Handler::on_call(sd_bus_message* call, void* userdata,
                                       sd_bus_error* /*error*/) {
  auto& self = *static_cast<FakeHostServices*>(userdata);
  std::uint8_t type = 0;
  if (sd_bus_message_get_type(call, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL) return 0;
  const std::string member = or_empty(sd_bus_message_get_member(call));
  const std::string text = std::string(or_empty(sd_bus_message_get_destination(call))) + " " +
                           or_empty(sd_bus_message_get_path(call)) + " " +
                           or_empty(sd_bus_message_get_interface(call)) + "." + member + "(" +
                           arguments_of(call) + ")";
  const std::lock_guard lock(self.mutex_);
  self.calls_.push_back(text);
  // (Replies that cannot be sent leave the client waiting: the test's deadline reports it.)
  if (member == "GetUnitByPID") {
    char* path = nullptr;
    if (self.caller_unit_.empty() ||
        sd_bus_path_encode("/org/freedesktop/systemd1/unit", self.caller_unit_.c_str(), &path) < 0) {
      static_cast<void>(sd_bus_reply_method_errorf(call, "org.freedesktop.systemd1.NoUnitForPID",
                                                   "The caller does not belong to any loaded unit."));
      return 1;
    }
    static_cast<void>(sd_bus_reply_method_return(call, "o", path));
    std::free(path);  // NOLINT: sd-bus's malloc
    return 1;
  }
  switch (self.answer_) {
    case Answer::silent:
      self.unanswered_.push_back(sd_bus_message_ref(call));
      return 1;
    case Answer::refuse:
      static_cast<void>(sd_bus_reply_method_errorf(call, self.error_name_.c_str(), "%s",
                                                   self.error_message_.c_str()));
      return 1;
    case Answer::accept:
      break;
  }
  if (member == "RestartUnit") {
    static_cast<void>(
        sd_bus_reply_method_return(call, "o", "/org/freedesktop/systemd1/job/42"));
  } else {
    static_cast<void>(sd_bus_reply_method_return(call, ""));
  }
  return 1;
}

void FakeHostServices::serve() {
  while (true) {
    const int processed = sd_bus_process(bus_.get(), nullptr);
    if (processed < 0) return;
    if (processed > 0) continue;
    std::uint64_t until = 0;
    int timeout_ms = -1;
    if (sd_bus_get_timeout(bus_.get(), &until) >= 0 &&
        until != std::numeric_limits<std::uint64_t>::max()) {
      const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now().time_since_epoch())
                           .count();
      const auto left = static_cast<std::int64_t>(until) - now;
      timeout_ms = left <= 0 ? 0 : static_cast<int>(left / 1000 + 1);
    }
    pollfd fds[2] = {
        {sd_bus_get_fd(bus_.get()), static_cast<short>(sd_bus_get_events(bus_.get())), 0},
        {stop_.get(), POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) return;
    if ((fds[1].revents & POLLIN) != 0) return;
  }
}

}  // namespace pimqttd::test
