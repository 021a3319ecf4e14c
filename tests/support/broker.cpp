#include "support/broker.hpp"

#include "pimqttd/core/unique_fd.hpp"
#include "support/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace pimqttd::test {
namespace {

constexpr int kFreshPortAttempts = 5;
constexpr int kSamePortAttempts = 3;

core::UniqueFd tcp_socket() {
  core::UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!fd) {
    throw std::system_error(errno, std::generic_category(), "socket");
  }
  return fd;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string tail(const std::string& text, std::size_t max_chars = 4000) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

}  // namespace

sockaddr_in ipv4_address(const std::string& host, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    throw std::invalid_argument("not an IPv4 address: " + host);
  }
  return address;
}

std::uint16_t free_loopback_port() {
  auto fd = tcp_socket();
  auto address = ipv4_address("127.0.0.1", 0);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    throw std::system_error(errno, std::generic_category(), "bind 127.0.0.1:0");
  }
  socklen_t length = sizeof address;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::system_error(errno, std::generic_category(), "getsockname");
  }
  return ntohs(address.sin_port);
}

bool tcp_connectable(const std::string& host, std::uint16_t port) {
  auto fd = tcp_socket();
  const auto address = ipv4_address(host, port);
  int rc = 0;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
  } while (rc != 0 && errno == EINTR);
  return rc == 0;
}

Broker::Broker(BrokerOptions options) : options_(std::move(options)), port_(options_.port) {
  if (options_.persistence) {
    std::filesystem::create_directories(dir_ / "persistence");
  }
}

Broker::~Broker() {
  try {
    stop(std::chrono::seconds(5));
  } catch (...) {  // NOLINT(bugprone-empty-catch): the Process destructor still kills it
  }
}

void Broker::write_config() const {
  std::ofstream out(config_path(), std::ios::trunc);
  out << "# Written by pimqttd's test fixture (tests/support/broker.cpp).\n"
      << "user root\n"
      << "listener " << port_ << " " << options_.address << "\n"
      << "allow_anonymous " << (options_.allow_anonymous ? "true" : "false") << "\n"
      << "log_dest file " << log_path().string() << "\n"
      << "log_type all\n"
      << "connection_messages true\n";
  if (options_.persistence) {
    out << "persistence true\n"
        << "persistence_location " << (dir_ / "persistence").string() << "/\n"
        << "persistence_file mosquitto.db\n"
        << "autosave_interval " << options_.autosave_interval.count() << "\n";
  } else {
    out << "persistence false\n";
  }
  if (options_.max_inflight_messages) {
    out << "max_inflight_messages " << *options_.max_inflight_messages << "\n";
  }
  if (options_.max_queued_messages) {
    out << "max_queued_messages " << *options_.max_queued_messages << "\n";
  }
  for (const auto& line : options_.extra_config) {
    out << line << "\n";
  }
  if (!out.flush()) {
    throw std::runtime_error("cannot write " + config_path().string());
  }
}

namespace {

/// The ports of the "listener PORT [ADDRESS]" lines among `lines`.
std::vector<std::uint16_t> listener_ports(const std::vector<std::string>& lines) {
  std::vector<std::uint16_t> ports;
  for (const auto& line : lines) {
    std::istringstream words(line);
    std::string keyword;
    unsigned int port = 0;
    if (words >> keyword >> port && keyword == "listener" && port > 0 && port <= 65535) {
      ports.push_back(static_cast<std::uint16_t>(port));
    }
  }
  return ports;
}

}  // namespace

bool Broker::try_start(std::chrono::milliseconds deadline) {
  write_config();
  const auto extra_ports = listener_ports(options_.extra_config);
  const auto all_listening = [&] {
    if (!tcp_connectable(host(), port_)) return false;
    for (const auto port : extra_ports) {
      if (!tcp_connectable(host(), port)) return false;
    }
    return true;
  };
  ProcessOptions redirect;
  redirect.stdout_path = dir_ / "mosquitto.out";
  redirect.stderr_path = redirect.stdout_path;
  redirect.append = true;
  process_ = Process({"mosquitto", "-c", config_path().string()}, redirect);
  const bool up = wait_until(
      [&] { return !process_.running() || all_listening(); }, deadline);
  if (up && process_.running()) {
    return true;
  }
  process_.kill();
  return false;
}

void Broker::start(std::chrono::milliseconds deadline) {
  if (running()) {
    throw std::logic_error("Broker::start: already running on port " + std::to_string(port_));
  }
  const bool fresh = port_ == 0;
  const int attempts = fresh ? kFreshPortAttempts : kSamePortAttempts;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (fresh) {
      port_ = free_loopback_port();
    }
    if (try_start(deadline)) {
      return;
    }
  }
  const auto status = process_.exit_status();
  throw std::runtime_error("mosquitto did not start on " + host() + ":" + std::to_string(port_) +
                           " (" + (status ? to_string(*status) : std::string("no status")) +
                           ")\n--- output:\n" + tail(read_file(dir_ / "mosquitto.out")) +
                           "\n--- log:\n" + tail(log()));
}

ExitStatus Broker::stop(std::chrono::milliseconds grace) {
  if (process_.pid() <= 0 || process_.exit_status()) {
    return process_.exit_status().value_or(ExitStatus::exited(0));
  }
  return process_.terminate(grace);
}

void Broker::kill() {
  if (process_.pid() > 0) {
    process_.kill();
  }
}

void Broker::restart() {
  stop();
  start();
}

void Broker::freeze() { process_.signal(SIGSTOP); }

void Broker::thaw() { process_.signal(SIGCONT); }

bool Broker::running() { return process_.running(); }

std::string Broker::log() const { return read_file(log_path()); }

}  // namespace pimqttd::test
