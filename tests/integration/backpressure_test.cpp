// Backpressure signals over real sockets, in both encodings: a fanout consumer that falls
// behind hears it (slow_down before its gap, level 0 once caught up), and publishers
// hear when a queue group of their topic is behind (groups.lag_watermark).

#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

class Backpressure : public ::testing::TestWithParam<wire> {};

TEST_P(Backpressure, AConsumerThatFallsBehindIsToldBeforeItsGapAndAgainOnceCaughtUp) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.limits.outbound_queue = 16;
    cfg.limits.write_timeout_ms = 120000; // it reads nothing until the publishing is over
  }};
  encoded_client slow{node.port(), GetParam()};
  encoded_client pub{node.port(), GetParam()};
  slow.connect();
  pub.connect();
  ASSERT_TRUE(slow.request({{"op", "subscribe"}, {"topic", "firehose"}}, 2).contains("ok"));
  // 64 KiB events, far more than the socket buffers hold for a client that does not read.
  const std::string blob(64 * 1024, 'z');
  constexpr uint64_t total = 150;
  for (uint64_t i = 1; i < total; ++i) {
    pub.send({{"op", "publish"}, {"topic", "firehose"}, {"data", blob}});
  }
  ASSERT_TRUE(
      pub.request({{"op", "publish"}, {"topic", "firehose"}, {"data", "last"}}, 3).contains("ok"));

  std::vector<int> levels;
  bool warned_before_gap = false;
  int gaps = 0;
  for (uint64_t next = 1; next <= total;) {
    auto m = slow.next(std::chrono::seconds(10));
    ASSERT_FALSE(m.is_null()) << "stopped at " << next;
    if (m["push"] == "slow_down") {
      levels.push_back(m["level"].get<int>());
      EXPECT_TRUE(m.contains("retry_after_ms")) << m.dump();
      EXPECT_FALSE(m["reason"].get<std::string>().empty());
    } else if (m["push"] == "gap") {
      if (gaps++ == 0) {
        warned_before_gap = std::count(levels.begin(), levels.end(), 2) > 0;
      }
      ASSERT_EQ(m["from"], next);
      next = m["to"].get<uint64_t>() + 1;
    } else {
      ASSERT_EQ(m["seq"], next) << m.dump().substr(0, 100);
      ++next;
    }
  }
  // Read up: the all-clear comes once the socket drained.
  while (levels.empty() || levels.back() != 0) {
    auto m = slow.next_push("slow_down", std::chrono::seconds(5));
    ASSERT_FALSE(m.is_null()) << "no slow_down level 0 after catching up";
    levels.push_back(m["level"].get<int>());
  }
  EXPECT_GT(gaps, 0);
  EXPECT_TRUE(warned_before_gap) << "the gap came without a slow_down level 2 first";
  // Each push is a change (the socket may drain into the kernel's buffers and fill again
  // before the client reads: level 0, then up again).
  EXPECT_EQ(std::adjacent_find(levels.begin(), levels.end()), levels.end());
}

TEST_P(Backpressure, PublishersHearWhenAQueueGroupOfTheirTopicFallsBehindAndCatchesUp) {
  test_node node{[](runtime::node_config& cfg) { cfg.groups.lag_watermark = 10; }};
  encoded_client worker{node.port(), GetParam()};
  encoded_client pub{node.port(), GetParam()};
  encoded_client other{node.port(), GetParam()};
  worker.connect();
  pub.connect();
  other.connect();
  ASSERT_TRUE(worker
                  .request({{"op", "subscribe"},
                            {"topic", "jobs"},
                            {"mode", "queue"},
                            {"group", "w"},
                            {"max_inflight", 1}},
                           2)
                  .contains("ok"));
  int64_t id = 10;
  auto publish = [&](encoded_client& c, const char* topic) {
    auto r = c.request({{"op", "publish"}, {"topic", topic}, {"data", id}}, id);
    ++id;
    ASSERT_TRUE(r.contains("ok")) << r.dump();
  };
  // The worker holds one event and acks none: the group falls behind event by event.
  std::vector<int> levels;
  int first_told = 0; // publishes made when the first slow_down came
  for (int i = 1; i <= 30 && (levels.empty() || levels.back() < 2); ++i) {
    publish(pub, "jobs");
    for (auto m = pub.next_push("slow_down", std::chrono::milliseconds(50)); !m.is_null();
         m = pub.next_push("slow_down", std::chrono::milliseconds(50))) {
      EXPECT_NE(m["reason"].get<std::string>().find("'jobs'"), std::string::npos) << m.dump();
      levels.push_back(m["level"].get<int>());
      first_told = first_told == 0 ? i : first_told;
    }
  }
  // Level 1 from 8 events behind, 2 from 10: the group tells the topic after each
  // commit, so a publisher hears it with the acks that follow.
  ASSERT_FALSE(levels.empty()) << "no slow_down while the group fell 30 events behind";
  EXPECT_GT(first_told, 8);
  EXPECT_EQ(levels.back(), 2);
  EXPECT_TRUE(std::is_sorted(levels.begin(), levels.end()));
  // A publisher of another topic hears nothing of it.
  publish(other, "elsewhere");
  EXPECT_TRUE(other.next_push("slow_down", std::chrono::milliseconds(300)).is_null());

  // The worker acks everything; the next publishes hear that the group caught up.
  bool cleared = false;
  for (int i = 0; i < 60 && !cleared; ++i) {
    auto ev = worker.next_push("event", std::chrono::milliseconds(200));
    if (!ev.is_null()) {
      ASSERT_TRUE(
          worker
              .request({{"op", "ack"}, {"topic", "jobs"}, {"group", "w"}, {"seq", ev["seq"]}},
                       1000 + i)
              .contains("ok"));
      continue;
    }
    publish(pub, "jobs");
    auto m = pub.next_push("slow_down", std::chrono::milliseconds(50));
    cleared = !m.is_null() && m["level"] == 0;
  }
  EXPECT_TRUE(cleared) << "no slow_down level 0 once the group caught up";
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Backpressure,
                         ::testing::Values(wire::in_json, wire::in_msgpack),
                         [](const ::testing::TestParamInfo<wire>& p) {
                           return std::string(wire_name(p.param));
                         });

} // namespace
} // namespace switchyard::testing
