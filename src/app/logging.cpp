#include "pimqttd/app/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "pimqttd/core/log.hpp"

namespace pimqttd::app {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return spdlog::level::trace;
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warning: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
    case LogLevel::critical: return spdlog::level::critical;
    case LogLevel::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

/// The components that log through a core::Log of that name; each line reads "<name>: ...".
constexpr std::array kComponents = {"mqtt", "systemd", "announce", "state", "reload", "config"};

/// "%*" in the pattern: the sd-daemon priority prefix of the message's level. The notice logger's
/// info lines are priority 5 (notice), which spdlog has no level for.
class PriorityPrefix final : public spdlog::custom_flag_formatter {
 public:
  explicit PriorityPrefix(const char* info = "<6>") : info_(info) {}
  void format(const spdlog::details::log_msg& message, const std::tm&,
              spdlog::memory_buf_t& out) override {
    const char* prefix = "<6>";
    switch (message.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: prefix = "<7>"; break;
      case spdlog::level::info: prefix = info_; break;
      case spdlog::level::warn: prefix = "<4>"; break;
      case spdlog::level::err: prefix = "<3>"; break;
      case spdlog::level::critical: prefix = "<2>"; break;
      default: break;
    }
    out.append(prefix, prefix + 3);
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityPrefix>(info_);
  }

 private:
  const char* info_;
};

/// A logger on its own stderr sink (a sink holds one pattern; the console sinks share one lock).
/// `prefix` comes before the message: "%n: " for a component's logger. The notice logger
/// (core::kNoticeLogger) writes its info lines as notices.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name, std::string_view prefix,
                                            bool journal, LogLevel level, bool notice = false) {
  auto logger = std::make_shared<spdlog::logger>(
      name, std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (journal) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<PriorityPrefix>('*', notice ? "<5>" : "<6>")
        .set_pattern(fmt::format("%*{}%v", prefix));
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern(
        fmt::format("%Y-%m-%d %H:%M:%S.%e %^{}%$ {}%v", notice ? "notice" : "%l", prefix));
  }
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::trace);
  return logger;
}

}  // namespace

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  struct stat info {};
  if (::fstat(STDERR_FILENO, &info) < 0) return false;
  const std::string expected =
      std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino);
  return expected == stream;
}

void setup_logging(LogLevel level) {
  const bool journal = stderr_is_journal();
  spdlog::set_default_logger(make_logger("pimqttd", "", journal, level));
  for (const char* component : kComponents) {
    spdlog::drop(component);
    spdlog::register_logger(make_logger(component, "%n: ", journal, level));
  }
  const std::string notice(core::kNoticeLogger);
  spdlog::drop(notice);
  spdlog::register_logger(make_logger(notice, "", journal, level, true));
}

void set_log_level(LogLevel level) { spdlog::set_level(to_spdlog(level)); }

}  // namespace pimqttd::app
