#pragma once
// Process: a child process that tests start (mosquitto, mosquitto_sub, mosquitto_pub, the daemon)
// and that is always gone when its owner is: no zombies, no orphans.
//
// The child is started by core::spawn_child, as the daemon starts the programs it runs: in a
// session and process group of its own (its pid is the group id), with stdin from /dev/null, no
// file descriptor of the test but 0, 1 and 2, every signal unblocked and at its default
// disposition (a test that blocks SIGTERM for a signalfd does not pass that on); stdout/stderr
// are either inherited or redirected to files. Signals go to the whole group, so a child
// that forks (a shell, /usr/bin/time) takes its own children along. When the child has exited, any
// process still left in its group is killed before the child is reaped. Children are reaped by
// pid, so nothing else in the test process may reap with waitpid(-1) or ignore SIGCHLD.

#include "pimqttd/core/unique_fd.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace pimqttd::test {

/// How a child ended: exactly one of "exited with code" and "killed by signal".
struct ExitStatus {
  int code = -1;   ///< the exit code, or -1 when a signal ended the process
  int signal = 0;  ///< the signal that ended the process, or 0 when it exited

  [[nodiscard]] static ExitStatus exited(int exit_code) noexcept { return {exit_code, 0}; }
  [[nodiscard]] static ExitStatus killed_by(int sig) noexcept { return {-1, sig}; }
  /// From a status filled in by waitpid().
  [[nodiscard]] static ExitStatus from_wait_status(int status) noexcept;

  [[nodiscard]] bool success() const noexcept { return signal == 0 && code == 0; }
  bool operator==(const ExitStatus&) const = default;
};

/// "exit 3" or "signal 9 (Killed)"; GoogleTest prints ExitStatus with this.
[[nodiscard]] std::string to_string(const ExitStatus& status);
std::ostream& operator<<(std::ostream& out, const ExitStatus& status);

struct ProcessOptions {
  /// Where the child's stdout goes (created, or truncated unless `append`); inherited if unset.
  std::optional<std::filesystem::path> stdout_path{};
  /// Where the child's stderr goes; may be the same file as stdout_path (then both share one open
  /// file description, so their lines interleave in order). Inherited if unset.
  std::optional<std::filesystem::path> stderr_path{};
  /// Open the redirection files with O_APPEND instead of truncating them.
  bool append = false;
  /// Variables the child gets besides the test's own environment ("NAME=value"; one the test's
  /// environment has too is replaced).
  std::vector<std::string> environment{};
};

/// Finds an executable the way a shell would (a name with a '/' is taken as it is), also looking
/// in the sbin directories that a non-root PATH often lacks (mosquitto lives in /usr/sbin).
[[nodiscard]] std::optional<std::filesystem::path> find_program(std::string_view name);

/// One child process. Move-only; the moved-from object owns nothing. Not thread-safe.
class Process {
 public:
  /// Owns nothing; only useful as a target of move assignment.
  Process() noexcept = default;
  /// Starts argv[0] (searched on PATH, see find_program) with the arguments argv[1...].
  /// Throws std::system_error when the program cannot be started (not found, not executable, a
  /// redirection file cannot be opened), std::invalid_argument when argv is empty.
  explicit Process(std::vector<std::string> argv, ProcessOptions options = {});
  /// Kills the whole group (SIGKILL) and reaps the child if it is still there.
  ~Process();
  Process(Process&& other) noexcept;
  /// Kills and reaps the child this object owned before taking over other's.
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// The child's pid (and process group id); -1 when this object owns nothing.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] const std::vector<std::string>& argv() const noexcept { return argv_; }
  /// True while the child has not exited. Reaps it (without waiting) once it has.
  [[nodiscard]] bool running();
  /// The exit status once the child has been reaped (by running(), wait_exit(), kill()...).
  [[nodiscard]] const std::optional<ExitStatus>& exit_status() const noexcept { return status_; }

  /// Sends sig to the child's process group. Does nothing once the child has been reaped.
  void signal(int sig);
  /// SIGKILL to the group, then reaps the child: returns how it ended (usually signal 9, or the
  /// status it had already exited with).
  ExitStatus kill();
  /// SIGTERM (and SIGCONT, so that a stopped child can act on it) to the group; waits up to
  /// `grace` for the child to exit, then kills it. Returns how it ended.
  ExitStatus terminate(std::chrono::milliseconds grace = std::chrono::seconds(10));
  /// Waits up to `deadline` for the child to exit, without polling (a pidfd), and reaps it.
  /// Returns its status, or nullopt if it is still running at the deadline. Once the child has
  /// been reaped, returns the same status at once.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds deadline);

 private:
  /// Kills what is left of the group and reaps the (exited) child.
  ExitStatus reap();
  void release_child() noexcept;

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  core::UniqueFd pidfd_;
  std::optional<ExitStatus> status_;
};

/// Runs argv to completion: returns its exit status, or nullopt if it was still running after
/// `deadline` (it is then killed). Throws as Process's constructor does.
std::optional<ExitStatus> run_process(std::vector<std::string> argv,
                                      std::chrono::milliseconds deadline,
                                      ProcessOptions options = {});

}  // namespace pimqttd::test
