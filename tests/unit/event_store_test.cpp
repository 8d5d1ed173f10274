// Unit tests of the LMDB event store, on a real environment in a fresh temp directory.

#include "store/event_store.hpp"
#include "store/record_format.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

namespace switchyard::store {

void PrintTo(const event_record& ev, std::ostream* os) {
  *os << "{seq=" << ev.seq << " ts=" << ev.ts_ms << " key=" << testing::PrintToString(ev.key)
      << " idem=" << testing::PrintToString(ev.idem) << " data=" << testing::PrintToString(ev.data)
      << "}";
}

namespace {

using code = status::code;

event_record make_event(uint64_t seq, int64_t ts, std::string data, std::string key = {},
                        std::string idem = {}) {
  return {seq, ts, std::move(key), std::move(idem), std::move(data), 0};
}

/// Events first..first+n-1 with ts 1000 + seq and data "<topic>#<seq>".
append_batch make_batch(std::string tenant, std::string topic, uint64_t first, uint64_t n) {
  append_batch b{std::move(tenant), std::move(topic), {}};
  for (uint64_t seq = first; seq < first + n; ++seq) {
    b.events.push_back(
        make_event(seq, 1000 + static_cast<int64_t>(seq), b.topic + "#" + std::to_string(seq)));
  }
  return b;
}

std::vector<uint64_t> seqs_of(const std::vector<event_record>& events) {
  std::vector<uint64_t> out;
  for (const auto& ev : events) {
    out.push_back(ev.seq);
  }
  return out;
}

using seq_list = std::vector<uint64_t>;

/// Each test gets its own directory and store, removed afterwards.
class EventStore : public testing::Test {
protected:
  void SetUp() override {
    const auto* test = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("switchyard-store-" + std::to_string(::getpid()) + "-" + test->name());
    std::filesystem::remove_all(dir_);
    ASSERT_NO_FATAL_FAILURE(reopen());
  }

  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// Closes the store (if open) and opens it again on the same directory.
  void reopen(uint64_t map_size_mb = 64) {
    store_.reset();
    std::string error;
    store_ = event_store::open({dir_.string(), map_size_mb}, error);
    ASSERT_NE(store_, nullptr) << error;
  }

  /// The call's status, or else the first refused batch's.
  status append(std::vector<append_batch> batches) {
    std::vector<batch_result> per_batch;
    status s = store_->append(batches, per_batch);
    EXPECT_EQ(per_batch.size(), batches.size());
    for (auto& one : per_batch) {
      if (s.ok() && !one.ok()) {
        s = std::move(one.result);
      }
    }
    return s;
  }

  std::vector<event_record> read_all(std::string_view tenant, std::string_view topic) {
    std::vector<event_record> out;
    const status s = store_->read(tenant, topic, 1, std::numeric_limits<std::size_t>::max(), out);
    EXPECT_TRUE(s.ok()) << s.message;
    return out;
  }

  topic_info info(std::string_view tenant, std::string_view topic) {
    topic_info out{7, 7, 7};
    const status s = store_->info(tenant, topic, out);
    EXPECT_TRUE(s.ok()) << s.message;
    return out;
  }

