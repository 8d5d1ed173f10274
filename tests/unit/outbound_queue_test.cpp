#include "actors/outbound_queue.hpp"

#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

std::shared_ptr<const std::string> msg(std::size_t n, char c = 'x') {
  return std::make_shared<const std::string>(n, c);
}

TEST(OutboundQueue, TakeFrameCoalescesEverythingQueuedOldestFirst) {
  outbound_queue q{8, 1024};
  q.push(msg(3, 'a'));
  q.push(msg(3, 'b'));
  q.push(msg(3, 'c'));
  auto frame = q.take_frame();
  ASSERT_EQ(frame.parts.size(), 3u);
  EXPECT_EQ(*frame.parts[0], "aaa");
  EXPECT_EQ(*frame.parts[2], "ccc");
  EXPECT_TRUE(q.empty());
}

TEST(OutboundQueue, FrameStopsAtMaxBytesButHoldsAtLeastOneMessage) {
  outbound_queue q{8, 100};
  q.push(msg(60));
  q.push(msg(60));
  q.push(msg(500));
  EXPECT_EQ(q.take_frame().parts.size(), 1u);
  EXPECT_EQ(q.take_frame().parts.size(), 1u);
  auto big = q.take_frame();
  ASSERT_EQ(big.parts.size(), 1u);
  EXPECT_EQ(big.parts[0]->size(), 500u);
}

TEST(OutboundQueue, FullAtCapacityAndRefusesPastFourTimesIt) {
  outbound_queue q{4, 1 << 20};
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(q.full());
    EXPECT_TRUE(q.push(msg(1)));
  }
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.room(), 0u);
  for (int i = 4; i < 16; ++i) {
    EXPECT_TRUE(q.push(msg(1)));
  }
  EXPECT_FALSE(q.push(msg(1)));
}

} // namespace
} // namespace switchyard::actors
