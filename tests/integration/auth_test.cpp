// auth.mode jwt over real sockets, in both encodings (PROTOCOL.md, Auth): forged and
// expired tokens leave the connection not connected, tenants never meet, `pub` and
// `sub_topics` patterns and private/<user>/ topics answer `forbidden`, and the
// connection closes with 4001 when its token runs out.

#include "protocol/jwt.hpp"
#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/token_signer.hpp"

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

constexpr std::string_view auth_key = "auth-test-auth_key-that-is-32-bytes-long";

class Auth : public ::testing::TestWithParam<wire> {
protected:
  static void jwt_mode(runtime::node_config& cfg) {
    cfg.auth_mode = "jwt";
    cfg.auth.jwt = true;
    cfg.auth.jwt_secret = std::string{auth_key};
    cfg.auth.leeway_ms = 0;
  }
  static json claims(const std::string& sub, const std::string& tenant, int64_t exp_in_s = 3600) {
    return {{"sub", sub}, {"tenant", tenant}, {"exp", epoch_seconds(exp_in_s)}};
  }
  static json connect_with(encoded_client& c, const std::string& token) {
    return c.request({{"op", "connect"}, {"token", token}}, 1);
  }
  static std::string error_code(const json& reply) {
    return reply.contains("error") ? reply["error"]["code"].get<std::string>() : reply.dump();
  }
};

TEST_P(Auth, ForgedTokensAreUnauthorizedAndLeaveTheConnectionNotConnected) {
  test_node node{jwt_mode};
  const auto payload = claims("ada", "acme");
  const std::string huge(protocol::max_token_bytes + 10, 'x');
  const std::vector<std::string> forged = {
      sign_token({{"alg", "none"}}, payload, ""),
      base64url(R"({"alg":"none"})") + "." + base64url(payload.dump()) + ".",
      sign_token({{"alg", "HS512"}}, payload, auth_key),
      sign_token({{"alg", "RS256"}}, payload, auth_key),
      hs256_token(payload, "some-other-auth_key-that-is-32-bytes-long!"),
      hs256_token(claims("ada", "acme", -60), auth_key),           // expired
      hs256_token({{"sub", "ada"}, {"tenant", "acme"}}, auth_key), // no exp
      "not.a.token",
      "@@@.###.$$$",
      huge,
  };
  for (const auto& token : forged) {
    encoded_client c{node.port(), GetParam()};
    EXPECT_EQ(error_code(connect_with(c, token)), "unauthorized") << token.substr(0, 60);
    auto after = c.request({{"op", "subscribe"}, {"topic", "chat/1"}}, 2);
    EXPECT_EQ(error_code(after), "not_connected");
  }
  encoded_client none{node.port(), GetParam()};
  EXPECT_EQ(error_code(none.request({{"op", "connect"}}, 1)), "unauthorized");
}

TEST_P(Auth, TenantsNeverMeetWhateverTheirNames) {
  test_node node{jwt_mode};
  // Names chosen to collide if keys were joined without a length: "ab"+"c/x" vs "a"+"bc/x".
  encoded_client ab{node.port(), GetParam()};
  encoded_client a{node.port(), GetParam()};
  encoded_client acme{node.port(), GetParam()};
  ASSERT_TRUE(connect_with(ab, hs256_token(claims("u", "ab"), auth_key)).contains("ok"));
  ASSERT_TRUE(connect_with(a, hs256_token(claims("u", "a"), auth_key)).contains("ok"));
  ASSERT_TRUE(
      connect_with(acme, hs256_token(claims("u", "acme\n/\x01:"), auth_key)).contains("ok"));
  ASSERT_TRUE(ab.request({{"op", "subscribe"}, {"topic", "c/x"}}, 2).contains("ok"));
  ASSERT_TRUE(acme.request({{"op", "subscribe"}, {"topic", "c/x"}}, 2).contains("ok"));
  ASSERT_TRUE(a.request({{"op", "publish"}, {"topic", "bc/x"}, {"data", "a"}}, 3).contains("ok"));
  ASSERT_TRUE(a.request({{"op", "publish"}, {"topic", "c/x"}, {"data", "a"}}, 4).contains("ok"));
  EXPECT_TRUE(ab.next_push("event", 300ms).is_null()) << "tenant ab saw tenant a's event";
  EXPECT_TRUE(acme.next_push("event", 300ms).is_null()) << "tenant acme saw tenant a's event";
  auto history = ab.request({{"op", "history"}, {"topic", "c/x"}, {"from_seq", 1}}, 5);
  ASSERT_TRUE(history.contains("ok")) << history.dump();
  EXPECT_TRUE(history["ok"]["events"].empty());
}

