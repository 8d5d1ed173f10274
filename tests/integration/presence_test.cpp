// Presence (PROTOCOL.md, Presence) over real sockets, in both encodings: only
// `presence: true` subscriptions are members; members hear joins and leaves in batched
// pushes; `presence` lists them in pages; a close frame or an unsubscribe leaves at
// once, a connection that vanishes leaves after presence.timeout_ms, a silent one is cut
// and leaves, and a resume within the timeout takes the membership over without a
// leave/join pair.

#include "actors/clock.hpp"
#include "tests/support/encoded_client.hpp"
#include "tests/support/raw_socket.hpp"
#include "tests/support/test_node.hpp"

#include <set>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

using namespace std::chrono_literals;

class Presence : public ::testing::TestWithParam<wire> {};

/// The connect reply's ok (conn, session, ...).
json connect_as(encoded_client& c, const std::string& client) {
  auto r = c.request({{"op", "connect"}, {"client", client}}, 1);
  EXPECT_TRUE(r.contains("ok")) << r.dump();
  return r["ok"];
}

json subscribe(encoded_client& c, const std::string& topic, bool presence, int64_t id = 2) {
  auto r = c.request({{"op", "subscribe"}, {"topic", topic}, {"presence", presence}}, id);
  EXPECT_TRUE(r.contains("ok")) << r.dump();
  return r;
}

/// The conns of a push's joins or leaves.
std::set<std::string> conns(const json& list) {
  std::set<std::string> out;
  for (const auto& m : list) {
    out.insert(m["conn"].get<std::string>());
  }
  return out;
}

/// The next presence push; null when none came.
json next_change(encoded_client& c, std::chrono::milliseconds timeout = 5s) {
  return c.next_push("presence", timeout);
}

/// Connects `c` as `client`, makes it a member of `room` and waits for the join push it
/// hears of itself; returns its conn.
std::string join_room(encoded_client& c, const std::string& client) {
  const auto conn = connect_as(c, client)["conn"].get<std::string>();
  subscribe(c, "room", true);
  EXPECT_FALSE(next_change(c).is_null()) << client << " did not hear its own join";
  return conn;
}

TEST_P(Presence, MembersHearJoinsAndLeavesAndTheListShowsOnlyPresenceSubscribers) {
  test_node node;
  encoded_client a{node.port(), GetParam()};
  const auto a_conn = connect_as(a, "app-a")["conn"].get<std::string>();
  subscribe(a, "room", true);
  auto push = next_change(a); // a member hears its own join
  ASSERT_EQ(push["push"], "presence") << push.dump();
  EXPECT_EQ(push["topic"], "room");
  EXPECT_EQ(conns(push["joins"]), std::set<std::string>{a_conn});
  EXPECT_EQ(push["joins"][0]["user"], "anonymous");
  EXPECT_EQ(push["joins"][0]["client"], "app-a");
  EXPECT_TRUE(push["leaves"].empty());

  encoded_client b{node.port(), GetParam()};
  const auto b_conn = connect_as(b, "app-b")["conn"].get<std::string>();
  subscribe(b, "room", true);
  // A plain subscriber is no member and hears nothing of presence.
  encoded_client watcher{node.port(), GetParam()};
  connect_as(watcher, "plain");
  subscribe(watcher, "room", false);
  push = next_change(a);
  EXPECT_EQ(conns(push["joins"]), std::set<std::string>{b_conn}) << push.dump();

  auto list = a.request({{"op", "presence"}, {"topic", "room"}}, 5);
  ASSERT_TRUE(list.contains("ok")) << list.dump();
  EXPECT_EQ(list["ok"]["count"], 2);
  EXPECT_EQ(conns(list["ok"]["members"]), (std::set<std::string>{a_conn, b_conn}));
  EXPECT_FALSE(list["ok"].contains("next"));
  const auto now = actors::now_ms();
  for (const auto& m : list["ok"]["members"]) {
    EXPECT_EQ(m["user"], "anonymous");
    EXPECT_EQ(m["client"], m["conn"] == a_conn ? "app-a" : "app-b");
    EXPECT_NEAR(static_cast<double>(m["since_ms"].get<int64_t>()), static_cast<double>(now),
                30000.0);
  }

  // Unsubscribing leaves at once; the one who left hears no more.
  ASSERT_TRUE(b.request({{"op", "unsubscribe"}, {"topic", "room"}}, 6).contains("ok"));
  push = next_change(a);
  EXPECT_EQ(conns(push["leaves"]), std::set<std::string>{b_conn}) << push.dump();
  EXPECT_TRUE(push["joins"].empty());
  list = watcher.request({{"op", "presence"}, {"topic", "room"}}, 7);
  EXPECT_EQ(list["ok"]["count"], 1) << list.dump();
  EXPECT_EQ(conns(list["ok"]["members"]), std::set<std::string>{a_conn});

  while (!b.next(100ms).is_null()) {
    // what b heard while it was a member
  }
  encoded_client c{node.port(), GetParam()};
  connect_as(c, "app-c");
  subscribe(c, "room", true);
  EXPECT_FALSE(next_change(a).is_null());
  EXPECT_TRUE(b.next_push("presence", 300ms).is_null());
  EXPECT_TRUE(watcher.next_push("presence", 300ms).is_null());

  // A topic nobody is present in.
  list = a.request({{"op", "presence"}, {"topic", "empty"}}, 8);
  EXPECT_EQ(list["ok"]["count"], 0) << list.dump();
  EXPECT_TRUE(list["ok"]["members"].is_array());
  EXPECT_TRUE(list["ok"]["members"].empty());
}