  uint64_t since(std::string_view topic, int64_t ts) {
    uint64_t out = 0;
    const status s = store_->first_seq_since("t", topic, ts, out);
    EXPECT_TRUE(s.ok()) << s.message;
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<event_store> store_;
};

TEST_F(EventStore, AppendThenReadReturnsEventsInSeqOrder) {
  const std::string binary("\0\x01\xff\0msg\0", 9);
  append_batch b{"t", "room/1", {}};
  b.events.push_back(make_event(1, -5, binary, "user-1", "idem-1"));
  b.events.push_back(make_event(2, 0, "", std::string("k\0y", 3), std::string("\0", 1)));
  b.events.push_back(make_event(3, 1700000000000, "plain"));
  ASSERT_TRUE(append({b}).ok());
  EXPECT_EQ(read_all("t", "room/1"), b.events);
}

TEST_F(EventStore, OneAppendStoresManyTopicsAndTenants) {
  const status s = append(
      {make_batch("t1", "a", 1, 3), make_batch("t1", "b", 1, 2), make_batch("t2", "a", 1, 4)});
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(read_all("t1", "a"), make_batch("t1", "a", 1, 3).events);
  EXPECT_EQ(read_all("t1", "b"), make_batch("t1", "b", 1, 2).events);
  EXPECT_EQ(read_all("t2", "a"), make_batch("t2", "a", 1, 4).events);
  EXPECT_EQ(info("t1", "b").last_seq, 2u);
  EXPECT_EQ(info("t2", "a").last_seq, 4u);
  EXPECT_TRUE(read_all("t2", "b").empty());
}

TEST_F(EventStore, TenantBoundaryDoesNotAliasTopics) {
  // Both batches start at seq 1: an aliased key would make the second a seq conflict.
  const status s = append(
      {make_batch("a", "b/c", 1, 2), make_batch("ab", "/c", 1, 1), make_batch("", "ab/c", 1, 3)});
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(read_all("a", "b/c"), make_batch("a", "b/c", 1, 2).events);
  EXPECT_EQ(read_all("ab", "/c"), make_batch("ab", "/c", 1, 1).events);
  EXPECT_EQ(read_all("", "ab/c"), make_batch("", "ab/c", 1, 3).events);
  EXPECT_EQ(info("ab", "/c").last_seq, 1u);
}

TEST_F(EventStore, ListTopicsPagesByTenantAndPrefixInNameOrder) {
  ASSERT_TRUE(append({make_batch("acme", "chat/2", 1, 2), make_batch("acme", "chat/1", 1, 3),
                      make_batch("acme", "news/1", 1, 1), make_batch("ab", "chat/9", 1, 1),
                      make_batch("globex", "chat/1", 1, 4)})
                  .ok());
  const auto names = [](const topic_page& page) {
    std::vector<std::string> out;
    for (const auto& t : page.topics) {
      out.push_back(t.tenant + ":" + t.topic);
    }
    return out;
  };
  using list = std::vector<std::string>;
  topic_page page;
  ASSERT_TRUE(store_->list_topics(std::nullopt, "", "", 100, page).ok());
  // Keys order tenants by length first: a tenant never aliases another's names.
  EXPECT_EQ(names(page),
            (list{"ab:chat/9", "acme:chat/1", "acme:chat/2", "acme:news/1", "globex:chat/1"}));
  EXPECT_TRUE(page.next.empty());
  EXPECT_EQ(page.topics[1].first_seq, 1u);
  EXPECT_EQ(page.topics[1].last_seq, 3u);
  EXPECT_GT(page.topics[1].bytes, 0u);

  ASSERT_TRUE(store_->list_topics(std::string("acme"), "chat/", "", 1, page).ok());
  EXPECT_EQ(names(page), (list{"acme:chat/1"}));
  ASSERT_FALSE(page.next.empty());
  const std::string cursor = page.next;
  ASSERT_TRUE(store_->list_topics(std::string("acme"), "chat/", cursor, 1, page).ok());
  EXPECT_EQ(names(page), (list{"acme:chat/2"}));
  EXPECT_TRUE(page.next.empty()); // nothing after it matches
  ASSERT_TRUE(store_->list_topics(std::string("acme"), "", "", 2, page).ok());
  EXPECT_EQ(names(page), (list{"acme:chat/1", "acme:chat/2"}));
  ASSERT_TRUE(store_->list_topics(std::string("acme"), "", page.next, 2, page).ok());
  EXPECT_EQ(names(page), (list{"acme:news/1"}));
  EXPECT_TRUE(page.next.empty());

  ASSERT_TRUE(store_->list_topics(std::nullopt, "chat/1", "", 100, page).ok());
  EXPECT_EQ(names(page), (list{"acme:chat/1", "globex:chat/1"}));
  ASSERT_TRUE(store_->list_topics(std::string("nobody"), "", "", 100, page).ok());
  EXPECT_TRUE(page.topics.empty());
}

TEST_F(EventStore, ReadStartsAtFromSeqAndStopsAtLimit) {
  ASSERT_TRUE(append({make_batch("t", "a", 1, 10), make_batch("t", "b", 1, 5)}).ok());
  std::vector<event_record> out{make_event(99, 0, "stale")};
  ASSERT_TRUE(store_->read("t", "a", 4, 3, out).ok());
  EXPECT_EQ(seqs_of(out), (seq_list{4, 5, 6}));
  ASSERT_TRUE(store_->read("t", "a", 0, 2, out).ok());
  EXPECT_EQ(seqs_of(out), (seq_list{1, 2}));
  ASSERT_TRUE(store_->read("t", "a", 9, 100, out).ok());
  EXPECT_EQ(seqs_of(out), (seq_list{9, 10}));
  ASSERT_TRUE(store_->read("t", "a", 11, 100, out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(store_->read("t", "a", 1, 0, out).ok());
  EXPECT_TRUE(out.empty());
}

TEST_F(EventStore, ReadStopsBeforeMaxBytesButReturnsAtLeastOneEvent) {
  append_batch b{"t", "a", {}};
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    b.events.push_back(make_event(seq, 1, std::string(100, static_cast<char>('a' + seq))));
  }
  ASSERT_TRUE(append({b}).ok());
  std::vector<event_record> out;
  ASSERT_TRUE(store_->read("t", "a", 1, 100, out, 250).ok());
  EXPECT_EQ(seqs_of(out), (seq_list{1, 2}));
  ASSERT_TRUE(store_->read("t", "a", 2, 100, out, 300).ok());
  EXPECT_EQ(seqs_of(out), (seq_list{2, 3, 4}));
  ASSERT_TRUE(store_->read("t", "a", 3, 100, out, 10).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], b.events[2]);
}

TEST_F(EventStore, UnknownTopicReadsEmptyWithZeroInfo) {
  ASSERT_TRUE(append({make_batch("t", "a", 1, 2)}).ok());
  std::vector<event_record> out{make_event(1, 0, "stale")};
  ASSERT_TRUE(store_->read("t", "nope", 1, 10, out).ok());
  EXPECT_TRUE(out.empty());
  const topic_info ti = info("other", "a");
  EXPECT_EQ(ti.first_seq, 0u);
  EXPECT_EQ(ti.last_seq, 0u);
  EXPECT_EQ(ti.last_ts_ms, 0);
  EXPECT_EQ(since("nope", 0), 1u);
}

TEST_F(EventStore, InfoReportsStoredRangeAndLastTimestamp) {
  ASSERT_TRUE(append({make_batch("t", "a", 1, 3)}).ok());
  ASSERT_TRUE(append({make_batch("t", "a", 4, 2)}).ok());
  const topic_info ti = info("t", "a");
  EXPECT_EQ(ti.first_seq, 1u);
  EXPECT_EQ(ti.last_seq, 5u);
  EXPECT_EQ(ti.last_ts_ms, 1005);
}

TEST_F(EventStore, AppendRejectsSkippedRepeatedAndGappedSeqs) {
  ASSERT_TRUE(append({make_batch("t", "a", 1, 3)}).ok());
  status s = append({make_batch("t", "a", 5, 1)});
  EXPECT_EQ(s.value, code::seq_conflict);
  EXPECT_EQ(s.message, "seq conflict tenant='t' topic='a': expected seq 4, got 5");
  s = append({make_batch("t", "a", 3, 2)});
  EXPECT_EQ(s.value, code::seq_conflict);
  EXPECT_EQ(s.message, "seq conflict tenant='t' topic='a': expected seq 4, got 3");
  append_batch gapped{"t", "a", {make_event(4, 1, "x"), make_event(6, 1, "y")}};
  s = append({gapped});
  EXPECT_EQ(s.value, code::seq_conflict);
  EXPECT_EQ(s.message, "seq conflict tenant='t' topic='a': expected seq 5, got 6");
  EXPECT_EQ(append({make_batch("t", "new", 2, 1)}).value, code::seq_conflict);
  EXPECT_EQ(info("t", "a").last_seq, 3u);
  EXPECT_EQ(seqs_of(read_all("t", "a")), (seq_list{1, 2, 3}));
  EXPECT_EQ(info("t", "new").last_seq, 0u);
}

TEST_F(EventStore, ConflictingBatchIsLeftOutAndTheOthersAreStoredInOneTransaction) {
  ASSERT_TRUE(append({make_batch("t", "x", 1, 2)}).ok());
  std::vector<append_batch> batches{make_batch("t", "y", 1, 3), make_batch("t", "x", 3, 2),
                                    make_batch("t", "z", 2, 1)};
  std::vector<batch_result> per_batch;
  ASSERT_TRUE(store_->append(batches, per_batch).ok());
  ASSERT_EQ(per_batch.size(), 3u);
  EXPECT_TRUE(per_batch[0].ok());
  EXPECT_TRUE(per_batch[1].ok());
  EXPECT_EQ(per_batch[2].result.value, code::seq_conflict);
  EXPECT_EQ(per_batch[2].result.message,
            "seq conflict tenant='t' topic='z': expected seq 1, got 2");
  EXPECT_EQ(seqs_of(read_all("t", "x")), (seq_list{1, 2, 3, 4}));
  EXPECT_EQ(seqs_of(read_all("t", "y")), (seq_list{1, 2, 3}));
  // The refused batch created nothing: its topic is still unknown.
  EXPECT_EQ(info("t", "z").last_seq, 0u);
  EXPECT_TRUE(read_all("t", "z").empty());
}

TEST_F(EventStore, RefusedTopicCreationDoesNotAliasLaterTopics) {
  ASSERT_EQ(append({make_batch("t", "bad", 5, 1), make_batch("t", "ghost", 1, 1)}).value,
            code::seq_conflict);
  ASSERT_TRUE(append({make_batch("t", "w", 1, 1)}).ok());
  ASSERT_TRUE(append({make_batch("t", "ghost", 2, 1)}).ok());
  EXPECT_EQ(read_all("t", "w"), make_batch("t", "w", 1, 1).events);
  EXPECT_EQ(read_all("t", "ghost"), make_batch("t", "ghost", 1, 2).events);
  EXPECT_EQ(info("t", "bad").last_seq, 0u);
}

TEST_F(EventStore, BatchesOfOneTopicInOneAppendContinueEachOther) {
  ASSERT_TRUE(append({make_batch("t", "a", 1, 2), make_batch("t", "a", 3, 2)}).ok());
  EXPECT_EQ(seqs_of(read_all("t", "a")), (seq_list{1, 2, 3, 4}));
  // The second batch repeats seq 5 that the first one just wrote: only it is refused.
  EXPECT_EQ(append({make_batch("t", "a", 5, 1), make_batch("t", "a", 5, 1)}).value,
            code::seq_conflict);
  EXPECT_EQ(info("t", "a").last_seq, 5u);
}

TEST_F(EventStore, AnIdemSeenWithinTheWindowIsLeftOutAndTheRestAreRenumbered) {
  append_batch first = make_batch("t", "a", 1, 2);
  first.events[0].idem = "x";
  std::vector<batch_result> per_batch;
  ASSERT_TRUE(store_->append(std::vector{first}, per_batch).ok());
  EXPECT_TRUE(per_batch[0].duplicates.empty());
  // seq 3 repeats "x" and seq 5 repeats seq 4's "y": both are left out.
  append_batch second = make_batch("t", "a", 3, 4);
  second.events[0].idem = "x";
  second.events[1].idem = "y";
  second.events[2].idem = "y";
  ASSERT_TRUE(store_->append(std::vector{second}, per_batch).ok());
  EXPECT_EQ(per_batch[0].duplicates, (std::vector<duplicate>{{0, 1}, {2, 3}}));
  const auto stored = read_all("t", "a");
  EXPECT_EQ(seqs_of(stored), (seq_list{1, 2, 3, 4}));
  EXPECT_EQ(stored[2].data, "a#4"); // renumbered: the second batch's 2nd event is seq 3
  EXPECT_EQ(stored[3].data, "a#6");
  // Past the window a token counts as new (make_batch's ts is 1000 + seq).
  store_.reset();
  std::string error;
  store_config cfg{dir_.string(), 64};
  cfg.dedup_window_ms = 10;
  store_ = event_store::open(cfg, error);
  ASSERT_NE(store_, nullptr) << error;
  append_batch late{"t", "a", {make_event(5, 1012, "late", {}, "x")}};
  ASSERT_TRUE(store_->append(std::vector{late}, per_batch).ok());
  EXPECT_TRUE(per_batch[0].duplicates.empty());
  EXPECT_EQ(info("t", "a").last_seq, 5u);
}

TEST_F(EventStore, AReplicaBatchKeepsTheOwnersSeqsAndReplacesATailTheOwnerNeverHad) {
  const auto replica = [](append_batch b, append_batch::origin from) {
    b.from = from;
    return b;
  };
  // An empty follower takes the owner's oldest stored event on (retention took 1..9 there),
  // but a batch that is not from the start may not leave a gap.
  EXPECT_EQ(append({replica(make_batch("t", "a", 12, 1), append_batch::origin::replica)}).value,
            code::seq_conflict);
  ASSERT_TRUE(
      append({replica(make_batch("t", "a", 10, 2), append_batch::origin::replica_start)}).ok());
  EXPECT_EQ(seqs_of(read_all("t", "a")), (seq_list{10, 11}));
  EXPECT_EQ(info("t", "a").first_seq, 10u);
  // Once it holds events, not even a batch from the start may skip any.
  EXPECT_EQ(
      append({replica(make_batch("t", "a", 14, 1), append_batch::origin::replica_start)}).value,
      code::seq_conflict);

  // Idem tokens are not checked (the owner decided) but kept: a publish here later is a dup.
  append_batch tail = make_batch("t", "a", 12, 3);
  tail.events[0].idem = "kept";
  tail.events[2].idem = "gone";
  ASSERT_TRUE(append({replica(tail, append_batch::origin::replica)}).ok());
  // The owner's batch from seq 13 on replaces 13..14 (a tail it never had), and the token
  // that named seq 14 no longer makes a repeat a duplicate.
  append_batch owner = make_batch("t", "a", 13, 1);
  owner.events[0].data = "owner#13";
  ASSERT_TRUE(append({replica(owner, append_batch::origin::replica)}).ok());
  auto stored = read_all("t", "a");
  EXPECT_EQ(seqs_of(stored), (seq_list{10, 11, 12, 13}));
  EXPECT_EQ(stored.back().data, "owner#13");
  EXPECT_EQ(info("t", "a").last_seq, 13u);

  append_batch again{
      "t", "a", {make_event(14, 2000, "x", {}, "kept"), make_event(15, 2001, "y", {}, "gone")}};
  std::vector<batch_result> per_batch;
  ASSERT_TRUE(store_->append(std::vector{again}, per_batch).ok());
  EXPECT_EQ(per_batch[0].duplicates, (std::vector<duplicate>{{0, 12}}));
  stored = read_all("t", "a");
  EXPECT_EQ(seqs_of(stored), (seq_list{10, 11, 12, 13, 14}));
  EXPECT_EQ(stored.back().data, "y");
}

TEST_F(EventStore, GroupStatesAreWrittenWithAppendsListedAndDeleted) {
  group_state g;
  g.floor = 7;
  g.created_ms = 1;
  g.active_ms = 2;
  g.pending = {{9, 2}, {12, 1}};
  g.done = {8, 11};
  std::vector<batch_result> per_batch;
  std::vector<group_write> writes{{"t", "a", "workers", g}, {"t", "a", "audit", group_state{}}};
  ASSERT_TRUE(store_->append(std::vector{make_batch("t", "a", 1, 1)}, per_batch, writes).ok());
  std::optional<group_state> loaded;
  ASSERT_TRUE(store_->load_group("t", "a", "workers", loaded).ok());
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(*loaded, g);
  // A group of a topic never written gets the topic a record (no events).
  ASSERT_TRUE(store_->append({}, per_batch, std::vector<group_write>{{"t", "b", "w", g}}).ok());
  ASSERT_TRUE(store_->load_group("t", "b", "w", loaded).ok());
  EXPECT_TRUE(loaded.has_value());
  EXPECT_EQ(info("t", "b").last_seq, 0u);
  std::vector<std::pair<std::string, group_state>> listed;
  ASSERT_TRUE(store_->list_groups("t", "a", listed).ok());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].first, "audit");
  EXPECT_EQ(listed[1].first, "workers");
  ASSERT_TRUE(
      store_->append({}, per_batch, std::vector<group_write>{{"t", "a", "workers", {}}}).ok());
  ASSERT_TRUE(store_->load_group("t", "a", "workers", loaded).ok());
  EXPECT_FALSE(loaded.has_value());
}

TEST_F(EventStore, AnEventsTtlIsStoredAndReadBack) {
  append_batch b = make_batch("t", "a", 1, 2);
  b.events[1].ttl_ms = 250;
  ASSERT_TRUE(append({b}).ok());
  EXPECT_EQ(read_all("t", "a"), b.events);
  EXPECT_TRUE(b.events[1].expired_at(1002 + 251));
  EXPECT_FALSE(b.events[1].expired_at(1002 + 250));
  EXPECT_FALSE(b.events[0].expired_at(INT64_MAX));
}

TEST_F(EventStore, TheSweeperDeletesByAgeCountAndBytesButNotWhatAGroupHasYetToDeliver) {
  // make_batch: ts 1000 + seq, data "<topic>#<seq>" (3 bytes + digits).
  ASSERT_TRUE(append({make_batch("t", "age", 1, 10), make_batch("t", "count", 1, 10),
                      make_batch("t", "held", 1, 10)})
                  .ok());
  group_state g;
  g.floor = 4; // the group has yet to deliver 5.. of "held"
  std::vector<batch_result> per_batch;
  ASSERT_TRUE(store_->append({}, per_batch, std::vector<group_write>{{"t", "held", "w", g}}).ok());
  sweep_request req;
  req.policy.max_age_ms = 100;
  req.now_ms = 1106; // events with ts < 1006 (seqs 1..5) are old
  req.budget = 3;
  sweep_result out;
  std::size_t steps = 0;
  do {
    ASSERT_TRUE(store_->sweep(req, out).ok());
    ++steps;
  } while (out.more && steps < 100);
  EXPECT_GT(steps, 1u); // a small budget takes several steps
  EXPECT_EQ(info("t", "age").first_seq, 6u);
  EXPECT_EQ(info("t", "held").first_seq, 5u);
  req.policy.max_age_ms = 0;
  req.policy.max_events = 2;
  req.budget = 100;
  ASSERT_TRUE(store_->sweep(req, out).ok());
  EXPECT_EQ(info("t", "count").first_seq, 9u);
  EXPECT_EQ(seqs_of(read_all("t", "count")), (seq_list{9, 10}));
  EXPECT_EQ(info("t", "held").first_seq, 5u);
  req.policy.max_events = 0;
  req.policy.max_bytes = 8; // "age#10" alone is 6 bytes
  ASSERT_TRUE(store_->sweep(req, out).ok());
  EXPECT_EQ(seqs_of(read_all("t", "age")), (seq_list{10}));
}

TEST_F(EventStore, TheSweeperForgetsIdemEntriesPastTheWindowAndInactiveGroups) {
  append_batch b{"t", "a", {make_event(1, 1000, "x", {}, "token")}};
  ASSERT_TRUE(append({b}).ok());
  group_state g;
  g.active_ms = 1000;
  std::vector<batch_result> per_batch;
  ASSERT_TRUE(store_->append({}, per_batch, std::vector<group_write>{{"t", "a", "w", g}}).ok());
  sweep_request req;
  req.policy.max_age_ms = 0;
  req.policy.dedup_window_ms = 50;
  req.policy.group_inactive_ms = 50;
  req.now_ms = 1100;
  sweep_result out;
  ASSERT_TRUE(store_->sweep(req, out).ok());
  EXPECT_EQ(out.idem, 1u);
  EXPECT_EQ(out.groups, 1u);
  std::optional<group_state> loaded;
  ASSERT_TRUE(store_->load_group("t", "a", "w", loaded).ok());
  EXPECT_FALSE(loaded.has_value());
  // The token is new again even with a long window: its entry is gone.
  append_batch again{"t", "a", {make_event(2, 1100, "y", {}, "token")}};
  ASSERT_TRUE(store_->append(std::vector{again}, per_batch).ok());
  EXPECT_TRUE(per_batch[0].duplicates.empty());
}

TEST_F(EventStore, AnAgentRecordKeepsItsSnapshotWhenOnlyProgressIsWrittenAndOutlivesAReopen) {
  std::vector<batch_result> per_batch;
  std::optional<agent_record> loaded;
  ASSERT_TRUE(store_->load_agent("t", "agents/k/s", loaded).ok());
  EXPECT_FALSE(loaded.has_value());
  agent_write first{"t", "agents/k/s", {3, 5, {11, 12}, 7000}, agent_snapshot{3, "state@3"}};
  ASSERT_TRUE(store_->append({}, per_batch, {}, std::vector{first}).ok());
  agent_write later{"t", "agents/k/s", {3, 6, {11, 12, 13}, 0}, std::nullopt};
  ASSERT_TRUE(store_->append({}, per_batch, {}, std::vector{later}).ok());
  ASSERT_NO_FATAL_FAILURE(reopen());
  ASSERT_TRUE(store_->load_agent("t", "agents/k/s", loaded).ok());
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->progress, later.progress);
  EXPECT_EQ(loaded->snapshot, (agent_snapshot{3, "state@3"}));
  ASSERT_TRUE(store_->load_agent("t2", "agents/k/s", loaded).ok());
  EXPECT_FALSE(loaded.has_value()) << "another tenant's session";
}

