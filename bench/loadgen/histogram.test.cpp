#include "bench/loadgen/histogram.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace switchyard::bench {

TEST(Histogram, EmptyReportsZero) {
  histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.quantile_ns(0.5), 0.0);
}

TEST(Histogram, SmallValuesAreExact) {
  histogram h;
  for (uint64_t v = 1; v <= 50; ++v) {
    h.record(v);
  }
  EXPECT_EQ(h.quantile_ns(0.5), 25.0);
  EXPECT_EQ(h.quantile_ns(1.0), 50.0);
}

TEST(Histogram, QuantilesStayWithinTwoPercent) {
  histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) {
    h.record(v * 1000); // 1 us .. 100 ms
  }
  for (const double q : {0.5, 0.9, 0.99, 0.999}) {
    const double want = q * 100000.0 * 1000.0;
    EXPECT_NEAR(h.quantile_ns(q), want, want * 0.02) << "q=" << q;
  }
  EXPECT_EQ(h.max_ns(), 100000u * 1000u);
}

TEST(Histogram, MergeAddsCountsAndKeepsMax) {
  histogram a;
  histogram b;
  a.record(10);
  b.record(1'000'000);
  b.record(UINT64_MAX);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.max_ns(), UINT64_MAX);
  EXPECT_NEAR(a.quantile_ns(0.6), 1e6, 1e6 * 0.02);
}

} // namespace switchyard::bench
