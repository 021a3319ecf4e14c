#include "sensors/apt_updates/apt_lists.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <system_error>
#include <unordered_map>

#include <fmt/format.h>

#include "pimqttd/core/file.hpp"
#include "sensors/apt_updates/debian_version.hpp"

namespace pimqttd::sensors {
namespace {

namespace fs = std::filesystem;

// apt's default priorities (apt_preferences(5)).
constexpr int kPriorityDefault = 500;
constexpr int kPriorityInstalled = 100;
constexpr int kPriorityAutomaticUpgrades = 100;
constexpr int kPriorityNotAutomatic = 1;

constexpr std::string_view kPackagesSuffix = "_Packages";
constexpr std::string_view kInRelease = "InRelease";
constexpr std::string_view kRelease = "Release";

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

struct Field {
  std::string_view key;
  std::string_view value;
};

// "Key: value" -> the key and the trimmed value; nullopt for a continuation line (it starts with
// a blank) or a line without ':'.
std::optional<Field> split_field(std::string_view line) {
  if (line.empty() || line.front() == ' ' || line.front() == '\t') return std::nullopt;
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return Field{line.substr(0, colon), trim(line.substr(colon + 1))};
}

std::string read_failure(const fs::path& file, const std::error_code& error) {
  return file.string() + ": " + error.message();
}

// Reads the deb822 stanzas of a file (fields "Key: value", a blank line between stanzas),
// keeping the values of N fields; each stanza's values go to `stanza` ("" for a field it
// lacks). Returns the failure message, or "" when the whole file was read.
template <std::size_t N>
std::string for_each_stanza(const fs::path& file, const std::array<std::string_view, N>& keys,
                            const std::function<void(const std::array<std::string, N>&)>& stanza) {
  core::LineReader lines(file);
  std::array<std::string, N> values;
  bool open = false;  // a stanza has begun
  const auto finish = [&] {
    if (open) stanza(values);
    for (std::string& value : values) value.clear();
    open = false;
  };
  while (const auto line = lines.next()) {
    if (trim(*line).empty()) {
      finish();
      continue;
    }
    open = true;
    const auto field = split_field(*line);
    if (!field) continue;
    for (std::size_t i = 0; i < N; ++i) {
      if (equals_ignoring_case(field->key, keys[i])) {
        values[i].assign(field->value);
        break;
      }
    }
  }
  if (lines.error()) return read_failure(file, lines.error());
  finish();
  return {};
}

// What a Release file says about its repository's versions.
struct Repository {
  int priority = kPriorityDefault;
  bool security = false;
};

bool is_yes(std::string_view value) { return equals_ignoring_case(value, "yes"); }

// The fields of a Release or InRelease file (the signed message's one stanza; the armor around
// it skipped).
hw::ReadResult<Repository> read_release(const fs::path& file) {
  core::LineReader lines(file);
  std::string label;
  std::string suite;
  bool not_automatic = false;
  bool automatic_upgrades = false;
  bool first = true;
  bool armor_headers = false;  // "Hash: SHA512" up to the blank line before the message
  while (const auto line = lines.next()) {
    if (first && line->starts_with("-----BEGIN PGP SIGNED MESSAGE-----")) {
      first = false;
      armor_headers = true;
      continue;
    }
    first = false;
    if (armor_headers) {
      armor_headers = !trim(*line).empty();
      continue;
    }
    if (line->starts_with("-----BEGIN PGP SIGNATURE-----") || trim(*line).empty()) break;
    const auto field = split_field(*line);
    if (!field) continue;
    if (equals_ignoring_case(field->key, "Label")) {
      label = field->value;
    } else if (equals_ignoring_case(field->key, "Suite")) {
      suite = field->value;
    } else if (equals_ignoring_case(field->key, "NotAutomatic")) {
      not_automatic = is_yes(field->value);
    } else if (equals_ignoring_case(field->key, "ButAutomaticUpgrades")) {
      automatic_upgrades = is_yes(field->value);
    }
  }
  if (lines.error()) return hw::ReadResult<Repository>::failure(read_failure(file, lines.error()));
  Repository repository;
  if (not_automatic) {
    repository.priority = automatic_upgrades ? kPriorityAutomaticUpgrades : kPriorityNotAutomatic;
  }
  repository.security = label == "Debian-Security" || suite.ends_with("-security");
  return repository;
}

// A version newer than the installed one, and where it is offered.
struct Offer {
  std::string version;
  int priority = 0;
  bool security = false;
};

struct Installed {
  std::string architecture;  // as dpkg has it ("all", "arm64")
  std::string matches;       // what a stanza's architecture must be ("all" made native)
  std::string version;
  int priority = kPriorityInstalled;
  std::vector<Offer> newer;
};

// The installed packages by name (several architectures of one name: Multi-Arch), and the
// native architecture ("" when the status file has no `dpkg`).
struct InstalledPackages {
  std::unordered_map<std::string, std::vector<Installed>> by_name;
  std::string native_architecture;

