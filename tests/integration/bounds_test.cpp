// Nothing grows without bound: idle topics stop, running topics stay near
// topics.max_live, a topic refuses past topics.max_pending, and a client that floods
// the node is paused instead of buffered.

#include "tests/support/protocol_helpers.hpp"
#include "tests/support/raw_socket.hpp"
#include "tests/support/test_node.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

/// Publishes once to each of `topics` topics "<prefix>/<n>", `per_frame` to a frame, and
/// expects every ack (replies come in the order the topics committed, not sent).
void publish_to_many(ws_client& c, const std::string& prefix, int topics, int per_frame = 100) {
  for (int first = 0; first < topics; first += per_frame) {
    std::string frame;
    for (int n = first; n < first + per_frame && n < topics; ++n) {
      frame += R"({"id":)" + std::to_string(n + 10) + R"(,"op":"publish","topic":")" + prefix +
               "/" + std::to_string(n) + R"(","data":1})" + "\n";
    }
    c.send_text(frame);
    for (int n = first; n < first + per_frame && n < topics; ++n) {
      auto r = parse(c.next());
      ASSERT_TRUE(r.contains("ok")) << r.dump();
    }
  }
}

TEST(Bounds, IdleTopicsStopAndComeBackWithTheirSeq) {
  test_node node{[](runtime::node_config& cfg) { cfg.topics.idle_ms = 50; }};
  ws_client c{node.port()};
  connect(c);
  publish_to_many(c, "idle", 50);
  EXPECT_GT(node.get().live_topics(), 0u);
  EXPECT_TRUE(wait_for([&] { return node.get().live_topics() == 0; }))
      << node.get().live_topics() << " topics still running";
  auto r = json::parse(c.request(R"("op":"publish","topic":"idle/7","data":2)", 5));
  EXPECT_EQ(r["ok"]["seq"], 2) << r.dump();
}

TEST(Bounds, RunningTopicsStayNearMaxLiveAndSubscribedOnesStay) {
  test_node node{[](runtime::node_config& cfg) { cfg.topics.max_live = 20; }};
  ws_client sub{node.port()};
  ws_client c{node.port()};
  connect(sub);
  connect(c);
  ASSERT_TRUE(json::parse(sub.request(R"("op":"subscribe","topic":"keep")", 2)).contains("ok"));
  publish_to_many(c, "many", 1000);
  // Topics ask to stop two at a time as new ones start; a few may still be finishing.
  EXPECT_TRUE(wait_for([&] { return node.get().live_topics() <= 21; }))
      << node.get().live_topics() << " topics running";
  // The subscribed topic was never stopped: its subscriber still gets its events.
  ASSERT_TRUE(
      json::parse(c.request(R"("op":"publish","topic":"keep","data":"x")", 3)).contains("ok"));
  auto ev = parse(sub.next());
  EXPECT_EQ(ev["topic"], "keep");
  EXPECT_EQ(node.get().subscriber_count("default", "keep"), 1u);
  // A stopped topic comes back on its next publish with the next seq.
  auto r = json::parse(c.request(R"("op":"publish","topic":"many/3","data":2)", 4));
  EXPECT_EQ(r["ok"]["seq"], 2) << r.dump();
}

TEST(Bounds, PublishesBeyondMaxPendingAreRefusedAndNothingAcknowledgedIsLost) {
  test_node node{[](runtime::node_config& cfg) { cfg.topics.max_pending = 8; }};
  ws_client c{node.port()};
  connect(c);
  c.send_text(publish_frame("hot", 10, 0, 300));
  std::vector<uint64_t> acked;
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    auto r = parse(c.next());
    if (r.contains("ok")) {
      acked.push_back(r["ok"]["seq"].get<uint64_t>());
    } else {
      EXPECT_EQ(r["error"]["code"], "unavailable") << r.dump();
      EXPECT_EQ(r["error"]["retry_after_ms"], 100);
      ++refused;
    }
  }
  EXPECT_GT(refused, 0);
  ASSERT_FALSE(acked.empty());
  EXPECT_EQ(stored_seqs(c, "hot"), acked); // in order, gap-free from 1, nothing else
}

TEST(Bounds, AFloodingClientIsPausedAndOtherClientsAreServed) {
  test_node node{[](runtime::node_config& cfg) { cfg.limits.inbound_queue = 4; }};
  ws_client observer{node.port()};
  connect(observer);
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  // jthread + stop_on_exit: a failing ASSERT below still stops and joins the flood.
  std::jthread flood([&] {
    raw_socket s{node.port()};
    if (!s.handshake(node.port()) || !s.write(ws_client_frame(R"({"op":"connect"})"))) {
      failed = true;
      return;
    }
    // Publishes without ids (no replies to read), 200 to a frame, as fast as TCP takes them.
    std::string frame;
    for (int i = 0; i < 200; ++i) {
      frame +=
          R"({"op":"publish","topic":"flood","data":"0123456789012345678901234567890123456789"})"
          "\n";
    }
    const auto bytes = ws_client_frame(frame);
    while (!stop && s.write(bytes, &stop)) {
    }
    // A reset: what the node left unread in its socket is dropped by the kernel.
    s.reset();
  });
  const stop_on_exit stopper{stop};
  ASSERT_TRUE(wait_for([&] { return last_seq(observer, "flood") > 0; })) << "no flood";
  // Others are served while it floods.
  for (int i = 0; i < 20; ++i) {
    auto r = json::parse(observer.request(R"("op":"publish","topic":"calm","data":1)", 10 + i));
    ASSERT_TRUE(r.contains("ok")) << r.dump();
  }
  stop = true;
  flood.join();
  const auto stored_before_reset = last_seq(observer, "flood");
  ASSERT_FALSE(failed);
  // Once its connection is gone, the node stores only what it had taken in: at most the
  // paused frames (4 x 200) and the publishes in flight; never a backlog of seconds.
  ASSERT_TRUE(wait_for([&] { return node.get().live_connections() == 1; }));
  // Acknowledged after everything the topic took before it.
  auto barrier = json::parse(observer.request(R"("op":"publish","topic":"flood","data":2)", 99));
  ASSERT_TRUE(barrier.contains("ok")) << barrier.dump();
  const auto stored_after = barrier["ok"]["seq"].get<uint64_t>() - 1;
  EXPECT_LT(stored_after - stored_before_reset, 2000u)
      << stored_before_reset << " stored before the reset, " << stored_after << " after";
}

} // namespace
} // namespace switchyard::testing