TEST_P(Presence, ACloseFrameLeavesAtOnceAndAVanishedConnectionAfterTheTimeout) {
  constexpr int64_t timeout_ms = 1500;
  test_node node{[](runtime::node_config& cfg) { cfg.presence.timeout_ms = timeout_ms; }};
  encoded_client a{node.port(), GetParam()};
  join_room(a, "a");

  auto b = std::make_unique<encoded_client>(node.port(), GetParam());
  const auto b_conn = connect_as(*b, "b")["conn"].get<std::string>();
  subscribe(*b, "room", true);
  ASSERT_FALSE(next_change(a).is_null());
  b->socket().close();
  auto push = next_change(a, 1000ms); // well before the timeout
  ASSERT_FALSE(push.is_null()) << "a close frame must leave at once";
  EXPECT_EQ(conns(push["leaves"]), std::set<std::string>{b_conn});

  // No close frame: the member stays for the timeout (a resume could take it over)...
  auto c = std::make_unique<encoded_client>(node.port(), GetParam());
  const auto c_conn = connect_as(*c, "c")["conn"].get<std::string>();
  subscribe(*c, "room", true);
  ASSERT_FALSE(next_change(a).is_null());
  const auto dropped = std::chrono::steady_clock::now();
  c->socket().abort();
  EXPECT_TRUE(next_change(a, 500ms).is_null()) << "a vanished member stays for the timeout";
  auto list = a.request({{"op", "presence"}, {"topic", "room"}}, 9);
  EXPECT_EQ(list["ok"]["count"], 2) << list.dump();
  // ...and then leaves.
  push = next_change(a, 5000ms);
  ASSERT_FALSE(push.is_null()) << "the vanished member never left";
  EXPECT_EQ(conns(push["leaves"]), std::set<std::string>{c_conn});
  EXPECT_GE(std::chrono::steady_clock::now() - dropped, std::chrono::milliseconds(timeout_ms));
}