TEST_F(EventStore, RetentionKeepsTheInboxEventsAfterAnAgentSnapshotAndAPurgeForgetsTheSession) {
  ASSERT_TRUE(append({make_batch("t", "agents/k/s", 1, 10)}).ok());
  std::vector<batch_result> per_batch;
  agent_write w{"t", "agents/k/s", {4, 4, {}, 0}, agent_snapshot{4, "state@4"}};
  ASSERT_TRUE(store_->append({}, per_batch, {}, std::vector{w}).ok());
  sweep_request req;
  req.policy.max_age_ms = 1;
  req.now_ms = 1'000'000; // every event is old
  sweep_result out;
  ASSERT_TRUE(store_->sweep(req, out).ok());
  EXPECT_EQ(out.events, 4u);
  EXPECT_EQ(info("t", "agents/k/s").first_seq, 5u) << "a rebuild reads 5..10 after the snapshot";
  purge_result purged;
  do {
    ASSERT_TRUE(store_->purge("t", "agents/k/s", 10, 100, purged).ok());
  } while (purged.more);
  std::optional<agent_record> loaded;
  ASSERT_TRUE(store_->load_agent("t", "agents/k/s", loaded).ok());
  EXPECT_FALSE(loaded.has_value());
}

TEST(RecordFormat, AgentProgressWhoseDigestsDoNotMatchItsRangeIsCorrupt) {
  const agent_progress p{2, 4, {7, 8}, 99};
  EXPECT_EQ(decode_agent_progress(encode_agent_progress(p)), p);
  auto bad = p;
  bad.applied_seq = 5; // three events, two digests
  EXPECT_FALSE(decode_agent_progress(encode_agent_progress(bad)).has_value());
  auto cut = encode_agent_progress(p);
  cut.pop_back();
  EXPECT_FALSE(decode_agent_progress(cut).has_value());
  EXPECT_FALSE(decode_agent_snapshot("x").has_value());
  EXPECT_EQ(decode_agent_snapshot(encode_agent_snapshot({9, "abc"})), (agent_snapshot{9, "abc"}));
}

