#include "sensors/apt_updates/apt_lists.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "pimqttd/core/file.hpp"
#include "support/fake_apt.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;
using Names = std::vector<std::string>;
using test::FakeApt;
using test::in_release;
using test::packages_stanza;
using test::status_stanza;
namespace fs = std::filesystem;

constexpr std::int64_t kMain = 1714550400;      // 2024-05-01T08:00:00Z
constexpr std::int64_t kSecurity = 1714560000;  // 2024-05-01T10:40:00Z, the newest Release
constexpr std::int64_t kOlder = 1714500000;

constexpr const char* kMainPrefix = "deb.example.org_debian_dists_bookworm_";
constexpr const char* kSecurityPrefix =
    "security.example.org_debian-security_dists_bookworm-security_";
constexpr const char* kExperimentalPrefix = "deb.example.org_debian_dists_experimental_";
constexpr const char* kBackportsPrefix = "deb.example.org_debian_dists_bookworm-backports_";

// An amd64 machine (dpkg's architecture) with i386 as a foreign architecture, and four
// repositories: the release, its security updates, experimental (NotAutomatic) and backports
// (NotAutomatic, ButAutomaticUpgrades).
void write_machine(const FakeApt& apt) {
  apt.status(
      status_stanza("dpkg", "amd64", "1.21.22") +
      status_stanza("libc6", "amd64", "2.36-9+deb12u3") +
      status_stanza("libc6", "i386", "2.36-9+deb12u3") +
      status_stanza("openssl", "amd64", "3.0.11-1~deb12u2", "hold ok installed") +
      status_stanza("oldtool", "amd64", "1.0-1", "deinstall ok config-files") +
      status_stanza("halfdone", "amd64", "1.0-1", "install ok half-configured") +
      status_stanza("tzdata", "all", "2024a-0+deb12u1") +
      status_stanza("python3-foo", "all", "1.0-1") +
      status_stanza("nginx", "amd64", "1.22.1-9") +
      status_stanza("curl", "amd64", "7.88.1-10+deb12u5") +
      status_stanza("cockpit", "amd64", "287-1~bpo12+1") +
      status_stanza("vim", "amd64", "2:9.0.1378-2") +
      status_stanza("less", "amd64", "1:590-2") +
      status_stanza("libfoo", "i386", "1.0-1") +
      status_stanza("localonly", "amd64", "0.1"));

  apt.list(std::string(kMainPrefix) + "InRelease",
           in_release("Label: Debian\nSuite: stable\nCodename: bookworm\n"), kMain);
  apt.list(std::string(kMainPrefix) + "main_binary-amd64_Packages",
           packages_stanza("dpkg", "amd64", "1.21.23") +               // newer: upgradable
               packages_stanza("libc6", "amd64", "2.36-9+deb12u3") +
               packages_stanza("openssl", "amd64", "3.0.13-1~deb12u1") +  // held
               packages_stanza("oldtool", "amd64", "2.0-1") +             // not installed
               packages_stanza("halfdone", "amd64", "2.0-1") +            // not fully installed
               packages_stanza("tzdata", "all", "2024b-0+deb12u1") +
               packages_stanza("python3-foo", "amd64", "1.1-1") +         // "all" is amd64
               packages_stanza("nginx", "amd64", "1.22.1-9") +
               packages_stanza("curl", "amd64", "7.88.1-10+deb12u5") +
               packages_stanza("cockpit", "amd64", "276-1") +
               packages_stanza("vim", "amd64", "2:9.0.1378-2") +
               packages_stanza("less", "amd64", "600-1") +                // lower: epoch 0
               packages_stanza("libfoo", "amd64", "2.0-1") +              // another architecture
               packages_stanza("notinstalled", "amd64", "1.0"));
  apt.list(std::string(kMainPrefix) + "main_binary-i386_Packages",
           packages_stanza("libc6", "i386", "2.36-9+deb12u3") +
               packages_stanza("libfoo", "i386", "1.0-1") +
               packages_stanza("tzdata", "all", "2024b-0+deb12u1"));
  // A Packages file newer than every Release file: not what the timestamp reports.
  fs::last_write_time(apt.lists() / (std::string(kMainPrefix) + "main_binary-i386_Packages"),
                      fs::file_time_type::clock::now());

  apt.list(std::string(kSecurityPrefix) + "InRelease",
           in_release("Label: Debian-Security\nSuite: stable-security\n"), kSecurity);
  apt.list(std::string(kSecurityPrefix) + "main_binary-amd64_Packages",
           packages_stanza("libc6", "amd64", "2.36-9+deb12u4") +
               packages_stanza("tzdata", "all", "2024b-0+deb12u1") +
               packages_stanza("vim", "amd64", "2:9.0.1000-1"));  // older than installed

  apt.list(std::string(kExperimentalPrefix) + "Release",
           "Origin: Debian\nLabel: Debian\nSuite: experimental\nNotAutomatic: yes\n", kOlder);
  apt.list(std::string(kExperimentalPrefix) + "main_binary-amd64_Packages",
           packages_stanza("nginx", "amd64", "1.25.0-1") +
               packages_stanza("dpkg", "amd64", "1.22.0"));

  apt.list(std::string(kBackportsPrefix) + "InRelease",
           in_release("Label: Debian Backports\nSuite: stable-backports\nNotAutomatic: yes\n"
                      "ButAutomaticUpgrades: yes\n"),
           kOlder);
  apt.list(std::string(kBackportsPrefix) + "main_binary-amd64_Packages",
           packages_stanza("curl", "amd64", "8.5.0-2~bpo12+1") +  // installed from the release
               packages_stanza("cockpit", "amd64", "300-1~bpo12+1"));  // installed from here

  // Neither read nor counted.
  apt.list(std::string(kMainPrefix) + "main_i18n_Translation-en", "Package: dpkg\n");
  apt.list(std::string(kMainPrefix) + "main_binary-arm64_Packages.lz4", "not read");
}

