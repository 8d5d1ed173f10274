// End-to-end, the failover proof: a real etcd and three real nodes with
// cluster.replication 2. The owner of three busy topics is killed (kill -9) while three
// publishers and three subscribers run through different nodes. No acknowledged event
// is lost, none is stored twice, each topic's seqs stay gap-free and in publish order,
// and every client is going again within 5 s of the kill. The killed node, back, catches
// up from the node that served its topics meanwhile before it serves them again.

#include "tests/e2e/cluster_harness.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

namespace switchyard::testing {
namespace {

using clock = std::chrono::steady_clock;

/// A client that survives its node: every failure is an answer (nullopt), never a test
/// failure, and connect() may be called again.
class sturdy_client {
public:
  bool connect(uint16_t port) {
    try {
      ws_ = std::make_unique<ws_client>(port, "switchyard.v1.json");
      ws_->send_text(json{{"op", "connect"}, {"id", 0}}.dump());
      auto r = reply(0, std::chrono::seconds(5));
      return r && r->contains("ok");
    } catch (const std::exception&) {
      ws_.reset();
      return false;
    }
  }

  /// The reply to `msg` (given id `id`), or nullopt when the connection failed or no
  /// reply came in time. Pushes in between go to `pushes`.
  std::optional<json> request(json msg, int64_t id, std::chrono::milliseconds timeout) {
    if (!ws_) {
      return std::nullopt;
    }
    msg["id"] = id;
    try {
      ws_->send_text(msg.dump());
    } catch (const std::exception&) {
      ws_.reset();
      return std::nullopt;
    }
    return reply(id, timeout);
  }

  /// The next push or reply, or nullopt (the connection is then dropped when it closed).
  std::optional<json> next(std::chrono::milliseconds timeout) {
    if (!pushes_.empty()) {
      auto m = std::move(pushes_.front());
      pushes_.erase(pushes_.begin());
      return m;
    }
    if (!ws_) {
      return std::nullopt;
    }
    auto frame = ws_->next(timeout);
    if (!frame) {
      if (ws_->close_code() != 0 || !alive()) {
        ws_.reset();
      }
      return std::nullopt;
    }
    return json::parse(*frame, nullptr, false);
  }