TEST_F(EventStore, APurgeDeletesEventsIdemAndGroupsInStepsAndKeepsTheSeq) {
  auto b = make_batch("t", "a", 1, 10);
  b.events[2].idem = "token";
  ASSERT_TRUE(append({b, make_batch("t", "other", 1, 3)}).ok());
  std::vector<batch_result> per_batch;
  ASSERT_TRUE(
      store_->append({}, per_batch, std::vector<group_write>{{"t", "a", "w", group_state{}}}).ok());
  purge_result out;
  uint64_t events = 0;
  std::size_t steps = 0;
  do {
    ASSERT_TRUE(store_->purge("t", "a", 8, 3, out).ok());
    EXPECT_TRUE(out.found);
    events += out.events;
    ++steps;
  } while (out.more && steps < 100);
  EXPECT_GT(steps, 2u); // a budget of 3 takes several steps
  EXPECT_EQ(events, 8u);
  // Only what the purge reached goes: 9 and 10 were appended after it began.
  EXPECT_EQ(seqs_of(read_all("t", "a")), (seq_list{9, 10}));
  EXPECT_EQ(info("t", "a").first_seq, 9u);
  ASSERT_TRUE(store_->purge("t", "a", 10, 100, out).ok());
  EXPECT_EQ(out.events, 2u);
  EXPECT_FALSE(out.more);
  EXPECT_EQ(info("t", "a").first_seq, 0u);
  EXPECT_EQ(info("t", "a").last_seq, 10u); // no seq is handed out twice
  std::vector<std::pair<std::string, group_state>> groups;
  ASSERT_TRUE(store_->list_groups("t", "a", groups).ok());
  EXPECT_TRUE(groups.empty());
  topic_page page;
  ASSERT_TRUE(store_->list_topics(std::string("t"), "a", "", 10, page).ok());
  ASSERT_EQ(page.topics.size(), 1u);
  EXPECT_EQ(page.topics[0].bytes, 0u);
  // The token is new again, and the topic goes on from its last seq.
  append_batch again{"t", "a", {make_event(11, 2000, "x", {}, "token")}};
  ASSERT_TRUE(store_->append(std::vector{again}, per_batch).ok());
  EXPECT_TRUE(per_batch[0].duplicates.empty());
  EXPECT_EQ(seqs_of(read_all("t", "a")), (seq_list{11}));
  EXPECT_EQ(read_all("t", "other"), make_batch("t", "other", 1, 3).events);
  ASSERT_TRUE(store_->purge("t", "never", 5, 100, out).ok());
  EXPECT_FALSE(out.found);
  EXPECT_EQ(info("t", "never").last_seq, 0u);
}

