// Idempotent publishes over real sockets, in both encodings (PROTOCOL.md, Semantics,
// Idempotency): a repeat within the window makes no new event and answers with the
// original seq, also when two connections race and after the node restarted.

#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"

#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

class Idempotency : public ::testing::TestWithParam<wire> {};

json publish_idem(encoded_client& c, const std::string& topic, json data, const std::string& idem,
                  int64_t id) {
  return c.request({{"op", "publish"}, {"topic", topic}, {"data", data}, {"idem", idem}}, id);
}

TEST_P(Idempotency, ARepeatMakesNoNewEventAndAnswersWithTheOriginalSeq) {
  test_node node;
  encoded_client c{node.port(), GetParam()};
  c.connect();
  ASSERT_TRUE(c.request({{"op", "subscribe"}, {"topic", "pay"}}, 2).contains("ok"));
  EXPECT_EQ(publish_idem(c, "pay", 1, "order-1", 3)["ok"], (json{{"seq", 1}, {"dup", false}}));
  EXPECT_EQ(publish_idem(c, "pay", 2, "order-2", 4)["ok"], (json{{"seq", 2}, {"dup", false}}));
  EXPECT_EQ(publish_idem(c, "pay", 99, "order-1", 5)["ok"], (json{{"seq", 1}, {"dup", true}}));
  // Within one frame too: the second of two equal tokens is the duplicate.
  c.send_frame(
      {{{"op", "publish"}, {"topic", "pay"}, {"data", 3}, {"idem", "order-3"}, {"id", 6}},
       {{"op", "publish"}, {"topic", "pay"}, {"data", 4}, {"idem", "order-3"}, {"id", 7}}});
  EXPECT_EQ(c.reply(6)["ok"], (json{{"seq", 3}, {"dup", false}}));
  EXPECT_EQ(c.reply(7)["ok"], (json{{"seq", 3}, {"dup", true}}));
  // The same token on another topic is another event.
  EXPECT_EQ(publish_idem(c, "other", 1, "order-1", 9)["ok"], (json{{"seq", 1}, {"dup", false}}));
  auto history = c.request({{"op", "history"}, {"topic", "pay"}, {"from_seq", 1}}, 10);
  ASSERT_EQ(history["ok"]["events"].size(), 3u);
  EXPECT_EQ(history["ok"]["events"][0]["idem"], "order-1");
  EXPECT_EQ(history["ok"]["events"][2]["data"], 3);
  std::vector<json> pushed;
  for (auto ev = c.next_push("event", 300ms); !ev.is_null(); ev = c.next_push("event", 300ms)) {
    pushed.push_back(ev["seq"]);
  }
  EXPECT_EQ(pushed, (std::vector<json>{1, 2, 3}));
}

TEST_P(Idempotency, TwoConnectionsRacingWithOneTokenMakeOneEvent) {
  test_node node;
  encoded_client a{node.port(), GetParam()};
  encoded_client b{node.port(), GetParam()};
  a.connect();
  b.connect();
  constexpr int n = 50;
  std::vector<json> frame_a;
  std::vector<json> frame_b;
  for (int i = 0; i < n; ++i) {
    const auto idem = "job-" + std::to_string(i);
    frame_a.push_back(
        {{"op", "publish"}, {"topic", "q"}, {"data", i}, {"idem", idem}, {"id", 100 + i}});
    frame_b.push_back(
        {{"op", "publish"}, {"topic", "q"}, {"data", i}, {"idem", idem}, {"id", 100 + i}});
  }
  a.send_frame(frame_a);
  b.send_frame(frame_b);
  std::set<uint64_t> seqs;
  int dups = 0;
  for (auto* c : {&a, &b}) {
    for (int i = 0; i < n; ++i) {
      auto r = c->next();
      ASSERT_TRUE(r.contains("ok")) << r.dump();
      seqs.insert(r["ok"]["seq"].get<uint64_t>());
      dups += r["ok"]["dup"].get<bool>() ? 1 : 0;
    }
  }
  EXPECT_EQ(seqs.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(dups, n);
  auto history =
      a.request({{"op", "history"}, {"topic", "q"}, {"from_seq", 1}, {"limit", 1000}}, 7);
  EXPECT_EQ(history["ok"]["last_seq"], n);
}

TEST_P(Idempotency, TheIndexSurvivesARestart) {
  temp_dir dir;
  const auto cfg = test_config(dir.path());
  {
    runtime::node node{cfg};
    std::string error;
    ASSERT_TRUE(node.start(error)) << error;
    encoded_client c{node.port(), GetParam()};
    c.connect();
    EXPECT_EQ(publish_idem(c, "pay", 1, "once", 2)["ok"]["seq"], 1);
    node.stop();
  }
  runtime::node node{cfg};
  std::string error;
  ASSERT_TRUE(node.start(error)) << error;
  encoded_client c{node.port(), GetParam()};
  c.connect();
  EXPECT_EQ(publish_idem(c, "pay", 1, "once", 2)["ok"], (json{{"seq", 1}, {"dup", true}}));
  node.stop();
}

TEST_P(Idempotency, ATokenOlderThanTheWindowMakesANewEvent) {
  test_node node{[](runtime::node_config& cfg) { cfg.store.dedup_window_ms = 300; }};
  encoded_client c{node.port(), GetParam()};
  c.connect();
  EXPECT_EQ(publish_idem(c, "pay", 1, "once", 2)["ok"]["seq"], 1);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(publish_idem(c, "pay", 1, "once", 3)["ok"], (json{{"seq", 2}, {"dup", false}}));
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Idempotency,
                         ::testing::Values(wire::in_json, wire::in_msgpack),
                         [](const ::testing::TestParamInfo<wire>& p) {
                           return std::string(wire_name(p.param));
                         });

} // namespace
} // namespace switchyard::testing
