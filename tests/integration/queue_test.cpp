// Queue groups over real sockets, in both encodings (PROTOCOL.md, Semantics, Queue):
// one member at a time, max_inflight, ack/nack/ack_wait, members leaving, key order,
// dead letters, several groups and fanout on one topic, where a new group starts.

#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

class Queue : public ::testing::TestWithParam<wire> {
protected:
  encoded_client client() {
    encoded_client c{node_.port(), GetParam()};
    c.connect();
    return c;
  }

  /// Subscribes `c` to `group` of `topic` in queue mode with `extra` fields; the reply.
  static json join(encoded_client& c, const std::string& topic, const std::string& group,
                   json extra = json::object()) {
    extra["op"] = "subscribe";
    extra["topic"] = topic;
    extra["mode"] = "queue";
    extra["group"] = group;
    return c.request(extra, next_id());
  }

  static json publish(encoded_client& c, const std::string& topic, json data, json extra = {}) {
    if (extra.is_null()) {
      extra = json::object();
    }
    extra["op"] = "publish";
    extra["topic"] = topic;
    extra["data"] = std::move(data);
    return c.request(extra, next_id());
  }

  static json ack(encoded_client& c, const std::string& topic, const std::string& group,
                  uint64_t seq, const char* op = "ack", json extra = json::object()) {
    extra["op"] = op;
    extra["topic"] = topic;
    extra["group"] = group;
    extra["seq"] = seq;
    return c.request(extra, next_id());
  }

  static int64_t next_id() {
    static int64_t id = 100;
    return ++id;
  }

  test_node node_{[](runtime::node_config& cfg) { cfg.groups.max_deliver = 3; }};
};

TEST_P(Queue, EachEventReachesOneMemberOnceWithGroupAndAttempt) {
  auto a = client();
  auto b = client();
  auto pub = client();
  ASSERT_TRUE(join(a, "jobs", "w").contains("ok"));
  auto reply = join(b, "jobs", "w");
  ASSERT_EQ(reply["ok"], (json{{"topic", "jobs"}, {"seq", 0}, {"replayed", 0}}));
  for (int i = 1; i <= 20; ++i) {
    ASSERT_EQ(publish(pub, "jobs", i)["ok"]["seq"], i);
  }
  std::map<uint64_t, int> seen;
  for (auto* c : {&a, &b}) {
    for (json ev = c->next_push("event", 500ms); !ev.is_null(); ev = c->next_push("event", 500ms)) {
      EXPECT_EQ(ev["group"], "w");
      EXPECT_EQ(ev["attempt"], 1);
      EXPECT_EQ(ev["data"], ev["seq"]);
      ++seen[ev["seq"].get<uint64_t>()];
      EXPECT_EQ(ack(*c, "jobs", "w", ev["seq"])["ok"], json::object());
    }
  }
  ASSERT_EQ(seen.size(), 20u);
  for (const auto& [seq, n] : seen) {
    EXPECT_EQ(n, 1) << "seq " << seq;
  }
}

TEST_P(Queue, AMemberHoldsAtMostMaxInflightAndGetsMoreAsItAcks) {
  auto m = client();
  auto pub = client();
  ASSERT_TRUE(join(m, "jobs", "w", {{"max_inflight", 2}}).contains("ok"));
  for (int i = 1; i <= 5; ++i) {
    publish(pub, "jobs", i);
  }
  EXPECT_EQ(m.next_push("event")["seq"], 1);
  EXPECT_EQ(m.next_push("event")["seq"], 2);
  EXPECT_TRUE(m.next_push("event", 300ms).is_null());
  ack(m, "jobs", "w", 2);
  EXPECT_EQ(m.next_push("event")["seq"], 3);
  EXPECT_TRUE(m.next_push("event", 300ms).is_null());
}

