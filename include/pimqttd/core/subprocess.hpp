#pragma once
// Running configured programs: `spawn_child` starts one the same careful way everywhere (the
// daemon's runner below, and the test suite's own Process), and `Subprocess` runs one on the
// EventLoop without ever waiting for it.
//
// A child is started with posix_spawn (no fork of the daemon: glibc starts it with
// CLONE_VM|CLONE_VFORK and reports a failed exec, ENOENT or EACCES, as spawn's own error):
// - in a session and process group of its own (its pid is its process group id), so that a kill
//   reaches everything it started that stayed in that group;
// - with an empty signal mask and every signal at its default disposition: the daemon blocks
//   SIGTERM, SIGINT and SIGHUP for its signalfd, and a child must not inherit that;
// - stdin from /dev/null, stdout and stderr where the caller says, and no other descriptor of
//   the caller (closefrom 3 in the child, on top of every descriptor of pimqttd being
//   close-on-exec).
//
// Subprocess adds, for the daemon's runs:
// - argv[0] is run as it is (an absolute path: no PATH search, no shell), in the directory "/";
// - a fixed environment, never the daemon's: PATH=kChildPath and LANG=C.UTF-8, plus the run's
//   own variables (one of the same name replaces PATH or LANG);
// - stdout and stderr go to pipes whose read ends are non-blocking and watched on the loop; at
//   most `stdout_limit` (64 KiB) and `stderr_limit` (4 KiB) bytes are kept, the rest is read and
//   dropped (the child never stalls on a full pipe) and the result says it was truncated;
// - the exit is noticed through a pidfd watched on the loop (no SIGCHLD handler, nothing reaps
//   with waitpid(-1)); the exited child is reaped with waitid(P_PIDFD);
// - when the program exits, whatever it left behind in its process group is killed (SIGKILL to
//   the group, sent before the exited leader is reaped, so the group id cannot have been reused
//   by then): a script that puts something in the background must not leave it running;
// - after `timeout` (10 s) the whole process group is killed (SIGKILL) and the run ends "timed
//   out" at once. A process that left the group (setsid, a daemon that double-forks) cannot be
//   reached that way: if it still holds stdout or stderr open at the timeout, the runner stops
//   reading and the run ends timed out all the same (under systemd such a process stays in the
//   service's cgroup and goes when the service stops);
// - the result comes through the callback, on the loop, exactly once per start(), never from
//   inside start() (a program that cannot be started is reported on the next loop iteration).
//   Destroying the runner, or cancel(), kills a run under way (its whole group) and its callback
//   never comes.
// A process killed at a timeout or by cancel() is reaped on the Worker (a killed process is gone
// within microseconds, unless it sits in an uninterruptible sleep, which must not stall the loop).

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/unique_fd.hpp"

