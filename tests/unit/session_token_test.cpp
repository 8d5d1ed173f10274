// The `session` token of connect replies (PROTOCOL.md, Resume): what the node signs it
// verifies until it runs out, and nothing else: another key, an altered part, garbage.

#include "protocol/session_token.hpp"

#include <set>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

using protocol::session_claims;
using protocol::sign_session;
using protocol::verify_session;

const std::string key(32, 'k');
constexpr int64_t now = 1'800'000'000'000;

TEST(SessionToken, WhatTheNodeSignedGivesItsUserTenantAndExpiryBack) {
  const auto token = sign_session({"ada", "acme/x\x1f", now + 1000, "s1"}, key);
  const auto v = verify_session(token, key, now);
  ASSERT_TRUE(v.claims) << v.error;
  EXPECT_EQ(v.claims->user, "ada");
  EXPECT_EQ(v.claims->tenant, "acme/x\x1f");
  EXPECT_EQ(v.claims->exp_ms, now + 1000);
  EXPECT_EQ(v.claims->id, "s1"); // a resume keeps the session it resumed
  // Every new session is its own, even for the same user.
  std::set<std::string> tokens;
  for (int i = 0; i < 100; ++i) {
    tokens.insert(sign_session({"ada", "acme", now, protocol::new_session_id()}, key));
  }
  EXPECT_EQ(tokens.size(), 100u);
}

TEST(SessionToken, ARunOutSessionIsExpired) {
  const auto token = sign_session({"ada", "acme", now, "s1"}, key);
  EXPECT_TRUE(verify_session(token, key, now).claims);
  const auto v = verify_session(token, key, now + 1);
  EXPECT_FALSE(v.claims);
  EXPECT_NE(v.error.find("expired"), std::string::npos) << v.error;
}

TEST(SessionToken, AnotherKeyAnAlteredPartOrGarbageIsForeign) {
  const auto token = sign_session({"ada", "acme", now + 1000, "s1"}, key);
  const auto dot = token.find('.');
  ASSERT_NE(dot, std::string::npos);
  auto body_changed = token;
  body_changed[dot / 2] = body_changed[dot / 2] == 'A' ? 'B' : 'A';
  auto mac_changed = token;
  mac_changed[dot + 2] = mac_changed[dot + 2] == 'A' ? 'B' : 'A';
  const std::vector<std::string> refused = {
      "",          ".",          "abc",       token.substr(0, dot),
      token + "x", body_changed, mac_changed, std::string(4096, 'a') + "." + token.substr(dot + 1)};
  for (const auto& t : refused) {
    const auto v = verify_session(t, key, now);
    EXPECT_FALSE(v.claims) << t.substr(0, 60);
    EXPECT_NE(v.error.find("not one this node"), std::string::npos) << v.error;
  }
  EXPECT_FALSE(verify_session(token, std::string(32, 'j'), now).claims);
}

} // namespace
} // namespace switchyard::testing
