// End-to-end: a real etcd and three real nodes on loopback (docs/cluster.md). The
// shards spread over the members with one owner each, a publish on a node that does not
// own the topic's shard is refused naming the owner, a node name can be live only once,
// a killed node's shards move to the others with newer epochs (and come back when it
// returns), a node that stops gives its shards up at once, and a node cut off from etcd
// fences itself: its late appends are refused while the others take its shards over.

#include "tests/e2e/cluster_harness.hpp"

#include <csignal>

namespace switchyard::testing {
namespace {

TEST_F(Cluster, ShardsSpreadOverTheMembersAndPublishesGoToTheOwner) {
  auto table = settled({"n1", "n2", "n3"});
  ASSERT_EQ(table.size(), actors::shard_count);
  std::map<std::string, int> owned;
  for (const auto& [shard, owner] : table) {
    ++owned[owner.first];
    EXPECT_GT(owner.second, 0) << "shard " << shard << " has no epoch";
  }
  // Rendezvous hashing: about a third each.
  for (const auto* name : {"n1", "n2", "n3"}) {
    EXPECT_GT(owned[name], 50) << name;
  }

  const auto topic = topic_owned_by(table, "n2");
  encoded_client sub(nodes["n2"].port, wire::in_json);
  sub.connect();
  ASSERT_TRUE(sub.request({{"op", "subscribe"}, {"topic", topic}}, 1).contains("ok"));
  EXPECT_EQ(nodes["n2"].publish(topic, 1), "ok");

  // A publish on a node that does not own the shard is forwarded to the owner (CAF
  // middleman) and answered with the owner's seq; idem tokens hold across entry nodes.
  encoded_client n1(nodes["n1"].port, wire::in_json);
  n1.connect();
  auto r = n1.request({{"op", "publish"}, {"topic", topic}, {"data", 2}}, 2);
  EXPECT_EQ(r["ok"]["seq"], 2) << r.dump();
  r = n1.request({{"op", "publish"}, {"topic", topic}, {"data", 3}, {"idem", "once"}}, 3);
  EXPECT_EQ(r["ok"]["seq"], 3) << r.dump();
  encoded_client n3(nodes["n3"].port, wire::in_json);
  n3.connect();
  r = n3.request({{"op", "publish"}, {"topic", topic}, {"data", 4}, {"idem", "once"}}, 4);
  EXPECT_EQ(r["ok"]["seq"], 3) << r.dump();
  EXPECT_EQ(r["ok"]["dup"], true) << r.dump();
  // The owner's subscriber sees every stored event once, in order.
  for (int seq = 1; seq <= 3; ++seq) {
    auto e = sub.next_push("event");
    EXPECT_EQ(e["seq"], seq) << e.dump();
    EXPECT_EQ(e["data"], seq) << e.dump();
  }

  // Subscribing where the shard is not owned is refused, naming the owner: events are
  // not relayed between nodes yet.
  r = n3.request({{"op", "subscribe"}, {"topic", topic}}, 5);
  EXPECT_EQ(r["error"]["code"], "unavailable") << r.dump();
  EXPECT_NE(r["error"]
                .value("message", "")
                .find("node n2 at ws://127.0.0.1:" + std::to_string(nodes["n2"].port)),
            std::string::npos)
      << r.dump();

  // switchyard-ctl shows the same map.
  auto [status, out] =
      run_binary(SWITCHYARD_CTL_BIN,
                 {"--url", "http://127.0.0.1:" + std::to_string(nodes["n1"].port), "cluster"});
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("n3"), std::string::npos) << out;
  const auto shard = actors::shard_of("default", topic);
  EXPECT_NE(out.find(std::to_string(shard) + " n2@" + std::to_string(table[shard].second)),
            std::string::npos)
      << out;
}

TEST_F(Cluster, ANodeNameLiveInTheClusterIsRefusedWithExit2) {
  settled({"n1", "n2", "n3"});
  auto [status, out] = run_binary(
      SWITCHYARD_BIN, {"--port", "0", "--data-dir", (dir.path() / "dup").string(), "--node-name",
                       "n2", "--cluster-etcd", etcd->url(), "--cluster-peer-port", "0"});
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("node_name 'n2' is already live in cluster 'switchyard'"), std::string::npos)
      << out;
  // The live n2 kept its membership.
  settled({"n1", "n2", "n3"});
}

