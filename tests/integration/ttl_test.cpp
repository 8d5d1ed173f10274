// Events with ttl_ms over real sockets, in both encodings (PROTOCOL.md, Semantics, TTL):
// live fanout gets them; once expired they are not replayed nor handed to queue groups,
// and history marks them "expired".

#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

class Ttl : public ::testing::TestWithParam<wire> {};

TEST_P(Ttl, AnExpiredEventIsMarkedInHistoryAndNotReplayedNorQueued) {
  test_node node;
  encoded_client live{node.port(), GetParam()};
  live.connect();
  ASSERT_TRUE(live.request({{"op", "subscribe"}, {"topic", "t"}}, 2).contains("ok"));
  encoded_client pub{node.port(), GetParam()};
  pub.connect();
  ASSERT_TRUE(
      pub.request({{"op", "publish"}, {"topic", "t"}, {"data", "short"}, {"ttl_ms", 200}}, 2)
          .contains("ok"));
  ASSERT_TRUE(pub.request({{"op", "publish"}, {"topic", "t"}, {"data", "kept"}}, 3).contains("ok"));
  EXPECT_EQ(live.next_push("event")["data"], "short"); // live fanout still gets it
  EXPECT_EQ(live.next_push("event")["data"], "kept");
  std::this_thread::sleep_for(300ms);
  auto history = pub.request({{"op", "history"}, {"topic", "t"}, {"from_seq", 1}}, 4);
  ASSERT_EQ(history["ok"]["events"].size(), 2u);
  EXPECT_EQ(history["ok"]["events"][0]["expired"], true);
  EXPECT_FALSE(history["ok"]["events"][1].contains("expired"));
  encoded_client replay{node.port(), GetParam()};
  replay.connect();
  ASSERT_TRUE(replay.request({{"op", "subscribe"}, {"topic", "t"}, {"from", {{"seq", 1}}}}, 2)
                  .contains("ok"));
  EXPECT_EQ(replay.next_push("event")["data"], "kept");
  encoded_client worker{node.port(), GetParam()};
  worker.connect();
  ASSERT_TRUE(worker
                  .request({{"op", "subscribe"},
                            {"topic", "t"},
                            {"mode", "queue"},
                            {"group", "w"},
                            {"from", {{"seq", 1}}}},
                           2)
                  .contains("ok"));
  auto ev = worker.next_push("event");
  EXPECT_EQ(ev["data"], "kept");
  EXPECT_EQ(ev["seq"], 2);
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Ttl, ::testing::Values(wire::in_json, wire::in_msgpack),
                         [](const ::testing::TestParamInfo<wire>& p) {
                           return std::string(wire_name(p.param));
                         });

} // namespace
} // namespace switchyard::testing
