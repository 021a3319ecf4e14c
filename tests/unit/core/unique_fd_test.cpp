#include "pimqttd/core/unique_fd.hpp"

#include <array>
#include <cerrno>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace pimqttd::core {
namespace {

static_assert(!std::is_copy_constructible_v<UniqueFd>);
static_assert(!std::is_copy_assignable_v<UniqueFd>);
static_assert(std::is_nothrow_move_constructible_v<UniqueFd>);
static_assert(std::is_nothrow_move_assignable_v<UniqueFd>);
static_assert(!std::is_constructible_v<UniqueFd, int&>, "taking ownership needs an rvalue");

// A non-blocking pipe: the write end's closing is observable as EOF on the read end.
struct Pipe {
  UniqueFd read_end;
  int write_end = -1;

  Pipe() {
    std::array<int, 2> fds{};
    EXPECT_EQ(::pipe2(fds.data(), O_NONBLOCK | O_CLOEXEC), 0);
    read_end = UniqueFd(std::move(fds[0]));
    write_end = fds[1];
  }

  // True once every owner of the write end has closed it.
  [[nodiscard]] bool writer_closed() const {
    char byte = 0;
    const ssize_t n = ::read(read_end.get(), &byte, 1);
    if (n == 0) {
      return true;
    }
    EXPECT_EQ(n, -1);
    EXPECT_EQ(errno, EAGAIN);
    return false;
  }
};

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(UniqueFd, DefaultIsEmpty) {
  const UniqueFd fd;
  EXPECT_EQ(fd.get(), -1);
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(static_cast<bool>(fd));
}

TEST(UniqueFd, ConstructorTakesTheFdAndClearsTheSource) {
  Pipe pipe;
  int raw = pipe.write_end;
  const UniqueFd fd(std::move(raw));
  EXPECT_EQ(raw, -1);
  EXPECT_EQ(fd.get(), pipe.write_end);
  EXPECT_TRUE(fd.valid());
  EXPECT_TRUE(static_cast<bool>(fd));
}

TEST(UniqueFd, ClosesOnDestruction) {
  Pipe pipe;
  {
    int raw = pipe.write_end;
    const UniqueFd fd(std::move(raw));
    EXPECT_FALSE(pipe.writer_closed());
  }
  EXPECT_TRUE(pipe.writer_closed());
}

TEST(UniqueFd, ResetClosesTheOldFdAndOwnsTheNewOne) {
  Pipe first;
  Pipe second;
  int raw_first = first.write_end;
  UniqueFd fd(std::move(raw_first));

  int raw_second = second.write_end;
  fd.reset(std::move(raw_second));
  EXPECT_EQ(raw_second, -1);
  EXPECT_TRUE(first.writer_closed());
  EXPECT_FALSE(second.writer_closed());
  EXPECT_EQ(fd.get(), second.write_end);

  fd.reset();
  EXPECT_TRUE(second.writer_closed());
  EXPECT_FALSE(fd.valid());
}

TEST(UniqueFd, ResetToItsOwnFdKeepsItOpen) {
  Pipe pipe;
  int raw = pipe.write_end;
  UniqueFd fd(std::move(raw));
  int same = pipe.write_end;
  fd.reset(std::move(same));
  EXPECT_FALSE(pipe.writer_closed());
  EXPECT_EQ(fd.get(), pipe.write_end);
}

TEST(UniqueFd, MoveConstructionTransfersOwnership) {
  Pipe pipe;
  int raw = pipe.write_end;
  UniqueFd source(std::move(raw));
  {
    const UniqueFd target(std::move(source));
    EXPECT_EQ(source.get(), -1);  // NOLINT(bugprone-use-after-move): moved-from state is specified
    EXPECT_EQ(target.get(), pipe.write_end);
    EXPECT_FALSE(pipe.writer_closed());
  }
  EXPECT_TRUE(pipe.writer_closed());
}

TEST(UniqueFd, MoveAssignmentClosesTheTargetsFd) {
  Pipe kept;
  Pipe replaced;
  int raw_kept = kept.write_end;
  int raw_replaced = replaced.write_end;
  UniqueFd source(std::move(raw_kept));
  UniqueFd target(std::move(raw_replaced));

  target = std::move(source);
  EXPECT_TRUE(replaced.writer_closed());
  EXPECT_FALSE(kept.writer_closed());
  EXPECT_EQ(source.get(), -1);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(target.get(), kept.write_end);
}

TEST(UniqueFd, SelfMoveAssignmentKeepsTheFd) {
  Pipe pipe;
  int raw = pipe.write_end;
  UniqueFd fd(std::move(raw));
  UniqueFd& alias = fd;
  fd = std::move(alias);
  EXPECT_EQ(fd.get(), pipe.write_end);
  EXPECT_FALSE(pipe.writer_closed());
}

TEST(UniqueFd, ReleaseGivesUpOwnershipWithoutClosing) {
  Pipe pipe;
  int released = -1;
  {
    int raw = pipe.write_end;
    UniqueFd fd(std::move(raw));
    released = fd.release();
    EXPECT_FALSE(fd.valid());
  }
  EXPECT_EQ(released, pipe.write_end);
  EXPECT_TRUE(is_open(released));
  EXPECT_FALSE(pipe.writer_closed());
  UniqueFd again(std::move(released));  // hand it back so that the test does not leak it
  again.reset();
  EXPECT_TRUE(pipe.writer_closed());
}

TEST(UniqueFd, EmptyResetAndDestructionAreHarmless) {
  UniqueFd fd;
  fd.reset();
  EXPECT_EQ(fd.release(), -1);
}

}  // namespace
}  // namespace pimqttd::core
