#include "actors/presence_set.hpp"

#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

std::vector<uint64_t> conns(const std::vector<presence_set::change>& list) {
  std::vector<uint64_t> out;
  for (const auto& c : list) {
    out.push_back(c.conn);
  }
  return out;
}

std::vector<uint64_t> listed(const presence_set::page& p) {
  std::vector<uint64_t> out;
  for (const auto* m : p.members) {
    out.push_back(m->conn);
  }
  return out;
}

TEST(PresenceSet, JoinsAndLeavesAreCollectedUntilTaken) {
  presence_set set;
  EXPECT_EQ(set.join(1, "ada", "web", "s1", 100), 1u);
  EXPECT_EQ(set.join(2, "bob", "app", "s2", 200), 2u);
  auto changes = set.take_changes();
  EXPECT_EQ(conns(changes.joins), (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(changes.leaves.empty());
  EXPECT_FALSE(set.has_changes());
  set.leave(1, 1);
  changes = set.take_changes();
  EXPECT_EQ(conns(changes.leaves), std::vector<uint64_t>{1});
  EXPECT_EQ(changes.leaves[0].user, "ada");
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(set.find(2)->since_ms, 200);
}

TEST(PresenceSet, AMemberThatJoinedAndLeftBetweenTwoPushesShowsInNeither) {
  presence_set set;
  set.join(1, "ada", "web", "s1", 100);
  set.take_changes();
  set.join(2, "bob", "app", "s2", 200);
  set.leave(2, 2);
  set.leave(1, 1);
  auto changes = set.take_changes();
  EXPECT_TRUE(changes.joins.empty());
  EXPECT_EQ(conns(changes.leaves), std::vector<uint64_t>{1});
  EXPECT_TRUE(set.empty());
}

TEST(PresenceSet, ALingeringMemberIsTakenOverBySameSessionAndUserWithoutAChange) {
  presence_set set;
  set.join(1, "ada", "web", "s1", 100);
  set.take_changes();
  set.linger(1, 1, 5000);
  EXPECT_EQ(set.next_expiry(), 5000);
  // Another user cannot take it over with a stolen session id.
  EXPECT_EQ(set.join(7, "mallory", "web", "s1", 150), 7u);
  EXPECT_EQ(conns(set.take_changes().joins), std::vector<uint64_t>{7});
  // The resumed connection (conn 3) holds member 1 from now on.
  EXPECT_EQ(set.join(3, "ada", "web", "s1", 200), 1u);
  EXPECT_FALSE(set.has_changes());
  EXPECT_EQ(set.next_expiry(), std::nullopt);
  set.expire(10000);
  EXPECT_FALSE(set.has_changes());
  EXPECT_EQ(set.find(1)->holder, 3u);
  EXPECT_EQ(set.find(1)->since_ms, 100); // the membership goes on
  // The old connection's late goodbye changes nothing; the new holder's does.
  set.leave(1, 1);
  set.linger(1, 1, 1);
  EXPECT_FALSE(set.has_changes());
  set.leave(1, 3);
  EXPECT_EQ(conns(set.take_changes().leaves), std::vector<uint64_t>{1});
}

TEST(PresenceSet, ALiveMemberIsTakenOverTooWhenItsSessionResumesElsewhere) {
  presence_set set;
  set.join(1, "ada", "web", "s1", 100);
  set.take_changes();
  EXPECT_EQ(set.join(3, "ada", "web", "s1", 200), 1u); // the old socket not noticed dead yet
  set.linger(1, 1, 50); // ...then noticed: it no longer holds the member
  set.expire(100);
  EXPECT_FALSE(set.has_changes());
  EXPECT_EQ(set.size(), 1u);
}

TEST(PresenceSet, LingeringMembersLeaveWhenTheirTimeComes) {
  presence_set set;
  set.join(1, "ada", "web", "s1", 100);
  set.join(2, "bob", "web", "s2", 100);
  set.take_changes();
  set.linger(1, 1, 3000);
  set.linger(2, 2, 1000);
  EXPECT_EQ(set.next_expiry(), 1000);
  set.expire(999);
  EXPECT_FALSE(set.has_changes());
  set.expire(1000);
  EXPECT_EQ(conns(set.take_changes().leaves), std::vector<uint64_t>{2});
  EXPECT_EQ(set.next_expiry(), 3000);
  set.expire(5000);
  EXPECT_EQ(conns(set.take_changes().leaves), std::vector<uint64_t>{1});
  EXPECT_TRUE(set.empty());
}

TEST(PresenceSet, ListsInPagesInConnOrder) {
  presence_set set;
  for (uint64_t c : {5, 3, 9, 1, 7}) {
    set.join(c, "u", "c", "s" + std::to_string(c), 0);
  }
  auto p = set.list(0, 2);
  EXPECT_EQ(listed(p), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(p.count, 5u);
  EXPECT_EQ(p.next, 3u);
  p = set.list(*p.next, 2);
  EXPECT_EQ(listed(p), (std::vector<uint64_t>{5, 7}));
  p = set.list(*p.next, 2);
  EXPECT_EQ(listed(p), std::vector<uint64_t>{9});
  EXPECT_EQ(p.next, std::nullopt);
  EXPECT_TRUE(set.list(9, 2).members.empty());
}

} // namespace
} // namespace switchyard::actors
