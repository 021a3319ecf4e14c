// libFuzzer target for the configuration: the whole path `pimqttd --check-config` takes, from the
// document's bytes through the JSON parser to the validation of every top-level section and of
// every sensor type's schema (parse_config). Nothing is opened but what the document names
// (password_file, credentials); relative paths stay relative.
//
// Checks, each aborting on failure:
//   - parse_config either returns a Config or throws ConfigError with at least one error, every
//     error a non-empty line; any other exception escapes and is reported as a crash;
//   - a Config that parses prints (to_json_text) as a document that parses again to a Config
//     that prints the same, unless it names a password file (the printed form keeps the path and
//     the file is read again) or an inline password (printed as "***").

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "pimqttd/app/config.hpp"

namespace {

using pimqttd::app::Config;
using pimqttd::app::ConfigError;
using pimqttd::app::LoadOptions;

void check(bool ok, const char* what) { pimqttd::fuzz::check(ok, "config_fuzz", what); }

LoadOptions fuzz_options() {
  LoadOptions options;
  options.hostname = "fuzz-host.example";
  options.source_name = "fuzz.json";
  options.file_mode = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  return options;
}

void check_errors(const ConfigError& error) {
  check(!error.errors().empty(), "a ConfigError without errors");
  for (const std::string& line : error.errors()) {
    check(!line.empty(), "an empty error line");
    check(line.find('\n') == std::string::npos, "an error line with a newline");
  }
}

void check_round_trip(const Config& config, const LoadOptions& options) {
  if (config.mqtt.password_source != pimqttd::app::PasswordSource::none) return;
  const std::string printed = pimqttd::app::to_json_text(config);
  std::string again;
  try {
    again = pimqttd::app::to_json_text(pimqttd::app::parse_config(printed, options));
  } catch (const ConfigError& error) {
    for (const std::string& line : error.errors()) std::fprintf(stderr, "%s\n", line.c_str());
    std::fprintf(stderr, "%s", printed.c_str());
    check(false, "the printed configuration does not parse");
  }
  if (again != printed) std::fprintf(stderr, "%s\n---\n%s", printed.c_str(), again.c_str());
  check(again == printed, "the printed configuration parses to another one");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const LoadOptions options = fuzz_options();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const Config config = pimqttd::app::parse_config(text, options);
    check_round_trip(config, options);
  } catch (const ConfigError& error) {
    check_errors(error);
  }
  return 0;
}
