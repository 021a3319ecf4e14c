#pragma once
// Logging setup. Under systemd (JOURNAL_STREAM names our stderr) every line carries its syslog
// priority as an sd-daemon prefix ("<3>mqtt: ...") so journald records real priorities and adds
// its own timestamps; elsewhere lines go to stderr with a timestamp and a coloured level.

#include <string_view>

#include "pimqttd/app/config.hpp"

namespace pimqttd::app {

/// Installs the default logger for the environment. Call once, early.
void setup_logging(LogLevel level);
/// Changes the level of the installed logger (SIGHUP with a new logging.level).
void set_log_level(LogLevel level);
/// Whether stderr is connected to the journal (JOURNAL_STREAM matches stderr's device:inode).
[[nodiscard]] bool stderr_is_journal();

}  // namespace pimqttd::app