TEST(AptLists, CountsWhatAptWouldUpgrade) {
  const FakeApt apt;
  write_machine(apt);
  const auto result = scan_apt_updates(apt.root());
  ASSERT_TRUE(result) << result.error();
  const AptUpdates& updates = result.value();
  // dpkg: newer in the release; libc6:amd64 and tzdata: newer in security (tzdata's candidate
  // also in the release); python3-foo: "all" installed, amd64 offered; cockpit: installed from
  // backports, newer there. Not: libc6:i386 (its newer version is amd64's), openssl (held),
  // oldtool, halfdone (not installed), nginx (only in experimental), curl (the release's version
  // outranks backports), vim (older in security), less (epoch), libfoo:i386 (amd64's is newer).
  EXPECT_EQ(updates.upgradable, (Names{"cockpit:amd64", "dpkg:amd64", "libc6:amd64",
                                       "python3-foo:all", "tzdata:all"}));
  EXPECT_EQ(updates.security, (Names{"libc6:amd64", "tzdata:all"}));
  EXPECT_EQ(updates.lists_updated, kSecurity);
  EXPECT_EQ(updates.lists.size(), 5U);
  EXPECT_EQ(updates.compressed,
            Names{std::string(kMainPrefix) + "main_binary-arm64_Packages.lz4"});
  EXPECT_TRUE(updates.skipped.empty());
}

