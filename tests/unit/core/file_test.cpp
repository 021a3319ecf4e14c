#include "pimqttd/core/file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

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

// Every line `reader` gives, in order.
std::vector<std::string> all_lines(LineReader& reader) {
  std::vector<std::string> out;
  while (auto line = reader.next()) out.emplace_back(*line);
  return out;
}

TEST(LineReader, LinesWithoutTheirNewlines) {
  const test::TempDir dir;
  write(dir.path() / "f", "Package: a\n\nVersion: 1\r\nlast");
  LineReader reader(dir.path() / "f");
  EXPECT_EQ(all_lines(reader),
            (std::vector<std::string>{"Package: a", "", "Version: 1\r", "last"}));
  EXPECT_FALSE(reader.error());
  EXPECT_FALSE(reader.next());  // stays at the end
}

TEST(LineReader, EmptyFileAndFinalNewline) {
  const test::TempDir dir;
  write(dir.path() / "empty", "");
  LineReader empty(dir.path() / "empty");
  EXPECT_EQ(all_lines(empty), std::vector<std::string>{});
  write(dir.path() / "f", "a\n");
  LineReader one(dir.path() / "f");
  EXPECT_EQ(all_lines(one), std::vector<std::string>{"a"});
}

TEST(LineReader, LinesAcrossBufferRefillsAndLongerThanTheBuffer) {
  const test::TempDir dir;
  std::vector<std::string> lines;
  std::string text;
  for (std::size_t i = 0; i < 20'000; ++i) {
    // Lengths that straddle every position of the 64 KiB buffer; one line of 200 000 bytes.
    std::string line = i == 7'000 ? std::string(200'000, 'x') : std::string(i % 97, 'a');
    line += std::to_string(i);
    text += line + '\n';
    lines.push_back(std::move(line));
  }
  write(dir.path() / "f", text);
  LineReader reader(dir.path() / "f");
  EXPECT_EQ(all_lines(reader), lines);
  EXPECT_FALSE(reader.error());
}

TEST(LineReader, MissingFileFailsAtOpen) {
  const test::TempDir dir;
  LineReader reader(dir.path() / "missing");
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.error(), std::error_code(ENOENT, std::system_category()));
  EXPECT_TRUE(reader.open_failed());
}

TEST(LineReader, DirectoryFailsAtRead) {
  const test::TempDir dir;
  LineReader reader(dir.path());
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.error(), std::error_code(EISDIR, std::system_category()));
  EXPECT_FALSE(reader.open_failed());
}

}  // namespace
}  // namespace pimqttd::core
