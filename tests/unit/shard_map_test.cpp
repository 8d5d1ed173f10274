// The shard of a topic (docs/cluster.md names the hash) and what a node answers for a
// key whose shard it does not serve.

#include "actors/failure.hpp"
#include "actors/queue_group.hpp"
#include "actors/registry.hpp"
#include "actors/shard_map.hpp"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

TEST(ShardMap, TheShardIsFnv1aOfTheTopicKeyMod256) {
  // FNV-1a 32 of "\x07" "default" "room/1", worked out by hand in docs/cluster.md.
  EXPECT_EQ(shard_of("default", "room/1"), 0x53b5c0b8u % 256);
  EXPECT_EQ(shard_of_key(topic_key("default", "room/1")), shard_of("default", "room/1"));
  // A queue group lives with its topic.
  EXPECT_EQ(shard_of_key(group_key("default", "room/1", "workers")), shard_of("default", "room/1"));
  // Tenants never alias: the same topic in two tenants is two keys.
  std::set<uint32_t> spread;
  for (int i = 0; i < 2000; ++i) {
    spread.insert(shard_of("t", "topic/" + std::to_string(i)));
  }
  EXPECT_EQ(spread.size(), shard_count) << "2000 topics reach every shard";
}

TEST(ShardMap, ANodeServesOnlyShardsItOwnsWhileItsLeaseIsLive) {
  shard_map map{"a", 1};
  const auto key = topic_key("default", "room/1");
  const auto shard = shard_of_key(key);
  cluster_view view;
  view.members = {{"a", "ws://127.0.0.1:1", "", 0}, {"b", "ws://127.0.0.1:2", "", 0}};
  view.owners[shard] = {"b", 42};
  view.lease_until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  map.update(view);
  auto refused = map.refusal(key);
  ASSERT_TRUE(refused);
  EXPECT_EQ(failure_of(*refused), failure::not_owner);
  EXPECT_NE(failure_message(*refused, "").find("owned by node b at ws://127.0.0.1:2"),
            std::string::npos);

  view.owners[shard] = {"a", 43};
  map.update(view);
  EXPECT_FALSE(map.refusal(key));
  EXPECT_TRUE(map.serves(shard));

  view.lease_until = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
  map.update(view);
  EXPECT_FALSE(map.serves(shard)) << "a lease run out fences the owner";
  refused = map.refusal(key);
  ASSERT_TRUE(refused);
  EXPECT_NE(failure_message(*refused, "").find("lost its cluster lease"), std::string::npos);
}

TEST(ShardMap, FollowersAreTheNextRankedLiveMembersAsManyAsReplicationAsks) {
  cluster_view view;
  view.members = {{"a", "", "", 0}, {"b", "", "", 0}, {"c", "", "", 0}, {"d", "", "", 0}};
  const uint32_t shard = 7;
  std::vector<std::string> ranked{"a", "b", "c", "d"};
  std::sort(ranked.begin(), ranked.end(), [&](const auto& x, const auto& y) {
    return rendezvous_score(x, shard) > rendezvous_score(y, shard);
  });
  const auto owner = ranked[0];
  const auto names = [](const std::vector<cluster_member>& list) {
    std::vector<std::string> out;
    for (const auto& m : list) {
      out.push_back(m.node);
    }
    return out;
  };
  shard_map alone{owner, 1};
  alone.update(view);
  EXPECT_TRUE(alone.followers_of(shard).empty());
  shard_map r3{owner, 3};
  r3.update(view);
  EXPECT_EQ(names(r3.followers_of(shard)), (std::vector<std::string>{ranked[1], ranked[2]}));
  // When the owner dies the first follower ranks highest: it is the one etcd hands the
  // shard to, and it holds every acknowledged event.
  view.members.erase(std::find_if(view.members.begin(), view.members.end(),
                                  [&](const cluster_member& m) { return m.node == owner; }));
  shard_map next{ranked[1], 3};
  next.update(view);
  EXPECT_EQ(names(next.followers_of(shard)), (std::vector<std::string>{ranked[2], ranked[3]}));
  EXPECT_EQ(next.other_members().size(), 2u);
}

} // namespace
} // namespace switchyard::actors