TEST_F(EventStore, EmptyAppendAndEmptyBatchesStoreNothing) {
  std::vector<batch_result> per_batch;
  EXPECT_TRUE(store_->append({}, per_batch).ok());
  EXPECT_TRUE(append({append_batch{"t", "a", {}}}).ok());
  EXPECT_EQ(info("t", "a").last_seq, 0u);
  EXPECT_TRUE(append({append_batch{"t", "a", {}}, make_batch("t", "a", 1, 1)}).ok());
  EXPECT_EQ(info("t", "a").last_seq, 1u);
}

TEST_F(EventStore, ReopenKeepsEventsAndAppendsContinue) {
  ASSERT_TRUE(append({make_batch("t", "a", 1, 3), make_batch("t", "b", 1, 1)}).ok());
  ASSERT_NO_FATAL_FAILURE(reopen());
  EXPECT_EQ(info("t", "a").last_seq, 3u);
  EXPECT_EQ(read_all("t", "a"), make_batch("t", "a", 1, 3).events);
  EXPECT_EQ(append({make_batch("t", "a", 1, 1)}).value, code::seq_conflict);
  // A topic created after reopening must get a fresh id, not one of a or b.
  ASSERT_TRUE(append({make_batch("t", "a", 4, 2), make_batch("t", "c", 1, 2)}).ok());
  EXPECT_EQ(read_all("t", "a"), make_batch("t", "a", 1, 5).events);
  EXPECT_EQ(read_all("t", "b"), make_batch("t", "b", 1, 1).events);
  EXPECT_EQ(read_all("t", "c"), make_batch("t", "c", 1, 2).events);
}

