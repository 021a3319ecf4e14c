#include "pimqttd/core/subprocess.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/file.hpp"
#include "pimqttd/core/worker.hpp"
#include "support/loop.hpp"
#include "support/scripts.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace pimqttd::core {
namespace {

using namespace std::chrono_literals;

constexpr auto kGenerous = 10s;  // a deadline for conditions, never a sleep

class SubprocessTest : public ::testing::Test {
 protected:
  std::filesystem::path script(std::string_view name, std::string_view body) {
    return test::write_script(dir_ / std::string(name), body);
  }

  /// /bin/sh running `path` (a temporary directory may be mounted noexec).
  static SubprocessOptions shell(const std::filesystem::path& path) {
    SubprocessOptions options;
    options.argv = {"/bin/sh", path.string()};
    return options;
  }

  static SubprocessOptions program(std::vector<std::string> argv) {
    SubprocessOptions options;
    options.argv = std::move(argv);
    return options;
  }

  /// Starts `options` on `runner`; the result lands in `result`.
  static void start(Subprocess& runner, SubprocessOptions options,
                    std::optional<SubprocessResult>& result) {
    runner.start(std::move(options), [&result](SubprocessResult r) { result = std::move(r); });
  }

  /// Runs `options` to its end.
  SubprocessResult run(SubprocessOptions options) {
    Subprocess runner(loop_, worker_);
    std::optional<SubprocessResult> result;
    start(runner, std::move(options), result);
    EXPECT_TRUE(test::run_until(loop_, [&] { return result.has_value(); }, kGenerous));
    EXPECT_FALSE(runner.running());
    return result.value_or(SubprocessResult{});
  }

  /// The first line of a result's output as a pid.
  static pid_t pid_in(const std::string& output) {
    return static_cast<pid_t>(std::stol(output.substr(0, output.find('\n'))));
  }

  test::TempDir dir_{"pimqttd-subprocess"};
  EventLoop loop_;
  Worker worker_{loop_};
};

TEST_F(SubprocessTest, ExitStatusAndOutput) {
  const auto ok = run(shell(script("ok.sh", "echo hello; echo oops >&2; exit 0")));
  EXPECT_TRUE(ok.succeeded());
  EXPECT_TRUE(ok.started);
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.output, "hello\n");
  EXPECT_EQ(ok.error_output, "oops\n");
  EXPECT_FALSE(ok.output_truncated);

  const auto three = run(shell(script("three.sh", "echo 'no such sensor' >&2; exit 3")));
  EXPECT_FALSE(three.succeeded());
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_EQ(three.signal, 0);
  EXPECT_FALSE(three.timed_out);
  EXPECT_EQ(three.describe(), "exited with status 3: no such sensor");
}

TEST_F(SubprocessTest, SignalDeath) {
  const auto killed = run(shell(script("term.sh", "kill -TERM $$")));
  EXPECT_FALSE(killed.succeeded());
  EXPECT_FALSE(killed.exit_code.has_value());
  EXPECT_EQ(killed.signal, SIGTERM);
  EXPECT_EQ(killed.describe(), "was killed by signal 15 (SIGTERM)");
}

TEST_F(SubprocessTest, ProgramThatCannotStartIsReportedAfterStartReturns) {
  Subprocess runner(loop_, worker_);
  std::optional<SubprocessResult> result;
  start(runner, program({(dir_ / "missing").string()}), result);
  EXPECT_FALSE(result.has_value()) << "reported from inside start()";
  EXPECT_TRUE(runner.running());
  ASSERT_TRUE(test::run_until(loop_, [&] { return result.has_value(); }, kGenerous));
  EXPECT_FALSE(result->started);
  EXPECT_EQ(result->error, std::error_code(ENOENT, std::system_category()));
  EXPECT_EQ(result->describe(), "could not be started: No such file or directory");

  // Not executable.
  const auto text = script("plain.sh", "exit 0");
  std::filesystem::permissions(text, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write);
  const auto denied = run(program({text.string()}));
  EXPECT_EQ(denied.error, std::error_code(EACCES, std::system_category()));
  EXPECT_FALSE(denied.succeeded());
}

