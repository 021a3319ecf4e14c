#include "support/process.hpp"

#include "pimqttd/core/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace pimqttd::test {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

bool is_executable(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

std::string join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) {
      out += ' ';
    }
    out += arg;
  }
  return out;
}

}  // namespace

ExitStatus ExitStatus::from_wait_status(int status) noexcept {
  if (WIFSIGNALED(status)) {
    return killed_by(WTERMSIG(status));
  }
  return exited(WEXITSTATUS(status));
}

std::string to_string(const ExitStatus& status) {
  if (status.signal != 0) {
    const char* name = ::strsignal(status.signal);
    return "signal " + std::to_string(status.signal) + " (" + (name != nullptr ? name : "?") + ")";
  }
  return "exit " + std::to_string(status.code);
}

std::ostream& operator<<(std::ostream& out, const ExitStatus& status) {
  return out << to_string(status);
}

std::optional<std::filesystem::path> find_program(std::string_view name) {
  if (name.empty()) {
    return std::nullopt;
  }
  if (name.find('/') != std::string_view::npos) {
    std::filesystem::path path{name};
    return is_executable(path) ? std::optional{path} : std::nullopt;
  }
  std::vector<std::string> dirs;
  if (const char* env_path = std::getenv("PATH"); env_path != nullptr) {
    std::stringstream stream{env_path};
    for (std::string dir; std::getline(stream, dir, ':');) {
      dirs.push_back(dir.empty() ? "." : dir);
    }
  }
  for (const char* sbin : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) {
    dirs.emplace_back(sbin);
  }
  for (const auto& dir : dirs) {
    auto candidate = std::filesystem::path{dir} / name;
    if (is_executable(candidate)) {
      return candidate;
    }
  }
  return std::nullopt;
}

Process::Process(std::vector<std::string> argv, ProcessOptions options) : argv_(std::move(argv)) {
  if (argv_.empty()) {
    throw std::invalid_argument("Process: empty argv");
  }
  const auto program = find_program(argv_.front());
  if (!program) {
    throw_errno(ENOENT, "Process: cannot find program " + argv_.front());
  }

  // Redirection files are opened here, close-on-exec; the child gets them as stdout/stderr.
  const int write_flags =
      O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | (options.append ? O_APPEND : O_TRUNC);
  const auto open_output = [&](const std::filesystem::path& path) {
    core::UniqueFd fd(::open(path.c_str(), write_flags, 0644));
    if (!fd) {
      throw_errno(errno, "Process: cannot open " + path.string());
    }
    return fd;
  };
  core::UniqueFd out;
  core::UniqueFd err;
  core::ChildSetup setup;
  if (options.stdout_path) {
    out = open_output(*options.stdout_path);
    setup.stdout_fd = out.get();
  }
  if (options.stderr_path) {
    if (options.stdout_path && *options.stderr_path == *options.stdout_path) {
      setup.stderr_fd = out.get();
    } else {
      err = open_output(*options.stderr_path);
      setup.stderr_fd = err.get();
    }
  }
  if (!options.environment.empty()) {
    std::vector<std::string> environment = options.environment;
    for (char** variable = environ; *variable != nullptr; ++variable) {
      const std::string_view entry(*variable);
      const std::string_view name = entry.substr(0, entry.find('='));
      const bool replaced =
          std::any_of(environment.begin(), environment.end(), [&](const std::string& e) {
            return e.size() > name.size() && e.compare(0, name.size(), name) == 0 &&
                   e[name.size()] == '=';
          });
      if (!replaced) environment.emplace_back(entry);
    }
    setup.environment = std::move(environment);
  }
  std::vector<std::string> spawn_argv = argv_;
  spawn_argv.front() = program->string();
  core::Child child;
  try {
    child = core::spawn_child(spawn_argv, setup);
  } catch (const std::system_error& error) {
    throw_errno(error.code().value(), "Process: cannot start " + join(argv_));
  }
  pid_ = child.pid;
  pidfd_ = std::move(child.pidfd);
}

Process::~Process() { release_child(); }

Process::Process(Process&& other) noexcept
    : argv_(std::move(other.argv_)),
      pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      status_(std::exchange(other.status_, std::nullopt)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    release_child();
    argv_ = std::move(other.argv_);
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

void Process::release_child() noexcept {
  if (pid_ > 0 && !status_) {
    try {
      kill();
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing more can be done in a destructor
    }
  }
  pid_ = -1;
  pidfd_.reset();
  status_.reset();
}

bool Process::running() {
  if (pid_ <= 0 || status_) {
    return false;
  }
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) {
      throw_errno(errno, "waitid");
    }
  }
  if (info.si_pid == 0) {
    return true;
  }
  reap();
  return false;
}

void Process::signal(int sig) {
  if (pid_ <= 0 || status_) {
    return;
  }
  if (::kill(-pid_, sig) != 0 && errno != ESRCH) {
    throw_errno(errno, "kill");
  }
}

ExitStatus Process::kill() {
  if (status_) {
    return *status_;
  }
  if (pid_ <= 0) {
    throw std::logic_error("Process::kill: no process");
  }
  signal(SIGKILL);
  return reap();
}

ExitStatus Process::terminate(std::chrono::milliseconds grace) {
  if (status_) {
    return *status_;
  }
  signal(SIGTERM);
  signal(SIGCONT);
  if (auto status = wait_exit(grace)) {
    return *status;
  }
  return kill();
}

std::optional<ExitStatus> Process::wait_exit(std::chrono::milliseconds deadline) {
  if (status_) {
    return status_;
  }
  if (pid_ <= 0) {
    throw std::logic_error("Process::wait_exit: no process");
  }
  const auto end = Clock::now() + deadline;
  while (true) {
    const auto left =
        std::max(std::chrono::ceil<std::chrono::milliseconds>(end - Clock::now()).count(),
                 std::chrono::milliseconds::rep{0});
    pollfd entry{pidfd_.get(), POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<decltype(left)>(left, 60'000)));
    if (ready > 0) {
      return reap();
    }
    if (ready < 0 && errno != EINTR) {
      throw_errno(errno, "poll pidfd");
    }
    if (ready == 0 && Clock::now() >= end) {
      return std::nullopt;
    }
  }
}

ExitStatus Process::reap() {
  // The child may have left processes in its group: they go with it.
  static_cast<void>(::kill(-pid_, SIGKILL));
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) {
      throw_errno(errno, "waitpid");
    }
  }
  status_ = ExitStatus::from_wait_status(status);
  pidfd_.reset();
  return *status_;
}

std::optional<ExitStatus> run_process(std::vector<std::string> argv,
                                      std::chrono::milliseconds deadline, ProcessOptions options) {
  Process process(std::move(argv), std::move(options));
  auto status = process.wait_exit(deadline);
  if (!status) {
    process.kill();
  }
  return status;
}

}  // namespace pimqttd::test
