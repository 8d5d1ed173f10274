#include "actors/restart_tracker.hpp"

#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

using namespace std::chrono_literals;
using clock = restart_tracker::clock;

TEST(RestartTracker, BackoffDoublesUpToTheCapThenCutsOffPastTheIntensity) {
  restart_policy p{10, 50, 4, 1000};
  restart_tracker t;
  const auto t0 = clock::time_point{} + 1h;
  EXPECT_EQ(t.failed(p, t0), 10ms);
  EXPECT_EQ(t.failed(p, t0 + 1ms), 20ms);
  EXPECT_EQ(t.failed(p, t0 + 2ms), 40ms);
  EXPECT_EQ(t.failed(p, t0 + 3ms), 50ms);
  EXPECT_FALSE(t.cut_off(t0 + 3ms));
  EXPECT_EQ(t.failed(p, t0 + 4ms), std::nullopt); // the fifth within the window
  EXPECT_TRUE(t.cut_off(t0 + 4ms));
  EXPECT_TRUE(t.cut_off(t0 + 1003ms));
  EXPECT_FALSE(t.cut_off(t0 + 1004ms));
}

TEST(RestartTracker, FailuresOutsideTheWindowAreForgotten) {
  restart_policy p{10, 1000, 2, 100};
  restart_tracker t;
  const auto t0 = clock::time_point{} + 1h;
  EXPECT_EQ(t.failed(p, t0), 10ms);
  EXPECT_EQ(t.failed(p, t0 + 50ms), 20ms);
  EXPECT_FALSE(t.forgotten(p, t0 + 120ms));
  EXPECT_EQ(t.failed(p, t0 + 300ms), 10ms); // the window is empty again
  EXPECT_EQ(t.recent_failures(), 1u);
  EXPECT_TRUE(t.forgotten(p, t0 + 401ms));
}

} // namespace
} // namespace switchyard::actors
