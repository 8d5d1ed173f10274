#include "protocol/jwt.hpp"

#include "protocol/detail/base64url.hpp"
#include "protocol/detail/hmac.hpp"
#include "protocol/detail/json_value.hpp"

#include <limits>

#include <nlohmann/json.hpp>

namespace switchyard::protocol {

namespace {

using json = nlohmann::ordered_json;
using detail::base64url_decode;

/// Ours are flat (pattern lists one level down); other issuers nest custom claims a few
/// levels. Anything deeper is refused as the parser meets it, before it is built.
constexpr std::size_t max_token_json_depth = 16;

/// The JSON of a token segment, or a discarded value when it is not JSON or nests too deep.
json parse_segment(const std::string& text) {
  try {
    return detail::parse_json_limited(text, max_token_json_depth);
  } catch (const std::exception&) {
    return json(json::value_t::discarded);
  }
}

token_verdict refuse(std::string why) {
  return {std::nullopt, std::move(why)};
}

/// A NumericDate claim (seconds since the epoch) in ms; nullopt when absent.
/// `bad` is set when it is present but not a number in range.
std::optional<int64_t> date_ms(const json& payload, const char* name, bool& bad) {
  auto it = payload.find(name);
  if (it == payload.end()) {
    return std::nullopt;
  }
  // Seconds past ~292 million years would overflow the ms value.
  constexpr double limit = 9.0e15;
  if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > limit) {
    bad = true;
    return std::nullopt;
  }
  return static_cast<int64_t>(it->get<double>() * 1000.0);
}

/// An optional claim listing topic patterns: an array of non-empty strings.
bool read_patterns(const json& payload, const char* name,
                   std::optional<std::vector<std::string>>& out) {
  auto it = payload.find(name);
  if (it == payload.end()) {
    return true;
  }
  if (!it->is_array()) {
    return false;
  }
  std::vector<std::string> patterns;
  for (const auto& p : *it) {
    if (!p.is_string() || p.get_ref<const std::string&>().empty()) {
      return false;
    }
    patterns.push_back(p.get<std::string>());
  }
  out = std::move(patterns);
  return true;
}

bool name_claim(const json& payload, const char* name, std::string& out) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_string()) {
    return false;
  }
  out = it->get<std::string>();
  return !out.empty() && out.size() <= max_claim_name_bytes;
}

} // namespace

token_verdict verify_jwt(std::string_view token, std::string_view secret, int64_t now_ms,
                         int64_t leeway_ms) {
  if (token.size() > max_token_bytes) {
    return refuse("token longer than " + std::to_string(max_token_bytes) + " bytes");
  }
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return refuse("token is not three base64url segments");
  }
  const auto header_b64 = token.substr(0, dot1);
  const auto payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const auto header_text = base64url_decode(header_b64);
  const auto payload_text = base64url_decode(payload_b64);
  const auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature) {
    return refuse("token is not three base64url segments");
  }
  const auto header = parse_segment(*header_text);
  if (!header.is_object()) {
    return refuse("token header is not a JSON object");
  }
  // The algorithm is the node's, never the token's choice: "none", HS512 or RS256
  // (with the HMAC key posing as a public key) are refused before any signature check.
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || *alg != "HS256") {
    return refuse("token algorithm must be HS256");
  }
  const auto mac = detail::hmac_sha256(secret, token.substr(0, dot2));
  if (!mac) {
    return refuse("token signature could not be computed");
  }
  if (!detail::same_mac(*signature, *mac)) {
    return refuse("token signature does not match");
  }
  const auto payload = parse_segment(*payload_text);
  if (!payload.is_object()) {
    return refuse("token payload is not a JSON object");
  }
  token_claims claims;
  if (!name_claim(payload, "sub", claims.sub)) {
    return refuse("token claim 'sub' must be a string of 1 to 255 bytes");
  }
  if (!name_claim(payload, "tenant", claims.tenant)) {
    return refuse("token claim 'tenant' must be a string of 1 to 255 bytes");
  }
  bool bad_date = false;
  const auto exp = date_ms(payload, "exp", bad_date);
  const auto nbf = date_ms(payload, "nbf", bad_date);
  const auto iat = date_ms(payload, "iat", bad_date);
  if (bad_date) {
    return refuse("token claims 'exp', 'nbf' and 'iat' must be numbers of seconds");
  }
  if (!exp) {
    return refuse("token claim 'exp' is required");
  }
  if (now_ms >= *exp + leeway_ms) {
    return refuse("token expired");
  }
  if (nbf && now_ms + leeway_ms < *nbf) {
    return refuse("token not valid yet (nbf)");
  }
  if (iat && now_ms + leeway_ms < *iat) {
    return refuse("token issued in the future (iat)");
  }
  claims.exp_ms = *exp;
  if (!read_patterns(payload, "pub", claims.pub) ||
      !read_patterns(payload, "sub_topics", claims.sub_topics)) {
    return refuse("token claims 'pub' and 'sub_topics' must be arrays of topic patterns");
  }
  if (auto admin = payload.find("admin"); admin != payload.end()) {
    if (!admin->is_boolean()) {
      return refuse("token claim 'admin' must be true or false");
    }
    claims.admin = admin->get<bool>();
  }
  return {std::move(claims), {}};
}

bool topic_matches(std::string_view pattern, std::string_view topic) {
  for (;;) {
    const auto p_end = pattern.find('/');
    const auto t_end = topic.find('/');
    const auto p = pattern.substr(0, p_end);
    const auto t = topic.substr(0, t_end);
    if (p == ">" && p_end == std::string_view::npos) {
      return !topic.empty();
    }
    if (p != "*" && p != t) {
      return false;
    }
    if (p_end == std::string_view::npos || t_end == std::string_view::npos) {
      return p_end == std::string_view::npos && t_end == std::string_view::npos;
    }
    pattern.remove_prefix(p_end + 1);
    topic.remove_prefix(t_end + 1);
  }
}

bool topic_allowed(const std::optional<std::vector<std::string>>& patterns,
                   std::string_view topic) {
  if (!patterns) {
    return true;
  }
  for (const auto& p : *patterns) {
    if (topic_matches(p, topic)) {
      return true;
    }
  }
  return false;
}

} // namespace switchyard::protocol
