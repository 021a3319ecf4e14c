#include "sensors/apt_updates/debian_version.hpp"

#include <algorithm>
#include <cstddef>

namespace pimqttd::sensors {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

// The character at `index`, or '\0' past the end (the end of a run sorts like a digit).
char at(std::string_view text, std::size_t index) {
  return index < text.size() ? text[index] : '\0';
}

// Where a character of a non-digit run sorts: '~' first, then the end, letters, the rest.
int weight(char c) {
  if (c == '\0' || is_digit(c)) return 0;
  if (c == '~') return -1;
  const int code = static_cast<unsigned char>(c);
  return is_letter(c) ? code : code + 256;
}

// One upstream part or revision against another: alternating non-digit and digit runs.
int compare_part(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      const int wa = weight(at(a, i));
      const int wb = weight(at(b, j));
      if (wa != wb) return wa - wb;
      ++i;
      ++j;
    }
    while (at(a, i) == '0') ++i;
    while (at(b, j) == '0') ++j;
    // Two numbers without their leading zeros: the longer is larger, else the first digit
    // that differs decides.
    int first_difference = 0;
    while (is_digit(at(a, i)) && is_digit(at(b, j))) {
      if (first_difference == 0) first_difference = a[i] - b[j];
      ++i;
      ++j;
    }
    if (is_digit(at(a, i))) return 1;
    if (is_digit(at(b, j))) return -1;
    if (first_difference != 0) return first_difference;
  }
  return 0;
}

// An epoch's digits without leading zeros; "" for 0 and for an epoch that is not a number.
std::string_view epoch_digits(std::string_view epoch) {
  if (!std::all_of(epoch.begin(), epoch.end(), is_digit)) return {};
  const std::size_t first = epoch.find_first_not_of('0');
  return first == std::string_view::npos ? std::string_view{} : epoch.substr(first);
}

int compare_epochs(std::string_view a, std::string_view b) {
  a = epoch_digits(a);
  b = epoch_digits(b);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b);
}

struct Parts {
  std::string_view epoch;
  std::string_view upstream;
  std::string_view revision;
};

Parts split(std::string_view version) {
  while (!version.empty() && is_blank(version.front())) version.remove_prefix(1);
  while (!version.empty() && is_blank(version.back())) version.remove_suffix(1);
  Parts parts;
  if (const std::size_t colon = version.find(':'); colon != std::string_view::npos) {
    parts.epoch = version.substr(0, colon);
    version.remove_prefix(colon + 1);
  }
  if (const std::size_t hyphen = version.rfind('-'); hyphen != std::string_view::npos) {
    parts.revision = version.substr(hyphen + 1);
    version = version.substr(0, hyphen);
  }
  parts.upstream = version;
  return parts;
}

int sign(int value) { return (value > 0) - (value < 0); }

}  // namespace

int compare_debian_versions(std::string_view a, std::string_view b) noexcept {
  const Parts pa = split(a);
  const Parts pb = split(b);
  if (const int epochs = compare_epochs(pa.epoch, pb.epoch); epochs != 0) return sign(epochs);
  if (const int upstream = compare_part(pa.upstream, pb.upstream); upstream != 0) {
    return sign(upstream);
  }
  return sign(compare_part(pa.revision, pb.revision));
}

}  // namespace pimqttd::sensors