  bool connected() const { return ws_ != nullptr; }
  void drop() { ws_.reset(); }

private:
  bool alive() {
    try {
      ws_->send_text(json{{"op", "ping"}, {"id", -1}}.dump());
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  std::optional<json> reply(int64_t id, std::chrono::milliseconds timeout) {
    const auto until = clock::now() + timeout;
    while (ws_ && clock::now() < until) {
      auto frame =
          ws_->next(std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()));
      if (!frame) {
        if (ws_->close_code() != 0 || !alive()) {
          ws_.reset();
        }
        continue;
      }
      auto m = json::parse(*frame, nullptr, false);
      if (m.is_object() && m.contains("id") && m["id"] == id) {
        return m;
      }
      if (m.is_object() && m.contains("push")) {
        pushes_.push_back(std::move(m));
      }
    }
    if (ws_ && clock::now() >= until) {
      ws_.reset(); // a lost answer: start again on a fresh connection
    }
    return std::nullopt;
  }

  std::unique_ptr<ws_client> ws_;
  std::vector<json> pushes_;
};

class ReplicatedCluster : public Cluster {
protected:
  void SetUp() override {
    replication = 2;
    Cluster::SetUp();
  }
};

/// One publisher's view: event i acknowledged with seq acked[i].
struct publisher_log {
  std::vector<uint64_t> acked;
  clock::time_point first_ok_after_kill{};
};

/// One subscriber's view: the seqs and data it received, in order.
struct subscriber_log {
  std::vector<std::pair<uint64_t, int64_t>> events;
  clock::time_point resumed{};
  int subscribes = 0;
};

TEST_F(ReplicatedCluster, KillingTheOwnerUnderLoadLosesNoAcknowledgedEventAndClientsResume) {
  auto table = settled({"n1", "n2", "n3"});
  ASSERT_FALSE(table.empty());
  std::vector<std::string> topics;
  for (int i = 0; topics.size() < 3; ++i) {
    auto topic = "busy/" + std::to_string(i);
    if (table.at(actors::shard_of("default", topic)).first == "n3") {
      topics.push_back(topic);
    }
  }
  const std::vector<uint16_t> ports{nodes["n1"].port, nodes["n2"].port, nodes["n3"].port};
  std::atomic<bool> stop_publishing{false};
  std::atomic<bool> stop_subscribing{false};
  std::atomic<int64_t> killed_at_ns{0};
  std::vector<publisher_log> pubs(3);
  std::vector<subscriber_log> subs(3);

  std::vector<std::thread> threads;
  for (int k = 0; k < 3; ++k) {
    // Publisher k enters at node k (n3's own publisher loses its node with the kill) and
    // publishes to topic k one event at a time, each with an idem token: a retry after a
    // lost answer is safe.
    threads.emplace_back([&, k] {
      sturdy_client c;
      std::size_t entry = static_cast<std::size_t>(k);
      int64_t id = 1;
      for (int i = 0; !stop_publishing; ++id) {
        if (!c.connected() && !c.connect(ports[entry])) {
          entry = (entry + 1) % ports.size();
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          continue;
        }
        const bool after_kill = killed_at_ns != 0;
        auto r = c.request({{"op", "publish"},
                            {"topic", topics[k]},
                            {"data", i},
                            {"idem", "p" + std::to_string(k) + "-" + std::to_string(i)}},
                           id, std::chrono::seconds(8));
        if (r && r->contains("ok")) {
          pubs[k].acked.push_back((*r)["ok"]["seq"].get<uint64_t>());
          if (after_kill && pubs[k].first_ok_after_kill == clock::time_point{}) {
            pubs[k].first_ok_after_kill = clock::now();
          }
          ++i;
          continue;
        }
        if (!r) {
          entry = (entry + 1) % ports.size();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    // Subscriber k reads topic k where it is served (the owner; events are not relayed
    // between nodes yet) and, when that node goes, subscribes again from its last seq on
    // whichever node serves the topic now.
    threads.emplace_back([&, k] {
      sturdy_client c;
      std::size_t entry = 2;
      int64_t id = 1;
      uint64_t last = 0;
      bool subscribed = false;
      while (!stop_subscribing) {
        if (!subscribed) {
          if (!c.connected() && !c.connect(ports[entry])) {
            entry = (entry + 1) % ports.size();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            continue;
          }
          auto r =
              c.request({{"op", "subscribe"}, {"topic", topics[k]}, {"from", {{"seq", last + 1}}}},
                        ++id, std::chrono::seconds(5));
          if (r && r->contains("ok")) {
            subscribed = true;
            if (++subs[k].subscribes > 1) {
              subs[k].resumed = clock::now();
            }
            continue;
          }
          c.drop();
          entry = (entry + 1) % ports.size();
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          continue;
        }
        auto m = c.next(std::chrono::milliseconds(200));
        if (!c.connected()) {
          subscribed = false;
          continue;
        }
        if (!m || !m->is_object()) {
          continue;
        }
        const auto push = m->value("push", "");
        if (push == "event" && (*m)["topic"] == topics[k]) {
          last = (*m)["seq"].get<uint64_t>();
          subs[k].events.emplace_back(last, (*m)["data"].get<int64_t>());
        } else if (push == "unsubscribed") {
          subscribed = false;
          c.drop();
        }
      }
    });
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const auto killed = clock::now();
  killed_at_ns = killed.time_since_epoch().count();
  nodes["n3"].process->signal(SIGKILL);
  nodes["n3"].process->wait();
  std::this_thread::sleep_for(std::chrono::seconds(7));
  stop_publishing = true;
  for (int k = 0; k < 3; ++k) {
    threads[static_cast<std::size_t>(2 * k)].join();
  }
  // The subscribers catch up with the last acknowledged event.
  const auto deadline = clock::now() + std::chrono::seconds(15);
  for (int k = 0; k < 3; ++k) {
    while (clock::now() < deadline && !pubs[k].acked.empty() &&
           (subs[k].events.empty() || subs[k].events.back().first < pubs[k].acked.back())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  stop_subscribing = true;
  for (int k = 0; k < 3; ++k) {
    threads[static_cast<std::size_t>(2 * k + 1)].join();
  }

  auto after = settled({"n1", "n2"});
  std::vector<std::size_t> stored_count(3, 0);
  if (std::getenv("FAILOVER_LOGS") != nullptr) {
    for (const auto* name : {"n1", "n2", "n3"}) {
      std::printf("---- %s\n%s\n", name, nodes[name].process->log().c_str());
    }
  }
  for (int k = 0; k < 3; ++k) {
    const auto& topic = topics[static_cast<std::size_t>(k)];
    const auto owner = after.at(actors::shard_of("default", topic)).first;
    ASSERT_TRUE(owner == "n1" || owner == "n2") << owner;
    // What the new owner stores: seqs 1..n without a gap, each publish once, in order.
    encoded_client reader(nodes[owner].port, wire::in_json);
    reader.connect();
    std::vector<std::pair<uint64_t, int64_t>> stored;
    for (uint64_t from = 1;;) {
      auto page = reader.request(
          {{"op", "history"}, {"topic", topic}, {"from_seq", from}, {"limit", 1000}}, 100 + k);
      ASSERT_TRUE(page.contains("ok")) << page.dump();
      for (const auto& e : page["ok"]["events"]) {
        stored.emplace_back(e["seq"].get<uint64_t>(), e["data"].get<int64_t>());
      }
      if (page["ok"]["events"].empty()) {
        break;
      }
      from = stored.back().first + 1;
    }
    const auto& acked = pubs[static_cast<std::size_t>(k)].acked;
    ASSERT_FALSE(acked.empty()) << topic;
    std::printf("[ failover ] %s: %zu acknowledged, %zu stored, subscriber saw %zu\n",
                topic.c_str(), acked.size(), stored.size(),
                subs[static_cast<std::size_t>(k)].events.size());
    for (std::size_t i = 0; i < stored.size(); ++i) {
      ASSERT_EQ(stored[i].first, i + 1) << topic << ": a gap in the stored seqs";
      // Publisher k sent 0, 1, 2, ... one at a time: stored once each, in that order. A
      // publish whose answer was lost may be stored (then its retry was a dup), so data i
      // sits at seq i + 1.
      ASSERT_EQ(stored[i].second, static_cast<int64_t>(i)) << topic << " seq " << i + 1;
    }
    for (std::size_t i = 0; i < acked.size(); ++i) {
      ASSERT_EQ(acked[i], i + 1) << topic << ": acknowledged event " << i << " has seq "
                                 << acked[i];
    }
    EXPECT_GE(stored.size(), acked.size()) << topic << ": an acknowledged event was lost";
    stored_count[static_cast<std::size_t>(k)] = stored.size();
    // The subscriber saw every event in order, across its resume, none twice.
    const auto& seen = subs[static_cast<std::size_t>(k)].events;
    for (std::size_t i = 0; i < seen.size(); ++i) {
      ASSERT_EQ(seen[i].first, i + 1) << topic << ": subscriber order";
      ASSERT_EQ(seen[i].second, static_cast<int64_t>(i)) << topic;
    }
    EXPECT_GE(seen.size(), acked.size()) << topic;
    // Every client was going again within 5 s of the kill.
    const auto& sub = subs[static_cast<std::size_t>(k)];
    EXPECT_GE(sub.subscribes, 2) << topic << ": the subscriber never resumed";
    EXPECT_LT(sub.resumed - killed, std::chrono::seconds(5)) << topic << " subscriber";
    const auto& pub = pubs[static_cast<std::size_t>(k)];
    EXPECT_NE(pub.first_ok_after_kill, clock::time_point{});
    EXPECT_LT(pub.first_ok_after_kill - killed, std::chrono::seconds(5)) << topic << " publisher";
    std::printf(
        "[ failover ] %s: publisher going again after %lld ms, subscriber after %lld ms\n",
        topic.c_str(),
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(pub.first_ok_after_kill - killed)
                .count()),
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(sub.resumed - killed).count()));
  }
  // The killed node returns with the store it had: it wins its shards back, and each
  // topic catches up from the node that served it meanwhile before it serves, so the seq
  // goes on after the last event stored there, never from n3's own older end.
  nodes["n3"].start();
  auto back = settled({"n1", "n2", "n3"});
  for (int k = 0; k < 3; ++k) {
    const auto& topic = topics[static_cast<std::size_t>(k)];
    ASSERT_EQ(back.at(actors::shard_of("default", topic)).first, "n3") << topic;
    encoded_client c(nodes["n3"].port, wire::in_json);
    c.connect();
    auto r = c.request({{"op", "publish"}, {"topic", topic}, {"data", -1}}, 2);
    ASSERT_TRUE(r.contains("ok")) << r.dump();
    EXPECT_EQ(r["ok"]["seq"], stored_count[static_cast<std::size_t>(k)] + 1) << topic;
    auto page = c.request({{"op", "history"},
                           {"topic", topic},
                           {"from_seq", stored_count[static_cast<std::size_t>(k)]},
                           {"limit", 10}},
                          3);
    ASSERT_EQ(page["ok"]["events"].size(), 2u) << page.dump();
    EXPECT_EQ(page["ok"]["events"][0]["data"],
              static_cast<int64_t>(stored_count[static_cast<std::size_t>(k)]) - 1)
        << page.dump();
  }
}

TEST_F(ReplicatedCluster, AQueueGroupOnTheNewOwnerRedeliversOnlyWhatWasNotAcknowledged) {
  auto table = settled({"n1", "n2", "n3"});
  ASSERT_FALSE(table.empty());
  const auto topic = topic_owned_by(table, "n3");
  encoded_client worker(nodes["n3"].port, wire::in_json);
  worker.connect();
  auto joined =
      worker.request({{"op", "subscribe"}, {"topic", topic}, {"mode", "queue"}, {"group", "w"}}, 2);
  ASSERT_TRUE(joined.contains("ok")) << joined.dump();
  encoded_client publisher(nodes["n1"].port, wire::in_json);
  publisher.connect();
  for (int i = 1; i <= 20; ++i) {
    auto r = publisher.request({{"op", "publish"}, {"topic", topic}, {"data", i}}, 10 + i);
    ASSERT_EQ(r["ok"]["seq"], i) << r.dump();
  }
  std::set<uint64_t> delivered;
  while (delivered.size() < 20) {
    auto ev = worker.next_push("event");
    ASSERT_TRUE(ev.is_object()) << "only " << delivered.size() << " delivered";
    delivered.insert(ev["seq"].get<uint64_t>());
  }
  // The first ten are acknowledged (`{}` once durable: on the owner and its follower).
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    auto r = worker.request({{"op", "ack"}, {"topic", topic}, {"group", "w"}, {"seq", seq}},
                            100 + static_cast<int>(seq));
    ASSERT_TRUE(r.contains("ok")) << r.dump();
  }
  nodes["n3"].process->signal(SIGKILL);
  nodes["n3"].process->wait();
  auto after = settled({"n1", "n2"});
  const auto owner = after.at(actors::shard_of("default", topic)).first;
  // A worker joining the group on the new owner gets the ten never acknowledged, and
  // none of the others.
  encoded_client again(nodes[owner].port, wire::in_json);
  again.connect();
  json r;
  for (int attempt = 0; attempt < 50; ++attempt) {
    r = again.request({{"op", "subscribe"}, {"topic", topic}, {"mode", "queue"}, {"group", "w"}},
                      200 + attempt);
    if (r.contains("ok")) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(r.contains("ok")) << r.dump();
  std::set<uint64_t> redelivered;
  for (json ev = again.next_push("event", std::chrono::seconds(3)); ev.is_object();
       ev = again.next_push("event", std::chrono::seconds(1))) {
    EXPECT_GT(ev["seq"].get<uint64_t>(), 10u) << "an acknowledged event came again: " << ev.dump();
    redelivered.insert(ev["seq"].get<uint64_t>());
  }
  std::set<uint64_t> unacked;
  for (uint64_t seq = 11; seq <= 20; ++seq) {
    unacked.insert(seq);
  }
  EXPECT_EQ(redelivered, unacked);
}

TEST_F(ReplicatedCluster, APublishIsAcknowledgedOnlyOnceItsFollowerStoredIt) {
  auto table = settled({"n1", "n2", "n3"});
  ASSERT_FALSE(table.empty());
  const auto topic = topic_owned_by(table, "n3");
  const auto shard = actors::shard_of("default", topic);
  // The follower: of the other members, the one ranking highest for the shard.
  const std::string follower =
      actors::rendezvous_score("n1", shard) > actors::rendezvous_score("n2", shard) ? "n1" : "n2";
  encoded_client c(nodes["n3"].port, wire::in_json);
  c.connect();
  ASSERT_TRUE(c.request({{"op", "publish"}, {"topic", topic}, {"data", 1}}, 2).contains("ok"));

  // Frozen (well within its lease), the follower stores nothing: the owner stored the
  // next publish, but does not acknowledge it, and shows it as replication lag.
  nodes[follower].process->signal(SIGSTOP);
  c.send({{"op", "publish"}, {"topic", topic}, {"data", 2}, {"id", 3}});
  EXPECT_TRUE(c.next(std::chrono::milliseconds(1200)).is_null()) << "acknowledged without a copy";
  EXPECT_EQ(nodes["n3"].cluster().value("replication_lag_events", -1), 1);
  auto [status, out] =
      run_binary(SWITCHYARD_CTL_BIN,
                 {"--url", "http://127.0.0.1:" + std::to_string(nodes["n3"].port), "cluster"});
  EXPECT_NE(out.find("replication 2  lag 1 events"), std::string::npos) << out;

  nodes[follower].process->signal(SIGCONT);
  auto r = c.reply(3);
  EXPECT_EQ(r["ok"]["seq"], 2) << r.dump();
  EXPECT_EQ(nodes["n3"].cluster().value("replication_lag_events", -1), 0);
}

} // namespace
} // namespace switchyard::testing