TEST_F(SubprocessTest, TimeoutKillsTheWholeGroup) {
  // A grandchild in the background, then the script waits too.
  auto options = shell(script("hang.sh", "sleep 1000 &\necho $!\nsleep 1000"));
  options.timeout = 300ms;
  Subprocess runner(loop_, worker_);
  std::optional<SubprocessResult> result;
  start(runner, std::move(options), result);
  const pid_t leader = runner.pid();
  ASSERT_GT(leader, 0);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(test::run_until(loop_, [&] { return result.has_value(); }, kGenerous));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 290ms);
  EXPECT_TRUE(result->timed_out);
  EXPECT_FALSE(result->succeeded());
  EXPECT_EQ(result->describe(), "timed out after 0.3 s");
  const pid_t grandchild = pid_in(result->output);
  EXPECT_TRUE(test::wait_until([&] { return test::process_dead(grandchild); }, 5000ms));
  // The killed script is reaped (on the worker), not left a zombie.
  EXPECT_TRUE(test::wait_until([&] { return test::process_gone(leader); }, 5000ms));
}

TEST_F(SubprocessTest, WhatTheProgramLeavesInItsGroupIsKilledWhenItExits) {
  // A daemonizing script: puts a process in the background and exits at once.
  const auto result = run(shell(script("daemonize.sh", "sleep 1000 &\necho $!\nexit 0")));
  EXPECT_TRUE(result.succeeded()) << result.describe();
  EXPECT_FALSE(result.timed_out);
  const pid_t background = pid_in(result.output);
  EXPECT_TRUE(test::wait_until([&] { return test::process_dead(background); }, 5000ms));
}

TEST_F(SubprocessTest, AProcessThatLeftTheGroupEndsTheRunAtTheTimeout) {
  // setsid takes the background process out of the group: it cannot be killed with it and
  // holds stdout open. The run ends at the timeout all the same.
  // The script exits only once the background process has a session of its own.
  auto options = shell(script("escape.sh",
                              "/usr/bin/setsid sleep 1000 &\npid=$!\necho $pid\n"
                              "while :; do set -- $(cat /proc/$pid/stat); "
                              "[ \"$6\" = \"$pid\" ] && break; done\nexit 0"));
  options.timeout = 300ms;
  const auto result = run(std::move(options));
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, 0);
  const pid_t escaped = pid_in(result.output);
  EXPECT_FALSE(test::process_dead(escaped));
  ::kill(escaped, SIGKILL);
  EXPECT_TRUE(test::wait_until([&] { return test::process_dead(escaped); }, 5000ms));
}

TEST_F(SubprocessTest, OutputIsCappedAndTheRestDropped) {
  const auto result = run(shell(script(
      "flood.sh", "head -c 1048576 /dev/zero | tr '\\0' x\nhead -c 10000 /dev/zero >&2\nexit 0")));
  EXPECT_TRUE(result.succeeded()) << result.describe();
  EXPECT_EQ(result.output.size(), 65536u);
  EXPECT_EQ(result.output, std::string(65536, 'x'));
  EXPECT_TRUE(result.output_truncated);
  EXPECT_EQ(result.error_output.size(), 4096u);
  EXPECT_TRUE(result.error_output_truncated);

  auto small = shell(script("small.sh", "printf 12345678"));
  small.stdout_limit = 4;
  const auto cut = run(std::move(small));
  EXPECT_EQ(cut.output, "1234");
  EXPECT_TRUE(cut.output_truncated);
  const auto exact = run(shell(script("exact.sh", "head -c 65536 /dev/zero")));
  EXPECT_EQ(exact.output.size(), 65536u);
  EXPECT_FALSE(exact.output_truncated);
}

