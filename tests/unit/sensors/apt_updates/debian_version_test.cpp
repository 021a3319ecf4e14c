#include "sensors/apt_updates/debian_version.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "pimqttd/core/file.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace pimqttd::sensors {
namespace {

using namespace std::chrono_literals;

struct Case {
  const char* a;
  const char* b;
  int expected;  // the sign of compare(a, b)
};

// Each pair is also checked reversed (the opposite sign) and each side against itself (0).
constexpr Case kCases[] = {
    {"1.0", "1.0", 0},
    {"1.0", "1.00", 0},
    {"1.0", "01.0", 0},
    {"0:1.0", "1.0", 0},
    {"01:1.0", "1:1.0", 0},
    {"1.0-0", "1.0", 0},  // a revision "0" is no revision
    {"1.0-1", "1.0", 1},
    {"1.0.0", "1.0", 1},
    {"1.0", "1.0.1", -1},
    {"2.30-1", "2.3-1", 1},  // numbers, not decimals
    {"10", "9", 1},
    {"1.0~rc1", "1.0", -1},  // '~' before the end
    {"1.0~~", "1.0~", -1},
    {"1.0~~a", "1.0~~", 1},
    {"1.0~", "1.0~a", -1},
    {"1.0+b1", "1.0", 1},
    {"1.0a", "1.0+", -1},  // letters before other characters
    {"1.0a", "1.0", 1},
    {"1.0A", "1.0a", -1},  // letters by ASCII
    {"1.0.", "1.0a", 1},
    {"1.0-a", "1.0-1", 1},
    {"1:0.1", "2.0", 1},  // the epoch first
    {"2:1.0", "10:0.1", -1},
    {"99999999999999999999:1", "99999999999999999998:2", 1},  // epochs of any length
    {"1.2.3-4+deb12u1", "1.2.3-4", 1},
    {"1.2.3-4+deb12u1", "1.2.3-4+deb12u2", -1},
    {"1.2.3-4+deb12u10", "1.2.3-4+deb12u9", 1},
    {"1.0-1~bpo12+1", "1.0-1", -1},  // a backport sorts before the version it comes from
    {"5.10.0-23", "5.10.0-23+rpt1", -1},
    {"1.0-1-2", "1.0-1", 1},  // the revision is after the last '-': "1.0-1" is upstream
    {"2.36-9+rpt2+deb12u4", "2.36-9+deb12u4", 1},
    {"0.0", "0", 1},
    {"", "", 0},
    {"1.0", "", 1},
    {" 1.0 ", "1.0", 0},  // blanks around are ignored, as dpkg does
    {"x:1.0", "1.0", 0},  // an epoch that is not a number counts as 0
};

TEST(DebianVersion, Table) {
  for (const Case& c : kCases) {
    EXPECT_EQ(compare_debian_versions(c.a, c.b), c.expected) << c.a << " vs " << c.b;
    EXPECT_EQ(compare_debian_versions(c.b, c.a), -c.expected) << c.b << " vs " << c.a;
    EXPECT_EQ(compare_debian_versions(c.a, c.a), 0) << c.a;
  }
}

TEST(DebianVersion, OrdersAListAsAptDoes) {
  const std::vector<std::string> ascending{
      "1.0~alpha", "1.0~beta1", "1.0~rc1", "1.0", "1.0-0.1", "1.0-1~bpo12+1", "1.0-1",
      "1.0-1+b1", "1.0-1+deb12u1", "1.0-2", "1.0a", "1.0+dfsg", "1.0.1", "1.1", "1:0.9"};
  for (std::size_t i = 0; i < ascending.size(); ++i) {
    for (std::size_t j = 0; j < ascending.size(); ++j) {
      const int expected = (i > j) - (i < j);
      EXPECT_EQ(compare_debian_versions(ascending[i], ascending[j]), expected)
          << ascending[i] << " vs " << ascending[j];
    }
  }
}

// Versions dpkg accepts: an optional epoch, an upstream part that starts with a digit, an
// optional revision; made of the characters that matter to the order ('~' and '+' around
// letters and digits, leading zeros, '.'), often sharing a prefix with the other side of the
// pair so that the runs after it decide.
class VersionMaker {
 public:
  std::string version() {
    std::string out;
    if (pick(4) == 0) out += std::to_string(pick(3)) + ":";
    out += static_cast<char>('0' + pick(10));
    out += part(pick(8));
    if (pick(2) == 0) {
      if (pick(4) == 0) out += "-" + part(1 + pick(3));  // a '-' inside upstream
      out += "-" + std::string(1, static_cast<char>('0' + pick(3))) + part(pick(5));
    }
    return out;
  }
  // `base` changed a little: characters added or removed at the end, or the last one replaced.
  std::string near(std::string base) {
    switch (pick(4)) {
      case 0:
        base += part(1 + pick(2));
        break;
      case 1:
        base.pop_back();
        break;
      case 2:
        base.back() = kCharacters[pick(sizeof kCharacters - 1)];
        break;
      default:
        return version();
    }
    return valid(base) ? base : version();
  }