TEST(AptLists, BackportsUpgradeWhatTheyInstalled) {
  const FakeApt apt;
  // Installed from backports, where a newer version waits; also in the release at an older
  // version. Then installed from the release, which still offers it.
  apt.status(status_stanza("dpkg", "arm64", "1.21.22") +
             status_stanza("cockpit", "arm64", "287-1~bpo12+1") +
             status_stanza("curl", "arm64", "7.88.1-10"));
  apt.list("b_dists_bookworm-backports_InRelease",
           in_release("Suite: stable-backports\nNotAutomatic: yes\nButAutomaticUpgrades: yes\n"));
  apt.list("b_dists_bookworm-backports_main_binary-arm64_Packages",
           packages_stanza("cockpit", "arm64", "300-1~bpo12+1") +
               packages_stanza("curl", "arm64", "8.5.0-1~bpo12+1"));
  apt.list("r_dists_bookworm_InRelease", in_release("Suite: stable\n"));
  apt.list("r_dists_bookworm_main_binary-arm64_Packages",
           packages_stanza("cockpit", "arm64", "276-1") +
               packages_stanza("curl", "arm64", "7.88.1-10"));
  const auto result = scan_apt_updates(apt.root());
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(result.value().upgradable, Names{"cockpit:arm64"});
  EXPECT_EQ(result.value().security, Names{});
}

TEST(AptLists, CandidateIsTheNewestOfTheHighestPriority) {
  const FakeApt apt;
  // 2.0 in the release (500) and 3.0 in backports (100): apt picks 2.0, which only security
  // offers besides the release; 3.0 would not be a security update.
  apt.status(status_stanza("dpkg", "armhf", "1.0") + status_stanza("tool", "armhf", "1.0"));
  apt.list("r_dists_bookworm_Release", "Suite: stable\n");
  apt.list("r_dists_bookworm_main_binary-armhf_Packages", packages_stanza("tool", "armhf", "1.5"));
  apt.list("s_dists_bookworm-security_Release", "Suite: stable-security\n");
  apt.list("s_dists_bookworm-security_main_binary-armhf_Packages",
           packages_stanza("tool", "armhf", "2.0"));
  apt.list("b_dists_bookworm-backports_Release",
           "Suite: stable-backports\nNotAutomatic: yes\nButAutomaticUpgrades: yes\n");
  apt.list("b_dists_bookworm-backports_main_binary-armhf_Packages",
           packages_stanza("tool", "armhf", "3.0"));
  const auto result = scan_apt_updates(apt.root());
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(result.value().upgradable, Names{"tool:armhf"});
  EXPECT_EQ(result.value().security, Names{"tool:armhf"});
}

TEST(AptLists, InReleaseOutranksReleaseAndListsWithoutOneAreDefault) {
  const FakeApt apt;
  apt.status(status_stanza("dpkg", "amd64", "1.0") + status_stanza("a", "amd64", "1.0") +
             status_stanza("b", "amd64", "1.0"));
  // The same repository with both files: apt reads the InRelease one (not NotAutomatic).
  apt.list("x_dists_sid_Release", "Suite: unstable\nNotAutomatic: yes\n", kOlder);
  apt.list("x_dists_sid_InRelease", in_release("Suite: unstable\n"), kMain);
  apt.list("x_dists_sid_main_binary-amd64_Packages", packages_stanza("a", "amd64", "2.0"));
  // No Release file at all: priority 500, not security.
  apt.list("y_._Packages", packages_stanza("b", "amd64", "2.0"));
  const auto result = scan_apt_updates(apt.root());
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(result.value().upgradable, (Names{"a:amd64", "b:amd64"}));
  EXPECT_EQ(result.value().lists_updated, kMain);
}

TEST(AptLists, WithoutAnyReleaseFileTheTimeIsUnknown) {
  const FakeApt apt;
  apt.status(status_stanza("dpkg", "amd64", "1.0"));
  apt.list("y_._Packages", packages_stanza("dpkg", "amd64", "1.0"));
  const auto result = scan_apt_updates(apt.root());
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(result.value().upgradable, Names{});
  EXPECT_EQ(result.value().lists_updated, std::nullopt);
}