TEST_P(Queue, ANackRedeliversAtOnceOrAfterItsDelayWithTheNextAttempt) {
  auto m = client();
  auto pub = client();
  ASSERT_TRUE(join(m, "jobs", "w").contains("ok"));
  publish(pub, "jobs", "x");
  ASSERT_EQ(m.next_push("event")["attempt"], 1);
  EXPECT_EQ(ack(m, "jobs", "w", 1, "nack")["ok"], json::object());
  auto again = m.next_push("event");
  EXPECT_EQ(again["seq"], 1);
  EXPECT_EQ(again["attempt"], 2);
  const auto before = std::chrono::steady_clock::now();
  ack(m, "jobs", "w", 1, "nack", {{"delay_ms", 400}});
  auto third = m.next_push("event");
  EXPECT_EQ(third["attempt"], 3);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 350ms);
}

TEST_P(Queue, AckTwiceOrForAnEventNotHeldIsNotFound) {
  auto m = client();
  auto other = client();
  auto pub = client();
  ASSERT_TRUE(join(m, "jobs", "w").contains("ok"));
  ASSERT_TRUE(join(other, "jobs", "w", {{"max_inflight", 1}}).contains("ok"));
  publish(pub, "jobs", 1);
  auto ev = m.next_push("event", 1s);
  auto* holder = &m;
  auto* stranger = &other;
  if (ev.is_null()) {
    ev = other.next_push("event");
    std::swap(holder, stranger);
  }
  ASSERT_FALSE(ev.is_null());
  EXPECT_EQ(ack(*stranger, "jobs", "w", 1)["error"]["code"], "not_found");
  EXPECT_EQ(ack(*holder, "jobs", "w", 1)["ok"], json::object());
  EXPECT_EQ(ack(*holder, "jobs", "w", 1)["error"]["code"], "not_found");
  EXPECT_EQ(ack(*holder, "jobs", "w", 99)["error"]["code"], "not_found");

  EXPECT_EQ(ack(*holder, "jobs", "nope", 1)["error"]["code"], "not_found");
}

TEST_P(Queue, AcksSharingAFrameAreAnsweredOneByOne) {
  auto m = client();
  auto pub = client();
  ASSERT_TRUE(join(m, "jobs", "w").contains("ok"));
  publish(pub, "jobs", 1);
  publish(pub, "jobs", 2);
  ASSERT_EQ(m.next_push("event")["seq"], 1);
  ASSERT_EQ(m.next_push("event")["seq"], 2);
  auto ack_msg = [](uint64_t seq, int64_t id) {
    return json{{"op", "ack"}, {"topic", "jobs"}, {"group", "w"}, {"seq", seq}, {"id", id}};
  };
  // The repeat of seq 1 in the same frame is not held any more; an ack without id that
  // fails still gets its error, without id.
  m.send_frame({ack_msg(1, 71),
                ack_msg(1, 72),
                ack_msg(2, 73),
                {{"op", "ack"}, {"topic", "jobs"}, {"group", "w"}, {"seq", 9}}});
  EXPECT_EQ(m.reply(71)["ok"], json::object());
  EXPECT_EQ(m.reply(72)["error"]["code"], "not_found");
  EXPECT_EQ(m.reply(73)["ok"], json::object());
  auto err = m.next();
  EXPECT_FALSE(err.contains("id")) << err.dump();
  EXPECT_EQ(err["error"]["code"], "not_found");
}

TEST_P(Queue, PastAckWaitAnEventGoesToAnotherMemberAndTheLateAckIsNotFound) {
  auto slow = client();
  auto pub = client();
  ASSERT_TRUE(join(slow, "jobs", "w", {{"ack_wait_ms", 300}}).contains("ok"));
  publish(pub, "jobs", 1);
  ASSERT_EQ(slow.next_push("event")["attempt"], 1);
  auto fast = client();
  ASSERT_TRUE(join(fast, "jobs", "w").contains("ok"));
  // After 300 ms the event waits again; it goes to whichever member has room.
  json ev;
  encoded_client* got = nullptr;
  for (int i = 0; i < 20 && got == nullptr; ++i) {
    for (auto* c : {&fast, &slow}) {
      ev = c->next_push("event", 100ms);
      if (!ev.is_null()) {
        got = c;
        break;
      }
    }
  }
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(ev["attempt"], 2);
  if (got == &fast) {
    EXPECT_EQ(ack(slow, "jobs", "w", 1)["error"]["code"], "not_found");
  }
  EXPECT_EQ(ack(*got, "jobs", "w", 1)["ok"], json::object());
}

