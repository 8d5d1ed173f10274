#pragma once
// Internal: a kind with its types erased, as the session engine drives it. Built from a
// user's kind by `kind_binding<K>` (kind.hpp).

#include "switchyard/agents/context.hpp"
#include "switchyard/agents/events.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace switchyard::agents::detail {

/// One inbox event, routed: what the handler of `key` is given.
struct delivery {
  std::string key = {};       ///< a user type, "reply:<type>", "joined:<type>", "call_failed", ...
  std::string_view body = {}; ///< MessagePack
  effect_id id = {};          ///< reply, call_failed, joined: the call or the fan-out
  std::string tag = {};       ///< reply, call_failed, joined
  call_failed::why reason = call_failed::why::timeout;
  std::string detail = {}; ///< call_failed, poisoned
  seq_t seq = 0;           ///< poisoned: the dead-lettered event
  std::string type = {};   ///< poisoned: its type
};

/// The body of an inbox event did not decode as the type its handler takes.
class body_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class session_kind {
public:
  virtual ~session_kind() = default;
  virtual std::string_view name() const = 0;
  /// Runs the handler for `d.key`; false when the kind has none. Throws body_error when
  /// the body does not decode, and whatever the handler throws.
  virtual bool dispatch(const delivery& d, context& ctx) = 0;
  virtual std::string save() const = 0;
  virtual void load(std::string_view bytes) = 0;
};

} // namespace switchyard::agents::detail
