// connect with `resume` (PROTOCOL.md, Resume), in both encodings: the listed topics are
// taken up again after each last_seq, the reply's `resumed` comes before any replayed
// event, and every event follows exactly once, in order, then live ones; a topic whose
// events retention removed is `expired` with oldest_seq; a session the node did not
// sign, or of another user, is `unauthorized`; the same after the node restarted.

#include "actors/clock.hpp"
#include "protocol/session_token.hpp"
#include "store/event_store.hpp"
#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/token_signer.hpp"

#include <thread>
#include <tuple>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

using namespace std::chrono_literals;

class Resume : public ::testing::TestWithParam<wire> {};

void publish(encoded_client& c, const std::string& topic, int from, int to, int64_t& id) {
  for (int i = from; i <= to; ++i) {
    auto r = c.request({{"op", "publish"}, {"topic", topic}, {"data", i}}, id++);
    ASSERT_TRUE(r.contains("ok")) << r.dump();
  }
}

json resume_connect(const std::string& session, const json& topics) {
  return {{"op", "connect"}, {"id", 1}, {"resume", {{"session", session}, {"topics", topics}}}};
}

/// The events of `topic` that arrive until `last` (their data), in arrival order.
std::vector<int> events_until(encoded_client& c, const std::string& topic, int last) {
  std::vector<int> got;
  while (got.empty() || got.back() < last) {
    auto m = c.next_push("event");
    if (m.is_null()) {
      ADD_FAILURE() << "events stopped after " << got.size();
      break;
    }
    if (m["topic"] == topic) {
      EXPECT_EQ(m["seq"].get<int>(), m["data"].get<int>()) << m.dump();
      got.push_back(m["data"].get<int>());
    }
  }
  return got;
}

std::vector<int> range(int from, int to) {
  std::vector<int> v;
  for (int i = from; i <= to; ++i) {
    v.push_back(i);
  }
  return v;
}

TEST_P(Resume, EveryEventAfterLastSeqFollowsTheReplyOnceInOrderThenLiveOnes) {
  test_node node;
  encoded_client pub{node.port(), GetParam()};
  pub.connect();
  int64_t id = 10;
  encoded_client first{node.port(), GetParam()};
  auto ok = first.request({{"op", "connect"}}, 1)["ok"];
  const auto session = ok["session"].get<std::string>();
  ASSERT_TRUE(first.request({{"op", "subscribe"}, {"topic", "a"}}, 2).contains("ok"));
  ASSERT_TRUE(first.request({{"op", "subscribe"}, {"topic", "b"}}, 3).contains("ok"));
  publish(pub, "a", 1, 5, id);
  publish(pub, "b", 1, 2, id);
  EXPECT_EQ(events_until(first, "a", 3).back(), 3);
  first.socket().abort();
  publish(pub, "a", 6, 8, id);

  encoded_client again{node.port(), GetParam()};
  again.send(resume_connect(session, {{"a", 3}, {"b", {{"seq", 2}}}}));
  // The reply is the first thing the client reads: no replayed event before it.
  auto reply = again.next();
  ASSERT_EQ(reply.value("id", 0), 1) << reply.dump();
  ASSERT_TRUE(reply.contains("ok")) << reply.dump();
  EXPECT_EQ(reply["ok"]["resumed"]["a"], json({{"from_seq", 4}})) << reply.dump();
  EXPECT_EQ(reply["ok"]["resumed"]["b"], json({{"from_seq", 3}})) << reply.dump();
  EXPECT_TRUE(reply["ok"].contains("session"));
  EXPECT_NE(reply["ok"]["conn"], ok["conn"]);

  EXPECT_EQ(events_until(again, "a", 8), range(4, 8));
  publish(pub, "a", 9, 10, id);
  publish(pub, "b", 3, 3, id);
  EXPECT_EQ(events_until(again, "a", 10), range(9, 10));
  EXPECT_EQ(events_until(again, "b", 3), range(3, 3));
  // The resumed session can be resumed again, and stays the same session.
  const auto key = node.get().context().store->session_key();
  const auto before = protocol::verify_session(session, key, actors::now_ms());
  const auto after =
      protocol::verify_session(reply["ok"]["session"].get<std::string>(), key, actors::now_ms());
  ASSERT_TRUE(before.claims && after.claims);
  EXPECT_EQ(before.claims->id, after.claims->id);
}

TEST_P(Resume, ATopicWhoseEventsRetentionRemovedIsExpiredWithItsOldestSeq) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.retention.max_events = 2;
    cfg.retention.sweep_ms = 50;
  }};
  encoded_client pub{node.port(), GetParam()};
  pub.connect();
  encoded_client first{node.port(), GetParam()};
  const auto session = first.request({{"op", "connect"}}, 1)["ok"]["session"].get<std::string>();
  int64_t id = 10;
  publish(pub, "t", 1, 6, id);
  // Wait for the sweeper to have kept only the last two (it may first run while the
  // publishes still come, and keep an older pair).
  for (int i = 0; i < 100; ++i) {
    auto h = pub.request({{"op", "history"}, {"topic", "t"}, {"from_seq", 1}}, id++);
    if (h.contains("error") && h["error"].value("oldest_seq", 0) == 5) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  encoded_client again{node.port(), GetParam()};
  auto reply = again.request(resume_connect(session, {{"t", 1}, {"u", 0}}), 1);
  ASSERT_TRUE(reply.contains("ok")) << reply.dump();
  const auto t = reply["ok"]["resumed"]["t"];
  EXPECT_EQ(t["error"], "expired") << reply.dump();
  EXPECT_EQ(t["oldest_seq"], 5) << reply.dump();
  EXPECT_EQ(reply["ok"]["resumed"]["u"], json({{"from_seq", 1}}));
  // The expired topic is not subscribed: subscribing again is allowed and works.
  auto sub = again.request({{"op", "subscribe"}, {"topic", "t"}}, 2);
  EXPECT_TRUE(sub.contains("ok")) << sub.dump();
}

