#pragma once
// The name of one effect a handler decided. The same handler run on the same inbox event
// names its effects the same way, so a name is also the effect's idempotency key: replay
// after a crash never emits, calls or arms a timer twice.

#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::agents {

using seq_t = std::uint64_t;

struct effect_id {
  std::string session = {}; ///< "agents/<kind>/<key>"
  seq_t seq = 0;            ///< inbox seq of the event whose handler decided the effect
  std::uint32_t index = 0;  ///< its position among that handler's effects

  /// "agents/research/conv-1#42.3"
  std::string name() const;
  /// base64url(SHA-256(name())): 43 characters, so `<token>:reply` fits `idem`.
  std::string token() const;

  friend bool operator==(const effect_id&, const effect_id&) = default;
};

using call_id = effect_id;
using timer_id = effect_id;
using group_id = effect_id;

/// base64url(SHA-256(name)), the token of any effect name.
std::string effect_token(std::string_view name);
/// base64url(HMAC-SHA-256(key, name)): the token a node uses, keyed with a secret kept in
/// its store, so that a client cannot work out the `corr` of a call it was not sent (and
/// forge its answer). An empty key gives effect_token(name).
std::string effect_token(std::string_view name, std::string_view key);

} // namespace switchyard::agents
