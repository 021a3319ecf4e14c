#pragma once
// What the libFuzzer targets share: a failed check is a finding.

#include <cstdio>
#include <cstdlib>

namespace pimqttd::fuzz {

/// When `ok` is false: prints "<target>: <what>" and aborts, which libFuzzer reports as a crash
/// and keeps the input of.
inline void check(bool ok, const char* target, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "%s: %s\n", target, what);
    std::abort();
  }
}

}  // namespace pimqttd::fuzz
