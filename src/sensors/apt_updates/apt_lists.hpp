#pragma once
// How many installed packages apt would upgrade, read from the files apt and dpkg leave on disk,
// without running apt and without root: the `apt_updates` sensor's reading.
//
// Installed packages come from var/lib/dpkg/status: stanzas whose Status is
// "install ok installed". Packages on hold ("hold ok installed") are left out, as apt upgrade
// leaves them alone; so is everything not fully installed.
//
// What apt could install comes from the lists its `apt-get update` fetched into
// var/lib/apt/lists/: every file whose name ends in "_Packages" (the uncompressed form, Debian's
// and Raspberry Pi OS's default). Compressed lists ("_Packages.gz", ".lz4", ".xz", ...), which
// apt keeps when configured with Acquire::GzipIndexes, are not read: they are named in
// AptUpdates::compressed. Each list belongs to the repository whose Release file
// ("<prefix>InRelease", else "<prefix>Release") has the longest name prefix in common with it
// ("deb.debian.org_debian_dists_bookworm_InRelease" for
// "deb.debian.org_debian_dists_bookworm_main_binary-arm64_Packages"). Of the Release file only a
// few fields count:
// - NotAutomatic: yes, ButAutomaticUpgrades: yes: apt's default priority of the repository's
//   versions, 1 for NotAutomatic alone (experimental), 100 for both (backports), 500 otherwise
//   (also for a list whose Release file is missing or unreadable);
// - Label: Debian-Security, or a Suite ending in "-security": a security repository.
//
// The candidate, as apt chooses it without pins: for an installed (package, architecture), the
// versions of the lists' stanzas with the same name and architecture are ordered by Debian's
// version order (debian_version.hpp), and those not newer than the installed one drop out. The
// installed version has priority 100, or that of the best repository that still offers it. The
// package is upgradable when a newer version has at least that priority; its candidate is the
// newest version of the highest priority among them. So backports upgrade only what was
// installed from backports, and experimental nothing. It is a security update when the
// candidate version is in a security repository.
//
// Architectures: an installed foo:armhf matches only armhf stanzas. Architecture "all" stands
// for the machine's native architecture on either side (as in apt's cache, where an arch-all
// package is a native one): the architecture the `dpkg` package is installed for. A package
// that moves from "all" to "arm64" (or back) between versions is thus still the same package.
//
// Not honoured: pin priorities (/etc/apt/preferences, APT::Default-Release), phased updates
// (Phased-Update-Percentage; Debian does not phase) and sources.list itself (a list apt fetched
// for a source since removed counts until apt's next update deletes it).
//
// Files are read as streams, line by line (a list of Debian main for one architecture is some
// 60 MB): what stays in memory is the installed packages (a few thousand) with the versions newer
// than theirs. The scan runs on the worker thread.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pimqttd/hw/procfs.hpp"

namespace pimqttd::sensors {

/// What a scan found.
struct AptUpdates {
  /// "name:arch" of each upgradable package (arch as installed: "all", "arm64"), sorted.
  std::vector<std::string> upgradable;
  /// Those of `upgradable` whose candidate is in a security repository, sorted.
  std::vector<std::string> security;
  /// The newest modification time of the lists' Release and InRelease files (Unix seconds);
  /// unset when there is none. apt gives a file it downloads the server's Last-Modified time
  /// and leaves a file the server says is unchanged alone, so this is when the newest
  /// repository index apt has fetched was published: it stops moving when apt stops updating.
  std::optional<std::int64_t> lists_updated;
  /// The Packages lists read (file names, sorted).
  std::vector<std::string> lists;
  /// Compressed Packages lists, not read (file names, sorted).
  std::vector<std::string> compressed;
  /// Lists and Release files that could not be read (file name, reason), in name order; the
  /// scan went on without them.
  std::vector<std::pair<std::string, std::string>> skipped;
};

/// Scans `root` (var/lib/dpkg/status, var/lib/apt/lists/). A failure when the status file or the
/// lists directory cannot be read, or when no uncompressed Packages list could be read (apt has
/// not updated yet, or keeps its lists compressed): its message names the file or directory.
[[nodiscard]] hw::ReadResult<AptUpdates> scan_apt_updates(const std::filesystem::path& root);

}  // namespace pimqttd::sensors
