#include "bench/loadgen/churn_schedule.hpp"

#include <gtest/gtest.h>

namespace switchyard::bench {

TEST(ChurnSchedule, TicksCarryTwoChangesAndChurnersLiveASecond) {
  const churn_schedule plan(100, 20);
  EXPECT_DOUBLE_EQ(plan.tick_ns(), 20e6); // a join and a leave every 20 ms
  EXPECT_EQ(plan.ticks(), 1000u);
  EXPECT_EQ(plan.pool(), 50u); // 50 ticks of 20 ms: a second joined
  EXPECT_EQ(churn_schedule(1000, 1).pool(), 500u);
  EXPECT_EQ(churn_schedule(2, 10).pool(), 20u);
  EXPECT_EQ(churn_schedule(0, 10).ticks(), 0u);
}

TEST(ChurnSchedule, ChangesAreDueAtTheirTick) {
  churn_schedule plan(100, 20);
  plan.begin(1'000'000'000);
  EXPECT_FALSE(plan.join_due_ns(49)); // the pool's first joined before the phase
  EXPECT_EQ(plan.join_due_ns(50), 1'000'000'000u);
  EXPECT_EQ(plan.join_due_ns(53), 1'060'000'000u);
  EXPECT_EQ(plan.leave_due_ns(3), 1'060'000'000u); // tick 3 closes churner 3, opens 53
}

TEST(ChurnSchedule, ChurnersAreKnownByTheirClientName) {
  EXPECT_EQ(churn_schedule::churner_of(churn_schedule::client_name(1234)), 1234u);
  EXPECT_FALSE(churn_schedule::churner_of("switchyard-bench"));
  EXPECT_FALSE(churn_schedule::churner_of("switchyard-bench/churn/"));
  EXPECT_FALSE(churn_schedule::churner_of("switchyard-bench/churn/12x"));
}

} // namespace switchyard::bench
