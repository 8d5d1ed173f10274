// Topic restarts over real sockets: crashes with publishes in flight, subscribers in
// the middle of a replay, and a topic that keeps crashing; and the connect reply's
// session, signed with a key that outlives a restart of the node.

#include "actors/clock.hpp"
#include "actors/node_context.hpp"
#include "protocol/session_token.hpp"
#include "store/event_store.hpp"
#include "tests/support/protocol_helpers.hpp"
#include "tests/support/test_node.hpp"

#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

/// Reads pushes of `topic` until `last` was delivered or reported in a gap; returns the
/// seqs delivered, in arrival order. Fails the test on a repeat, a step back, or a gap
/// that does not start right after what came before.
std::vector<uint64_t> read_until(ws_client& c, uint64_t last) {
  std::vector<uint64_t> seen;
  uint64_t next = 0; // the seq expected next; 0 until the first push
  while (next <= last) {
    auto msg = c.next(10s);
    if (!msg) {
      ADD_FAILURE() << "stopped before seq " << last << " (next expected " << next << ")";
      return seen;
    }
    auto m = json::parse(*msg);
    if (m.value("push", "") == "gap") {
      EXPECT_TRUE(next == 0 || m["from"] == next) << m.dump();
      next = m["to"].get<uint64_t>() + 1;
    } else if (m.value("push", "") == "event") {
      const auto seq = m["seq"].get<uint64_t>();
      EXPECT_TRUE(next == 0 || seq == next) << "got " << seq << ", expected " << next;
      seen.push_back(seq);
      next = seq + 1;
    }
  }
  return seen;
}

TEST(TopicRestart, CrashesWithPublishesInFlightGiveEveryPublisherATruthfulAnswer) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.restarts.backoff_min_ms = 1;
    cfg.restarts.max_restarts = 100;
  }};
  ws_client sub{node.port()};
  ws_client pub{node.port()};
  connect(sub);
  connect(pub);
  ASSERT_TRUE(json::parse(sub.request(R"("op":"subscribe","topic":"ledger")", 2)).contains("ok"));
  constexpr int rounds = 4;
  constexpr int per_round = 300;
  std::map<int64_t, uint64_t> acked; // data -> seq
  int refused = 0;
  for (int round = 0; round < rounds; ++round) {
    const int64_t first = 1000 + round * per_round;
    pub.send_text(publish_frame("ledger", first, first, per_round));
    node.get().crash_topic("default", "ledger");
    for (int i = 0; i < per_round; ++i) {
      auto r = parse(pub.next());
      const auto data = r["id"].get<int64_t>(); // id == data in publish_frame
      if (r.contains("ok")) {
        acked[data] = r["ok"]["seq"].get<uint64_t>();
      } else {
        ASSERT_EQ(r["error"]["code"], "unavailable") << r.dump();
        ASSERT_TRUE(r["error"].contains("retry_after_ms"));
        ++refused;
      }
    }
  }
  // The topic takes publishes again right away, with the next seq.
  auto after = json::parse(pub.request(R"("op":"publish","topic":"ledger","data":-1)", 9));
  ASSERT_TRUE(after.contains("ok")) << after.dump();
  acked[-1] = after["ok"]["seq"].get<uint64_t>();
  // What the store holds is exactly what was acknowledged, gap-free from 1.
  const auto stored = stored_seqs(pub, "ledger");
  ASSERT_EQ(stored.size(), acked.size()) << refused << " refused";
  for (std::size_t i = 0; i < stored.size(); ++i) {
    ASSERT_EQ(stored[i], i + 1);
  }
  std::set<uint64_t> acked_seqs;
  for (const auto& [data, seq] : acked) {
    acked_seqs.insert(seq);
  }
  EXPECT_EQ(acked_seqs.size(), acked.size()) << "two publishes acknowledged with one seq";
  // Each acknowledged seq holds the data that publish sent.
  auto page =
      json::parse(pub.request(R"("op":"history","topic":"ledger","from_seq":1,"limit":1000)", 10));
  std::map<uint64_t, int64_t> data_at;
  for (const auto& ev : page["ok"]["events"]) {
    data_at[ev["seq"].get<uint64_t>()] = ev["data"].get<int64_t>();
  }
  for (const auto& [data, seq] : acked) {
    if (data_at.count(seq) > 0) {
      EXPECT_EQ(data_at[seq], data) << "seq " << seq;
    }
  }
  // The live subscriber, re-subscribed after every restart, saw every stored event once.
  const auto seen = read_until(sub, stored.size());
  EXPECT_EQ(seen.size(), stored.size());
}

