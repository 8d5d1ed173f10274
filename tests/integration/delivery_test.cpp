// Delivery guarantees under stress: slow subscribers get `gap`, topic restarts lose nothing.

#include "tests/support/test_node.hpp"
#include "tests/support/ws_client.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace switchyard::testing {
namespace {

using json = nlohmann::json;

TEST(Delivery, SlowSubscriberGetsGapWhileFastOneGetsEverything) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.limits.outbound_queue = 16;
    // The slow one reads nothing until the end: it must outlast the publishing (which a
    // ThreadSanitizer build slows down) without being closed for not reading.
    cfg.limits.write_timeout_ms = 120000;
  }};
  ws_client slow{node.port()};
  ws_client fast{node.port()};
  ws_client pub{node.port()};
  for (auto* c : {&slow, &fast, &pub}) {
    c->request(R"("op":"connect")", 1);
  }
  slow.request(R"("op":"subscribe","topic":"firehose")", 2);
  fast.request(R"("op":"subscribe","topic":"firehose")", 2);
  // 400 events of 64 KiB: far more than the socket buffers hold for a client that
  // does not read, so the slow one's queue overflows.
  const int total = 400;
  std::string blob(64 * 1024, 'z');
  std::mutex mutex;
  std::condition_variable progressed;
  int fast_seen = 0;
  std::thread reader([&] {
    for (int seen = 0; seen < total;) {
      auto m = fast.next(10s);
      if (!m) {
        return;
      }
      auto ev = json::parse(*m);
      if (ev["push"] == "event") {
        EXPECT_EQ(ev["seq"], seen + 1) << m->substr(0, 100);
        std::lock_guard lock(mutex);
        fast_seen = ++seen;
        progressed.notify_one();
      }
    }
  });
  for (int i = 1; i <= total; ++i) {
    // Paced by the fast reader, so only the slow one falls behind.
    std::unique_lock lock(mutex);
    progressed.wait_for(lock, 10s, [&] { return fast_seen >= i - 4; });
    lock.unlock();
    pub.send_text(R"({"op":"publish","topic":"firehose","data":")" + blob + R"("})");
  }
  reader.join();
  EXPECT_EQ(fast_seen, total);
  // The slow one now reads: seqs in order, the missing ranges announced by `gap`.
  uint64_t next = 1;
  int gaps = 0;
  while (next <= total) {
    auto m = slow.next(10s);
    ASSERT_TRUE(m.has_value()) << "stopped at " << next;
    auto msg = json::parse(*m);
    if (msg["push"] == "slow_down") {
      continue; // it fell behind (backpressure_test.cpp)
    }
    if (msg["push"] == "gap") {
      ASSERT_EQ(msg["from"], next);
      next = msg["to"].get<uint64_t>() + 1;
      ++gaps;
    } else {
      ASSERT_EQ(msg["seq"], next);
      ++next;
    }
  }
  EXPECT_GE(gaps, 1);
  // Caught up, the slow one is served again: every later event, no further gap.
  for (uint64_t seq = total + 1; seq <= total + 20; ++seq) {
    pub.send_text(R"({"op":"publish","topic":"firehose","data":"after"})");
    auto m = slow.next(10s);
    ASSERT_TRUE(m.has_value()) << "stopped at " << seq;
    auto msg = json::parse(*m);
    if (msg["push"] == "slow_down") { // caught up: the all-clear once its socket drained
      ASSERT_EQ(msg["level"], 0) << *m;
      m = slow.next(10s);
      ASSERT_TRUE(m.has_value()) << "stopped at " << seq;
      msg = json::parse(*m);
    }
    ASSERT_EQ(msg["push"], "event") << *m;
    ASSERT_EQ(msg["seq"], seq);
  }
  // What it missed is in the history.
  auto hist =
      json::parse(slow.request(R"("op":"history","topic":"firehose","from_seq":1,"limit":3)", 9));
  EXPECT_EQ(hist["ok"]["events"].size(), 3u);
}

/// Publishes `count` events one at a time (each waits for its acknowledgement) to a
/// room whose subscriber reads frames; returns how many frames carried them, after
/// checking that every event arrived once, in order.
std::size_t frames_for_paced_events(int64_t write_round_ms, int count) {
  test_node node{[&](runtime::node_config& cfg) {
    cfg.limits.write_round_ms = write_round_ms;
    cfg.limits.write_round_room = 1; // a room of one counts as big here
  }};
  ws_client sub{node.port()};
  ws_client pub{node.port()};
  sub.request(R"("op":"connect")", 1);
  pub.request(R"("op":"connect")", 1);
  sub.request(R"("op":"subscribe","topic":"room")", 2);
  for (int i = 1; i <= count; ++i) {
    pub.request(R"("op":"publish","topic":"room","data":)" + std::to_string(i), 100 + i);
  }
  std::size_t frames = 0;
  int next = 1;
  while (next <= count) {
    auto frame = sub.read_frame(5s);
    if (!frame) {
      ADD_FAILURE() << "event " << next << " never arrived";
      break;
    }
    ++frames;
    std::size_t pos = 0;
    while (pos < frame->size()) {
      auto end = std::min(frame->find('\n', pos), frame->size());
      auto ev = json::parse(frame->substr(pos, end - pos));
      EXPECT_EQ(ev["push"], "event");
      EXPECT_EQ(ev["seq"], next);
      ++next;
      pos = end + 1;
    }
  }
  return frames;
}