TEST(AptLists, AnUnreadableListIsSkippedWholly) {
  const FakeApt apt;
  apt.status(status_stanza("dpkg", "amd64", "1.0") + status_stanza("a", "amd64", "1.0"));
  apt.list("r_dists_stable_InRelease", in_release("Suite: stable\n"), kMain);
  apt.list("r_dists_stable_main_binary-amd64_Packages", packages_stanza("dpkg", "amd64", "1.1"));
  // Unreadable after its first stanza (a line longer than any the reader takes; a mode that
  // forbids reading would not stop root): what it offered before does not count.
  apt.list("r_dists_stable_contrib_binary-amd64_Packages",
           packages_stanza("a", "amd64", "2.0") + "Description: " +
               std::string(core::LineReader::kMaxLine, 'x') + "\n");
  const auto result = scan_apt_updates(apt.root());
  ASSERT_TRUE(result) << result.error();
  EXPECT_EQ(result.value().upgradable, Names{"dpkg:amd64"});
  ASSERT_EQ(result.value().skipped.size(), 1U);
  EXPECT_EQ(result.value().skipped[0].first, "r_dists_stable_contrib_binary-amd64_Packages");
  EXPECT_EQ(result.value().skipped[0].second,
            (apt.lists() / "r_dists_stable_contrib_binary-amd64_Packages").string() +
                ": Value too large for defined data type");
  EXPECT_EQ(result.value().lists, Names{"r_dists_stable_main_binary-amd64_Packages"});
}

TEST(AptLists, FailsWithoutStatusListsOrAListToRead) {
  const FakeApt apt;
  auto result = scan_apt_updates(apt.root());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(),
            (apt.root() / "var/lib/dpkg/status").string() + ": No such file or directory");

  apt.status(status_stanza("dpkg", "amd64", "1.0"));
  result = scan_apt_updates(apt.root());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), apt.lists().string() + ": No such file or directory");

  fs::create_directories(apt.lists());
  result = scan_apt_updates(apt.root());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), "no Packages list to read in " + apt.lists().string());

  apt.list("r_dists_stable_InRelease", in_release("Suite: stable\n"));
  apt.list("r_dists_stable_main_binary-amd64_Packages.gz", "");
  apt.list("r_dists_stable_main_binary-amd64_Packages.lz4", "");
  result = scan_apt_updates(apt.root());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), "no Packages list to read in " + apt.lists().string() +
                                " (2 compressed, which are not read)");
}

// ---- this machine ------------------------------------------------------------------------------

// What `apt list --upgradable` names, as "name:arch": every package, and those whose candidate
// comes from a suite ending in "-security".
struct AptList {
  std::set<std::string> upgradable;
  std::set<std::string> security;
};

std::optional<AptList> apt_list_upgradable(const fs::path& apt,
                                          const std::vector<std::string>& apt_options = {}) {
  const test::TempDir dir("pimqttd-apt-list");
  test::ProcessOptions options;
  options.stdout_path = dir / "out";
  options.stderr_path = dir / "errors";  // "apt does not have a stable CLI interface"
  std::vector<std::string> argv{apt.string()};
  argv.insert(argv.end(), apt_options.begin(), apt_options.end());
  argv.insert(argv.end(), {"list", "--upgradable"});
  const auto status = test::run_process(argv, 120s, options);
  if (!status || !status->success()) return std::nullopt;
  // "dpkg/oldstable,oldstable-security 1.21.23 amd64 [upgradable from: 1.21.22]"
  AptList out;
  core::LineReader lines(dir / "out");
  while (const auto line = lines.next()) {
    const std::size_t slash = line->find('/');
    const std::size_t suites_end = line->find(' ');
    const std::size_t arch_end = line->find(" [");
    if (slash == std::string_view::npos || arch_end == std::string_view::npos) continue;
    const std::size_t arch_begin = line->rfind(' ', arch_end - 1);
    const std::string name = std::string(line->substr(0, slash)) + ":" +
                             std::string(line->substr(arch_begin + 1, arch_end - arch_begin - 1));
    out.upgradable.insert(name);
    const std::string suites =
        "," + std::string(line->substr(slash + 1, suites_end - slash - 1)) + ",";
    if (suites.find("-security,") != std::string::npos) out.security.insert(name);
  }
  return out;
}

