#include "pimqttd/app/logging.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "pimqttd/core/log.hpp"
#include "support/temp_dir.hpp"

namespace pimqttd::app {
namespace {

constexpr core::Log kMqttLog("mqtt");

/// While it lives, the process's stderr (fd 2) writes to a file; the loggers setup_logging made
/// are dropped and the default logger restored afterwards.
class StderrToFile {
 public:
  explicit StderrToFile(const std::filesystem::path& path)
      : path_(path), previous_(spdlog::default_logger()), saved_(::dup(STDERR_FILENO)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_GE(::dup2(fd, STDERR_FILENO), 0);
    ::close(fd);
  }
  ~StderrToFile() {
    spdlog::drop_all();
    spdlog::set_default_logger(previous_);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    ::unsetenv("JOURNAL_STREAM");
  }
  StderrToFile(const StderrToFile&) = delete;
  StderrToFile& operator=(const StderrToFile&) = delete;

  /// Makes JOURNAL_STREAM name the file, as systemd names the journal's stream.
  void as_journal_stream() const {
    struct stat info {};
    ASSERT_EQ(::fstat(STDERR_FILENO, &info), 0);
    ::setenv("JOURNAL_STREAM",
             (std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino)).c_str(), 1);
  }

  [[nodiscard]] std::string text() const {
    std::ifstream in(path_);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }

 private:
  std::filesystem::path path_;
  std::shared_ptr<spdlog::logger> previous_;
  int saved_;
};

void log_one_of_each() {
  core::notice("{}: reboot pressed", "host_reboot");
  spdlog::info("plain info");
  spdlog::warn("a warning");
  kMqttLog.error("connection lost");
  spdlog::debug("below the level");
}

TEST(Logging, UnderJournaldEveryLineCarriesItsPriorityAndANoticeIsFive) {
  const test::TempDir dir("pimqttd-logging");
  std::string text;
  {
    const StderrToFile redirect(dir / "stderr");
    redirect.as_journal_stream();
    ASSERT_TRUE(stderr_is_journal());
    setup_logging(LogLevel::info);
    log_one_of_each();
    text = redirect.text();
  }
  EXPECT_EQ(text,
            "<5>host_reboot: reboot pressed\n"
            "<6>plain info\n"
            "<4>a warning\n"
            "<3>mqtt: connection lost\n");
}

TEST(Logging, OnATerminalANoticeSaysNotice) {
  const test::TempDir dir("pimqttd-logging");
  std::string text;
  {
    const StderrToFile redirect(dir / "stderr");
    ASSERT_FALSE(stderr_is_journal());
    setup_logging(LogLevel::info);
    log_one_of_each();
    text = redirect.text();
  }
  std::istringstream lines(text);
  const std::array<std::string, 4> endings = {" notice host_reboot: reboot pressed",
                                              " info plain info", " warning a warning",
                                              " error mqtt: connection lost"};
  for (const std::string& ending : endings) {
    std::string line;
    ASSERT_TRUE(std::getline(lines, line)) << text;
    ASSERT_GE(line.size(), ending.size()) << line;
    EXPECT_EQ(line.substr(line.size() - ending.size()), ending) << line;
  }
  std::string rest;
  EXPECT_FALSE(std::getline(lines, rest)) << rest;
}

TEST(Logging, AWarningLevelLeavesNoticesOut) {
  const test::TempDir dir("pimqttd-logging");
  std::string text;
  {
    const StderrToFile redirect(dir / "stderr");
    redirect.as_journal_stream();
    setup_logging(LogLevel::warning);
    log_one_of_each();
    text = redirect.text();
  }
  EXPECT_EQ(text, "<4>a warning\n<3>mqtt: connection lost\n");
}

}  // namespace
}  // namespace pimqttd::app
