// tenant_guard with a fake clock: token buckets and leases, the slow_down levels
// (80 % / 100 % / back under 60 %), the circuit breaker's open, half-open and closed
// states, and the connection and subscription counts.

#include "actors/tenant_guard.hpp"

#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

using verdict = credit_grant::verdict;

tenant_limits rate_limits(int64_t per_s, int64_t bytes_per_s = 0) {
  tenant_limits l;
  l.publish_per_s = per_s;
  l.publish_bytes_per_s = bytes_per_s;
  return l;
}

breaker_settings breaker(int64_t open_after_ms, int64_t cooldown_ms) {
  return {open_after_ms, cooldown_ms};
}

TEST(TokenBucket, GrantsASecondsWorthThenRefillsAtItsRate) {
  token_bucket b;
  b.configure(100, 0);
  EXPECT_EQ(b.take(1, 60, 0), 60);
  EXPECT_EQ(b.take(1, 60, 0), 40);
  EXPECT_EQ(b.take(1, 1, 0), 0);
  EXPECT_EQ(b.wait_ms(1, 0), 10);
  EXPECT_EQ(b.take(1, 100, 100), 10); // 100 ms at 100/s
  b.give_back(5);
  EXPECT_EQ(b.take(1, 100, 100), 5);
}

TEST(TokenBucket, ABigGrantGoesIntoDebtThatIsPaidByWaiting) {
  token_bucket b;
  b.configure(1000, 0);
  EXPECT_EQ(b.take(5000, 5000, 0), 5000); // bigger than the bucket: let through once
  EXPECT_EQ(b.take(1, 1, 0), 0);
  EXPECT_EQ(b.take(1, 1, 3999), 0);
  EXPECT_GT(b.take(1, 1, 4001), 0);
}

TEST(TokenBucket, NotLimitedGrantsWhatIsWanted) {
  token_bucket b;
  EXPECT_FALSE(b.limited());
  EXPECT_EQ(b.take(1, 12345, 0), 12345);
  EXPECT_EQ(b.wait_ms(1, 0), 0);
}

TEST(TenantGuard, LeasesUntilTheRateIsUsedThenThrottlesWithRetryAfter) {
  tenant_guard g{rate_limits(100), {}, 0};
  auto a = g.lease(1, 70, 0, 0, 0);
  EXPECT_EQ(a.outcome, verdict::granted);
  EXPECT_EQ(a.msgs, 70);
  EXPECT_EQ(g.lease(1, 70, 0, 0, 0).msgs, 30);
  auto refused = g.lease(1, 10, 0, 0, 0);
  EXPECT_EQ(refused.outcome, verdict::throttled);
  EXPECT_EQ(refused.retry_after_ms, 100); // when the 10 asked for are back
  EXPECT_EQ(g.lease(1, 10, 0, 0, 50).msgs, 5);
  EXPECT_EQ(g.lease(1, 1000, 0, 0, 50).retry_after_ms, 1000); // at most a full bucket
}

TEST(TenantGuard, BytesAreLimitedApartFromEvents) {
  tenant_guard g{rate_limits(0, 1000), {}, 0};
  EXPECT_EQ(g.lease(0, 1, 600, 600, 0).outcome, verdict::granted);
  EXPECT_EQ(g.lease(0, 1, 600, 600, 0).outcome, verdict::granted); // into debt
  auto refused = g.lease(0, 1, 600, 600, 0);
  EXPECT_EQ(refused.outcome, verdict::throttled);
  EXPECT_EQ(refused.retry_after_ms, 800); // 200 ms to pay the debt, 600 for the 600 bytes
}

TEST(TenantGuard, SlowDownRisesAtEightyAndHundredPercentAndClearsUnderSixty) {
  tenant_guard g{rate_limits(1000), {}, 0};
  int64_t now = 0;
  // Four ticks a second; `per_tick` leased before each.
  auto run = [&](int64_t per_tick, int ticks) {
    std::optional<int> last;
    for (int i = 0; i < ticks; ++i) {
      if (per_tick > 0) {
        g.lease(per_tick, per_tick, 0, 0, now);
      }
      now += tenant_guard::tick_ms;
      if (auto out = g.tick(now); out.level) {
        last = out.level;
      }
    }
    return last;
  };
  EXPECT_EQ(run(150, 8), std::nullopt); // 60 %
  EXPECT_EQ(g.level(), 0);
  EXPECT_EQ(run(210, 8), 1);            // 84 %
  EXPECT_EQ(run(175, 8), std::nullopt); // 70 %: stays
  EXPECT_EQ(g.level(), 1);
  EXPECT_EQ(run(250, 8), 2); // 100 %
  EXPECT_EQ(run(175, 8), 1); // 70 %: down to soft
  EXPECT_EQ(run(100, 8), 0); // 40 %
}

