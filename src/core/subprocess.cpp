#include "pimqttd/core/subprocess.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "pimqttd/core/worker.hpp"
#include "syscall.hpp"

extern char** environ;

namespace pimqttd::core {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
/// Reads per readiness event (1 MiB): a program that writes without end cannot hold the loop.
constexpr int kMaxReadsPerEvent = 64;
constexpr std::size_t kMaxErrorLine = 200;

[[noreturn]] void throw_spawn_error(int error, const std::string& what) {
  throw std::system_error(error, std::system_category(), what);
}

class FileActions {
 public:
  FileActions() {
    if (const int rc = ::posix_spawn_file_actions_init(&actions_); rc != 0) {
      throw_spawn_error(rc, "posix_spawn_file_actions_init");
    }
  }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;

  void add(int rc, const char* what) {
    if (rc != 0) throw_spawn_error(rc, what);
  }
  [[nodiscard]] posix_spawn_file_actions_t* get() noexcept { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

class Attributes {
 public:
  Attributes() {
    if (const int rc = ::posix_spawnattr_init(&attributes_); rc != 0) {
      throw_spawn_error(rc, "posix_spawnattr_init");
    }
  }
  ~Attributes() { ::posix_spawnattr_destroy(&attributes_); }
  Attributes(const Attributes&) = delete;
  Attributes& operator=(const Attributes&) = delete;

  /// A new session, no signal blocked, every signal at its default disposition.
  void new_session_default_signals() {
    sigset_t none;
    sigemptyset(&none);
    sigset_t all;
    sigfillset(&all);
    int rc = ::posix_spawnattr_setsigmask(&attributes_, &none);
    if (rc == 0) rc = ::posix_spawnattr_setsigdefault(&attributes_, &all);
    if (rc == 0) {
      rc = ::posix_spawnattr_setflags(
          &attributes_,
          static_cast<short>(POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
    }
    if (rc != 0) throw_spawn_error(rc, "posix_spawnattr");
  }
  [[nodiscard]] const posix_spawnattr_t* get() const noexcept { return &attributes_; }

 private:
  posix_spawnattr_t attributes_{};
};

/// Pointers to the strings' characters, null-terminated, as execve takes them (it changes none).
std::vector<char*> c_strings(std::span<const std::string> strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& text : strings) out.push_back(const_cast<char*>(text.c_str()));
  out.push_back(nullptr);
  return out;
}

/// Waits for the child behind `pidfd` to exit and reaps it.
siginfo_t wait_for_exit(int pidfd, int options) {
  siginfo_t info{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED | options) != 0) {
    if (errno != EINTR) throw std::system_error(errno, std::system_category(), "waitid");
  }
  return info;
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

/// Both ends close-on-exec (spawn's dup2 gives the child its own copy of the write end without
/// it); only the read end non-blocking: the child's writes must block on a full pipe.
Pipe make_pipe() {
  std::array<int, 2> ends{-1, -1};
  sys::checked("pipe2", [&] { return ::pipe2(ends.data(), O_CLOEXEC); });
  Pipe pipe{UniqueFd(std::move(ends[0])), UniqueFd(std::move(ends[1]))};
  const int flags = sys::checked("fcntl", [&] { return ::fcntl(pipe.read.get(), F_GETFL); });
  sys::checked("fcntl",
               [&] { return ::fcntl(pipe.read.get(), F_SETFL, flags | O_NONBLOCK); });
  return pipe;
}

std::string signal_name(int signal) {
  if (const char* abbreviation = ::sigabbrev_np(signal)) {
    return fmt::format("{} (SIG{})", signal, abbreviation);
  }
  return std::to_string(signal);
}

}  // namespace

Child spawn_child(std::span<const std::string> argv, const ChildSetup& setup) {
  if (argv.empty()) throw std::invalid_argument("spawn_child: empty argv");
  FileActions actions;
  actions.add(::posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null",
                                                  O_RDONLY, 0),
              "posix_spawn_file_actions_addopen");
  if (setup.stdout_fd >= 0) {
    actions.add(::posix_spawn_file_actions_adddup2(actions.get(), setup.stdout_fd, STDOUT_FILENO),
                "posix_spawn_file_actions_adddup2");
  }
  if (setup.stderr_fd >= 0) {
    actions.add(::posix_spawn_file_actions_adddup2(actions.get(), setup.stderr_fd, STDERR_FILENO),
                "posix_spawn_file_actions_adddup2");
  }
  if (!setup.directory.empty()) {
    actions.add(::posix_spawn_file_actions_addchdir_np(actions.get(), setup.directory.c_str()),
                "posix_spawn_file_actions_addchdir_np");
  }
  actions.add(::posix_spawn_file_actions_addclosefrom_np(actions.get(), STDERR_FILENO + 1),
              "posix_spawn_file_actions_addclosefrom_np");
  Attributes attributes;
  attributes.new_session_default_signals();

  const std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_environment;
  if (setup.environment) c_environment = c_strings(*setup.environment);
  pid_t pid = -1;
  if (const int rc = ::posix_spawn(&pid, argv.front().c_str(), actions.get(), attributes.get(),
                                   c_argv.data(),
                                   setup.environment ? c_environment.data() : environ);
      rc != 0) {
    throw_spawn_error(rc, "cannot start " + argv.front());
  }
  // Through syscall(): glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.
  const long pidfd = ::syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    const int error = errno;
    // Without a pidfd nobody could wait for it: it goes at once.
    static_cast<void>(::kill(-pid, SIGKILL));
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    throw_spawn_error(error, "pidfd_open");
  }
  return Child{pid, UniqueFd(static_cast<int>(pidfd))};
}

std::vector<std::string> child_environment(
    std::span<const std::pair<std::string, std::string>> extra) {
  std::vector<std::pair<std::string, std::string>> variables = {
      {"PATH", std::string(kChildPath)}, {"LANG", std::string(kChildLang)}};
  for (const auto& variable : extra) {
    auto same = std::find_if(variables.begin(), variables.end(),
                             [&](const auto& known) { return known.first == variable.first; });
    if (same != variables.end()) {
      same->second = variable.second;
    } else {
      variables.push_back(variable);
    }
  }
  std::vector<std::string> out;
  out.reserve(variables.size());
  for (const auto& [name, value] : variables) out.push_back(name + "=" + value);
  return out;
}

// ---- SubprocessResult --------------------------------------------------------------------------

std::string SubprocessResult::describe() const {
  std::string how;
  if (error) {
    how = (started ? "could not be waited for: " : "could not be started: ") + error.message();
  } else if (timed_out) {
    how = fmt::format("timed out after {:g} s", static_cast<double>(timeout.count()) / 1000.0);
  } else if (exit_code) {
    how = fmt::format("exited with status {}", *exit_code);
  } else {
    how = "was killed by signal " + signal_name(signal);
  }
  if (const std::string line = error_line(); !line.empty()) how += ": " + line;
  return how;
}

std::string SubprocessResult::error_line() const {
  std::string_view rest = error_output;
  std::string line;
  while (line.empty() && !rest.empty()) {
    const auto end = rest.find('\n');
    std::string_view candidate = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    const auto first = candidate.find_first_not_of(" \t\r\f\v");
    if (first == std::string_view::npos) continue;
    candidate = candidate.substr(first, candidate.find_last_not_of(" \t\r\f\v") - first + 1);
    for (const char c : candidate) {
      const auto byte = static_cast<unsigned char>(c);
      line.push_back(byte < 0x20 || byte == 0x7f ? '?' : c);
    }
  }
  if (line.size() > kMaxErrorLine) {
    std::size_t cut = kMaxErrorLine;
    // Never in the middle of a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0U) == 0x80U) --cut;
    line.resize(cut);
    line += "...";
  }
  return line;
}

// ---- Subprocess --------------------------------------------------------------------------------

Subprocess::Subprocess(EventLoop& loop, Worker& worker) : loop_(loop), worker_(worker) {}

Subprocess::~Subprocess() { cancel(); }

void Subprocess::start(SubprocessOptions options, Callback done) {
  if (running()) throw std::logic_error("Subprocess::start: a run is under way");
  if (options.argv.empty()) throw std::invalid_argument("Subprocess::start: empty argv");
  if (!done) throw std::invalid_argument("Subprocess::start: empty callback");
  done_ = std::move(done);
  result_ = SubprocessResult{};
  result_.timeout = options.timeout;
  stdout_ = Stream{};
  stdout_.limit = options.stdout_limit;
  stderr_ = Stream{};
  stderr_.limit = options.stderr_limit;
  try {
    Pipe out = make_pipe();
    Pipe err = make_pipe();
    ChildSetup setup;
    setup.environment = child_environment(options.environment);
    setup.directory = "/";
    setup.stdout_fd = out.write.get();
    setup.stderr_fd = err.write.get();
    Child child = spawn_child(options.argv, setup);
    // The write ends close at the end of this block: the child holds the only ones left.
    pid_ = child.pid;
    pidfd_ = std::move(child.pidfd);
    result_.started = true;
    stdout_.fd = std::move(out.read);
    stderr_.fd = std::move(err.read);
    pidfd_watch_ = loop_.start_watch(pidfd_.get(), kReadable, [this](std::uint32_t) { on_exit(); });
    for (Stream* stream : {&stdout_, &stderr_}) {
      stream->watch = loop_.start_watch(stream->fd.get(), kReadable, [this, stream](std::uint32_t) {
        if (read_from(*stream)) finish_if_done();
      });
    }
    timer_ = loop_.start_timer(options.timeout, [this] { on_timeout(); });
  } catch (const std::system_error& error) {
    kill_and_reap_later();
    close(stdout_);
    close(stderr_);
    result_.error = error.code();
    result_.started = false;
    timer_ = loop_.start_timer(EventLoop::Clock::duration::zero(), [this] { finish(); });
  } catch (...) {
    kill_and_reap_later();
    close(stdout_);
    close(stderr_);
    done_ = nullptr;
    throw;
  }
}

void Subprocess::cancel() noexcept {
  if (!running()) return;
  timer_.reset();
  kill_and_reap_later();
  close(stdout_);
  close(stderr_);
  done_ = nullptr;
}

void Subprocess::on_exit() {
  // What the program left in its group goes with it. The exited leader is not reaped yet, so
  // its pid, the group's id, cannot have been taken by another process.
  static_cast<void>(::kill(-pid_, SIGKILL));
  try {
    const siginfo_t info = wait_for_exit(pidfd_.get(), WNOHANG);
    if (info.si_pid == 0) return;  // not exited after all
    if (info.si_code == CLD_EXITED) {
      result_.exit_code = info.si_status;
    } else {
      result_.signal = info.si_status;
    }
  } catch (const std::system_error& error) {
    result_.error = error.code();  // ECHILD: someone else reaped it (SIGCHLD ignored)
  }
  pidfd_watch_.reset();
  pidfd_.reset();
  pid_ = -1;
  finish_if_done();
}

void Subprocess::on_timeout() {
  result_.timed_out = true;
  kill_and_reap_later();
  // What was written before the kill is still in the pipes.
  for (Stream* stream : {&stdout_, &stderr_}) {
    if (stream->fd) static_cast<void>(read_from(*stream));
    close(*stream);
  }
  finish();
}

bool Subprocess::read_from(Stream& stream) {
  std::array<char, kReadChunk> buffer;
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    const ssize_t n = ::read(stream.fd.get(), buffer.data(), buffer.size());
    if (n > 0) {
      const auto size = static_cast<std::size_t>(n);
      const std::size_t keep = std::min(size, stream.limit - stream.text.size());
      stream.text.append(buffer.data(), keep);
      if (keep < size) stream.truncated = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    close(stream);  // end of file, or an error that ends the stream the same way
    return true;
  }
  return false;
}

void Subprocess::close(Stream& stream) noexcept {
  stream.watch.reset();
  stream.fd.reset();
}

void Subprocess::kill_and_reap_later() noexcept {
  if (!pidfd_) return;
  static_cast<void>(::kill(-pid_, SIGKILL));
  pidfd_watch_.reset();
  pid_ = -1;
  std::shared_ptr<UniqueFd> pidfd;
  try {
    pidfd = std::make_shared<UniqueFd>(std::move(pidfd_));
    worker_.submit([pidfd] {
      try {
        static_cast<void>(wait_for_exit(pidfd->get(), 0));
      } catch (const std::system_error&) {  // ECHILD: reaped already
      }
      return Worker::Completion{};
    });
    return;
  } catch (...) {
    // No memory for the job: reap it here; a killed process is gone at once.
  }
  try {
    static_cast<void>(wait_for_exit(pidfd ? pidfd->get() : pidfd_.get(), 0));
  } catch (const std::system_error&) {
  }
  pidfd_.reset();
}

void Subprocess::finish_if_done() {
  if (!pidfd_ && !stdout_.fd && !stderr_.fd) finish();
}

void Subprocess::finish() {
  timer_.reset();
  SubprocessResult result = std::move(result_);
  result.output = std::move(stdout_.text);
  result.output_truncated = stdout_.truncated;
  result.error_output = std::move(stderr_.text);
  result.error_output_truncated = stderr_.truncated;
  const Callback done = std::exchange(done_, nullptr);
  done(std::move(result));
}

}  // namespace pimqttd::core
