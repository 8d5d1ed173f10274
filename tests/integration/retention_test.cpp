// Retention over real sockets, in both encodings (PROTOCOL.md, Semantics, Retention):
// the sweeper deletes events past retention.max_age_ms or beyond the per-topic caps,
// never one a queue group has yet to deliver, and reads from before what is kept
// answer `expired` with `oldest_seq`.

#include "tests/support/encoded_client.hpp"
#include "tests/support/protocol_helpers.hpp"
#include "tests/support/test_node.hpp"

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

class Retention : public ::testing::TestWithParam<wire> {};

json history_from(encoded_client& c, const std::string& topic, int64_t from, int64_t id) {
  return c.request({{"op", "history"}, {"topic", topic}, {"from_seq", from}}, id);
}

void publish_n(encoded_client& c, const std::string& topic, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(
        c.request({{"op", "publish"}, {"topic", topic}, {"data", i}}, 50 + i).contains("ok"));
  }
}

TEST_P(Retention, OldEventsAreDeletedAndReadsFromBeforeThemAreExpired) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.retention.max_age_ms = 300;
    cfg.retention.sweep_ms = 50;
  }};
  encoded_client c{node.port(), GetParam()};
  c.connect();
  publish_n(c, "t", 5);
  // All five are gone once the oldest seq kept is past them.
  ASSERT_TRUE(wait_for([&] { return history_from(c, "t", 1, 2)["error"]["oldest_seq"] == 6; }));
  ASSERT_TRUE(c.request({{"op", "publish"}, {"topic", "t"}, {"data", "new"}}, 3).contains("ok"));
  auto err = history_from(c, "t", 1, 4)["error"];
  EXPECT_EQ(err["code"], "expired");
  EXPECT_EQ(err["oldest_seq"], 6);
  auto sub = c.request({{"op", "subscribe"}, {"topic", "t"}, {"from", {{"seq", 2}}}}, 5);
  EXPECT_EQ(sub["error"]["code"], "expired");
  EXPECT_EQ(sub["error"]["oldest_seq"], 6);
  auto page = history_from(c, "t", 6, 6);
  ASSERT_EQ(page["ok"]["events"].size(), 1u);
  EXPECT_EQ(page["ok"]["events"][0]["data"], "new");
  // `last` asks for what is there: no error.
  ASSERT_TRUE(
      c.request({{"op", "subscribe"}, {"topic", "t"}, {"from", {{"last", 10}}}}, 7).contains("ok"));
  EXPECT_EQ(c.next_push("event")["seq"], 6);
}

TEST_P(Retention, APerTopicCapKeepsTheNewestEvents) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.retention.max_events = 3;
    cfg.retention.sweep_ms = 50;
  }};
  encoded_client c{node.port(), GetParam()};
  c.connect();
  publish_n(c, "t", 10);
  // The sweeper may run between publishes too: wait for the step after the last one.
  ASSERT_TRUE(wait_for([&] { return history_from(c, "t", 1, 2)["error"]["oldest_seq"] == 8; }));
  EXPECT_EQ(history_from(c, "t", 8, 4)["ok"]["events"].size(), 3u);
}

TEST_P(Retention, EventsAGroupHasYetToDeliverAreKeptUntilAcked) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.retention.max_age_ms = 200;
    cfg.retention.sweep_ms = 50;
  }};
  encoded_client c{node.port(), GetParam()};
  c.connect();
  ASSERT_TRUE(c.request({{"op", "subscribe"},
                         {"topic", "t"},
                         {"mode", "queue"},
                         {"group", "w"},
                         {"max_inflight", 1}},
                        2)
                  .contains("ok"));
  publish_n(c, "t", 3);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(history_from(c, "t", 1, 3)["ok"]["events"].size(), 3u);
  for (int i = 1; i <= 3; ++i) {
    auto ev = c.next_push("event");
    ASSERT_EQ(ev["seq"], i);
    ASSERT_TRUE(c.request({{"op", "ack"}, {"topic", "t"}, {"group", "w"}, {"seq", i}}, 10 + i)
                    .contains("ok"));
  }
  ASSERT_TRUE(wait_for([&] { return history_from(c, "t", 1, 20)["error"]["oldest_seq"] == 4; }));
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Retention,
                         ::testing::Values(wire::in_json, wire::in_msgpack),
                         [](const ::testing::TestParamInfo<wire>& p) {
                           return std::string(wire_name(p.param));
                         });

} // namespace
} // namespace switchyard::testing
