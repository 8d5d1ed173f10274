#include "protocol/session_token.hpp"

#include "protocol/detail/base64url.hpp"
#include "protocol/detail/hmac.hpp"
#include "protocol/detail/json_value.hpp"

#include <array>

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

namespace switchyard::protocol {

namespace {

using detail::base64url_decode;
using detail::base64url_encode;

/// The token's claims are one flat object.
constexpr std::size_t max_session_json_depth = 2;

session_verdict refuse(std::string why) {
  return {std::nullopt, std::move(why)};
}

constexpr std::string_view foreign = "session is not one this node (or its cluster) made";

} // namespace

std::string new_session_id() {
  std::array<unsigned char, 12> nonce{};
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  return base64url_encode({reinterpret_cast<const char*>(nonce.data()), nonce.size()});
}

std::string sign_session(const session_claims& claims, std::string_view key) {
  const nlohmann::json body = {
      {"u", claims.user}, {"t", claims.tenant}, {"exp", claims.exp_ms}, {"n", claims.id}};
  auto token = base64url_encode(body.dump());
  // Without a MAC (OpenSSL failed) the token is one no node verifies.
  const auto mac = detail::hmac_sha256(key, token).value_or("");
  token += '.';
  token += base64url_encode(mac);
  return token;
}

session_verdict verify_session(std::string_view token, std::string_view key, int64_t now_ms) {
  if (token.size() > max_session_bytes) {
    return refuse(std::string{foreign});
  }
  const auto dot = token.find('.');
  if (dot == std::string_view::npos) {
    return refuse(std::string{foreign});
  }
  const auto body_b64 = token.substr(0, dot);
  const auto mac = base64url_decode(token.substr(dot + 1));
  const auto expected = detail::hmac_sha256(key, body_b64);
  if (!mac || !expected || !detail::same_mac(*mac, *expected)) {
    return refuse(std::string{foreign});
  }
  // Signed by this key: what follows only fails for a token made by another build.
  const auto body_text = base64url_decode(body_b64);
  if (!body_text) {
    return refuse(std::string{foreign});
  }
  nlohmann::ordered_json body;
  try {
    body = detail::parse_json_limited(*body_text, max_session_json_depth);
  } catch (const std::exception&) {
    return refuse(std::string{foreign});
  }
  const auto u = body.find("u");
  const auto t = body.find("t");
  const auto exp = body.find("exp");
  const auto n = body.find("n");
  if (!body.is_object() || u == body.end() || !u->is_string() || t == body.end() ||
      !t->is_string() || exp == body.end() || !exp->is_number_integer() || n == body.end() ||
      !n->is_string()) {
    return refuse(std::string{foreign});
  }
  session_claims claims{u->get<std::string>(), t->get<std::string>(), exp->get<int64_t>(),
                        n->get<std::string>()};
  if (claims.exp_ms < now_ms) {
    return refuse("session expired: connect without resume and subscribe again");
  }
  return {std::move(claims), {}};
}

} // namespace switchyard::protocol