TEST_P(Resume, AForeignExpiredOrOtherUsersSessionIsUnauthorized) {
  const std::string secret(32, 's');
  test_node node{[&](runtime::node_config& cfg) {
    cfg.auth_mode = "jwt";
    cfg.auth.jwt = true;
    cfg.auth.jwt_secret = secret;
  }};
  const auto now = actors::now_ms();
  const auto exp = epoch_seconds(3600);
  const auto ada = hs256_token({{"sub", "ada"}, {"tenant", "acme"}, {"exp", exp}}, secret);
  const auto bob = hs256_token({{"sub", "bob"}, {"tenant", "acme"}, {"exp", exp}}, secret);
  const auto ada_only = hs256_token(
      {{"sub", "ada"}, {"tenant", "acme"}, {"exp", exp}, {"sub_topics", json::array({"mine/>"})}},
      secret);
  encoded_client c{node.port(), GetParam()};
  const auto session =
      c.request({{"op", "connect"}, {"token", ada}}, 1)["ok"]["session"].get<std::string>();
  const auto key = node.get().context().store->session_key();
  const auto stale = protocol::sign_session({"ada", "acme", now - 1, "x"}, key);
  const auto foreign =
      protocol::sign_session({"ada", "acme", now + 60000, "x"}, std::string(32, 'f'));
  for (const auto& [token, s, why] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {bob, session, "another user"}, {ada, stale, "expired"}, {ada, foreign, "not one"}}) {
    encoded_client other{node.port(), GetParam()};
    auto msg = resume_connect(s, {{"mine/a", 0}});
    msg["token"] = token;
    auto r = other.request(msg, 1);
    ASSERT_TRUE(r.contains("error")) << r.dump();
    EXPECT_EQ(r["error"]["code"], "unauthorized") << why;
    EXPECT_NE(r["error"]["message"].get<std::string>().find(why), std::string::npos) << r.dump();
    // Still not connected.
    auto sub = other.request({{"op", "subscribe"}, {"topic", "mine/a"}}, 2);
    EXPECT_EQ(sub["error"]["code"], "not_connected") << sub.dump();
  }
  // A topic the token may not read is `forbidden` in `resumed`; the others resume.
  encoded_client limited{node.port(), GetParam()};
  auto msg = resume_connect(session, {{"mine/a", 0}, {"theirs", 0}});
  msg["token"] = ada_only;
  auto r = limited.request(msg, 1);
  ASSERT_TRUE(r.contains("ok")) << r.dump();
  EXPECT_EQ(r["ok"]["resumed"]["mine/a"], json({{"from_seq", 1}}));
  EXPECT_EQ(r["ok"]["resumed"]["theirs"]["error"], "forbidden") << r.dump();
}

TEST_P(Resume, AfterTheNodeRestartedEveryEventAfterLastSeqFollows) {
  temp_dir dir;
  std::string session;
  int64_t id = 10;
  {
    runtime::node n{test_config(dir.path())};
    std::string error;
    ASSERT_TRUE(n.start(error)) << error;
    encoded_client c{n.port(), GetParam()};
    session = c.request({{"op", "connect"}}, 1)["ok"]["session"].get<std::string>();
    ASSERT_TRUE(c.request({{"op", "subscribe"}, {"topic", "t"}}, 2).contains("ok"));
    publish(c, "t", 1, 4, id);
    EXPECT_EQ(events_until(c, "t", 2).back(), 2);
    n.stop();
  }
  runtime::node n{test_config(dir.path())};
  std::string error;
  ASSERT_TRUE(n.start(error)) << error;
  encoded_client pub{n.port(), GetParam()};
  pub.connect();
  publish(pub, "t", 5, 6, id);
  encoded_client again{n.port(), GetParam()};
  auto reply = again.request(resume_connect(session, {{"t", 2}}), 1);
  ASSERT_TRUE(reply.contains("ok")) << reply.dump();
  EXPECT_EQ(reply["ok"]["resumed"]["t"]["from_seq"], 3);
  publish(pub, "t", 7, 7, id);
  EXPECT_EQ(events_until(again, "t", 7), range(3, 7));
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Resume, ::testing::Values(wire::in_json, wire::in_msgpack),
                         [](const ::testing::TestParamInfo<wire>& p) {
                           return std::string(wire_name(p.param));
                         });

} // namespace
} // namespace switchyard::testing
