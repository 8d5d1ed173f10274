// End-to-end: a queue group of several members under load, the real binary killed with
// SIGKILL and restarted. At-least-once must hold across the crash: every stored event is
// processed, none whose ack was confirmed comes again, and publishes retried with their
// idem token store no second event.

#include "tests/support/encoded_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_node.hpp"

#include <csignal>
#include <map>
#include <set>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

constexpr int members = 3;
constexpr int total = 1500;

std::vector<std::string> node_args(const temp_dir& dir) {
  return {"--port", "0", "--data-dir", (dir.path() / "data").string(), "--log-level", "info"};
}

/// One worker: joins the group, acks every event it gets (with an id, so the node says
/// when the ack is durable).
struct worker {
  encoded_client c;
  int64_t next_id = 1000;
  std::map<int64_t, uint64_t> acks_in_flight; ///< ack id -> seq

  explicit worker(uint16_t port) : c(port, wire::in_json) {
    c.connect();
    auto r = c.request({{"op", "subscribe"},
                        {"topic", "jobs"},
                        {"mode", "queue"},
                        {"group", "w"},
                        {"max_inflight", 16},
                        {"from", {{"seq", 1}}}},
                       2);
    // The group exists after the first run: `from` is refused then, so join without it.
    if (r.contains("error")) {
      r = c.request({{"op", "subscribe"}, {"topic", "jobs"}, {"mode", "queue"}, {"group", "w"}}, 3);
    }
    EXPECT_TRUE(r.contains("ok")) << r.dump();
  }

  /// Handles what arrived within `wait`: events are recorded and acked; confirmed acks
  /// are recorded. Returns false when nothing came.
  bool poll(std::chrono::milliseconds wait, std::vector<uint64_t>& delivered,
            std::set<uint64_t>& confirmed) {
    auto m = c.next(wait);
    if (m.is_null()) {
      return false;
    }
    if (m.value("push", "") == "event") {
      const auto seq = m["seq"].get<uint64_t>();
      delivered.push_back(seq);
      acks_in_flight[next_id] = seq;
      c.send({{"op", "ack"}, {"topic", "jobs"}, {"group", "w"}, {"seq", seq}, {"id", next_id++}});
    } else if (m.contains("id") && acks_in_flight.count(m["id"].get<int64_t>()) > 0) {
      EXPECT_TRUE(m.contains("ok")) << m.dump();
      confirmed.insert(acks_in_flight[m["id"].get<int64_t>()]);
      acks_in_flight.erase(m["id"].get<int64_t>());
    }
    return true;
  }
};

/// Publishes events first..last-1 with idem "job-<i>" in frames of 100; the replies
/// are collected later by the caller.
void publish(encoded_client& pub, int first, int last) {
  std::vector<json> frame;
  for (int i = first; i < last; ++i) {
    frame.push_back({{"op", "publish"},
                     {"topic", "jobs"},
                     {"data", i},
                     {"idem", "job-" + std::to_string(i)},
                     {"id", i}});
    if (frame.size() == 100 || i + 1 == last) {
      pub.send_frame(frame);
      frame.clear();
    }
  }
}

TEST(QueueKill, KillNineUnderLoadRedeliversWhatWasNotAckedAndNothingThatWas) {
  temp_dir dir;
  std::vector<uint64_t> delivered_before;
  std::set<uint64_t> confirmed_before;
  std::map<int, uint64_t> published; // data -> seq, for publishes acked before the kill
  {
    node_process proc{SWITCHYARD_BIN, node_args(dir), dir.path() / "run1.log"};
    const auto port = proc.wait_for_port();
    ASSERT_NE(port, 0) << proc.log();
    std::vector<std::unique_ptr<worker>> workers;
    for (int i = 0; i < members; ++i) {
      workers.push_back(std::make_unique<worker>(port));
    }
    encoded_client pub{port, wire::in_json};
    pub.connect();
    publish(pub, 0, total);
    // Work until about two thirds of the events were processed, then kill the node
    // with acks, deliveries and publishes in flight.
    while (confirmed_before.size() < total * 2 / 3) {
      bool any = false;
      for (auto& w : workers) {
        any = w->poll(1ms, delivered_before, confirmed_before) || any;
      }
      for (auto m = pub.next(1ms); !m.is_null(); m = pub.next(1ms)) {
        if (m.contains("ok")) {
          published[m["id"].get<int>()] = m["ok"]["seq"].get<uint64_t>();
        }
      }
      ASSERT_TRUE(any || published.size() < total) << "stalled at " << confirmed_before.size();
    }
    proc.signal(SIGKILL);
    EXPECT_EQ(proc.wait(), -SIGKILL);
  }
  node_process proc{SWITCHYARD_BIN, node_args(dir), dir.path() / "run2.log"};
  const auto port = proc.wait_for_port();
  ASSERT_NE(port, 0) << proc.log();
  // The publisher retries everything with the same tokens: no event is stored twice,
  // and the ones acknowledged before keep their seq.
  encoded_client pub{port, wire::in_json};
  pub.connect();
  publish(pub, 0, total);
  std::set<uint64_t> seqs;
  for (int i = 0; i < total; ++i) {
    auto m = pub.next(10s);
    ASSERT_TRUE(m.contains("ok")) << m.dump();
    const auto data = m["id"].get<int>();
    const auto seq = m["ok"]["seq"].get<uint64_t>();
    if (published.count(data) > 0) {
      EXPECT_EQ(seq, published[data]) << "event " << data;
      EXPECT_TRUE(m["ok"]["dup"].get<bool>());
    }
    seqs.insert(seq);
  }
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(total));
  EXPECT_EQ(*seqs.rbegin(), static_cast<uint64_t>(total)); // gap-free: 1..total, no extra
  std::vector<std::unique_ptr<worker>> workers;
  for (int i = 0; i < members; ++i) {
    workers.push_back(std::make_unique<worker>(port));
  }
  std::vector<uint64_t> delivered_after;
  std::set<uint64_t> confirmed_after;
  // Processed: handed to a worker in either run (an ack sent just before the kill may
  // or may not have become durable, so such an event may or may not come again).
  std::set<uint64_t> processed(delivered_before.begin(), delivered_before.end());
  while (processed.size() < total) {
    bool any = false;
    for (auto& w : workers) {
      any = w->poll(5ms, delivered_after, confirmed_after) || any;
    }
    processed.insert(delivered_after.begin(), delivered_after.end());
    if (!any) {
      // Nothing for a while: what is missing will not come.
      bool more = false;
      for (auto& w : workers) {
        more = w->poll(2s, delivered_after, confirmed_after) || more;
      }
      if (!more) {
        break;
      }
    }
  }
  EXPECT_EQ(processed.size(), static_cast<std::size_t>(total)) << "events never processed";
  EXPECT_EQ(*processed.rbegin(), static_cast<uint64_t>(total));

  for (const auto seq : delivered_after) {
    EXPECT_EQ(confirmed_before.count(seq), 0u) << "seq " << seq << " was acked, then came again";
  }
}

} // namespace
} // namespace switchyard::testing