TEST(TopicRestart, ASubscriberCatchingUpWhenItsTopicRestartsGetsEveryEventOnceInOrder) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.restarts.backoff_min_ms = 1;
    cfg.limits.outbound_queue = 16; // a replay of many drain cycles
  }};
  ws_client pub{node.port()};
  connect(pub);
  // 40 to a frame: the replies stay under the 4 x outbound_queue a client may leave unread.
  for (int i = 0; i < 50; ++i) {
    pub.send_text(publish_frame("replayed", 100 + i * 40, i * 40, 40));
    for (int k = 0; k < 40; ++k) {
      ASSERT_TRUE(parse(pub.next()).contains("ok"));
    }
  }
  ws_client sub{node.port()};
  connect(sub);
  auto reply =
      json::parse(sub.request(R"("op":"subscribe","topic":"replayed","from":{"seq":1})", 2));
  ASSERT_EQ(reply["ok"]["replayed"], 2000);
  // The first events arrived: the subscription is mid-replay when the topic dies.
  auto first = parse(sub.next());
  ASSERT_EQ(first["seq"], 1);
  node.get().crash_topic("default", "replayed");
  // The subscriber reads while the publishes go on: a client that stopped reading could
  // rightly get a gap once its replay is over and live events fill its queue.
  std::vector<uint64_t> seen;
  std::thread reader([&] { seen = read_until(sub, 2100); });
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(json::parse(pub.request(R"("op":"publish","topic":"replayed","data":0)", 5000 + i))
                    .contains("ok"));
  }
  reader.join();
  ASSERT_EQ(seen.size(), 2099u); // seq 1 was read above; a replay never gaps
  EXPECT_EQ(seen.front(), 2u);
  EXPECT_EQ(seen.back(), 2100u);
}

TEST(TopicRestart, ReplayAcrossManyDrainCyclesDeliversEverythingInOrder) {
  test_node node{[](runtime::node_config& cfg) { cfg.limits.outbound_queue = 16; }};
  ws_client pub{node.port()};
  connect(pub);
  for (int i = 0; i < 25; ++i) {
    pub.send_text(publish_frame("cycles", 10 + i * 40, i * 40, 40));
    for (int k = 0; k < 40; ++k) {
      ASSERT_TRUE(parse(pub.next()).contains("ok"));
    }
  }
  ws_client sub{node.port()};
  connect(sub);
  ASSERT_EQ(json::parse(sub.request(R"("op":"subscribe","topic":"cycles","from":{"seq":1})",
                                    2))["ok"]["replayed"],
            1000);
  const auto seen = read_until(sub, 1000);
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(TopicRestart, ATopicThatKeepsCrashingIsCutOffAndItsSubscribersAreToldSo) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.restarts.backoff_min_ms = 1;
    cfg.restarts.backoff_max_ms = 1;
    cfg.restarts.max_restarts = 2;
    cfg.restarts.window_ms = 60000;
  }};
  ws_client sub{node.port()};
  ws_client c{node.port()};
  connect(sub);
  connect(c);
  ASSERT_TRUE(json::parse(sub.request(R"("op":"subscribe","topic":"poison")", 2)).contains("ok"));
  // Each crash_topic waits for the restart the previous crash scheduled.
  for (int i = 0; i < 3; ++i) {
    node.get().crash_topic("default", "poison");
  }
  auto reply = json::parse(c.request(R"("op":"publish","topic":"poison","data":1)", 20));
  EXPECT_EQ(reply["error"]["code"], "unavailable") << reply.dump();
  EXPECT_TRUE(reply["error"].contains("retry_after_ms"));
  auto ended = parse(sub.next_containing("unsubscribed"));
  EXPECT_EQ(ended["push"], "unsubscribed");
  EXPECT_EQ(ended["topic"], "poison");
  EXPECT_EQ(ended["code"], "unavailable");
  EXPECT_FALSE(ended.contains("id"));
  // Other topics are unaffected.
  EXPECT_TRUE(
      json::parse(c.request(R"("op":"publish","topic":"healthy","data":1)", 21)).contains("ok"));
}

TEST(NodeRestart, TheSessionOfAConnectReplyIsSignedWithAKeyThatOutlivesARestart) {
  temp_dir dir;
  const auto now = [] { return actors::now_ms(); };
  std::string session;
  std::string key;
  {
    runtime::node n{test_config(dir.path())};
    std::string error;
    ASSERT_TRUE(n.start(error)) << error;
    ws_client c{n.port()};
    auto ok = json::parse(c.request(R"("op":"connect")", 1))["ok"];
    session = ok["session"].get<std::string>();
    key = n.context().store->session_key();
    ASSERT_EQ(key.size(), 32u);
    const auto v = protocol::verify_session(session, key, now());
    ASSERT_TRUE(v.claims) << v.error;
    EXPECT_EQ(v.claims->user, "anonymous");
    EXPECT_EQ(v.claims->tenant, "default");
    const int64_t day = int64_t{24} * 3600 * 1000; // resume.session_ttl_ms by default
    EXPECT_NEAR(static_cast<double>(v.claims->exp_ms), static_cast<double>(now() + day), 60000.0);
    n.stop();
  }
  runtime::node n{test_config(dir.path())};
  std::string error;
  ASSERT_TRUE(n.start(error)) << error;
  EXPECT_EQ(n.context().store->session_key(), key);
  EXPECT_TRUE(protocol::verify_session(session, n.context().store->session_key(), now()).claims);
  // Another store made another key: the session is foreign there.
  temp_dir elsewhere;
  runtime::node other{test_config(elsewhere.path())};
  ASSERT_TRUE(other.start(error)) << error;
  EXPECT_NE(other.context().store->session_key(), key);
  EXPECT_FALSE(
      protocol::verify_session(session, other.context().store->session_key(), now()).claims);
}

} // namespace
} // namespace switchyard::testing
