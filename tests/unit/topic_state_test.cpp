#include "actors/topic_state.hpp"

#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

TEST(TopicState, StagedEventsGetConsecutiveSeqsAfterRecoveredLastSeq) {
  topic_state t{"acme", "chat"};
  t.recover(store::topic_info{1, 41, 1000});
  EXPECT_EQ(t.stage(2000, "\x01", "", ""), 42u);
  EXPECT_EQ(t.stage(2000, "\x02", "", ""), 43u);
  auto batch = t.take_batch();
  EXPECT_EQ(batch.tenant, "acme");
  EXPECT_EQ(batch.topic, "chat");
  ASSERT_EQ(batch.events.size(), 2u);
  EXPECT_EQ(batch.events.front().seq, 42u);
}

TEST(TopicState, OneBatchInFlightWhileNewPublishesStage) {
  topic_state t{"a", "t"};
  t.stage(1, "\xc0", "", "");
  EXPECT_TRUE(t.ready_to_flush());
  auto first = t.take_batch();
  t.stage(1, "\xc0", "", "");
  EXPECT_FALSE(t.ready_to_flush()); // waits for the first commit
  t.commit(std::move(first), true, false);
  EXPECT_EQ(t.durable_seq(), 1u);
  EXPECT_TRUE(t.ready_to_flush());
  EXPECT_EQ(t.take_batch().events.front().seq, 2u);
}

TEST(TopicState, TimestampsNeverGoBackwards) {
  topic_state t{"a", "t"};
  t.recover(store::topic_info{1, 3, 5000});
  t.stage(4000, "\xc0", "", ""); // the clock stepped back
  t.stage(6000, "\xc0", "", "");
  auto batch = t.take_batch();
  EXPECT_EQ(batch.events[0].ts_ms, 5000);
  EXPECT_EQ(batch.events[1].ts_ms, 6000);
}

TEST(TopicState, CommitEncodesOnlyTheEncodingsAskedFor) {
  topic_state t{"a", "t"};
  t.stage(7, "\x2a", "k", ""); // data: the integer 42
  auto out = t.commit(t.take_batch(), true, false);
  ASSERT_EQ(out->events.size(), 1u);
  EXPECT_EQ(out->topic, "t");
  EXPECT_EQ(out->events[0].json,
            R"({"push":"event","topic":"t","seq":1,"ts":7,"data":42,"key":"k"})");
  EXPECT_TRUE(out->events[0].msgpack.empty());
}

TEST(TopicState, AbortDropsInFlightAndStagedAndReusesTheirSeqs) {
  topic_state t{"a", "t"};
  t.stage(1, "\xc0", "", "");
  t.commit(t.take_batch(), false, false);
  t.stage(1, "\xc0", "", "");
  auto lost = t.take_batch();
  t.stage(1, "\xc0", "", "");
  EXPECT_EQ(t.abort(), 2u);
  EXPECT_EQ(t.durable_seq(), 1u);
  EXPECT_EQ(t.stage(1, "\xc0", "", ""), 2u);
}

} // namespace
} // namespace switchyard::actors
