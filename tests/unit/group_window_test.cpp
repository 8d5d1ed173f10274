#include "actors/group_window.hpp"

#include <gtest/gtest.h>

namespace switchyard::actors {
namespace {

store::event_record event(uint64_t seq, std::string key = {}, int64_t ts = 1000, int64_t ttl = 0) {
  store::event_record ev;
  ev.seq = seq;
  ev.ts_ms = ts;
  ev.key = std::move(key);
  ev.data = "\xc0";
  ev.ttl_ms = ttl;
  return ev;
}

std::vector<uint64_t> seqs(const std::vector<group_window::delivery>& out) {
  std::vector<uint64_t> s;
  for (const auto& d : out) {
    s.push_back(d.event->seq);
  }
  return s;
}

TEST(GroupWindow, FillsMembersRoundRobinUpToTheirRoom) {
  group_window w{100, 5};
  w.start_at(0);
  w.add_member(1, 2, 1000);
  w.add_member(2, 1, 1000);
  for (uint64_t s = 1; s <= 5; ++s) {
    w.add(event(s));
  }
  std::vector<group_window::delivery> out;
  w.dispatch(0, out);
  EXPECT_EQ(seqs(out), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(w.inflight(), 3u);
  EXPECT_EQ(w.ack(out[1].member, 2), group_window::reply::ok);
  out.clear();
  w.dispatch(0, out);
  EXPECT_EQ(seqs(out), (std::vector<uint64_t>{4}));
}

TEST(GroupWindow, TheFloorRisesOverDoneEventsAndTheSnapshotKeepsTheRest) {
  group_window w{100, 5};
  w.start_at(10);
  w.add_member(1, 10, 1000);
  for (uint64_t s = 11; s <= 14; ++s) {
    w.add(event(s));
  }
  std::vector<group_window::delivery> out;
  w.dispatch(0, out);
  ASSERT_EQ(w.ack(1, 12), group_window::reply::ok);
  EXPECT_EQ(w.floor(), 10u);
  auto snap = w.snapshot();
  EXPECT_EQ(snap.floor, 10u);
  EXPECT_EQ(snap.done, (std::vector<uint64_t>{12}));
  EXPECT_EQ(snap.pending.size(), 3u);
  ASSERT_EQ(w.ack(1, 11), group_window::reply::ok);
  EXPECT_EQ(w.floor(), 12u);
  EXPECT_EQ(w.ack(1, 11), group_window::reply::not_found);

  // A restored window skips what was done and counts the attempts made.
  group_window r{100, 5};
  r.restore(w.snapshot());
  r.add_member(7, 10, 1000);
  r.add(event(13));
  r.add(event(14));
  out.clear();
  r.dispatch(0, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].attempt, 2u);
}

TEST(GroupWindow, OneKeyAtATimeInSeqOrder) {
  group_window w{100, 5};
  w.start_at(0);
  w.add_member(1, 10, 1000);
  w.add(event(1, "a"));
  w.add(event(2, "a"));
  w.add(event(3, "b"));
  w.add(event(4));
  std::vector<group_window::delivery> out;
  w.dispatch(0, out);
  EXPECT_EQ(seqs(out), (std::vector<uint64_t>{1, 3, 4}));
  out.clear();
  ASSERT_EQ(w.nack(1, 1, 0, "", 0), group_window::reply::ok);
  w.dispatch(0, out);
  EXPECT_EQ(seqs(out), (std::vector<uint64_t>{1}));
  out.clear();
  ASSERT_EQ(w.ack(1, 1), group_window::reply::ok);
  w.dispatch(0, out);
  EXPECT_EQ(seqs(out), (std::vector<uint64_t>{2}));
}

TEST(GroupWindow, AckWaitNackDelayAndMaxDeliver) {
  group_window w{100, 2};
  w.start_at(0);
  w.add_member(1, 10, 100);
  w.add(event(1));
  std::vector<group_window::delivery> out;
  w.dispatch(0, out);
  EXPECT_EQ(w.next_due(), 100);
  EXPECT_EQ(w.expire(99), 0u);
  EXPECT_EQ(w.expire(100), 1u);
  EXPECT_EQ(w.ack(1, 1), group_window::reply::not_found); // its ack_wait ran out
  out.clear();
  w.dispatch(100, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].attempt, 2u);
  ASSERT_EQ(w.nack(1, 1, 50, "boom", 110), group_window::reply::ok);
  auto dead = w.take_dead();
  ASSERT_EQ(dead.size(), 1u); // two attempts made: max_deliver
  EXPECT_EQ(dead[0].last_error, "boom");
  EXPECT_TRUE(w.take_dead().empty());
  w.dead_lettered(1);
  EXPECT_EQ(w.floor(), 1u);
}

TEST(GroupWindow, ALeavingMemberHandsItsEventsBackAndExpiredOnesAreSkipped) {
  group_window w{100, 5};
  w.start_at(0);
  w.add_member(1, 10, 1000);
  w.add(event(1));
  w.add(event(2, "", 1000, 10)); // expires at 1010
  std::vector<group_window::delivery> out;
  w.dispatch(1000, out);
  EXPECT_EQ(seqs(out), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(w.remove_member(1), 2u);
  w.add_member(2, 10, 1000);
  out.clear();
  w.dispatch(2000, out);
  EXPECT_EQ(seqs(out), (std::vector<uint64_t>{1}));
  EXPECT_EQ(out[0].attempt, 2u);
}

} // namespace
} // namespace switchyard::actors