TEST(Delivery, EventsOfABigRoomLeaveInWriteRoundsAndEachArrivesOnceInOrder) {
  // Each publish waits for its acknowledgement, so without rounds each event is its
  // own write; with a round longer than the whole run, the first goes at once and
  // the rest wait for the rounds.
  const int count = 20;
  const auto without_rounds = frames_for_paced_events(0, count);
  const auto with_rounds = frames_for_paced_events(2000, count);
  EXPECT_GE(without_rounds, static_cast<std::size_t>(count) / 2);
  EXPECT_LE(with_rounds, 3u);
}

TEST(Delivery, CrashedTopicRestartsFromStoreAndSubscribersLoseNothing) {
  test_node node{[](runtime::node_config& cfg) { cfg.restarts.backoff_min_ms = 20; }};
  ws_client sub{node.port()};
  ws_client pub{node.port()};
  sub.request(R"("op":"connect")", 1);
  pub.request(R"("op":"connect")", 1);
  sub.request(R"("op":"subscribe","topic":"fragile")", 2);
  for (int i = 1; i <= 5; ++i) {
    pub.request(R"("op":"publish","topic":"fragile","data":)" + std::to_string(i), 10 + i);
  }
  node.get().crash_topic("default", "fragile");
  // crash_topic returned once the topic died: the next publish waits for its restart.
  for (int i = 6; i <= 10; ++i) {
    auto ack = json::parse(
        pub.request(R"("op":"publish","topic":"fragile","data":)" + std::to_string(i), 10 + i));
    EXPECT_EQ(ack["ok"]["seq"], i) << ack.dump();
  }
  for (int i = 1; i <= 10; ++i) {
    auto m = sub.next_containing("\"push\"");
    ASSERT_TRUE(m.has_value()) << "missing seq " << i;
    auto ev = json::parse(*m);
    ASSERT_EQ(ev["seq"], i);
    ASSERT_EQ(ev["data"], i);
  }
  EXPECT_EQ(node.get().subscriber_count("default", "fragile"), 1u);
}

} // namespace
} // namespace switchyard::testing

namespace switchyard::testing {
namespace {

TEST(Durability, ConcurrentPublishersShareStoreCommits) {
  test_node node;
  constexpr int publishers = 8;
  constexpr int per_publisher = 200;
  std::vector<std::unique_ptr<ws_client>> clients;
  for (int p = 0; p < publishers; ++p) {
    clients.push_back(std::make_unique<ws_client>(node.port()));
    clients.back()->request(R"("op":"connect")", 1);
  }
  // Every publisher pipelines all its publishes in one frame, then reads the acks.
  for (int p = 0; p < publishers; ++p) {
    std::string frame;
    for (int i = 0; i < per_publisher; ++i) {
      frame += R"({"id":)" + std::to_string(10 + i) + R"(,"op":"publish","topic":"t)" +
               std::to_string(p) + R"(","data":)" + std::to_string(i) + "}\n";
    }
    clients[p]->send_text(frame);
  }
  for (int p = 0; p < publishers; ++p) {
    for (int i = 0; i < per_publisher; ++i) {
      auto m = clients[p]->next();
      ASSERT_TRUE(m.has_value());
      auto r = json::parse(*m);
      ASSERT_EQ(r["ok"]["seq"], i + 1) << r.dump();
    }
  }
  auto stats = node.get().store_counters();
  // Backlog batching: a topic's publishes share an append.
  EXPECT_LT(stats.commits, static_cast<uint64_t>(publishers * per_publisher) / 4);
}

TEST(Durability, TopicsPublishedTogetherShareStoreCommits) {
  test_node node;
  ws_client client{node.port()};
  client.request(R"("op":"connect")", 1);
  // One frame with a publish to each of 64 topics: their appends reach the store writer
  // together, and one transaction takes whatever waits in its mailbox.
  constexpr int topics = 64;
  std::string frame;
  for (int t = 0; t < topics; ++t) {
    frame += R"({"id":)" + std::to_string(10 + t) + R"(,"op":"publish","topic":"t)" +
             std::to_string(t) + R"(","data":1})" + "\n";
  }
  client.send_text(frame);
  for (int t = 0; t < topics; ++t) {
    auto m = client.next();
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(json::parse(*m)["ok"]["seq"], 1) << *m;
  }
  auto stats = node.get().store_counters();
  EXPECT_EQ(stats.batches, static_cast<uint64_t>(topics));
  EXPECT_LT(stats.commits, stats.batches);
}

} // namespace
} // namespace switchyard::testing