// The packages of a dpkg status file that apt lists when they have a newer version but that are
// not counted: not "install ok installed" (held, half-configured...).
std::set<std::string> not_counted(const fs::path& status) {
  std::set<std::string> out;
  core::LineReader lines(status);
  std::string package;
  while (const auto line = lines.next()) {
    if (line->starts_with("Package: ")) package = line->substr(9);
    if (line->starts_with("Status: ") && *line != "Status: install ok installed") {
      out.insert(package);
    }
  }
  return out;
}

// The names ("name:arch") in `set` whose package is not in `left_out`, in order.
std::vector<std::string> without(const std::set<std::string>& set,
                                 const std::set<std::string>& left_out) {
  std::vector<std::string> out;
  for (const std::string& name : set) {
    if (!left_out.contains(name.substr(0, name.find(':')))) out.push_back(name);
  }
  return out;
}

// What is in `a` but not in `b` ("(none)" when nothing), both sorted.
std::string missing_from(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> only;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only));
  std::string out;
  for (const std::string& name : only) out += (out.empty() ? "" : " ") + name;
  return out.empty() ? "(none)" : out;
}

// A root for the scan with this machine's status file and lists. Compressed lists (apt with
// Acquire::GzipIndexes, as in containers) are written out uncompressed by apt's own helper, so
// that the comparison can be made here too; the scan itself never reads them.
std::optional<fs::path> machine_root(const test::TempDir& dir, std::string& why_not) {
  const fs::path lists = "/var/lib/apt/lists";
  std::vector<fs::path> compressed;
  bool plain = false;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(lists, error)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with("_Packages")) plain = true;
    if (name.find("_Packages.") != std::string::npos) compressed.push_back(entry.path());
  }
  if (!plain && compressed.empty()) {
    why_not = "no Packages lists in /var/lib/apt/lists (apt-get update has not run here)";
    return std::nullopt;
  }
  if (compressed.empty()) return fs::path("/");
  const auto helper = test::find_program("/usr/lib/apt/apt-helper");
  if (!helper) {
    why_not = "this machine's apt lists are compressed and apt-helper is missing";
    return std::nullopt;
  }
  const fs::path root = dir.path();
  fs::create_directories(root / "var/lib/dpkg");
  fs::create_symlink("/var/lib/dpkg/status", root / "var/lib/dpkg/status");
  fs::create_directories(root / "var/lib/apt/lists");
  for (const auto& entry : fs::directory_iterator(lists)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with("Release") || name.ends_with("_Packages")) {
      fs::copy_file(entry.path(), root / "var/lib/apt/lists" / name);
    }
  }
  for (const fs::path& file : compressed) {
    const std::string name = file.filename().string();
    test::ProcessOptions options;
    options.stdout_path =
        root / "var/lib/apt/lists" / name.substr(0, name.find("_Packages.") + 9);
    const auto status =
        test::run_process({helper->string(), "cat-file", file.string()}, 120s, options);
    if (!status || !status->success()) {
      why_not = "apt-helper cat-file " + file.string() + " failed";
      return std::nullopt;
    }
  }
  return root;
}

