#include "actors/topic_state.hpp"

#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

TEST(TopicState, BatchGetsConsecutiveSeqsAfterRecoveredLastSeq) {
  topic_state t{"acme", "chat", 100};
  t.recover(store::topic_info{1, 41, 1000});
  t.stage(2000, {"\x01", "", ""});
  t.stage(2000, {"\x02", "", ""});
  auto batch = t.take_batch();
  EXPECT_EQ(batch.tenant, "acme");
  EXPECT_EQ(batch.topic, "chat");
  ASSERT_EQ(batch.events.size(), 2u);
  EXPECT_EQ(batch.events[0].seq, 42u);
  EXPECT_EQ(batch.events[1].seq, 43u);
}

TEST(TopicState, OneBatchInFlightWhileNewPublishesStage) {
  topic_state t{"a", "t", 100};
  t.stage(1, {"\xc0", "", ""});
  EXPECT_TRUE(t.ready_to_flush());
  auto first = t.take_batch();
  t.stage(1, {"\xc0", "", ""});
  EXPECT_FALSE(t.ready_to_flush()); // waits for the first commit
  EXPECT_FALSE(t.idle());
  t.commit(std::move(first), true, false);
  EXPECT_EQ(t.durable_seq(), 1u);
  EXPECT_TRUE(t.ready_to_flush());
  EXPECT_EQ(t.take_batch().events.front().seq, 2u);
}

TEST(TopicState, TimestampsNeverGoBackwards) {
  topic_state t{"a", "t", 100};
  t.recover(store::topic_info{1, 3, 5000});
  t.stage(4000, {"\xc0", "", ""}); // the clock stepped back
  t.stage(6000, {"\xc0", "", ""});
  t.stage(5500, {"\xc0", "", ""});
  auto batch = t.take_batch();
  EXPECT_EQ(batch.events[0].ts_ms, 5000);
  EXPECT_EQ(batch.events[1].ts_ms, 6000);
  EXPECT_EQ(batch.events[2].ts_ms, 6000);
}

TEST(TopicState, CommitEncodesOnlyTheEncodingsAskedFor) {
  topic_state t{"a", "t", 100};
  t.stage(7, {"\x2a", "k", ""}); // data: the integer 42
  auto out = t.commit(t.take_batch(), true, false);
  ASSERT_EQ(out->events.size(), 1u);
  EXPECT_EQ(out->topic, "t");
  EXPECT_EQ(out->events[0].json,
            R"({"push":"event","topic":"t","seq":1,"ts":7,"data":42,"key":"k"})");
  EXPECT_TRUE(out->events[0].msgpack.empty());
}

TEST(TopicState, RefusedBatchContinuesAfterWhatTheStoreHolds) {
  topic_state t{"a", "t", 100};
  t.stage(1, {"\xc0", "", ""});
  t.commit(t.take_batch(), false, false);
  t.stage(1, {"\xc0", "", ""});
  auto lost = t.take_batch();
  EXPECT_EQ(lost.events[0].seq, 2u);
  t.stage(1, {"\xc0", "", ""}); // staged behind the in-flight batch: kept
  // The store says it holds 5 (the topic's view was stale): nothing of the batch stored.
  EXPECT_EQ(t.refused(store::topic_info{1, 5, 9}), 1u);
  EXPECT_EQ(t.durable_seq(), 5u);
  auto next = t.take_batch();
  ASSERT_EQ(next.events.size(), 1u);
  EXPECT_EQ(next.events[0].seq, 6u);
  EXPECT_EQ(next.events[0].ts_ms, 9);
}

TEST(TopicState, FullAtMaxPendingCountingStagedAndInFlight) {
  topic_state t{"a", "t", 3};
  t.stage(1, {"\xc0", "", ""});
  t.stage(1, {"\xc0", "", ""});
  auto inflight = t.take_batch();
  EXPECT_FALSE(t.full());
  t.stage(1, {"\xc0", "", ""});
  EXPECT_TRUE(t.full());
  t.commit(std::move(inflight), false, false);
  EXPECT_FALSE(t.full());
  t.commit(t.take_batch(), false, false);
  EXPECT_TRUE(t.idle());
}

TEST(TopicState, RoomIsWhatMaxPendingLeavesOfStagedAndInFlight) {
  topic_state t{"a", "t", 3};
  EXPECT_EQ(t.room(), 3u);
  t.stage(1, {"\xc0", "", ""});
  auto inflight = t.take_batch();
  t.stage(1, {"\xc0", "", ""});
  EXPECT_EQ(t.room(), 1u);
  t.stage(1, {"\xc0", "", ""});
  EXPECT_EQ(t.room(), 0u);
  t.commit(std::move(inflight), false, false);
  EXPECT_EQ(t.room(), 1u);
}

} // namespace
} // namespace switchyard::actors