TEST_F(SubprocessTest, EnvironmentIsOnlyTheFixedSetAndTheRunsOwn) {
  ASSERT_EQ(::setenv("PIMQTTD_TEST_INHERITED", "leak", 1), 0);
  auto options = program({"/usr/bin/env"});
  options.environment = {{"SENSOR", "garage door"}, {"EMPTY", ""}};
  const auto result = run(std::move(options));
  ::unsetenv("PIMQTTD_TEST_INHERITED");
  EXPECT_TRUE(result.succeeded()) << result.describe();
  EXPECT_EQ(result.output,
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
            "LANG=C.UTF-8\n"
            "SENSOR=garage door\n"
            "EMPTY=\n");
}

TEST(ChildEnvironment, ARunsVariableReplacesPathOrLang) {
  const std::vector<std::pair<std::string, std::string>> extra = {
      {"A", "1"}, {"PATH", "/opt/bin"}, {"LANG", "de_DE.UTF-8"}};
  EXPECT_EQ(child_environment(extra),
            (std::vector<std::string>{"PATH=/opt/bin", "LANG=de_DE.UTF-8", "A=1"}));
  EXPECT_EQ(child_environment({}),
            (std::vector<std::string>{
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8"}));
}

TEST_F(SubprocessTest, ChildStartsWithNoSignalBlockedOrIgnored) {
  // What the daemon does for its signalfd, and an ignored SIGPIPE.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigset_t previous;
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &term, &previous), 0);
  const auto old_pipe = std::signal(SIGPIPE, SIG_IGN);
  const auto result = run(program({"/usr/bin/grep", "^Sig[BI]", "/proc/self/status"}));
  std::signal(SIGPIPE, old_pipe);
  ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, &previous, nullptr), 0);
  // glibc 2.36's posix_spawn itself leaves its two internal signals (32 and 33, which no
  // program but glibc uses) ignored, later ones (Debian 13's 2.41) none; every other signal is
  // at its default.
  EXPECT_THAT(result.output,
              testing::AnyOf("SigBlk:\t0000000000000000\nSigIgn:\t0000000180000000\n",
                             "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"));
}

TEST_F(SubprocessTest, ChildHasOnlyStdinStdoutAndStderr) {
  // A descriptor that is not close-on-exec: closefrom in the child closes it anyway.
  UniqueFd leaky(::open("/dev/null", O_RDONLY));
  ASSERT_TRUE(leaky);
  Subprocess runner(loop_, worker_);
  std::optional<SubprocessResult> result;
  start(runner, program({"/bin/sleep", "1000"}), result);
  const pid_t pid = runner.pid();
  ASSERT_GT(pid, 0);
  // posix_spawn returns once the exec has happened, but the dynamic loader may still hold a
  // library open for a moment (as descriptor 3): wait until sleep's descriptors settle. A
  // descriptor that closefrom missed never goes away, and the wait then ends at its deadline.
  const std::set<std::string> standard{"0", "1", "2"};
  std::set<std::string> fds;
  const bool settled = test::wait_until(
      [&] {
        fds.clear();
        for (const auto& entry :
             std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
          fds.insert(entry.path().filename().string());
        }
        return fds == standard;
      },
      std::chrono::seconds(10));
  EXPECT_TRUE(settled);
  EXPECT_EQ(fds, standard);
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/fd/0"), "/dev/null");
  EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/cwd"), "/");
  runner.cancel();
}

TEST_F(SubprocessTest, StartingManyRunsNeverWaitsForThem) {
  const auto sleeper = script("sleep.sh", "sleep 1\necho done");
  constexpr int kRuns = 20;
  std::vector<std::unique_ptr<Subprocess>> runners;
  std::vector<std::optional<SubprocessResult>> results(kRuns);
  const auto before = std::chrono::steady_clock::now();
  for (int i = 0; i < kRuns; ++i) {
    runners.push_back(std::make_unique<Subprocess>(loop_, worker_));
    start(*runners.back(), shell(sleeper), results[static_cast<std::size_t>(i)]);
  }
  const auto spawning = std::chrono::steady_clock::now() - before;
  EXPECT_LT(spawning, 900ms) << "start() waited for a run";
  for (const auto& runner : runners) EXPECT_TRUE(runner->running());
  // All 20 sleep at the same time: together they take about one second, not twenty.
  ASSERT_TRUE(test::run_until(loop_, [&] {
    for (const auto& result : results) {
      if (!result) return false;
    }
    return true;
  }, kGenerous));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 8s);
  for (const auto& result : results) EXPECT_EQ(result->output, "done\n");
}

