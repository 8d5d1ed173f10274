// The writer's group-commit wait (store.commit_wait_us) as a client sees it: after a
// commit that carried a steady load's worth of events, the next commit waits so it
// gathers more, unless a client waits for its answer; a lone publish is stored at once.
// Publishes without an id are seen through a subscriber (events go out once durable).

#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;

milliseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
}

/// 20 publishes without ids in one frame (one commit of 20 events: a busy one), then
/// their 20 events.
void publish_burst(encoded_client& c) {
  std::vector<json> burst;
  for (int i = 0; i < 20; ++i) {
    burst.push_back({{"op", "publish"}, {"topic", "work"}, {"data", i}});
  }
  c.send_frame(burst);
  for (int i = 0; i < 20; ++i) {
    ASSERT_FALSE(c.next_push("event").is_null()) << "event " << i << " of the burst";
  }
}

/// How long one publish without an id takes to come back as an event.
milliseconds time_unanswered_publish(encoded_client& c) {
  const auto start = std::chrono::steady_clock::now();
  c.send({{"op", "publish"}, {"topic", "work"}, {"data", "one"}});
  EXPECT_FALSE(c.next_push("event").is_null());
  return since(start);
}

TEST(CommitWait, OnlyACommitNobodyWaitsForWaitsAfterABusyOne) {
  test_node node{[](runtime::node_config& cfg) { cfg.store.commit_wait_us = 1'000'000; }};
  encoded_client c{node.port(), wire::in_json};
  c.connect();
  ASSERT_TRUE(c.request({{"op", "subscribe"}, {"topic", "work"}}, 2).contains("ok"));
  EXPECT_LT(time_unanswered_publish(c), 500ms) << "a lone publish waited";

  publish_burst(c);
  EXPECT_GE(time_unanswered_publish(c), 700ms) << "the commit after a busy one did not wait";
  // That commit carried one event: the next is stored at once again.
  EXPECT_LT(time_unanswered_publish(c), 500ms) << "a publish after a quiet commit waited";

  // A publish with an id (its client waits for `ok`) is never held back.
  publish_burst(c);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      c.request({{"op", "publish"}, {"topic", "work"}, {"data", "awaited"}}, 3).contains("ok"));
  EXPECT_LT(since(start), 500ms) << "an awaited publish waited";
}

} // namespace
} // namespace switchyard::testing