TEST_F(Cluster, AKilledNodesShardsMoveWithNewerEpochsAndComeBackWhenItReturns) {
  auto before = settled({"n1", "n2", "n3"});
  ASSERT_FALSE(before.empty());
  const auto topic = topic_owned_by(before, "n3");
  ASSERT_EQ(nodes["n3"].publish(topic, 1), "ok");
  // A client of n1 publishes to it: forwarded to n3, then (n3 gone) to the new owner.
  encoded_client via(nodes["n1"].port, wire::in_json);
  via.connect();
  ASSERT_TRUE(via.request({{"op", "publish"}, {"topic", topic}, {"data", 1}}, 1).contains("ok"));

  const auto killed = std::chrono::steady_clock::now();
  nodes["n3"].process->signal(SIGKILL);
  nodes["n3"].process->wait();
  auto after = settled({"n1", "n2"});
  const auto moved_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - killed)
                            .count();
  std::printf("[ cluster ] shards of a killed node owned again after %lld ms (lease %lld ms)\n",
              static_cast<long long>(moved_ms), static_cast<long long>(lease_ttl_ms));
  for (const auto& [shard, owner] : before) {
    if (owner.first == "n3") {
      EXPECT_GT(after[shard].second, owner.second) << "shard " << shard;
    } else {
      EXPECT_EQ(after[shard], owner) << "shard " << shard << " moved though its owner lives";
    }
  }
  const auto new_owner = after[actors::shard_of("default", topic)].first;
  EXPECT_EQ(nodes[new_owner].publish(topic, 2), "ok");
  // n1's connection follows the new owner (forwarded, or local if n1 is the owner now).
  json r;
  for (int id = 10; id < 60; ++id) {
    r = via.request({{"op", "publish"}, {"topic", topic}, {"data", id}}, id);
    if (r.contains("ok")) {
      break;
    }
    EXPECT_EQ(r["error"]["code"], "unavailable") << r.dump();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(r.contains("ok")) << r.dump();

  // Meanwhile a client subscribes on the new owner.
  encoded_client moved(nodes[new_owner].port, wire::in_json);
  moved.connect();
  ASSERT_TRUE(moved.request({{"op", "subscribe"}, {"topic", topic}}, 1).contains("ok"));

  // n3 returns under its name: it wins its shards back, under newer epochs still.
  nodes["n3"].start();
  auto back = settled({"n1", "n2", "n3"});
  for (const auto& [shard, owner] : before) {
    EXPECT_EQ(back[shard].first, owner.first) << "shard " << shard;
    if (owner.first == "n3") {
      EXPECT_GT(back[shard].second, after[shard].second) << "shard " << shard;
    }
  }
  EXPECT_EQ(nodes["n3"].publish(topic, 3), "ok");
  // The subscription on the node that gave the shard back ends, saying where the topic is
  // served now (n3), or that it is on its way there.
  auto ended = moved.next_push("unsubscribed", std::chrono::seconds(10));
  EXPECT_EQ(ended["code"], "unavailable") << ended.dump();
  const auto why = ended.value("message", "");
  EXPECT_TRUE(why.find("node n3") != std::string::npos ||
              why.find("has no owner right now") != std::string::npos)
      << ended.dump();
}

TEST_F(Cluster, ANodeThatStopsGivesItsShardsUpAtOnce) {
  // A long lease: shards that move before it could run out were given up, not expired.
  auto& slow = add("n4", "", 30000);
  auto with = settled({"n1", "n2", "n3", "n4"});
  ASSERT_FALSE(with.empty());
  const auto stopped = std::chrono::steady_clock::now();
  slow.process->signal(SIGTERM);
  EXPECT_EQ(slow.process->wait(), 0) << slow.process->log();
  settled({"n1", "n2", "n3"}, std::chrono::seconds(20));
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(25));
  EXPECT_NE(slow.process->log().find("cluster.left node=n4 lease_revoked=true"), std::string::npos)
      << slow.process->log();
}

TEST_F(Cluster, ADrainingNodeTellsItsClientsWhichNodeToReconnectTo) {
  settled({"n1", "n2", "n3"});
  encoded_client c(nodes["n3"].port, wire::in_json);
  c.connect();
  auto [status, body] = http_request(nodes["n3"].port, "POST", "/admin/drain");
  ASSERT_EQ(status, 202) << body;
  auto push = c.next_push("drain");
  ASSERT_TRUE(push.is_object()) << "no drain push";
  const auto url = push.value("url", "");
  EXPECT_TRUE(url == "ws://127.0.0.1:" + std::to_string(nodes["n1"].port) ||
              url == "ws://127.0.0.1:" + std::to_string(nodes["n2"].port))
      << push.dump();
}

TEST_F(Cluster, ANodeCutOffFromEtcdFencesItselfAndItsLateAppendsAreRefused) {
  // n4 reaches etcd through a proxy the test cuts: a partition of n4 alone.
  tcp_proxy proxy(etcd->client_port());
  auto& cut_off = add("n4", "http://127.0.0.1:" + std::to_string(proxy.port()));
  auto before = settled({"n1", "n2", "n3", "n4"});
  ASSERT_FALSE(before.empty());
  const auto topic = topic_owned_by(before, "n4");
  // A client stays connected to n4 through the partition; its connection holds the
  // topic's handle from a publish before it.
  encoded_client late(cut_off.port, wire::in_json);
  late.connect();
  auto first = late.request({{"op", "publish"}, {"topic", topic}, {"data", 1}}, 8);
  ASSERT_TRUE(first.contains("ok")) << first.dump();
  proxy.cut();
  // The others take n4's shards once etcd expired its lease.
  auto after = settled({"n1", "n2", "n3"});
  ASSERT_FALSE(after.empty());
  const auto shard = actors::shard_of("default", topic);
  EXPECT_GT(after[shard].second, before[shard].second);
  const auto new_owner = after[shard].first;
  EXPECT_EQ(nodes[new_owner].publish(topic, 2), "ok");
  // The old owner's late append is refused: it fenced itself when its lease ran out.
  auto r = late.request({{"op", "publish"}, {"topic", topic}, {"data", 3}}, 9);
  ASSERT_TRUE(r.contains("error")) << r.dump();
  EXPECT_EQ(r["error"]["code"], "unavailable") << r.dump();
  EXPECT_NE(r["error"].value("message", "").find("lost its cluster lease"), std::string::npos)
      << r.dump();
  EXPECT_NE(cut_off.process->log().find("cluster.fenced node=n4"), std::string::npos);

  // Healed, n4 joins again under a new lease and wins its shards back.
  proxy.heal();
  auto healed = settled({"n1", "n2", "n3", "n4"});
  EXPECT_EQ(healed[shard].first, "n4");
  EXPECT_GT(healed[shard].second, after[shard].second);
  auto again = late.request({{"op", "publish"}, {"topic", topic}, {"data", 4}}, 10);
  EXPECT_TRUE(again.contains("ok")) << again.dump();
}

} // namespace
} // namespace switchyard::testing