  // "all" stands for the native architecture.
  [[nodiscard]] std::string_view matching(std::string_view architecture) const {
    return architecture == "all" && !native_architecture.empty() ? native_architecture
                                                                 : architecture;
  }
};

bool fully_installed(std::string_view status) {
  // "install ok installed", words separated by any run of blanks.
  constexpr std::array<std::string_view, 3> kWords{"install", "ok", "installed"};
  for (const std::string_view word : kWords) {
    status = trim(status);
    if (!status.starts_with(word)) return false;
    status.remove_prefix(word.size());
    if (!status.empty() && status.front() != ' ' && status.front() != '\t') return false;
  }
  return trim(status).empty();
}

// Reads the status file into `installed`; returns the failure message, or "".
std::string read_status(const fs::path& file, InstalledPackages& installed) {
  const std::string failure = for_each_stanza<4>(
      file, {"Package", "Status", "Architecture", "Version"},
      [&](const std::array<std::string, 4>& stanza) {
        const auto& [name, status, architecture, version] = stanza;
        if (name.empty() || architecture.empty() || version.empty()) return;
        if (!fully_installed(status)) return;
        if (name == "dpkg") installed.native_architecture = architecture;
        installed.by_name[name].push_back(Installed{architecture, architecture, version, {}, {}});
      });
  if (!failure.empty()) return failure;
  for (auto& [name, architectures] : installed.by_name) {
    for (Installed& package : architectures) {
      package.matches = installed.matching(package.architecture);
    }
  }
  return {};
}

// An offer of `version` at `priority` for `package`: remembered when newer than the installed
// version (merged with the same version from another list), raising the installed version's
// priority when it is the installed one.
void offer(Installed& package, const std::string& version, const Repository& repository) {
  const int order = compare_debian_versions(version, package.version);
  if (order == 0) package.priority = std::max(package.priority, repository.priority);
  if (order <= 0) return;
  for (Offer& known : package.newer) {
    if (compare_debian_versions(known.version, version) == 0) {
      known.priority = std::max(known.priority, repository.priority);
      known.security = known.security || repository.security;
      return;
    }
  }
  package.newer.push_back(Offer{version, repository.priority, repository.security});
}

// The candidate among the newer versions (see the header), or nullptr when apt keeps the
// installed one.
const Offer* candidate(const Installed& package) {
  const Offer* best = nullptr;
  for (const Offer& newer : package.newer) {
    if (best == nullptr || newer.priority > best->priority ||
        (newer.priority == best->priority &&
         compare_debian_versions(newer.version, best->version) > 0)) {
      best = &newer;
    }
  }
  return best != nullptr && best->priority >= package.priority ? best : nullptr;
}

// The list files apt keeps, sorted by name.
struct ListFiles {
  std::vector<std::string> packages;
  std::vector<std::string> compressed;
  // Release files by the prefix they share with their lists ("..._dists_bookworm_"), with
  // their modification time; an InRelease file in place of a Release file of the same prefix.
  std::map<std::string, std::pair<std::string, std::int64_t>> releases;
};

bool is_compressed_list(std::string_view name) {
  constexpr std::array<std::string_view, 6> kCompressions{".gz", ".lz4", ".xz", ".zst", ".bz2",
                                                          ".lzma"};
  return std::any_of(kCompressions.begin(), kCompressions.end(), [&](std::string_view suffix) {
    return name.size() > suffix.size() &&
           name.substr(0, name.size() - suffix.size()).ends_with(kPackagesSuffix) &&
           name.ends_with(suffix);
  });
}

hw::ReadResult<ListFiles> list_files(const fs::path& directory) {
  std::error_code error;
  fs::directory_iterator entries(directory, error);
  if (error) return hw::ReadResult<ListFiles>::failure(read_failure(directory, error));
  ListFiles files;
  for (; entries != fs::directory_iterator(); entries.increment(error)) {
    const std::string name = entries->path().filename().string();
    struct stat info {};
    if (::stat(entries->path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
    const std::int64_t modified = info.st_mtim.tv_sec;
    if (name.ends_with(kPackagesSuffix)) {
      files.packages.push_back(name);
    } else if (is_compressed_list(name)) {
      files.compressed.push_back(name);
    } else if (name.ends_with(kInRelease) && name.size() > kInRelease.size() &&
               name[name.size() - kInRelease.size() - 1] == '_') {
      files.releases.insert_or_assign(name.substr(0, name.size() - kInRelease.size()),
                                      std::pair(name, modified));
    } else if (name.ends_with(kRelease) && name.size() > kRelease.size() &&
               name[name.size() - kRelease.size() - 1] == '_') {
      // An InRelease file of the same repository is the one apt reads.
      files.releases.try_emplace(name.substr(0, name.size() - kRelease.size()), name, modified);
    }
  }
  if (error) return hw::ReadResult<ListFiles>::failure(read_failure(directory, error));
  std::sort(files.packages.begin(), files.packages.end());
  std::sort(files.compressed.begin(), files.compressed.end());
  return files;
}

// The prefix of the Release file `list` belongs to: the longest that starts its name; "" when
// there is none.
std::string release_prefix(const ListFiles& files, std::string_view list) {
  std::string best;
  for (const auto& [prefix, release] : files.releases) {
    if (list.starts_with(prefix) && prefix.size() > best.size()) best = prefix;
  }
  return best;
}

}  // namespace

hw::ReadResult<AptUpdates> scan_apt_updates(const fs::path& root) {
  using Result = hw::ReadResult<AptUpdates>;
  InstalledPackages packages;
  if (std::string failure = read_status(root / "var/lib/dpkg/status", packages);
      !failure.empty()) {
    return Result::failure(std::move(failure));
  }
  const fs::path directory = root / "var/lib/apt/lists";
  const auto listed = list_files(directory);
  if (!listed) return Result::failure(listed.error());
  const ListFiles& files = listed.value();

  AptUpdates out;
  out.compressed = files.compressed;
  std::map<std::string, Repository> repositories;
  for (const auto& [prefix, release] : files.releases) {
    const auto& [name, modified] = release;
    out.lists_updated = std::max(out.lists_updated.value_or(modified), modified);
    auto repository = read_release(directory / name);
    if (repository) {
      repositories.emplace(prefix, repository.value());
    } else {
      out.skipped.emplace_back(name, repository.error());
    }
  }

  for (const std::string& list : files.packages) {
    const auto found = repositories.find(release_prefix(files, list));
    const Repository repository = found != repositories.end() ? found->second : Repository{};
    // Merged once the whole list has been read: an unreadable list adds nothing.
    std::vector<std::pair<Installed*, std::string>> offers;
    const std::string failure = for_each_stanza<3>(
        directory / list, {"Package", "Architecture", "Version"},
        [&](const std::array<std::string, 3>& stanza) {
          const auto& [name, architecture, version] = stanza;
          const auto it = packages.by_name.find(name);
          if (it == packages.by_name.end() || version.empty()) return;
          for (Installed& package : it->second) {
            if (package.matches == packages.matching(architecture)) {
              offers.emplace_back(&package, version);
            }
          }
        });
    if (!failure.empty()) {
      out.skipped.emplace_back(list, failure);
      continue;
    }
    for (auto& [package, version] : offers) offer(*package, version, repository);
    out.lists.push_back(list);
  }
  std::sort(out.skipped.begin(), out.skipped.end());
  if (out.lists.empty()) {
    std::string why = "no Packages list to read in " + directory.string();
    if (!files.compressed.empty()) {
      why += fmt::format(" ({} compressed, which are not read)", files.compressed.size());
    } else if (!out.skipped.empty()) {
      why += fmt::format(" ({} unreadable)", out.skipped.size());
    }
    return Result::failure(why);
  }

  for (const auto& [name, architectures] : packages.by_name) {
    for (const Installed& package : architectures) {
      const Offer* chosen = candidate(package);
      if (chosen == nullptr) continue;
      std::string id = name + ":" + package.architecture;
      if (chosen->security) out.security.push_back(id);
      out.upgradable.push_back(std::move(id));
    }
  }
  std::sort(out.upgradable.begin(), out.upgradable.end());
  std::sort(out.security.begin(), out.security.end());
  return out;
}

}  // namespace pimqttd::sensors