TEST_P(Presence, ASilentMemberIsPingedThenCutAndLeaves) {
  constexpr int64_t timeout_ms = 1200;
  test_node node{[](runtime::node_config& cfg) { cfg.presence.timeout_ms = timeout_ms; }};
  encoded_client a{node.port(), GetParam()};
  join_room(a, "a");

  // A raw socket answers no ping: like a peer whose cable was pulled.
  raw_socket silent{node.port()};
  const bool json_wire = GetParam() == wire::in_json;
  ASSERT_TRUE(
      silent.handshake(node.port(), json_wire ? "switchyard.v1.json" : "switchyard.v1.msgpack"));
  const json ops[] = {{{"op", "connect"}, {"id", 1}},
                      {{"op", "subscribe"}, {"id", 2}, {"topic", "room"}, {"presence", true}}};
  for (const auto& op : ops) {
    if (json_wire) {
      ASSERT_TRUE(silent.write(ws_client_frame(op.dump(), 1)));
    } else {
      const auto bytes = json::to_msgpack(op);
      ASSERT_TRUE(silent.write(ws_client_frame({bytes.begin(), bytes.end()}, 2)));
    }
  }
  auto push = next_change(a);
  ASSERT_FALSE(push.is_null());
  ASSERT_EQ(push["joins"].size(), 1u) << push.dump();
  const auto joined = std::chrono::steady_clock::now();
  // The node pings it within a quarter of the timeout and, hearing nothing, cuts it
  // before the timeout; its membership ends with it.
  push = next_change(a, 5000ms);
  ASSERT_FALSE(push.is_null()) << "the silent member never left";
  EXPECT_EQ(push["leaves"].size(), 1u) << push.dump();
  std::string seen;
  while (auto bytes = silent.read(200ms)) {
    if (bytes->empty()) {
      break;
    }
    seen += *bytes;
  }
  bool pinged = false;
  for (const auto& f : ws_frames_in(seen)) {
    pinged |= f.opcode == 9;
  }
  EXPECT_TRUE(pinged) << "no ping before the cut";
  EXPECT_LT(std::chrono::steady_clock::now() - joined, std::chrono::milliseconds(4 * timeout_ms));
}

TEST_P(Presence, AResumeWithinTheTimeoutTakesTheMembershipOverWithoutALeaveOrJoin) {
  constexpr int64_t timeout_ms = 3000;
  test_node node{[](runtime::node_config& cfg) { cfg.presence.timeout_ms = timeout_ms; }};
  encoded_client a{node.port(), GetParam()};
  join_room(a, "a");

  auto b = std::make_unique<encoded_client>(node.port(), GetParam());
  const auto ok = connect_as(*b, "b");
  const auto b_conn = ok["conn"].get<std::string>();
  const auto session = ok["session"].get<std::string>();
  const auto seq = subscribe(*b, "room", true)["ok"]["seq"].get<int64_t>();
  ASSERT_FALSE(next_change(a).is_null());
  b->socket().abort();

  encoded_client again{node.port(), GetParam()};
  auto r = again.request(
      {{"op", "connect"},
       {"client", "b"},
       {"resume",
        {{"session", session}, {"topics", {{"room", {{"seq", seq}, {"presence", true}}}}}}}},
      1);
  ASSERT_TRUE(r.contains("ok")) << r.dump();
  EXPECT_EQ(r["ok"]["resumed"]["room"]["from_seq"], seq + 1) << r.dump();
  // Past the timeout nobody heard b leave or join again (both sockets keep reading, so
  // neither is cut for silence).
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms + 1000);
  while (std::chrono::steady_clock::now() < until) {
    auto m = a.next_push("presence", 200ms);
    EXPECT_TRUE(m.is_null()) << "flap: " << m.dump();
    EXPECT_TRUE(again.next_push("presence", 200ms).is_null());
  }
  auto list = a.request({{"op", "presence"}, {"topic", "room"}}, 9);
  EXPECT_EQ(list["ok"]["count"], 2) << list.dump();
  // The member keeps the conn it joined with.
  EXPECT_EQ(conns(list["ok"]["members"]).count(b_conn), 1u) << list.dump();

  // The new connection holds it: its unsubscribe is the member's leave.
  ASSERT_TRUE(again.request({{"op", "unsubscribe"}, {"topic", "room"}}, 3).contains("ok"));
  auto push = next_change(a);
  ASSERT_FALSE(push.is_null());
  EXPECT_EQ(conns(push["leaves"]), std::set<std::string>{b_conn}) << push.dump();
}

