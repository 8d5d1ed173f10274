// Graceful drain (PROTOCOL.md: the `drain` push, close code 1001, /readyz, POST
// /admin/drain): every client is told when to reconnect, spread over drain.spread_ms,
// and closed with 1001 at that time; from the push on, connects, publishes and
// subscribes are `unavailable` with retry_after_ms; /readyz answers 503 at once and new
// WebSockets are refused; the
// node's wait() returns once the connections are gone. In auth.mode jwt the drain call
// needs an admin token.

#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/token_signer.hpp"

#include <future>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

using namespace std::chrono_literals;

class Drain : public ::testing::TestWithParam<wire> {};

TEST_P(Drain, EveryClientIsToldWhenToReconnectRefusedNewWorkAndClosedWith1001) {
  constexpr int64_t spread_ms = 3000;
  test_node node{[](runtime::node_config& cfg) { cfg.server.drain_spread_ms = spread_ms; }};
  std::vector<std::unique_ptr<encoded_client>> clients;
  for (int i = 0; i < 12; ++i) {
    auto c = std::make_unique<encoded_client>(node.port(), GetParam());
    c->connect();
    ASSERT_TRUE(c->request({{"op", "subscribe"}, {"topic", "room"}}, 2).contains("ok"));
    clients.push_back(std::move(c));
  }
  ASSERT_EQ(http_get(node.port(), "/readyz").first, 200);
  auto drained = std::async(std::launch::async, [&] { return node.get().wait(); });

  const auto [status, body] = http_request(node.port(), "POST", "/admin/drain");
  EXPECT_EQ(status, 202) << body;
  EXPECT_EQ(http_get(node.port(), "/readyz").first, 503);
  // The port still answers HTTP (so /readyz can say 503), but takes no new WebSocket.
  const std::vector<std::pair<std::string, std::string>> upgrade = {
      {"Upgrade", "websocket"},
      {"Connection", "Upgrade"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
      {"Sec-WebSocket-Version", "13"}};
  EXPECT_EQ(http_get(node.port(), "/ws", upgrade).first, 503);

  int64_t earliest = spread_ms;
  int64_t latest = 0;
  encoded_client* last = nullptr;
  for (auto& c : clients) {
    auto push = c->next_push("drain");
    ASSERT_EQ(push["push"], "drain") << push.dump();
    EXPECT_EQ(push["reason"], "node draining");
    const auto after = push["reconnect_after_ms"].get<int64_t>();
    EXPECT_GE(after, 0);
    EXPECT_LE(after, spread_ms);
    earliest = std::min(earliest, after);
    if (after >= latest) {
      latest = after;
      last = c.get();
    }
  }
  // Twelve times at random over 3 s do not fall within 300 ms of each other.
  EXPECT_GE(latest - earliest, 300);

  // The client told to come back last is still open (it closes at its time, not at
  // once) and refuses new work with the time left to wait.
  ASSERT_NE(last, nullptr);
  ASSERT_GT(latest, 1000);
  for (const auto& [id, msg] : std::vector<std::pair<int64_t, json>>{
           {3, {{"op", "publish"}, {"topic", "room"}, {"data", 1}}},
           {4, {{"op", "subscribe"}, {"topic", "other"}}},
           {5, {{"op", "connect"}}}}) {
    auto r = last->request(msg, id);
    ASSERT_TRUE(r.contains("error")) << r.dump();
    EXPECT_EQ(r["error"]["code"], "unavailable") << r.dump();
    EXPECT_LE(r["error"]["retry_after_ms"].get<int64_t>(), latest) << r.dump();
  }
  EXPECT_TRUE(last->request({{"op", "ping"}}, 6).contains("ok"));

  for (auto& c : clients) {
    EXPECT_EQ(c->socket().wait_closed(5s), 1001);
  }
  ASSERT_EQ(drained.wait_for(5s), std::future_status::ready) << "the drain did not end";
  EXPECT_EQ(drained.get(), "");
}

TEST_P(Drain, InAuthModeJwtOnlyAnAdminTokenMayDrainTheNode) {
  constexpr std::string_view key = "drain-test-key-that-is-at-least-32-bytes";
  test_node node{[&](runtime::node_config& cfg) {
    cfg.auth_mode = "jwt";
    cfg.auth.jwt = true;
    cfg.auth.jwt_secret = std::string{key};
    cfg.server.drain_spread_ms = 0;
  }};
  const auto token = [&](bool admin) {
    json claims = {{"sub", "ops"}, {"tenant", "acme"}, {"exp", epoch_seconds(3600)}};
    if (admin) {
      claims["admin"] = true;
    }
    return hs256_token(claims, key);
  };
  encoded_client c{node.port(), GetParam()};
  ASSERT_TRUE(c.request({{"op", "connect"}, {"token", token(false)}}, 1).contains("ok"));

  const auto drain = [&](const std::vector<std::pair<std::string, std::string>>& headers) {
    auto [status, body] = http_request(node.port(), "POST", "/admin/drain", headers);
    return std::make_pair(status, json::parse(body, nullptr, false));
  };
  auto none = drain({});
  EXPECT_EQ(none.first, 401);
  EXPECT_EQ(none.second["error"]["code"], "unauthorized") << none.second.dump();
  auto forged = drain({{"Authorization", "Bearer " + token(true) + "x"}});
  EXPECT_EQ(forged.first, 401);
  auto user = drain({{"Authorization", "Bearer " + token(false)}});
  EXPECT_EQ(user.first, 403);
  EXPECT_EQ(user.second["error"]["code"], "forbidden") << user.second.dump();
  EXPECT_EQ(http_get(node.port(), "/readyz").first, 200) << "a refused call drained the node";

  auto admin = drain({{"Authorization", "Bearer " + token(true)}});
  EXPECT_EQ(admin.first, 202);
  EXPECT_EQ(admin.second["draining"], true);
  EXPECT_EQ(c.next_push("drain")["reconnect_after_ms"], 0);
  EXPECT_EQ(c.socket().wait_closed(5s), 1001);
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Drain, ::testing::Values(wire::in_json, wire::in_msgpack),
                         [](const ::testing::TestParamInfo<wire>& p) {
                           return std::string{wire_name(p.param)};
                         });

} // namespace
} // namespace switchyard::testing
