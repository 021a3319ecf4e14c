// Every write to the state directory is atomic and durable: the file is written as a temporary
// file in the same directory, fsync'd, closed, renamed over the file, and the directory is
// fsync'd; nothing in the directory is ever opened for writing in place. The proof is the order
// of the system calls themselves, recorded by an LD_PRELOAD library (support/io_trace.c) while:
// - state_writer saves sensors.json and announced.json through StateStore;
// - the daemon runs against a real mosquitto, announces (announced.json) and stops.
// A kill -9 cannot show a missing fsync (the page cache survives the process); this can.

#include "support/daemon_harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#ifndef PIMQTTD_IO_TRACE
#error "PIMQTTD_IO_TRACE must name the io_trace library"
#endif
#ifndef PIMQTTD_STATE_WRITER
#error "PIMQTTD_STATE_WRITER must name the state_writer executable"
#endif

namespace pimqttd::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool ends_with_tmp(const std::string& name) { return name.ends_with(".tmp"); }

/// What is wrong with the calls in `trace` (empty: nothing); `renamed` counts the files saved.
std::string check_discipline(const std::vector<std::string>& trace, std::size_t& renamed) {
  renamed = 0;
  for (std::size_t i = 0; i < trace.size(); ++i) {
    std::istringstream words(trace[i]);
    std::string call;
    words >> call;
    if (call == "open") {
      std::vector<std::string> rest;
      for (std::string word; words >> word;) rest.push_back(word);
      const std::string& name = rest.back();
      if (rest.front() == "W" && !ends_with_tmp(name)) {
        return "line " + std::to_string(i + 1) + ": opened for writing in place: " + trace[i];
      }
      continue;
    }
    if (call != "rename") continue;
    std::string from;
    std::string to;
    words >> from >> to;
    ++renamed;
    const std::string at = "line " + std::to_string(i + 1) + " (" + trace[i] + "): ";
    if (from != to + ".tmp") return at + "not renamed from its temporary file";
    // Back from the rename to the temporary file's open: write(s), then fsync, then close.
    bool closed = false;
    bool synced = false;
    bool written = false;
    bool opened = false;
    for (std::size_t j = i; j-- > 0;) {
      std::istringstream back(trace[j]);
      std::string back_call;
      back >> back_call;
      std::vector<std::string> args;
      for (std::string word; back >> word;) args.push_back(word);
      if (args.empty()) continue;
      const bool on_temporary =
          (back_call == "write" || back_call == "open") ? (back_call == "open" ? args.back() == from
                                                                               : args[0] == from)
                                                        : args[0] == from;
      if (!on_temporary) continue;
      if (back_call == "close") {
        if (synced || written) return at + "closed before its last write or fsync";
        closed = true;
      } else if (back_call == "fsync" || back_call == "fdatasync") {
        if (written) return at + "written after its fsync";
        synced = true;
      } else if (back_call == "write") {
        if (!synced) return at + "written after its fsync, or never fsync'd";
        written = true;
      } else if (back_call == "open") {
        opened = true;
        break;
      }
    }
    if (!opened || !written || !synced || !closed) {
      return at + "expected open, write, fsync, close of " + from + " before the rename";
    }
    // After the rename: the directory opened and fsync'd, before anything else is renamed.
    bool directory_synced = false;
    for (std::size_t j = i + 1; j < trace.size(); ++j) {
      if (trace[j].starts_with("rename ")) break;
      if (trace[j] == "fsync ." || trace[j] == "fdatasync .") {
        directory_synced = true;
        break;
      }
    }
    if (!directory_synced) return at + "the directory was not fsync'd after the rename";
  }
  return {};
}

class StateIoTest : public DaemonTest {
 protected:
  [[nodiscard]] fs::path trace_path() const { return dir_ / "io.trace"; }
  [[nodiscard]] std::vector<std::string> environment() const {
    return {std::string("LD_PRELOAD=") + PIMQTTD_IO_TRACE,
            "IO_TRACE_DIR=" + state_dir().string(), "IO_TRACE_LOG=" + trace_path().string(),
            // Under -DPIMQTTD_SANITIZE=ON the sanitizer's runtime would refuse to come second.
            "ASAN_OPTIONS=verify_asan_link_order=0"};
  }
};

TEST_F(StateIoTest, TheStateStoreWritesATemporaryFileFsyncsRenamesAndFsyncsTheDirectory) {
  fs::create_directories(state_dir());
  ProcessOptions options;
  options.environment = environment();
  options.stdout_path = dir_ / "writer.out";
  options.stderr_path = dir_ / "writer.out";
  const auto status = run_process({PIMQTTD_STATE_WRITER, state_dir().string()}, kDeadline,
                                  options);
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(*status, ExitStatus::exited(0)) << read_text(dir_ / "writer.out");
  const std::string trace = read_text(trace_path());
  std::size_t renamed = 0;
  EXPECT_EQ(check_discipline(lines_of(trace), renamed), "") << trace;
  EXPECT_EQ(renamed, 3u) << trace;
  EXPECT_EQ(count_of(trace, "rename sensors.json.tmp sensors.json"), 2u) << trace;
  EXPECT_EQ(count_of(trace, "rename announced.json.tmp announced.json"), 1u) << trace;
}

TEST_F(StateIoTest, TheDaemonWritesItsStateTheSameWay) {
  write_config(config(broker_.port(), Json::array({load_sensor("sys")})));
  auto subscriber = subscribe();
  Process daemon = start_daemon(environment());
  ASSERT_TRUE(wait_for_payload(*subscriber, kStatus, "online")) << logs();
  ASSERT_TRUE(wait_until([&] { return fs::exists(state_dir() / "announced.json"); }, kDeadline,
                         10ms))
      << logs();
  stop_daemon(daemon);
  const std::string trace = read_text(trace_path());
  std::size_t renamed = 0;
  EXPECT_EQ(check_discipline(lines_of(trace), renamed), "") << trace;
  EXPECT_GE(renamed, 1u) << trace;
  EXPECT_GE(count_of(trace, "rename announced.json.tmp announced.json"), 1u) << trace;
}

}  // namespace
}  // namespace pimqttd::test