TEST_P(Queue, EventsOfAMemberThatLeavesGoBackAtOnce) {
  auto leaving = client();
  auto vanishing = client();
  auto pub = client();
  ASSERT_TRUE(join(leaving, "jobs", "w", {{"max_inflight", 2}}).contains("ok"));
  for (int i = 1; i <= 2; ++i) {
    publish(pub, "jobs", i);
  }
  ASSERT_FALSE(leaving.next_push("event").is_null());
  ASSERT_FALSE(leaving.next_push("event").is_null());
  ASSERT_TRUE(join(vanishing, "jobs", "w", {{"max_inflight", 2}}).contains("ok"));
  EXPECT_TRUE(vanishing.next_push("event", 200ms).is_null());
  // Unsubscribing hands both back: the other member gets them, attempt 2.
  EXPECT_EQ(leaving.request({{"op", "unsubscribe"}, {"topic", "jobs"}, {"group", "w"}}, 5)["ok"],
            json::object());
  EXPECT_EQ(vanishing.next_push("event")["attempt"], 2);
  EXPECT_EQ(vanishing.next_push("event")["attempt"], 2);
  // A member that drops its socket without a close frame hands them back too.
  auto last = client();
  ASSERT_TRUE(join(last, "jobs", "w").contains("ok"));
  vanishing.socket().abort();
  EXPECT_EQ(last.next_push("event")["attempt"], 3);
  EXPECT_EQ(last.next_push("event")["attempt"], 3);
}

TEST_P(Queue, EventsOfOneKeyGoInOrderOneAtATimeWhileOtherKeysGoOn) {
  auto a = client();
  auto b = client();
  auto pub = client();
  ASSERT_TRUE(join(a, "orders", "w").contains("ok"));
  ASSERT_TRUE(join(b, "orders", "w").contains("ok"));
  publish(pub, "orders", "k1-first", {{"key", "k1"}});
  publish(pub, "orders", "k1-second", {{"key", "k1"}});
  publish(pub, "orders", "k2", {{"key", "k2"}});
  std::vector<std::pair<encoded_client*, json>> got;
  for (int i = 0; i < 10 && got.size() < 2; ++i) {
    for (auto* c : {&a, &b}) {
      if (auto ev = c->next_push("event", 100ms); !ev.is_null()) {
        got.emplace_back(c, ev);
      }
    }
  }
  ASSERT_EQ(got.size(), 2u);
  std::set<std::string> first_two{got[0].second["data"], got[1].second["data"]};
  EXPECT_EQ(first_two, (std::set<std::string>{"k1-first", "k2"}));
  EXPECT_TRUE(a.next_push("event", 200ms).is_null());
  EXPECT_TRUE(b.next_push("event", 200ms).is_null());
  auto& k1 = got[0].second["data"] == "k1-first" ? got[0] : got[1];
  // A nack of the key's first event brings it back before the second one.
  ack(*k1.first, "orders", "w", k1.second["seq"], "nack");
  json again;
  for (int i = 0; i < 20 && again.is_null(); ++i) {
    for (auto* c : {&a, &b}) {
      if (again = c->next_push("event", 100ms); !again.is_null()) {
        EXPECT_EQ(ack(*c, "orders", "w", again["seq"])["ok"], json::object());
        break;
      }
    }
  }
  EXPECT_EQ(again["data"], "k1-first");
  EXPECT_EQ(again["attempt"], 2);
  json second;
  for (int i = 0; i < 20 && second.is_null(); ++i) {
    for (auto* c : {&a, &b}) {
      if (second = c->next_push("event", 100ms); !second.is_null()) {
        break;
      }
    }
  }
  EXPECT_EQ(second["data"], "k1-second");
}

