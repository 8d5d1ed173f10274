// connect tokens (PROTOCOL.md, Auth): what verify_jwt accepts and every forgery it must
// refuse, and the topic patterns of `pub` / `sub_topics`.

#include "protocol/jwt.hpp"
#include "tests/support/token_signer.hpp"

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

using nlohmann::json;
using protocol::verify_jwt;

constexpr std::string_view secret = "test-secret-of-at-least-32-bytes!!";
constexpr int64_t leeway_ms = 30000;

int64_t now_ms() {
  return epoch_seconds() * 1000;
}

json claims(int64_t exp_in_s = 3600) {
  return {{"sub", "ada"}, {"tenant", "acme"}, {"exp", epoch_seconds(exp_in_s)}};
}

protocol::token_verdict verify(const std::string& token) {
  return verify_jwt(token, secret, now_ms(), leeway_ms);
}

TEST(Jwt, AValidTokenGivesItsClaims) {
  auto payload = claims();
  payload["pub"] = {"chat/*"};
  payload["sub_topics"] = {"chat/>", "news"};
  payload["admin"] = true;
  const auto v = verify(hs256_token(payload, secret));
  ASSERT_TRUE(v.claims) << v.error;
  EXPECT_EQ(v.claims->sub, "ada");
  EXPECT_EQ(v.claims->tenant, "acme");
  EXPECT_EQ(v.claims->exp_ms, payload["exp"].get<int64_t>() * 1000);
  EXPECT_EQ(v.claims->pub, (std::vector<std::string>{"chat/*"}));
  EXPECT_EQ(v.claims->sub_topics, (std::vector<std::string>{"chat/>", "news"}));
  EXPECT_TRUE(v.claims->admin);
  const auto plain = verify(hs256_token(claims(), secret));
  ASSERT_TRUE(plain.claims) << plain.error;
  EXPECT_FALSE(plain.claims->pub);
  EXPECT_FALSE(plain.claims->admin);
}

TEST(Jwt, AnAlgorithmOtherThanHs256IsRefusedWhateverTheSignature) {
  for (const auto* alg : {"none", "HS512", "RS256", "hs256", "HS256 "}) {
    const auto token = sign_token({{"alg", alg}, {"typ", "JWT"}}, claims(), secret);
    const auto v = verify(token);
    EXPECT_FALSE(v.claims) << alg;
    EXPECT_NE(v.error.find("HS256"), std::string::npos) << alg << ": " << v.error;
  }
  // alg "none" with an empty signature, as the classic forgery sends it.
  const auto none = base64url(R"({"alg":"none"})") + "." + base64url(claims().dump()) + ".";
  EXPECT_FALSE(verify(none).claims);
  // No alg at all.
  EXPECT_FALSE(verify(sign_token({{"typ", "JWT"}}, claims(), secret)).claims);
}

TEST(Jwt, AWrongKeyOrAnAlteredPartIsRefused) {
  EXPECT_EQ(verify(hs256_token(claims(), "another-secret-of-32-bytes-or-so!!")).error,
            "token signature does not match");
  const auto token = hs256_token(claims(), secret);
  const auto dot = token.find('.');
  // The payload of another token (tenant globex) under this token's signature.
  auto other = claims();
  other["tenant"] = "globex";
  const auto swapped =
      token.substr(0, dot + 1) + base64url(other.dump()) + token.substr(token.rfind('.'));
  EXPECT_EQ(verify(swapped).error, "token signature does not match");
  auto truncated = token;
  truncated.pop_back();
  EXPECT_FALSE(verify(truncated).claims);
}

TEST(Jwt, GarbageIsRefused) {
  const std::string huge(protocol::max_token_bytes + 1, 'a');
  const std::vector<std::string> garbage = {"",
                                            "abc",
                                            "a.b",
                                            "a.b.c.d",
                                            "....",
                                            "!!!.???.***",
                                            "eyJhbGciOiJIUzI1NiJ9.e30=.AAAA",
                                            "e30.e30.e30",
                                            base64url("[1,2]") + "." + base64url("{}") + ".",
                                            huge};
  for (const auto& token : garbage) {
    const auto v = verify(token);
    EXPECT_FALSE(v.claims) << token.substr(0, 40);
    EXPECT_FALSE(v.error.empty());
  }
}

