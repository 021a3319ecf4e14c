#pragma once
// Log: the named logger of one component ("mqtt", "reload", "state"...).
//
// Every line of a component carries its name as "<name>: " in front of the message, as the
// journal shows it. The daemon's logging setup (app) registers one spdlog logger per component,
// whose pattern writes the name; a Log writes through the logger registered under its name. When
// none is (tests, tools that set up no logging), it writes "<name>: <message>" through the default
// logger, so the line reads the same. Looked up on every line, so that a test that replaces the
// default logger sees what the code logs.

#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace pimqttd::core {

class Log {
 public:
  /// `name` must outlive the Log (a string literal).
  explicit constexpr Log(std::string_view name) noexcept : name_(name) {}

  [[nodiscard]] constexpr std::string_view name() const noexcept { return name_; }

  template <typename... Args>
  void log(spdlog::level::level_enum level, spdlog::format_string_t<Args...> format,
           Args&&... args) const {
    if (const auto named = spdlog::get(std::string(name_))) {
      named->log(level, format, std::forward<Args>(args)...);
      return;
    }
    spdlog::logger& fallback = *spdlog::default_logger_raw();
    if (!fallback.should_log(level)) return;
    fallback.log(level, "{}: {}", name_, fmt::format(format, std::forward<Args>(args)...));
  }

  template <typename... Args>
  void debug(spdlog::format_string_t<Args...> format, Args&&... args) const {
    log(spdlog::level::debug, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void info(spdlog::format_string_t<Args...> format, Args&&... args) const {
    log(spdlog::level::info, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void warn(spdlog::format_string_t<Args...> format, Args&&... args) const {
    log(spdlog::level::warn, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void error(spdlog::format_string_t<Args...> format, Args&&... args) const {
    log(spdlog::level::err, format, std::forward<Args>(args)...);
  }

 private:
  std::string_view name_;
};

/// The logger that writes notices: the daemon's logging setup registers it under this name, with
/// a sink that writes its info lines at journald priority 5 ("notice" on a terminal).
inline constexpr std::string_view kNoticeLogger = "notice";

/// Logs a notice: something normal but significant that an administrator wants in the journal
/// (a reboot asked for from Home Assistant). Written at info level through the logger named
/// kNoticeLogger; without it (tests, tools that set up no logging) through the default logger at
/// info level, so a test that captures the default logger sees the line.
template <typename... Args>
void notice(spdlog::format_string_t<Args...> format, Args&&... args) {
  if (const auto logger = spdlog::get(std::string(kNoticeLogger))) {
    logger->info(format, std::forward<Args>(args)...);
    return;
  }
  spdlog::default_logger_raw()->info(format, std::forward<Args>(args)...);
}

}  // namespace pimqttd::core