TEST_F(EventStore, FirstSeqSinceFindsFirstOfEqualTimestamps) {
  const std::vector<int64_t> ts{100, 200, 200, 200, 300};
  append_batch b{"t", "a", {}};
  for (uint64_t i = 0; i < ts.size(); ++i) {
    b.events.push_back(make_event(i + 1, ts[i], "x"));
  }
  ASSERT_TRUE(append({b}).ok());
  EXPECT_EQ(since("a", 200), 2u);
  EXPECT_EQ(since("a", 150), 2u);
  EXPECT_EQ(since("a", 201), 5u);
  EXPECT_EQ(since("a", 300), 5u);
  EXPECT_EQ(since("a", 100), 1u);
  EXPECT_EQ(since("a", std::numeric_limits<int64_t>::min()), 1u);
  EXPECT_EQ(since("a", 301), 6u);
  EXPECT_EQ(since("a", std::numeric_limits<int64_t>::max()), 6u);
}

TEST_F(EventStore, FirstSeqSinceMatchesLinearScan) {
  std::mt19937 rng(42);
  append_batch b{"t", "a", {}};
  int64_t ts = -50;
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    ts += static_cast<int64_t>(rng() % 3); // many equal runs
    b.events.push_back(make_event(seq, ts, "x"));
  }
  ASSERT_TRUE(append({b}).ok());
  for (int64_t t = -52; t <= ts + 2; ++t) {
    uint64_t expected = 201;
    for (const auto& ev : b.events) {
      if (ev.ts_ms >= t) {
        expected = ev.seq;
        break;
      }
    }
    ASSERT_EQ(since("a", t), expected) << "since " << t;
  }
}

TEST_F(EventStore, MapFullIsReportedAndAcknowledgedEventsSurvive) {
  ASSERT_NO_FATAL_FAILURE(reopen(1));
  const auto data_of = [](uint64_t seq) { return std::string(3000, static_cast<char>(seq)); };
  uint64_t acked = 0;
  status s;
  for (int call = 0; call < 1000 && s.ok(); ++call) {
    append_batch b{"t", "a", {}};
    for (uint64_t seq = acked + 1; seq <= acked + 8; ++seq) {
      b.events.push_back(make_event(seq, 1, data_of(seq)));
    }
    s = append({b});
    acked += s.ok() ? 8 : 0;
  }
  ASSERT_EQ(s.value, code::map_full) << s.message;
  EXPECT_NE(s.message.find("MDB_MAP_FULL"), std::string::npos) << s.message;
  ASSERT_GT(acked, 0u);
  const auto check_all = [&](uint64_t last) {
    const std::vector<event_record> all = read_all("t", "a");
    ASSERT_EQ(all.size(), last);
    for (uint64_t i = 0; i < last; ++i) {
      ASSERT_EQ(all[i].seq, i + 1);
      ASSERT_EQ(all[i].data, data_of(i + 1));
    }
    EXPECT_EQ(info("t", "a").last_seq, last);
  };
  ASSERT_NO_FATAL_FAILURE(check_all(acked));
  ASSERT_NO_FATAL_FAILURE(reopen(16));
  ASSERT_NO_FATAL_FAILURE(check_all(acked));
  append_batch more{"t", "a", {}};
  for (uint64_t seq = acked + 1; seq <= acked + 8; ++seq) {
    more.events.push_back(make_event(seq, 1, data_of(seq)));
  }
  s = append({more});
  ASSERT_TRUE(s.ok()) << s.message;
  ASSERT_NO_FATAL_FAILURE(check_all(acked + 8));
}

TEST_F(EventStore, NamesTooLongForAKeyAreRefused) {
  const std::string long_tenant(256, 't');
  status s = append({make_batch(long_tenant, "a", 1, 1)});
  EXPECT_EQ(s.value, code::bad_name);
  EXPECT_EQ(s.message, "tenant name longer than 255 bytes");
  std::vector<event_record> out;
  EXPECT_EQ(store_->read(long_tenant, "a", 1, 10, out).value, code::bad_name);
  topic_info ti;
  EXPECT_EQ(store_->info(long_tenant, "a", ti).value, code::bad_name);
  uint64_t seq = 0;
  EXPECT_EQ(store_->first_seq_since(long_tenant, "a", 0, seq).value, code::bad_name);
  EXPECT_EQ(append({make_batch("t", std::string(510, 'x'), 1, 1)}).value, code::bad_name);
  // The longest names that still fit LMDB's 511-byte key.
  const std::string tenant(255, 'T');
  const std::string topic(255, 'x');
  s = append({make_batch(tenant, topic, 1, 2)});
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(read_all(tenant, topic), make_batch(tenant, topic, 1, 2).events);
}

TEST_F(EventStore, OpenCreatesMissingDataDir) {
  store_.reset();
  const auto nested = dir_ / "a" / "b";
  std::string error;
  auto store = event_store::open({nested.string(), 8}, error);
  ASSERT_NE(store, nullptr) << error;
  EXPECT_TRUE(std::filesystem::exists(nested / "data.mdb"));
}

