#pragma once
// `connect.token` (PROTOCOL.md, Auth): an HS256 JSON Web Token, verified against the
// node's key, and the topic patterns its claims may carry. Pure functions: no sockets,
// no actors, no clock of their own (the caller passes the time).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::protocol {

/// The longest token accepted, in bytes: a token is a few hundred bytes; a larger one
/// is refused before any decoding.
inline constexpr std::size_t max_token_bytes = 8192;
/// The longest `sub` or `tenant` claim, in bytes (topic keys prefix the tenant's length
/// as one byte).
inline constexpr std::size_t max_claim_name_bytes = 255;

/// What a verified token says.
struct token_claims {
  std::string sub;
  std::string tenant;
  int64_t exp_ms = 0;
  /// Topic patterns the client may publish to / read; nullopt: every topic.
  std::optional<std::vector<std::string>> pub;
  std::optional<std::vector<std::string>> sub_topics;
  bool admin = false;
};

/// The verdict on a token: claims, or why it was refused (for the client and the log;
/// it never holds the token or the key).
struct token_verdict {
  std::optional<token_claims> claims;
  std::string error;
};

/// Verifies `token` as an HS256 JWT signed with `secret`: the header's `alg` must be
/// exactly "HS256" whatever the signature, the signature is compared in constant time,
/// `exp`, `sub` and `tenant` are required, and `exp`/`nbf`/`iat` are checked against
/// `now_ms` with `leeway_ms` of tolerance.
token_verdict verify_jwt(std::string_view token, std::string_view secret, int64_t now_ms,
                         int64_t leeway_ms);

/// Whether `topic` matches `pattern`: segments split by '/', '*' matches one segment,
/// '>' as the last segment matches one or more.
bool topic_matches(std::string_view pattern, std::string_view topic);

/// Whether some pattern of `patterns` matches `topic`; nullopt (no claim) allows all.
bool topic_allowed(const std::optional<std::vector<std::string>>& patterns, std::string_view topic);

} // namespace switchyard::protocol
