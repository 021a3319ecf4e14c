#pragma once
// FakeApt: the files dpkg and apt leave on a machine, under a temporary root, for the
// apt_updates sensor type: var/lib/dpkg/status and var/lib/apt/lists/ with Release and Packages
// files. Stanza helpers write the deb822 text those files hold; a package's status and Packages
// stanzas have the same dependencies, so that apt itself takes the same version in both for one.

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.hpp"

namespace pimqttd::test {

/// A dpkg status stanza.
inline std::string status_stanza(const std::string& package, const std::string& architecture,
                                 const std::string& version,
                                 const std::string& status = "install ok installed") {
  return "Package: " + package + "\nStatus: " + status +
         "\nPriority: optional\nSection: misc\nInstalled-Size: 100\nMaintainer: Someone "
         "<someone@example.org>\nArchitecture: " +
         architecture + "\nVersion: " + version + "\nDepends: libc6 (>= 2.34)" +
         "\nDescription: a package\n more about it\n .\n and more\n\n";
}

/// A Packages stanza (the fields in the order Debian writes them).
inline std::string packages_stanza(const std::string& package, const std::string& architecture,
                                   const std::string& version) {
  return "Package: " + package + "\nVersion: " + version +
         "\nInstalled-Size: 100\nMaintainer: Someone <someone@example.org>\nArchitecture: " +
         architecture +
         "\nDepends: libc6 (>= 2.34)\nDescription: a package\nDescription-md5: "
         "0123456789abcdef0123456789abcdef\nSection: misc\nPriority: optional\nFilename: "
         "pool/main/x/" +
         package + "_" + version + "_" + architecture + ".deb\nSize: 1000\n\n";
}

/// An InRelease file (signed) with these fields ("Suite: stable\nLabel: Debian\n" ...).
inline std::string in_release(const std::string& fields) {
  return "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\n" + fields +
         "Date: Sat, 27 Apr 2024 09:15:01 UTC\nAcquire-By-Hash: yes\nArchitectures: all amd64 "
         "i386\nComponents: main\nSHA256:\n 0123 1000 main/binary-amd64/Packages\n "
         "4567 2000 main/binary-i386/Packages\n-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCgAd\n"
         "-----END PGP SIGNATURE-----\n";
}

class FakeApt {
 public:
  [[nodiscard]] const std::filesystem::path& root() const { return dir_.path(); }
  [[nodiscard]] std::filesystem::path lists() const { return root() / "var/lib/apt/lists"; }

  /// var/lib/dpkg/status
  void status(const std::string& text) const { write(root() / "var/lib/dpkg/status", text); }
  /// var/lib/apt/lists/<name>, modified at `modified` (Unix seconds) when it is not 0.
  void list(const std::string& name, const std::string& text, std::int64_t modified = 0) const {
    write(lists() / name, text);
    if (modified != 0) set_modified(lists() / name, modified);
  }

  static void write(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }
  static void set_modified(const std::filesystem::path& path, std::int64_t modified) {
    const timespec times[2] = {{static_cast<std::time_t>(modified), 0},
                               {static_cast<std::time_t>(modified), 0}};
    ::utimensat(AT_FDCWD, path.c_str(), times, 0);
  }

 private:
  TempDir dir_{"pimqttd-apt"};
};

}  // namespace pimqttd::test