TEST_P(Presence, ChangesAreBatchedAtMostOnePushPerBatchInterval) {
  constexpr int64_t batch_ms = 400;
  constexpr int joiners = 24;
  test_node node{[](runtime::node_config& cfg) { cfg.presence.batch_ms = batch_ms; }};
  encoded_client a{node.port(), GetParam()};
  join_room(a, "a");

  std::vector<std::unique_ptr<encoded_client>> others;
  for (int i = 0; i < joiners; ++i) {
    others.push_back(std::make_unique<encoded_client>(node.port(), GetParam()));
    connect_as(*others.back(), "j" + std::to_string(i));
    others.back()->send({{"op", "subscribe"}, {"topic", "room"}, {"presence", true}});
  }
  std::set<std::string> joined;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  while (joined.size() < joiners) {
    auto push = next_change(a);
    ASSERT_FALSE(push.is_null()) << joined.size() << " of " << joiners << " joins heard";
    arrivals.push_back(std::chrono::steady_clock::now());
    for (const auto& c : conns(push["joins"])) {
      EXPECT_TRUE(joined.insert(c).second) << "joined twice: " << c;
    }
  }
  // n pushes need at least (n - 1) intervals between them (less half an interval of
  // delivery jitter: without batching, 24 joins would come in a few milliseconds).
  const auto span = arrivals.back() - arrivals.front();
  EXPECT_LE(static_cast<int64_t>(arrivals.size() - 1) * batch_ms,
            std::chrono::duration_cast<std::chrono::milliseconds>(span).count() + batch_ms / 2)
      << arrivals.size() << " pushes";
  EXPECT_LT(arrivals.size(), static_cast<std::size_t>(joiners));
}

TEST_P(Presence, TheListIsPagedWithNextAndAfter) {
  test_node node{[](runtime::node_config& cfg) { cfg.presence.max_members_listed = 3; }};
  std::vector<std::unique_ptr<encoded_client>> members;
  std::set<std::string> expected;
  for (int i = 0; i < 7; ++i) {
    members.push_back(std::make_unique<encoded_client>(node.port(), GetParam()));
    expected.insert(connect_as(*members.back(), "m")["conn"].get<std::string>());
    subscribe(*members.back(), "room", true);
  }
  auto& c = *members.front();
  std::set<std::string> listed;
  json after = nullptr;
  std::vector<std::size_t> pages;
  for (int64_t id = 10; id < 20; ++id) {
    json req = {{"op", "presence"}, {"topic", "room"}};
    if (!after.is_null()) {
      req["after"] = after;
    }
    auto r = c.request(req, id);
    ASSERT_TRUE(r.contains("ok")) << r.dump();
    EXPECT_EQ(r["ok"]["count"], 7);
    pages.push_back(r["ok"]["members"].size());
    for (const auto& m : conns(r["ok"]["members"])) {
      EXPECT_TRUE(listed.insert(m).second) << "listed twice: " << m;
    }
    if (!r["ok"].contains("next")) {
      break;
    }
    after = r["ok"]["next"];
  }
  EXPECT_EQ(pages, (std::vector<std::size_t>{3, 3, 1}));
  EXPECT_EQ(listed, expected);
  auto bad = c.request({{"op", "presence"}, {"topic", "room"}, {"after", "nobody"}}, 30);
  EXPECT_EQ(bad["error"]["code"], "bad_request") << bad.dump();
  EXPECT_NE(bad["error"]["message"].get<std::string>().find("'after'"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Presence,
                         ::testing::Values(wire::in_json, wire::in_msgpack),
                         [](const ::testing::TestParamInfo<wire>& p) {
                           return std::string(wire_name(p.param));
                         });

} // namespace
} // namespace switchyard::testing