TEST_F(SubprocessTest, DestroyingARunningRunnerKillsItsGroupAndNeverCallsBack) {
  const auto pid_file = dir_ / "grandchild";
  const auto body = "sleep 1000 &\necho $! > " + pid_file.string() + ".tmp\nmv " +
                    pid_file.string() + ".tmp " + pid_file.string() + "\nsleep 1000";
  auto runner = std::make_unique<Subprocess>(loop_, worker_);
  bool called = false;
  runner->start(shell(script("busy.sh", body)), [&](SubprocessResult) { called = true; });
  const pid_t leader = runner->pid();
  ASSERT_TRUE(test::wait_until([&] { return std::filesystem::exists(pid_file); }, 5000ms));
  const pid_t grandchild = pid_in(read_file(pid_file).text);
  runner.reset();
  EXPECT_TRUE(test::wait_until([&] { return test::process_gone(leader); }, 5000ms));
  EXPECT_TRUE(test::wait_until([&] { return test::process_dead(grandchild); }, 5000ms));
  test::run_for(loop_, 200ms);
  EXPECT_FALSE(called);
}

TEST_F(SubprocessTest, CancelThenStartAgain) {
  Subprocess runner(loop_, worker_);
  std::optional<SubprocessResult> first;
  start(runner, program({"/bin/sleep", "1000"}), first);
  EXPECT_THROW(start(runner, program({"/bin/true"}), first), std::logic_error);
  const pid_t pid = runner.pid();
  runner.cancel();
  EXPECT_FALSE(runner.running());
  EXPECT_EQ(runner.pid(), -1);
  EXPECT_TRUE(test::wait_until([&] { return test::process_gone(pid); }, 5000ms));

  std::optional<SubprocessResult> second;
  start(runner, program({"/bin/echo", "again"}), second);
  ASSERT_TRUE(test::run_until(loop_, [&] { return second.has_value(); }, kGenerous));
  EXPECT_EQ(second->output, "again\n");
  test::run_for(loop_, 50ms);
  EXPECT_FALSE(first.has_value());
}

TEST_F(SubprocessTest, TheCallbackMayStartTheNextRun) {
  Subprocess runner(loop_, worker_);
  std::vector<std::string> outputs;
  std::function<void(SubprocessResult)> next = [&](SubprocessResult result) {
    outputs.push_back(result.output);
    if (outputs.size() < 3) runner.start(program({"/bin/echo", "run"}), next);
  };
  runner.start(program({"/bin/echo", "run"}), next);
  ASSERT_TRUE(test::run_until(loop_, [&] { return outputs.size() == 3 && !runner.running(); },
                              kGenerous));
  EXPECT_EQ(outputs, (std::vector<std::string>(3, "run\n")));
}

TEST(SubprocessResult, DescribesHowTheRunEnded) {
  SubprocessResult result;
  result.started = true;
  result.timed_out = true;
  result.timeout = 10s;
  EXPECT_EQ(result.describe(), "timed out after 10 s");
  result.timed_out = false;
  result.signal = SIGKILL;
  EXPECT_EQ(result.describe(), "was killed by signal 9 (SIGKILL)");
  result.signal = 0;
  result.exit_code = 1;
  result.error_output = "\n  \r\n  first\tline \r\nsecond\n";
  EXPECT_EQ(result.describe(), "exited with status 1: first?line");
  result.error_output = std::string(300, 'e');
  EXPECT_EQ(result.error_line(), std::string(200, 'e') + "...");
  // Never cut inside a UTF-8 character: "é" is two bytes.
  result.error_output = std::string(199, 'e') + "\xC3\xA9" + "tail";
  EXPECT_EQ(result.error_line(), std::string(199, 'e') + "...");
}

}  // namespace
}  // namespace pimqttd::core
