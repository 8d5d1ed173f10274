#include "bench/loadgen/seq_tracker.hpp"

#include <gtest/gtest.h>

namespace switchyard::bench {

TEST(SeqTracker, InOrderStreamHasNothingMissing) {
  seq_tracker t(2);
  for (uint64_t n = 0; n < 100; ++n) {
    ASSERT_TRUE(t.observe(0, n));
    ASSERT_TRUE(t.observe(1, n));
  }
  EXPECT_EQ(t.missing(0, 100), 0u);
  EXPECT_EQ(t.missing(1, 100), 0u);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.out_of_order(), 0u);
}

TEST(SeqTracker, CountsSkippedAndTailAsMissing) {
  seq_tracker t(1);
  t.observe(0, 0);
  t.observe(0, 5);                      // 1..4 skipped
  EXPECT_EQ(t.missing(0, 10), 4u + 4u); // holes 1..4, tail 6..9
}

TEST(SeqTracker, LateArrivalFillsItsHoleOnce) {
  seq_tracker t(1);
  t.observe(0, 0);
  t.observe(0, 4);
  t.observe(0, 2);
  t.observe(0, 2);
  EXPECT_EQ(t.out_of_order(), 1u);
  EXPECT_EQ(t.duplicates(), 1u);
  EXPECT_EQ(t.missing(0, 5), 2u); // 1 and 3
  t.observe(0, 1);
  t.observe(0, 3);
  EXPECT_EQ(t.missing(0, 5), 0u);
  EXPECT_EQ(t.out_of_order(), 3u);
}

TEST(SeqTracker, RepeatOfDeliveredMessageIsDuplicate) {
  seq_tracker t(1);
  t.observe(0, 0);
  t.observe(0, 1);
  t.observe(0, 1);
  t.observe(0, 0);
  EXPECT_EQ(t.duplicates(), 2u);
  EXPECT_EQ(t.out_of_order(), 0u);
}

TEST(SeqTracker, RejectsUnknownPublisher) {
  seq_tracker t(1);
  EXPECT_FALSE(t.observe(1, 0));
  EXPECT_EQ(t.missing(1, 7), 7u);
}

} // namespace switchyard::bench