TEST(TenantGuard, ARefusalIsLevelTwoAtTheNextTick) {
  tenant_guard g{rate_limits(10), {}, 0};
  g.lease(1, 10, 0, 0, 0);
  EXPECT_EQ(g.lease(1, 1, 0, 0, 0).outcome, verdict::throttled);
  EXPECT_EQ(g.tick(tenant_guard::tick_ms).level, 2);
}

TEST(TenantGuard, SustainedOverloadOpensTheBreakerWhichProbesHalfOpenThenCloses) {
  tenant_guard g{rate_limits(4), breaker(1000, 2000), 0};
  int64_t now = 0;
  std::vector<breaker_state> seen;
  auto step = [&](bool flood) {
    if (flood) {
      while (g.lease(1, 1, 0, 0, now).outcome == verdict::granted) {
      }
    }
    now += tenant_guard::tick_ms;
    if (auto out = g.tick(now); out.breaker) {
      seen.push_back(*out.breaker);
    }
  };
  for (int i = 0; i < 3; ++i) {
    step(true);
  }
  EXPECT_EQ(g.breaker(), breaker_state::closed); // 750 ms of overload
  step(true);
  ASSERT_EQ(g.breaker(), breaker_state::open);
  auto refused = g.lease(1, 1, 0, 0, now);
  EXPECT_EQ(refused.outcome, verdict::circuit_open);
  EXPECT_EQ(refused.retry_after_ms, 2000);
  EXPECT_TRUE(g.open_connection(now).has_value());
  for (int i = 0; i < 8; ++i) {
    step(false);
  }
  EXPECT_EQ(g.breaker(), breaker_state::half_open);
  EXPECT_EQ(g.lease(1, 1, 0, 0, now).outcome, verdict::granted);
  step(true); // overloaded while probing: open again
  EXPECT_EQ(g.breaker(), breaker_state::open);
  for (int i = 0; i < 8; ++i) {
    step(false);
  }
  for (int i = 0; i < 4; ++i) {
    step(false);
  }
  EXPECT_EQ(g.breaker(), breaker_state::closed);
  EXPECT_EQ(seen, (std::vector<breaker_state>{breaker_state::open, breaker_state::half_open,
                                              breaker_state::open, breaker_state::half_open,
                                              breaker_state::closed}));
}

TEST(TenantGuard, StoreFailuresCountAsOverload) {
  tenant_guard g{{}, breaker(500, 1000), 0};
  g.store_failure();
  g.tick(250);
  g.store_failure();
  g.tick(500);
  EXPECT_EQ(g.breaker(), breaker_state::open);
}

TEST(TenantGuard, ConnectionsAndSubscriptionsStopAtTheirLimits) {
  tenant_limits l;
  l.max_connections = 2;
  l.max_subscriptions = 1;
  tenant_guard g{l, {}, 0};
  EXPECT_FALSE(g.open_connection(0));
  EXPECT_FALSE(g.open_connection(0));
  auto third = g.open_connection(0);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->outcome, verdict::throttled);
  g.close_connection();
  EXPECT_FALSE(g.open_connection(0));
  EXPECT_TRUE(g.add_subscription());
  EXPECT_FALSE(g.add_subscription());
  g.count_subscriptions(-1);
  EXPECT_TRUE(g.add_subscription());
  EXPECT_FALSE(g.idle());
}

TEST(TenantGuard, ReconfiguringKeepsCountsAndAppliesNewRates) {
  tenant_guard g{rate_limits(0), {}, 0};
  EXPECT_FALSE(g.open_connection(0));
  EXPECT_EQ(g.lease(1, 1000, 0, 0, 0).msgs, 1000);
  g.reconfigure(rate_limits(5), {}, 0);
  EXPECT_EQ(g.lease(1, 1000, 0, 0, 0).msgs, 5);
  EXPECT_EQ(g.connections(), 1);
}

} // namespace
} // namespace switchyard::actors