TEST(Jwt, ClaimsNestedDeeperThanSixteenLevelsAreRefusedEvenWhenSigned) {
  const auto nested = [](int levels) {
    std::string text =
        R"({"sub":"ada","tenant":"acme","exp":)" + std::to_string(epoch_seconds(3600)) + R"(,"x":)";
    text += std::string(static_cast<std::size_t>(levels), '[') +
            std::string(static_cast<std::size_t>(levels), ']') + "}";
    return text;
  };
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  // The claims object is one level, so 15 arrays in it make sixteen.
  EXPECT_TRUE(verify(sign_parts(header, nested(15), secret)).claims);
  const auto deep = verify(sign_parts(header, nested(16), secret));
  EXPECT_FALSE(deep.claims);
  EXPECT_EQ(deep.error, "token payload is not a JSON object");
  // A deep header is refused before its signature is looked at.
  const auto deep_header = verify(base64url(std::string(3000, '[') + std::string(3000, ']')) + "." +
                                  base64url("{}") + ".AAAA");
  EXPECT_EQ(deep_header.error, "token header is not a JSON object");
}

TEST(Jwt, RequiredClaimsAndTheirTypes) {
  for (const auto* name : {"sub", "tenant", "exp"}) {
    auto payload = claims();
    payload.erase(name);
    EXPECT_FALSE(verify(hs256_token(payload, secret)).claims) << name;
  }
  auto payload = claims();
  payload["exp"] = "tomorrow";
  EXPECT_FALSE(verify(hs256_token(payload, secret)).claims);
  payload = claims();
  payload["tenant"] = std::string(256, 't');
  EXPECT_FALSE(verify(hs256_token(payload, secret)).claims);
  payload = claims();
  payload["sub"] = "";
  EXPECT_FALSE(verify(hs256_token(payload, secret)).claims);
  payload = claims();
  payload["pub"] = "chat/*";
  EXPECT_FALSE(verify(hs256_token(payload, secret)).claims);
  payload = claims();
  payload["sub_topics"] = {"ok", 3};
  EXPECT_FALSE(verify(hs256_token(payload, secret)).claims);
  payload = claims();
  payload["admin"] = "yes";
  EXPECT_FALSE(verify(hs256_token(payload, secret)).claims);
}

TEST(Jwt, TimesAreCheckedWithTheLeeway) {
  // Expired 10 s ago: within the 30 s leeway. 40 s ago: refused.
  EXPECT_TRUE(verify(hs256_token(claims(-10), secret)).claims);
  EXPECT_EQ(verify(hs256_token(claims(-40), secret)).error, "token expired");
  auto payload = claims();
  payload["nbf"] = epoch_seconds(60);
  EXPECT_EQ(verify(hs256_token(payload, secret)).error, "token not valid yet (nbf)");
  payload["nbf"] = epoch_seconds(10);
  EXPECT_TRUE(verify(hs256_token(payload, secret)).claims);
  payload = claims();
  payload["iat"] = epoch_seconds(120);
  EXPECT_EQ(verify(hs256_token(payload, secret)).error, "token issued in the future (iat)");
  payload["iat"] = epoch_seconds(-120);
  EXPECT_TRUE(verify(hs256_token(payload, secret)).claims);
  payload["exp"] = 1e300;
  EXPECT_FALSE(verify(hs256_token(payload, secret)).claims);
}

TEST(Jwt, TopicPatterns) {
  using protocol::topic_matches;
  EXPECT_TRUE(topic_matches("chat/1", "chat/1"));
  EXPECT_FALSE(topic_matches("chat/1", "chat/12"));
  EXPECT_TRUE(topic_matches("chat/*", "chat/1"));
  EXPECT_FALSE(topic_matches("chat/*", "chat/1/x"));
  EXPECT_FALSE(topic_matches("chat/*", "chat"));
  EXPECT_TRUE(topic_matches("*/1", "chat/1"));
  EXPECT_TRUE(topic_matches("chat/>", "chat/1"));
  EXPECT_TRUE(topic_matches("chat/>", "chat/1/x/y"));
  EXPECT_FALSE(topic_matches("chat/>", "chat"));
  EXPECT_FALSE(topic_matches("chat/>", "chatter/1"));
  EXPECT_TRUE(topic_matches(">", "anything/at/all"));
  EXPECT_FALSE(topic_matches("chat/>/x", "chat/1/x")); // '>' only ends a pattern
  EXPECT_TRUE(protocol::topic_allowed(std::nullopt, "any"));
  EXPECT_FALSE(protocol::topic_allowed(std::vector<std::string>{}, "any"));
  EXPECT_TRUE(protocol::topic_allowed(std::vector<std::string>{"a", "b/*"}, "b/c"));
}

} // namespace
} // namespace switchyard::testing
