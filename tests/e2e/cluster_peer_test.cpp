// End-to-end: what a node's cluster peer (cluster.peer_port, the CAF middleman) takes from
// other nodes, sent by this test as a node would. A copy under an epoch older than the
// follower knows is refused (fencing an owner that was replaced), so is a copy of a
// shard the receiver owns itself or one with uneven columns; a valid copy is stored
// under the owner's seqs.

#include "actors/atoms.hpp"
#include "actors/cluster_messages.hpp"
#include "actors/failure.hpp"
#include "tests/e2e/cluster_harness.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

namespace switchyard::testing {
namespace {

class ClusterPeer : public Cluster {
protected:
  /// The peer actor of a node, reached over the middleman as another node reaches it.
  caf::actor peer_of(const std::string& name) {
    const auto view = nodes[name].cluster();
    for (const auto& m : view["members"]) {
      if (m["node"] == name) {
        const auto address = m["peer"].get<std::string>();
        const auto colon = address.rfind(':');
        auto remote = system.middleman().remote_actor(
            address.substr(0, colon), static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
        EXPECT_TRUE(remote) << system.render(remote.error());
        return remote ? *remote : caf::actor{};
      }
    }
    ADD_FAILURE() << "no member " << name;
    return {};
  }

  /// The peer's answer to a copy: its last seq, or the failure's message.
  std::variant<uint64_t, std::string> send_copy(const caf::actor& peer,
                                                const actors::replica_batch& copy) {
    std::variant<uint64_t, std::string> out = std::string{"no answer"};
    caf::scoped_actor self{system};
    self->request(peer, std::chrono::seconds(10), actors::replicate_atom::value, copy)
        .receive([&](uint64_t last) { out = last; },
                 [&](caf::error& err) { out = actors::failure_message(err, system.render(err)); });
    return out;
  }

  static caf::actor_system_config& config() {
    static caf::actor_system_config cfg = [] {
      caf::actor_system_config c;
      c.load<caf::io::middleman>();
      actors::register_cluster_messages(c);
      return c;
    }();
    return cfg;
  }

  caf::actor_system system{config()};
};

actors::replica_batch copy_of(const std::string& topic, int64_t epoch, uint64_t first,
                              std::size_t n) {
  actors::replica_batch b;
  b.tenant = "default";
  b.topic = topic;
  b.epoch = epoch;
  for (std::size_t i = 0; i < n; ++i) {
    b.seq.push_back(first + i);
    b.ts_ms.push_back(1000 + static_cast<int64_t>(i));
    b.key.emplace_back();
    b.idem.emplace_back();
    const auto bytes = json::to_msgpack(json(static_cast<int>(first + i)));
    b.data.emplace_back(bytes.begin(), bytes.end());
    b.ttl_ms.push_back(0);
  }
  return b;
}

TEST_F(ClusterPeer, AFollowerRefusesCopiesFromAnOlderEpochAndStoresTheOwnersUnderItsSeqs) {
  auto table = settled({"n1", "n2", "n3"});
  ASSERT_FALSE(table.empty());
  const auto topic = topic_owned_by(table, "n2");
  const auto epoch = table.at(actors::shard_of("default", topic)).second;
  auto follower = peer_of("n1");
  ASSERT_TRUE(follower);

  // An owner replaced since (its epoch is older than the one n1 knows) is fenced.
  auto r = send_copy(follower, copy_of(topic, epoch - 1, 1, 2));
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("is older than epoch " + std::to_string(epoch)),
            std::string::npos)
      << std::get<std::string>(r);
  // A node takes no copies of a shard it owns.
  r = send_copy(peer_of("n2"), copy_of(topic, epoch, 1, 2));
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("takes no copies"), std::string::npos)
      << std::get<std::string>(r);
  // Columns of different lengths are refused, not half read.
  auto uneven = copy_of(topic, epoch, 1, 2);
  uneven.idem.pop_back();
  r = send_copy(follower, uneven);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("uneven"), std::string::npos) << std::get<std::string>(r);
  // A copy past what the follower holds leaves a gap: not stored, its last seq says
  // where the owner must start.
  r = send_copy(follower, copy_of(topic, epoch, 5, 1));
  ASSERT_TRUE(std::holds_alternative<uint64_t>(r)) << std::get<std::string>(r);
  EXPECT_EQ(std::get<uint64_t>(r), 0u);

  // The owner's copy is stored under its seqs (the follower's history shows it).
  r = send_copy(follower, copy_of(topic, epoch, 1, 3));
  ASSERT_TRUE(std::holds_alternative<uint64_t>(r)) << std::get<std::string>(r);
  EXPECT_EQ(std::get<uint64_t>(r), 3u);
  encoded_client reader(nodes["n1"].port, wire::in_json);
  reader.connect();
  auto page =
      reader.request({{"op", "history"}, {"topic", topic}, {"from_seq", 1}, {"limit", 10}}, 2);
  ASSERT_TRUE(page.contains("ok")) << page.dump();
  ASSERT_EQ(page["ok"]["events"].size(), 3u) << page.dump();
  EXPECT_EQ(page["ok"]["events"][2]["seq"], 3);
  EXPECT_EQ(page["ok"]["events"][2]["data"], 3);
}

} // namespace
} // namespace switchyard::testing
