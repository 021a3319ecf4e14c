#pragma once
// What `pimqttd --version` says: the version, the system the binary was built for and the
// libraries it runs with, so that a bug report names the build exactly.

#include <string>

namespace pimqttd::app {

/// Lines such as
///   pimqttd 0.1.0
///   built for: Debian GNU/Linux 13 (trixie), aarch64 (package 0.1.0~deb13u1)
///   libgpiod: 2.2.1 (built with 2.2.1)
///   OpenSSL: OpenSSL 3.5.1 1 Jul 2025
/// The first line is "pimqttd VERSION" alone; the package part appears only in a package build.
/// Each line ends with '\n'.
[[nodiscard]] std::string version_report();

}  // namespace pimqttd::app