TEST_P(Auth, PatternsAndPrivateTopicsAnswerForbidden) {
  test_node node{jwt_mode};
  auto payload = claims("ada", "acme");
  payload["pub"] = {"chat/*"};
  payload["sub_topics"] = {"chat/>", "private/>"};
  encoded_client c{node.port(), GetParam()};
  const auto ok = connect_with(c, hs256_token(payload, auth_key));
  ASSERT_TRUE(ok.contains("ok")) << ok.dump();
  EXPECT_TRUE(c.request({{"op", "publish"}, {"topic", "chat/1"}, {"data", 1}}, 2).contains("ok"));
  EXPECT_EQ(error_code(c.request({{"op", "publish"}, {"topic", "chat/1/x"}, {"data", 1}}, 3)),
            "forbidden");
  EXPECT_EQ(error_code(c.request({{"op", "publish"}, {"topic", "news"}, {"data", 1}}, 4)),
            "forbidden");
  EXPECT_TRUE(c.request({{"op", "subscribe"}, {"topic", "chat/1/x"}}, 5).contains("ok"));
  EXPECT_EQ(error_code(c.request({{"op", "subscribe"}, {"topic", "news"}}, 6)), "forbidden");
  EXPECT_EQ(error_code(c.request(
                {{"op", "subscribe"}, {"topic", "news"}, {"mode", "queue"}, {"group", "w"}}, 7)),
            "forbidden");
  EXPECT_EQ(error_code(c.request({{"op", "history"}, {"topic", "news"}, {"from_seq", 1}}, 8)),
            "forbidden");
  // private/<user>/ is the user's own, whatever sub_topics says.
  EXPECT_TRUE(c.request({{"op", "subscribe"}, {"topic", "private/ada/inbox"}}, 9).contains("ok"));
  EXPECT_EQ(error_code(c.request({{"op", "subscribe"}, {"topic", "private/bob/inbox"}}, 10)),
            "forbidden");
  EXPECT_EQ(error_code(c.request(
                {{"op", "history"}, {"topic", "private/bob/inbox"}, {"from_seq", 1}}, 11)),
            "forbidden");
  EXPECT_EQ(error_code(c.request({{"op", "subscribe"}, {"topic", "private/adam/x"}}, 12)),
            "forbidden");
  // Another user of the tenant may write to ada's private topic; ada gets it.
  encoded_client bob{node.port(), GetParam()};
  ASSERT_TRUE(connect_with(bob, hs256_token(claims("bob", "acme"), auth_key)).contains("ok"));
  EXPECT_TRUE(bob.request({{"op", "publish"}, {"topic", "private/ada/inbox"}, {"data", "hi"}}, 2)
                  .contains("ok"));
  auto ev = c.next_push("event");
  ASSERT_FALSE(ev.is_null());
  EXPECT_EQ(ev["topic"], "private/ada/inbox");
  EXPECT_EQ(ev["data"], "hi");
}

TEST_P(Auth, TheConnectionClosesWith4001WhenItsTokenRunsOut) {
  test_node node{jwt_mode};
  encoded_client c{node.port(), GetParam()};
  ASSERT_TRUE(connect_with(c, hs256_token(claims("ada", "acme", 2), auth_key)).contains("ok"));
  // A token good for thousands of years (its exp overflows a nanosecond timer) stays.
  encoded_client far{node.port(), GetParam()};
  auto forever = claims("bob", "acme");
  forever["exp"] = 100'000'000'000LL;
  ASSERT_TRUE(connect_with(far, hs256_token(forever, auth_key)).contains("ok"));
  EXPECT_EQ(c.socket().wait_closed(6s), 4001);
  EXPECT_TRUE(far.request({{"op", "ping"}}, 2).contains("ok"));
}

TEST_P(Auth, TokenExpiringAndARefreshForTheSameUserKeepTheConnection) {
  test_node node{jwt_mode};
  encoded_client c{node.port(), GetParam()};
  const auto first = claims("ada", "acme", 3);
  ASSERT_TRUE(connect_with(c, hs256_token(first, auth_key)).contains("ok"));
  // exp is less than 60 s away: the warning comes at once.
  const auto warning = c.next_push("token_expiring");
  ASSERT_FALSE(warning.is_null());
  EXPECT_EQ(warning["exp_ms"], first["exp"].get<int64_t>() * 1000);
  const auto refresh = [&](const std::string& token, int64_t id) {
    return c.request({{"op", "refresh"}, {"token", token}}, id);
  };
  EXPECT_EQ(error_code(refresh(hs256_token(claims("bob", "acme"), auth_key), 2)), "unauthorized");
  EXPECT_EQ(error_code(refresh(hs256_token(claims("ada", "globex"), auth_key), 3)), "unauthorized");
  EXPECT_EQ(error_code(refresh("garbage", 4)), "unauthorized");
  EXPECT_EQ(error_code(c.request({{"op", "refresh"}}, 5)), "bad_request");
  ASSERT_TRUE(refresh(hs256_token(claims("ada", "acme"), auth_key), 6).contains("ok"));
  // Past the first token's exp the connection still serves.
  EXPECT_EQ(c.socket().wait_closed(4s), 0) << "closed although refreshed";
  EXPECT_TRUE(c.request({{"op", "ping"}}, 7).contains("ok"));
}

TEST_P(Auth, ModeNoneRefusesATokenAndKeepsEveryoneAnonymous) {
  test_node node;
  encoded_client c{node.port(), GetParam()};
  EXPECT_EQ(error_code(connect_with(c, hs256_token(claims("ada", "acme"), auth_key))),
            "bad_request");
  c.connect();
  EXPECT_TRUE(c.request({{"op", "subscribe"}, {"topic", "private/bob/x"}}, 3).contains("ok"));
  EXPECT_EQ(error_code(c.request(
                {{"op", "refresh"}, {"token", hs256_token(claims("ada", "acme"), auth_key)}}, 4)),
            "bad_request");
}

INSTANTIATE_TEST_SUITE_P(BothEncodings, Auth, ::testing::Values(wire::in_json, wire::in_msgpack),
                         [](const ::testing::TestParamInfo<wire>& p) {
                           return std::string{wire_name(p.param)};
                         });

} // namespace
} // namespace switchyard::testing
