// The replay / live hand-off of one subscription, without sockets or actors.

#include "actors/subscription.hpp"

#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

using phase = subscription::phase;
using action = subscription::live_action;

TEST(Subscription, IgnoresLiveBatchesUntilTheTopicConfirmed) {
  subscription s{1};
  EXPECT_EQ(s.current(), phase::joining);
  // A batch the topic sent before it took this subscribe (an earlier subscription).
  EXPECT_EQ(s.on_live(5, true), action::skip);
  s.joined(5, 6); // live only
  EXPECT_EQ(s.current(), phase::live);
  EXPECT_EQ(s.on_live(5, true), action::skip);
  EXPECT_EQ(s.on_live(6, true), action::push);
  EXPECT_EQ(s.delivered(), 6u);
}

TEST(Subscription, EventsTheTopicWroteDirectlyAreNotPushedAgainWhenItHandsBack) {
  subscription s{1};
  s.joined(5, 6);
  // The topic wrote 6..9 to the socket itself, then gave the subscription back.
  s.handed_back(9);
  EXPECT_EQ(s.delivered(), 9u);
  EXPECT_EQ(s.on_live(9, true), action::skip);
  EXPECT_EQ(s.on_live(10, true), action::push);
  s.handed_back(7); // a stale cursor never moves delivery back
  EXPECT_EQ(s.delivered(), 10u);
}

TEST(Subscription, ReplaysFromTheStoreThenGoesLiveWithoutLossOrRepeat) {
  subscription s{1};
  s.joined(10, 3); // events 3..10 are stored
  EXPECT_EQ(s.current(), phase::catching_up);
  // Live events while catching up are durable already: they only extend the replay.
  EXPECT_EQ(s.on_live(11, true), action::skip);
  auto first = s.begin_read(100, 4, true);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->from, 3u);
  EXPECT_EQ(first->count, 4u);
  EXPECT_FALSE(s.begin_read(100, 4, true).has_value()); // one read at a time
  for (uint64_t seq = 3; seq <= 6; ++seq) {
    EXPECT_TRUE(s.on_replayed(seq));
  }
  s.end_read(true);
  auto second = s.begin_read(100, 256, true);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->from, 7u);
  EXPECT_EQ(second->count, 5u); // up to 11, the live event seen meanwhile
  for (uint64_t seq = 7; seq <= 11; ++seq) {
    EXPECT_TRUE(s.on_replayed(seq));
  }
  s.end_read(true);
  EXPECT_FALSE(s.begin_read(100, 256, true).has_value()); // nothing left: live
  EXPECT_EQ(s.current(), phase::live);
  EXPECT_EQ(s.on_live(11, true), action::skip);
  EXPECT_EQ(s.on_live(12, true), action::push);
  EXPECT_FALSE(s.has_gap());
}

TEST(Subscription, ReadsNoMoreThanTheSocketHasRoomFor) {
  subscription s{1};
  s.joined(1000, 1);
  EXPECT_FALSE(s.begin_read(0, 256, false).has_value());
  auto r = s.begin_read(3, 256, false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->count, 3u);
}

TEST(Subscription, EventsThatFindNoRoomBecomeOneGapReportedBeforeTheNext) {
  subscription s{1};
  s.joined(0, 1);
  EXPECT_EQ(s.on_live(1, true), action::push);
  EXPECT_EQ(s.on_live(2, false), action::dropped);
  EXPECT_EQ(s.on_live(3, false), action::dropped);
  EXPECT_TRUE(s.has_gap());
  EXPECT_EQ(s.on_live(4, true), action::push);
  auto gap = s.take_gap();
  ASSERT_TRUE(gap.has_value());
  EXPECT_EQ(gap->from, 2u);
  EXPECT_EQ(gap->to, 3u);
  EXPECT_FALSE(s.take_gap().has_value());
  EXPECT_EQ(s.delivered(), 4u);
}

TEST(Subscription, AnUnreadableRangeIsReportedAsAGapNotRetriedForever) {
  subscription s{1};
  s.joined(50, 1);
  ASSERT_TRUE(s.begin_read(100, 10, true).has_value());
  s.end_read(false);
  auto gap = s.take_gap();
  ASSERT_TRUE(gap.has_value());
  EXPECT_EQ(gap->from, 1u);
  EXPECT_EQ(gap->to, 50u);
  EXPECT_FALSE(s.begin_read(100, 10, true).has_value());
  EXPECT_EQ(s.current(), phase::live);
}

TEST(Subscription, CaughtUpWithAFullQueueItKeepsReadingTheStoreUntilHalfTheQueueIsFree) {
  subscription s{1};
  s.joined(4, 1);
  ASSERT_TRUE(s.begin_read(4, 256, true).has_value());
  for (uint64_t seq = 1; seq <= 4; ++seq) {
    EXPECT_TRUE(s.on_replayed(seq));
  }
  s.end_read(true);
  // The replay filled the socket queue: going live now would drop the next event.
  EXPECT_FALSE(s.begin_read(0, 256, false).has_value());
  EXPECT_EQ(s.current(), phase::catching_up);
  EXPECT_EQ(s.on_live(5, false), action::skip); // read from the store instead
  EXPECT_FALSE(s.begin_read(0, 256, false).has_value());
  auto r = s.begin_read(8, 256, true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->from, 5u);
  EXPECT_EQ(r->count, 1u);
  EXPECT_TRUE(s.on_replayed(5));
  s.end_read(true);
  EXPECT_FALSE(s.begin_read(8, 256, true).has_value());
  EXPECT_EQ(s.current(), phase::live);
  EXPECT_EQ(s.on_live(6, true), action::push);
  EXPECT_FALSE(s.has_gap());
}

TEST(Subscription, EventsTheStoreNoLongerHoldsBecomeAGapBeforeTheFirstItHas) {
  subscription s{1};
  s.joined(20, 1);
  ASSERT_TRUE(s.begin_read(100, 100, true).has_value());
  EXPECT_TRUE(s.on_replayed(8)); // 1..7 were removed
  auto gap = s.take_gap();
  ASSERT_TRUE(gap.has_value());
  EXPECT_EQ(gap->from, 1u);
  EXPECT_EQ(gap->to, 7u);
}

TEST(Subscription, ATopicRestartReplaysWhatWasMissedSinceTheLastDelivered) {
  subscription s{1};
  s.joined(0, 1);
  EXPECT_EQ(s.on_live(1, true), action::push);
  EXPECT_EQ(s.on_live(2, true), action::push);
  s.lost_topic();
  EXPECT_EQ(s.on_live(3, true), action::skip); // the old topic's last words: replayed
  s.rejoined(5);
  EXPECT_EQ(s.current(), phase::catching_up);
  auto r = s.begin_read(100, 100, true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->from, 3u);
  EXPECT_EQ(r->count, 3u);
}

TEST(Subscription, ARestartWithNothingMissedGoesStraightBackToLive) {
  subscription s{1};
  s.joined(4, 5);
  s.lost_topic();
  s.rejoined(4);
  EXPECT_EQ(s.current(), phase::live);
}

} // namespace
} // namespace switchyard::actors
