#include "transport/outbound_queue.hpp"

#include <gtest/gtest.h>

namespace switchyard::transport {
namespace {

std::shared_ptr<const std::string> msg(std::size_t n, char c = 'x') {
  return std::make_shared<const std::string>(n, c);
}

TEST(OutboundQueue, TakeFrameCoalescesEverythingQueuedOldestFirst) {
  outbound_queue q{1024};
  q.push(msg(3, 'a'));
  q.push(msg(3, 'b'));
  q.push(msg(3, 'c'));
  std::string frame;
  EXPECT_EQ(q.take_frame(frame, true), 3u);
  EXPECT_EQ(frame, "aaa\nbbb\nccc");
  EXPECT_TRUE(q.empty());
}

TEST(OutboundQueue, MsgpackMessagesGoBackToBack) {
  outbound_queue q{1024};
  q.push(msg(2, 'a'));
  q.push(msg(2, 'b'));
  std::string frame;
  EXPECT_EQ(q.take_frame(frame, false), 2u);
  EXPECT_EQ(frame, "aabb");
}

TEST(OutboundQueue, FrameStopsAtMaxBytesButHoldsAtLeastOneMessage) {
  outbound_queue q{100};
  q.push(msg(60));
  q.push(msg(60));
  q.push(msg(500));
  std::string frame;
  EXPECT_EQ(q.take_frame(frame, true), 1u);
  EXPECT_EQ(frame.size(), 60u);
  frame.clear();
  EXPECT_EQ(q.take_frame(frame, true), 1u);
  frame.clear();
  EXPECT_EQ(q.take_frame(frame, true), 1u);
  EXPECT_EQ(frame.size(), 500u);
  EXPECT_TRUE(q.empty());
}

} // namespace
} // namespace switchyard::transport
