#include "pimqttd/app/version.hpp"

#include <openssl/crypto.h>

#include <string_view>

#include <fmt/format.h>

#include "pimqttd/hw/gpio.hpp"

#ifndef PIMQTTD_VERSION
#define PIMQTTD_VERSION "0.0.0"
#endif
#ifndef PIMQTTD_BUILT_FOR
#define PIMQTTD_BUILT_FOR "an unknown system"
#endif
#ifndef PIMQTTD_PACKAGE_VERSION
#define PIMQTTD_PACKAGE_VERSION ""
#endif
#ifndef PIMQTTD_LIBGPIOD_BUILD_VERSION
#define PIMQTTD_LIBGPIOD_BUILD_VERSION "unknown"
#endif

namespace pimqttd::app {

std::string version_report() {
  const std::string_view package = PIMQTTD_PACKAGE_VERSION;
  return fmt::format(
      "pimqttd {}\nbuilt for: {}{}\nlibgpiod: {} (built with {})\nOpenSSL: {}\n",
      PIMQTTD_VERSION, PIMQTTD_BUILT_FOR,
      package.empty() ? std::string() : fmt::format(" (package {})", package),
      hw::libgpiod_version(),
      PIMQTTD_LIBGPIOD_BUILD_VERSION, OpenSSL_version(OPENSSL_VERSION));
}

}  // namespace pimqttd::app
