#include "pimqttd/core/buffer.hpp"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace pimqttd::core {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes readable(const Buffer& buffer) {
  const auto span = buffer.readable();
  return {span.begin(), span.end()};
}

TEST(Buffer, StartsEmpty) {
  const Buffer buffer;
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.size(), 0U);
  EXPECT_EQ(buffer.reader_index(), 0U);
  EXPECT_TRUE(buffer.readable().empty());
}

TEST(Buffer, AppendKeepsOrder) {
  Buffer buffer;
  buffer.append(Bytes{1, 2, 3});
  buffer.append(Bytes{});
  buffer.append(Bytes{4, 5});
  EXPECT_EQ(readable(buffer), (Bytes{1, 2, 3, 4, 5}));
  EXPECT_EQ(buffer.size(), 5U);
  EXPECT_FALSE(buffer.empty());
}

TEST(Buffer, ConsumingASmallPrefixOnlyMovesTheReaderIndex) {
  Buffer buffer;
  buffer.append(Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  buffer.consume(5);  // exactly half consumed: not more than what remains, no compaction
  EXPECT_EQ(buffer.reader_index(), 5U);
  EXPECT_EQ(readable(buffer), (Bytes{6, 7, 8, 9, 10}));
  buffer.consume(0);
  EXPECT_EQ(buffer.reader_index(), 5U);
}

TEST(Buffer, ConsumingMoreThanHalfCompacts) {
  Buffer buffer;
  buffer.append(Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  buffer.consume(6);
  EXPECT_EQ(buffer.reader_index(), 0U);
  EXPECT_EQ(readable(buffer), (Bytes{7, 8, 9, 10}));
  buffer.append(Bytes{11});
  EXPECT_EQ(readable(buffer), (Bytes{7, 8, 9, 10, 11}));
}

TEST(Buffer, CompactionCountsWhatWasConsumedBefore) {
  Buffer buffer;
  buffer.append(Bytes{1, 2, 3, 4, 5, 6, 7, 8});
  buffer.consume(3);
  EXPECT_EQ(buffer.reader_index(), 3U);
  buffer.consume(2);  // 5 of 8 consumed
  EXPECT_EQ(buffer.reader_index(), 0U);
  EXPECT_EQ(readable(buffer), (Bytes{6, 7, 8}));
}

TEST(Buffer, ConsumingEverythingStartsAgainAtZero) {
  Buffer buffer;
  buffer.append(Bytes{1, 2, 3});
  buffer.consume(1);
  buffer.consume(2);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.reader_index(), 0U);
  buffer.append(Bytes{9});
  EXPECT_EQ(readable(buffer), (Bytes{9}));
}

TEST(Buffer, ConsumeIsClampedToWhatIsReadable) {
  Buffer buffer;
  buffer.append(Bytes{1, 2});
  buffer.consume(10);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.reader_index(), 0U);
}

TEST(Buffer, ClearDropsEverything) {
  Buffer buffer;
  buffer.append(Bytes{1, 2, 3, 4});
  buffer.consume(1);
  buffer.clear();
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.reader_index(), 0U);
}

TEST(Buffer, MoveTransfersTheBytes) {
  Buffer buffer;
  buffer.append(Bytes{1, 2, 3});
  buffer.consume(1);
  Buffer moved = std::move(buffer);
  EXPECT_EQ(readable(moved), (Bytes{2, 3}));
  EXPECT_TRUE(buffer.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(buffer.reader_index(), 0U);
}

}  // namespace
}  // namespace pimqttd::core