 private:
  static constexpr char kCharacters[] = "0019.+~ab.~Z+0";
  std::string part(std::size_t length) {
    std::string out;
    for (std::size_t i = 0; i < length; ++i) out += kCharacters[pick(sizeof kCharacters - 1)];
    return out;
  }
  // What dpkg takes without a warning: the upstream part starts with a digit, a '-' is followed
  // by a revision.
  static bool valid(std::string_view version) {
    if (const auto colon = version.find(':'); colon != std::string_view::npos) {
      version.remove_prefix(colon + 1);
    }
    return !version.empty() && version.front() >= '0' && version.front() <= '9' &&
           version.back() != '-';
  }
  std::size_t pick(std::size_t below) {
    return std::uniform_int_distribution<std::size_t>(0, below - 1)(random_);
  }
  std::mt19937 random_{20240501};
};

// What dpkg --compare-versions says of each pair: -1, 0 or 1. One shell runs every comparison
// (a process per pair would be slow); its output has one line per pair.
std::vector<int> dpkg_says(const std::filesystem::path& dpkg,
                           const std::vector<std::pair<std::string, std::string>>& pairs) {
  const test::TempDir dir("pimqttd-dpkg");
  {
    std::ofstream script(dir / "compare.sh");
    for (const auto& [a, b] : pairs) {
      // The characters used need no quoting but the single quotes.
      script << "if " << dpkg << " --compare-versions '" << a << "' lt '" << b << "'; then "
             << "echo -1; elif " << dpkg << " --compare-versions '" << a << "' eq '" << b
             << "'; then echo 0; else echo 1; fi\n";
    }
  }
  test::ProcessOptions options;
  options.stdout_path = dir / "out";
  options.stderr_path = dir / "errors";
  const auto status = test::run_process({"sh", (dir / "compare.sh").string()}, 120s, options);
  EXPECT_TRUE(status && status->success());
  // dpkg took every version as valid (it warns about a bad one).
  EXPECT_EQ(core::read_file(dir / "errors").text, "");
  std::vector<int> out;
  core::LineReader lines(dir / "out");
  while (const auto line = lines.next()) out.push_back(std::stoi(std::string(*line)));
  return out;
}

TEST(DebianVersion, AgreesWithDpkg) {
  const auto dpkg = test::find_program("dpkg");
  if (!dpkg) {
    GTEST_SKIP() << "dpkg is not installed: no cross-check against dpkg --compare-versions";
  }
  VersionMaker maker;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 400; ++i) {
    std::string a = maker.version();
    std::string b = i % 10 == 0 ? a : maker.near(a);
    pairs.emplace_back(std::move(a), std::move(b));
  }
  const std::vector<int> expected = dpkg_says(*dpkg, pairs);
  ASSERT_EQ(expected.size(), pairs.size());
  int equal = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& [a, b] = pairs[i];
    EXPECT_EQ(compare_debian_versions(a, b), expected[i]) << a << " vs " << b;
    equal += expected[i] == 0 ? 1 : 0;
  }
  // The pairs cover every outcome.
  EXPECT_GT(equal, 0);
  EXPECT_LT(equal, 200);
}

}  // namespace
}  // namespace pimqttd::sensors