namespace pimqttd::core {

class Worker;

/// How spawn_child starts a program.
struct ChildSetup {
  /// The child's whole environment ("NAME=value" each); unset: the caller's own.
  std::optional<std::vector<std::string>> environment;
  /// The child's working directory; empty: the caller's.
  std::string directory;
  /// Descriptors the child gets as its stdout and stderr (both may be the same one); -1: the
  /// caller's own.
  int stdout_fd = -1;
  int stderr_fd = -1;
};

/// A started child. Its pid is also its process group id and session id.
struct Child {
  pid_t pid = -1;
  /// Readable once the child has exited; the child stays a zombie until someone reaps it.
  UniqueFd pidfd;
};

/// Starts argv[0] (a path, executed as it is) with the arguments argv[1...], as described at
/// the top of this file. Throws std::invalid_argument for an empty argv, std::system_error when
/// the program cannot be started (its code is the exec's errno: ENOENT, EACCES, ENOEXEC...).
[[nodiscard]] Child spawn_child(std::span<const std::string> argv, const ChildSetup& setup);

/// The PATH every child of a Subprocess starts with.
inline constexpr std::string_view kChildPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Its LANG: UTF-8, and messages as their programs wrote them.
inline constexpr std::string_view kChildLang = "C.UTF-8";

/// The environment of a Subprocess's child: PATH, LANG, then `extra` in its order; an extra
/// variable named PATH or LANG replaces that one. Names are not checked here (the configuration
/// allows [A-Za-z_][A-Za-z0-9_]* only).
[[nodiscard]] std::vector<std::string> child_environment(
    std::span<const std::pair<std::string, std::string>> extra);

/// One run of a program.
struct SubprocessOptions {
  /// argv[0]: an absolute path. Never empty.
  std::vector<std::string> argv;
  /// Variables besides PATH and LANG (see child_environment).
  std::vector<std::pair<std::string, std::string>> environment;
  std::chrono::milliseconds timeout{std::chrono::seconds{10}};
  std::size_t stdout_limit = 64 * 1024;
  std::size_t stderr_limit = 4 * 1024;
};

/// How a run ended. Exactly one of: not started (`error`, `started` false), timed out, exited
/// (`exit_code`), killed by a signal (`signal`).
struct SubprocessResult {
  /// The run could not be started (then nothing else is set), or its exit status could not be
  /// learned (`started`: waitid failed).
  std::error_code error;
  bool started = false;
  /// Its exit status, when it exited.
  std::optional<int> exit_code;
  /// The signal that ended it (0 when it exited).
  int signal = 0;
  /// It outlived `timeout` (it, or a process holding its output) and its group was killed.
  bool timed_out = false;
  std::chrono::milliseconds timeout{0};
  /// What it wrote, up to the limits.
  std::string output;
  std::string error_output;
  /// It wrote more than the limit; the rest was dropped.
  bool output_truncated = false;
  bool error_output_truncated = false;

  /// Exited with status 0 within the timeout.
  [[nodiscard]] bool succeeded() const noexcept {
    return !error && !timed_out && exit_code == 0;
  }
  /// How it ended, for a log line: "exited with status 3", "was killed by signal 9 (SIGKILL)",
  /// "timed out after 10 s", "could not be started: No such file or directory", followed by
  /// ": <first line of stderr>" when it wrote one.
  [[nodiscard]] std::string describe() const;
  /// The first non-empty line of stderr, control characters replaced by '?', cut to 200 bytes
  /// with "..."; empty when it wrote nothing.
  [[nodiscard]] std::string error_line() const;
};

/// Runs one program at a time on a loop (see the top of this file). Not movable: callbacks
/// refer to it. The loop and the worker must outlive it.
class Subprocess {
 public:
  using Callback = std::function<void(SubprocessResult)>;

  Subprocess(EventLoop& loop, Worker& worker);
  /// cancel()
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  /// Starts `options.argv`; `done` gets its result on the loop. Throws std::logic_error while a
  /// run is under way, std::invalid_argument for an empty argv; every other failure (the
  /// program, the pipes, the loop) reaches `done` as a result that was not started.
  void start(SubprocessOptions options, Callback done);
  /// A run is under way: started, its callback not called yet.
  [[nodiscard]] bool running() const noexcept { return static_cast<bool>(done_); }
  /// Kills the run under way, if any, with its whole process group; its callback never comes.
  void cancel() noexcept;
  /// The pid (and process group id) of the program being run; -1 when none is, or once it has
  /// exited.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  struct Stream {
    UniqueFd fd;
    WatchHandle watch;  // of fd
    std::string text;
    std::size_t limit = 0;
    bool truncated = false;
  };

  void on_exit();
  void on_timeout();
  /// Reads what `stream` has now; closes it at EOF. Returns whether it reached EOF.
  bool read_from(Stream& stream);
  void close(Stream& stream) noexcept;
  /// SIGKILL to the group of a child not reaped yet, and its reaping handed to the worker.
  void kill_and_reap_later() noexcept;
  void finish_if_done();
  void finish();

  EventLoop& loop_;
  Worker& worker_;
  Callback done_;
  SubprocessResult result_;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  WatchHandle pidfd_watch_;  // of pidfd_
  Stream stdout_;
  Stream stderr_;
  /// The timeout, or the report of a run that did not start.
  TimerHandle timer_;
};

}  // namespace pimqttd::core
