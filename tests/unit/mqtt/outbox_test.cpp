#include "pimqttd/mqtt/outbox.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace pimqttd::mqtt {
namespace {

OutgoingMessage msg(std::string topic, std::string payload, bool state = false,
                    QoS qos = QoS::at_least_once) {
  return OutgoingMessage{std::move(topic), std::move(payload), qos, false, state};
}

std::vector<std::string> drain(Outbox& box) {
  std::vector<std::string> out;
  while (!box.empty()) {
    out.push_back(box.front().topic + "=" + box.front().payload);
    box.pop();
  }
  return out;
}

TEST(Outbox, KeepsOrder) {
  Outbox box(10);
  EXPECT_EQ(box.push(msg("a", "1")), Outbox::PushResult::queued);
  EXPECT_EQ(box.push(msg("b", "2")), Outbox::PushResult::queued);
  EXPECT_EQ(box.push(msg("a", "3")), Outbox::PushResult::queued);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"a=1", "b=2", "a=3"}));
}

TEST(Outbox, StateMessageReplacesOlderStateOnSameTopic) {
  Outbox box(10);
  box.push(msg("t/1", "10", true));
  box.push(msg("other", "x"));
  box.push(msg("t/2", "20", true));
  EXPECT_EQ(box.push(msg("t/1", "11", true)), Outbox::PushResult::replaced);
  EXPECT_EQ(box.size(), 3u);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"other=x", "t/2=20", "t/1=11"}));
}

TEST(Outbox, NonStateMessagesAreNeverReplaced) {
  Outbox box(10);
  box.push(msg("t", "1"));
  box.push(msg("t", "2", true));
  box.push(msg("t", "3"));
  box.push(msg("t", "4", true));  // replaces "2" only
  EXPECT_EQ(drain(box), (std::vector<std::string>{"t=1", "t=3", "t=4"}));
}

TEST(Outbox, FullDropsOldest) {
  Outbox box(3);
  box.push(msg("a", "1", true));
  box.push(msg("b", "2"));
  box.push(msg("c", "3"));
  EXPECT_EQ(box.push(msg("d", "4")), Outbox::PushResult::dropped_oldest);
  EXPECT_EQ(box.size(), 3u);
  // The dropped state message no longer shadows its topic.
  EXPECT_EQ(box.push(msg("a", "5", true)), Outbox::PushResult::dropped_oldest);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"c=3", "d=4", "a=5"}));
}

TEST(Outbox, ReplacementMakesRoomBeforeDropping) {
  Outbox box(2);
  box.push(msg("a", "1", true));
  box.push(msg("b", "2"));
  EXPECT_EQ(box.push(msg("a", "3", true)), Outbox::PushResult::replaced);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"b=2", "a=3"}));
}

TEST(Outbox, PopOfStateMessageForgetsIt) {
  Outbox box(4);
  box.push(msg("a", "1", true));
  box.pop();
  EXPECT_EQ(box.push(msg("a", "2", true)), Outbox::PushResult::queued);
  box.clear();
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.push(msg("a", "3", true)), Outbox::PushResult::queued);
}

TEST(Outbox, ZeroCapacityIsRejected) { EXPECT_THROW(Outbox(0), std::invalid_argument); }

}  // namespace
}  // namespace pimqttd::mqtt
