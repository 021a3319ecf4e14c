#pragma once
// Debian's version ordering (deb-version(7)), as dpkg --compare-versions applies it: the order
// in which apt decides that one version of a package is newer than another.
//
// A version is [epoch:]upstream[-revision]:
// - epoch: the digits before the first ':' (0 when there is none), compared as a number;
// - revision: what follows the last '-' ("" when there is none);
// - upstream: the rest.
// Upstream parts and then revisions are compared from the left in alternating runs: a run of
// non-digits, character by character, where '~' sorts before everything (even the end of the
// run: "1.0~rc1" < "1.0"), then the end of the run, then letters (by ASCII), then every other
// character (by ASCII); then a run of digits, as a number (leading zeros ignored, of any
// length). So "1.0" == "1.00", "0:1.0" == "1.0" and even "1.0-0" == "1.0" (a revision "0" is
// no revision), "1.0~rc1" < "1.0" < "1.0+b1" < "1.0.1", "1.0-1~bpo12+1" < "1.0-1".
//
// The functions take any text and never fail: a version dpkg would reject (an epoch that is not
// a number, no digit first) is still ordered by the rules above, with a bad epoch taken as 0.

#include <string_view>

namespace pimqttd::sensors {

/// < 0 when `a` is older than `b`, 0 when they are the same version, > 0 when `a` is newer.
[[nodiscard]] int compare_debian_versions(std::string_view a, std::string_view b) noexcept;

}  // namespace pimqttd::sensors
