#include "pimqttd/core/file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace pimqttd::core {
namespace {

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ReadFile, ReadsEveryByte) {
  const test::TempDir dir;
  std::string text(10'000, '\0');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>(i % 251);
  write(dir.path() / "f", text);
  ::chmod((dir.path() / "f").c_str(), 0640);
  const FileContents file = read_file(dir.path() / "f");
  ASSERT_TRUE(file);
  EXPECT_EQ(file.text, text);
  EXPECT_FALSE(file.error);
  EXPECT_FALSE(file.too_big);
  EXPECT_TRUE(S_ISREG(file.mode));
  EXPECT_EQ(file.mode & 07777, 0640U);
}

TEST(ReadFile, EmptyFile) {
  const test::TempDir dir;
  write(dir.path() / "empty", "");
  const FileContents file = read_file(dir.path() / "empty");
  ASSERT_TRUE(file);
  EXPECT_EQ(file.text, "");
}

TEST(ReadFile, MissingFileFailsAtOpen) {
  const test::TempDir dir;
  const FileContents file = read_file(dir.path() / "missing");
  EXPECT_FALSE(file);
  EXPECT_EQ(file.error, std::error_code(ENOENT, std::system_category()));
  EXPECT_TRUE(file.open_failed);
  EXPECT_EQ(file.mode, 0U);
}

TEST(ReadFile, DirectoryFailsAtRead) {
  const test::TempDir dir;
  const FileContents file = read_file(dir.path());
  EXPECT_FALSE(file);
  EXPECT_EQ(file.error, std::error_code(EISDIR, std::system_category()));
  EXPECT_FALSE(file.open_failed);
}

TEST(ReadFile, LimitIsTheLargestSizeAccepted) {
  const test::TempDir dir;
  write(dir.path() / "f", "12345");
  EXPECT_TRUE(read_file(dir.path() / "f", 5));
  const FileContents file = read_file(dir.path() / "f", 4);
  EXPECT_FALSE(file);
  EXPECT_TRUE(file.too_big);
  EXPECT_FALSE(file.error);
  EXPECT_EQ(file.text, "12345");
}

}  // namespace
}  // namespace pimqttd::core