TEST_F(EventStore, OpenFailsWithMessageOnBadDirOrMapSize) {
  store_.reset();
  const auto file = dir_ / "file";
  std::ofstream(file) << "not a directory";
  std::string error;
  EXPECT_EQ(event_store::open({file.string(), 8}, error), nullptr);
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_EQ(event_store::open({(dir_ / "x").string(), 0}, error), nullptr);
  EXPECT_EQ(error, "map_size_mb out of range: 0");
}

/// Readers on their own threads while this thread appends `total` single-event commits
/// to topic a: every read must see a committed prefix of a, and no read may see less
/// than an earlier read on the same thread. Returns what the first bad read saw ("" if
/// none).
std::string read_while_appending(event_store& store, uint64_t total, int readers) {
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::mutex first_mutex;
  std::string first;
  auto report = [&](std::string what) {
    std::lock_guard lock(first_mutex);
    if (bad++ == 0) {
      first = std::move(what);
    }
  };
  std::vector<std::thread> threads;
  for (int r = 0; r < readers; ++r) {
    threads.emplace_back([&] {
      uint64_t seen = 0;
      while (!done.load()) {
        std::vector<event_record> out;
        const status s = store.read("t", "a", 1, 1u << 20, out);
        if (!s.ok() && s.value != status::code::busy) {
          report("status '" + s.message + "'");
        }
        if (s.ok() && out.size() < seen) {
          report(std::to_string(out.size()) + " events after seeing " + std::to_string(seen));
        }
        for (uint64_t i = 0; i < out.size(); ++i) {
          if (out[i].seq != i + 1) {
            report("event " + std::to_string(i) + " has seq " + std::to_string(out[i].seq));
          }
        }
        seen = std::max<uint64_t>(seen, out.size());
      }
    });
  }
  std::string append_error;
  for (uint64_t seq = 1; seq <= total && append_error.empty(); ++seq) {
    std::vector<append_batch> batches{make_batch("t", "a", seq, 1), make_batch("t", "b", seq, 1)};
    std::vector<batch_result> per_batch;
    if (const status s = store.append(batches, per_batch); !s.ok()) {
      append_error = s.message;
    }
  }
  done = true;
  for (auto& t : threads) {
    t.join();
  }
  return append_error.empty() ? first : "append failed: " + append_error;
}

