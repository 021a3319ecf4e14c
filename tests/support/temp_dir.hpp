#pragma once
// TempDir: a directory made with mkdtemp under $TMPDIR (or /tmp), removed with its contents when
// the object is destroyed. No fixed paths in tests.

#include <filesystem>
#include <string>

namespace pimqttd::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "pimqttd-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// path() / name
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace pimqttd::test