TEST_P(Queue, AfterMaxDeliverTheEventIsADeadLetterThatAGroupCanConsume) {
  auto m = client();
  auto pub = client();
  auto dead_worker = client();
  ASSERT_TRUE(join(m, "mail", "w").contains("ok"));
  ASSERT_TRUE(join(dead_worker, "dead/mail", "triage").contains("ok"));
  publish(pub, "mail", {{"to", "x"}});
  for (int attempt = 1; attempt <= 3; ++attempt) {
    auto ev = m.next_push("event");
    ASSERT_EQ(ev["attempt"], attempt);
    ack(m, "mail", "w", 1, "nack", {{"reason", "smtp " + std::to_string(attempt)}});
  }
  EXPECT_TRUE(m.next_push("event", 300ms).is_null());
  auto dl = dead_worker.next_push("event");
  EXPECT_EQ(dl["topic"], "dead/mail");
  EXPECT_EQ(dl["group"], "triage");
  EXPECT_EQ(dl["data"], (json{{"topic", "mail"},
                              {"seq", 1},
                              {"group", "w"},
                              {"attempts", 3},
                              {"data", {{"to", "x"}}},
                              {"last_error", "smtp 3"}}));
  EXPECT_EQ(ack(dead_worker, "dead/mail", "triage", dl["seq"])["ok"], json::object());
  // The group moved on; clients may not write dead letters themselves.
  publish(pub, "mail", 2);
  EXPECT_EQ(m.next_push("event")["seq"], 2);
  EXPECT_EQ(publish(pub, "dead/mail", 1)["error"]["code"], "forbidden");
}

TEST_P(Queue, TwoGroupsAndAFanoutSubscriptionOnOneConnectionEachGetEveryEvent) {
  auto c = client();
  auto pub = client();
  ASSERT_TRUE(join(c, "t", "g1").contains("ok"));
  ASSERT_TRUE(join(c, "t", "g2").contains("ok"));
  ASSERT_TRUE(c.request({{"op", "subscribe"}, {"topic", "t"}}, 9).contains("ok"));
  EXPECT_EQ(join(c, "t", "g1")["error"]["code"], "bad_request");
  publish(pub, "t", "x");
  std::multiset<std::string> groups;
  for (int i = 0; i < 3; ++i) {
    auto ev = c.next_push("event");
    ASSERT_FALSE(ev.is_null());
    groups.insert(ev.value("group", "fanout"));
  }
  EXPECT_EQ(groups, (std::multiset<std::string>{"fanout", "g1", "g2"}));
}

TEST_P(Queue, ANewGroupStartsAfterTheLastSeqOrAtFromGivenOnItsFirstSubscribe) {
  auto pub = client();
  for (int i = 1; i <= 3; ++i) {
    publish(pub, "t", i);
  }
  auto late = client();
  EXPECT_EQ(join(late, "t", "new")["ok"], (json{{"topic", "t"}, {"seq", 3}, {"replayed", 0}}));
  EXPECT_TRUE(late.next_push("event", 300ms).is_null());
  auto early = client();
  EXPECT_EQ(join(early, "t", "all", {{"from", {{"seq", 2}}}})["ok"]["replayed"], 2);
  EXPECT_EQ(early.next_push("event")["seq"], 2);
  auto again = client();
  EXPECT_EQ(join(again, "t", "all", {{"from", {{"seq", 1}}}})["error"]["code"], "bad_request");
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Queue, ::testing::Values(wire::in_json, wire::in_msgpack),
                         [](const ::testing::TestParamInfo<wire>& p) {
                           return std::string(wire_name(p.param));
                         });

} // namespace
} // namespace switchyard::testing