TEST(AptLists, ThisMachineAgreesWithAptListUpgradable) {
  const auto apt = test::find_program("apt");
  if (!apt || !fs::exists("/var/lib/dpkg/status")) {
    GTEST_SKIP() << "apt or dpkg is not installed here: no comparison with apt list --upgradable";
  }
  const test::TempDir dir("pimqttd-apt-machine");
  std::string why_not;
  const auto root = machine_root(dir, why_not);
  if (!root) GTEST_SKIP() << why_not;

  const auto ours = scan_apt_updates(*root);
  ASSERT_TRUE(ours) << ours.error();
  const auto theirs = apt_list_upgradable(*apt);
  ASSERT_TRUE(theirs) << "apt list --upgradable failed";
  // apt also lists held packages (not upgraded) and ones dpkg has not fully installed.
  const std::set<std::string> left_out = not_counted("/var/lib/dpkg/status");
  const std::vector<std::string> expected = without(theirs->upgradable, left_out);
  const std::vector<std::string> expected_security = without(theirs->security, left_out);
  const AptUpdates& found = ours.value();
  std::cout << "apt list --upgradable: " << theirs->upgradable.size() << " ("
            << theirs->security.size() << " from a security suite; " << left_out.size()
            << " packages held or not fully installed here); the scan: " << found.upgradable.size() << " ("
            << found.security.size() << " security) from " << found.lists.size() << " lists\n";
  // What the scan does not honour, named beside a difference it may explain.
  std::string pins;
  std::error_code error;
  if (fs::exists("/etc/apt/preferences", error)) pins = " /etc/apt/preferences";
  for (const auto& entry : fs::directory_iterator("/etc/apt/preferences.d", error)) {
    pins += " " + entry.path().string();
  }
  const std::string hint =
      pins.empty() ? "" : "\n(pin files here, which the scan does not honour:" + pins + ")";
  EXPECT_EQ(found.upgradable.size(), expected.size());
  EXPECT_EQ(found.upgradable, expected)
      << "only in the scan: " << missing_from(found.upgradable, expected)
      << "\nonly in apt's list: " << missing_from(expected, found.upgradable) << hint;
  EXPECT_EQ(found.security, expected_security)
      << "only in the scan: " << missing_from(found.security, expected_security)
      << "\nonly in apt's list: " << missing_from(expected_security, found.security) << hint;
}

// apt itself on the fake machine of CountsWhatAptWouldUpgrade: the same packages, but for those
// not counted on purpose.
TEST(AptLists, AgreesWithAptOnTheFakeMachine) {
  const auto apt_program = test::find_program("apt");
  if (!apt_program) GTEST_SKIP() << "apt is not installed: no comparison with apt itself";
  const FakeApt apt;
  write_machine(apt);
  const test::TempDir dir("pimqttd-apt-config");
  // The sources apt names those lists after; no pins, the fake tree's architectures.
  FakeApt::write(dir / "sources.list",
                 "deb http://deb.example.org/debian bookworm main\n"
                 "deb http://security.example.org/debian-security bookworm-security main\n"
                 "deb http://deb.example.org/debian experimental main\n"
                 "deb http://deb.example.org/debian bookworm-backports main\n");
  fs::create_directories(dir / "empty");
  fs::create_directories(dir / "cache");
  const std::vector<std::string> options{
      "-o", "Dir::State=" + (apt.root() / "var/lib/apt").string(),
      "-o", "Dir::State::status=" + (apt.root() / "var/lib/dpkg/status").string(),
      "-o", "Dir::Etc::sourcelist=" + (dir / "sources.list").string(),
      "-o", "Dir::Etc::sourceparts=" + (dir / "empty").string(),
      "-o", "Dir::Etc::preferences=/dev/null",
      "-o", "Dir::Etc::preferencesparts=" + (dir / "empty").string(),
      "-o", "Dir::Cache=" + (dir / "cache").string(),
      "-o", "APT::Architecture=amd64",
      "-o", "APT::Architectures::=amd64",
      "-o", "APT::Architectures::=i386"};
  const auto theirs = apt_list_upgradable(*apt_program, options);
  ASSERT_TRUE(theirs) << "apt list --upgradable failed";
  // apt also lists the held openssl and the half-configured halfdone.
  EXPECT_EQ(theirs->upgradable,
            (std::set<std::string>{"cockpit:amd64", "dpkg:amd64", "halfdone:amd64",
                                   "libc6:amd64", "openssl:amd64", "python3-foo:all",
                                   "tzdata:all"}));
  const auto ours = scan_apt_updates(apt.root());
  ASSERT_TRUE(ours) << ours.error();
  const std::set<std::string> left_out = not_counted(apt.root() / "var/lib/dpkg/status");
  EXPECT_EQ(ours.value().upgradable, without(theirs->upgradable, left_out));
  EXPECT_EQ(ours.value().security, without(theirs->security, left_out));
}

}  // namespace
}  // namespace pimqttd::sensors
