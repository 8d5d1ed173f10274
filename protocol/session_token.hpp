#pragma once
// The `session` of a `connect` reply (PROTOCOL.md, Resume): a token the node signs
// with its own key (kept in the store, so it outlives restarts), naming the user and
// tenant it was made for and when it runs out. `resume` hands it back. Pure functions:
// the caller passes the key and the time.
//
// Format: base64url(JSON {"u": user, "t": tenant, "exp": ms, "n": session id}) "."
// base64url(HMAC-SHA256(key, the first part)).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::protocol {

/// The longest session token looked at, in bytes (two 255-byte names fit easily).
inline constexpr std::size_t max_session_bytes = 2048;

struct session_claims {
  std::string user;
  std::string tenant;
  int64_t exp_ms = 0; ///< epoch ms
  /// Names the session: a resumed connection keeps it (a presence membership follows it).
  std::string id;
};

/// A new session id: 12 random bytes, base64url.
std::string new_session_id();

/// A token for `claims`, signed with `key`. `claims.id` names the session: a new one
/// (new_session_id) for a plain connect, so two sessions of one user never share one; a
/// resumed session keeps its id.
std::string sign_session(const session_claims& claims, std::string_view key);

/// The claims of a token `key` signed that has not run out at `now_ms`, or why not (for
/// the client and the log: never the token or the key).
struct session_verdict {
  std::optional<session_claims> claims;
  std::string error;
};
session_verdict verify_session(std::string_view token, std::string_view key, int64_t now_ms);

} // namespace switchyard::protocol
