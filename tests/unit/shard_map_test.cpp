// The shard of a topic (docs/cluster.md names the hash) and what a node answers for a
// key whose shard it does not serve.

#include "actors/failure.hpp"
#include "actors/queue_group.hpp"
#include "actors/registry.hpp"
#include "actors/shard_map.hpp"

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
  shard_map map{"a"};
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

} // namespace
} // namespace switchyard::actors