TEST_F(EventStore, ConcurrentReadersSeeOnlyCommittedPrefixes) {
  EXPECT_EQ(read_while_appending(*store_, 60, 3), "");
  EXPECT_EQ(read_all("t", "a").size(), 60u);
}

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// LMDB 0.9's reader can take a newer transaction's root than its own id when it is
// preempted inside mdb_txn_renew0 while the writer publishes one commit and writes the
// next one's meta page (which, with store.sync full, stays unpublished for the whole
// O_DSYNC write). Forced here: a lowest-priority reader shares a core with a thread
// that keeps preempting it for several commits at a time, while this thread commits
// on the other core. The store must hide it: no read may see a topic's last seq go
// backwards (a stale snapshot begins again, counted in stale_snapshots).
TEST_F(EventStore, PreemptedReadersNeverSeeAnUnpublishedCommit) {
  const auto seconds = std::chrono::seconds(std::getenv("SWITCHYARD_STRESS_S") != nullptr
                                                ? std::atoi(std::getenv("SWITCHYARD_STRESS_S"))
                                                : 2);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> backwards{0};
  std::atomic<uint64_t> reads{0};
  std::thread reader([&] {
    pin_to_cpu(0);
    sched_param param{};
    pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
    uint64_t seen = 0;
    while (!done) {
      topic_info ti;
      if (store_->info("t", "a", ti).ok()) {
        backwards += ti.last_seq < seen ? 1 : 0;
        seen = std::max(seen, ti.last_seq);
        ++reads;
      }
    }
  });
  std::thread preemptor([&] {
    pin_to_cpu(0);
    while (!done) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(4);
      while (std::chrono::steady_clock::now() < until) {
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  });
  pin_to_cpu(1);
  std::string append_error;
  const auto end = std::chrono::steady_clock::now() + seconds;
  for (uint64_t seq = 1; std::chrono::steady_clock::now() < end && append_error.empty(); ++seq) {
    std::vector<append_batch> batches{make_batch("t", "a", seq, 1)};
    std::vector<batch_result> per_batch;
    if (const status s = store_->append(batches, per_batch); !s.ok()) {
      append_error = s.message;
    }
  }
  done = true;
  reader.join();
  preemptor.join();
  EXPECT_EQ(append_error, "");
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(backwards.load(), 0u);
  std::printf("reads %llu, stale snapshots caught %llu\n",
              static_cast<unsigned long long>(reads.load()),
              static_cast<unsigned long long>(store_->stats().stale_snapshots.load()));
}

TEST_F(EventStore, MapStartsSmallAndGrowsOnlineUnderReadersUpToTheCeiling) {
  store_.reset();
  std::string error;
  store_config cfg{dir_.string(), 8};
  cfg.initial_map_mb = 1;
  store_ = event_store::open(cfg, error);
  ASSERT_NE(store_, nullptr) << error;
  EXPECT_EQ(store_->stats().map_bytes.load(), 1u << 20);
  const auto data_of = [](uint64_t seq) { return std::string(2000, static_cast<char>(seq)); };
  std::atomic<bool> done{false};
  std::atomic<int> bad_reads{0};
  std::thread reader([&] {
    while (!done) {
      std::vector<event_record> out;
      if (!store_->read("t", "a", 1, 1u << 20, out).ok()) {
        ++bad_reads;
      }
      for (const auto& ev : out) {
        bad_reads += ev.data != data_of(ev.seq) ? 1 : 0;
      }
    }
  });
  // Events of 2000 bytes (about one a page) until the map is full: it doubles
  // 1 -> 2 -> 4 -> 8 MiB on the way.
  uint64_t acked = 0;
  status s;
  while (s.ok()) {
    append_batch b{"t", "a", {}};
    for (uint64_t seq = acked + 1; seq <= acked + 50; ++seq) {
      b.events.push_back(make_event(seq, 1, data_of(seq)));
    }
    s = append({b});
    acked += s.ok() ? 50 : 0;
  }
  done = true;
  reader.join();
  EXPECT_EQ(s.value, code::map_full) << s.message;
  EXPECT_EQ(bad_reads.load(), 0);
  EXPECT_EQ(store_->stats().map_grown.load(), 3u);
  EXPECT_EQ(store_->stats().map_bytes.load(), 8u << 20);
  EXPECT_GT(acked, 1000u); // far more than the 1 MiB it started with holds
  const auto all = read_all("t", "a");
  ASSERT_EQ(all.size(), acked);
  EXPECT_EQ(all.back().data, data_of(acked));
}

TEST_F(EventStore, ConcurrentSyncsWhileTheWriterCommitsAndGrowsTheMap) {
  // store.sync async syncs on another thread than the writer's commits and map growth.
  store_.reset();
  std::string error;
  store_config cfg{dir_.string(), 8};
  cfg.initial_map_mb = 1;
  cfg.sync = store_config::sync_mode::async;
  store_ = event_store::open(cfg, error);
  ASSERT_NE(store_, nullptr) << error;
  std::atomic<bool> done{false};
  std::atomic<int> syncs{0};
  std::string sync_error;
  std::thread syncer([&] {
    while (!done) {
      if (auto st = store_->sync(); !st.ok()) {
        sync_error = st.message;
        return;
      }
      ++syncs;
    }
  });
  uint64_t acked = 0;
  status s;
  while (s.ok()) {
    append_batch b{"t", "a", {}};
    for (uint64_t seq = acked + 1; seq <= acked + 50; ++seq) {
      b.events.push_back(make_event(seq, 1, std::string(2000, 'x')));
    }
    s = append({b});
    acked += s.ok() ? 50 : 0;
  }
  done = true;
  syncer.join();
  EXPECT_EQ(sync_error, "");
  EXPECT_GT(syncs.load(), 0);
  EXPECT_EQ(s.value, code::map_full) << s.message;
  EXPECT_EQ(store_->stats().map_grown.load(), 3u);
  ASSERT_TRUE(store_->sync().ok());
  // Everything acknowledged is there after a reopen.
  store_.reset();
  store_ = event_store::open(cfg, error);
  ASSERT_NE(store_, nullptr) << error;
  EXPECT_EQ(read_all("t", "a").size(), acked);
}

TEST_F(EventStore, HistoryReadsOnePageAndTheRangeFromOneSnapshot) {
  ASSERT_TRUE(append({make_batch("t", "a", 1, 10)}).ok());
  history_page page;
  ASSERT_TRUE(store_->history("t", "a", 4, std::nullopt, 3, 1u << 20, page).ok());
  EXPECT_EQ(seqs_of(page.events), (seq_list{4, 5, 6}));
  EXPECT_EQ(page.last_seq, 10u);
  EXPECT_EQ(page.first_seq, 1u);
  // since_ms: ts is 1000 + seq.
  ASSERT_TRUE(store_->history("t", "a", 0, 1008, 100, 1u << 20, page).ok());
  EXPECT_EQ(seqs_of(page.events), (seq_list{8, 9, 10}));
  ASSERT_TRUE(store_->history("t", "a", 0, 5000, 100, 1u << 20, page).ok());
  EXPECT_TRUE(page.events.empty());
  EXPECT_EQ(page.last_seq, 10u);
  ASSERT_TRUE(store_->history("t", "nothing", 1, std::nullopt, 100, 1u << 20, page).ok());
  EXPECT_TRUE(page.events.empty());
  EXPECT_EQ(page.last_seq, 0u);
}

TEST(RecordFormat, EventRoundTripsAndRejectsTruncation) {
  std::string bytes;
  encode_event(make_event(9, -7, "data", "key", "idem"), bytes);
  const auto ev = decode_event(bytes);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->ts_ms, -7);
  EXPECT_EQ(ev->key, "key");
  EXPECT_EQ(ev->idem, "idem");
  EXPECT_EQ(ev->data, "data");
  const std::size_t header = bytes.size() - 4; // all but the data
  for (std::size_t n = 0; n < header; ++n) {
    EXPECT_FALSE(decode_event(std::string_view(bytes).substr(0, n))) << "prefix " << n;
  }
  EXPECT_EQ(decode_event(std::string_view(bytes).substr(0, header))->data, "");
}

TEST(RecordFormat, UnknownVersionOrBadLengthIsRejected) {
  std::string bytes;
  encode_event(make_event(1, 1, "d", "k"), bytes);
  bytes[0] = 2;
  EXPECT_FALSE(decode_event(bytes));
  // Version, ts, then a key length of 1000 with 1 byte left.
  std::string huge("\x01\0\0\0\0\0\0\0\0\xe8\x07k", 12);
  EXPECT_FALSE(decode_event(huge));
  std::string endless = std::string("\x01", 1) + std::string(8, '\0') + std::string(11, '\xff');
  EXPECT_FALSE(decode_event(endless));
  std::string topic = encode_topic({3, 1, 2, -4});
  EXPECT_FALSE(decode_topic(topic.substr(0, topic.size() - 1)));
  topic[0] = 0;
  EXPECT_FALSE(decode_topic(topic));
  EXPECT_FALSE(decode_u64("1234567"));
}

TEST(RecordFormat, TopicRecordRoundTrips) {
  const auto rec = decode_topic(encode_topic({3, 1, 0xfffffffffffULL, -4}));
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->id, 3u);
  EXPECT_EQ(rec->first_seq, 1u);
  EXPECT_EQ(rec->last_seq, 0xfffffffffffULL);
  EXPECT_EQ(rec->last_ts_ms, -4);
}

TEST(RecordFormat, KeysSortNumericallyAndTenantsDoNotAlias) {
  const auto view = [](const event_key& k) { return std::string_view(k.data(), k.size()); };
  const event_key a = make_event_key(1, 255);
  const event_key b = make_event_key(1, 256);
  const event_key c = make_event_key(2, 0);
  EXPECT_LT(view(a), view(b));
  EXPECT_LT(view(b), view(c));
  EXPECT_EQ(decode_event_key(view(b))->seq, 256u);
  EXPECT_NE(topic_key("a", "b/c"), topic_key("ab", "/c"));
  EXPECT_EQ(topic_key("ab", "/c"), std::string("\x02"
                                               "ab/c"));
}

} // namespace
} // namespace switchyard::store
