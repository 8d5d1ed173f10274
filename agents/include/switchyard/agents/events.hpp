#pragma once
// Events the runtime appends to a session's inbox. Each outcome of an effect (a reply,
// a timeout, a join, a cancel) is a later inbox event with its own seq, never a value
// handed over from memory: inbox order decides every race, and replay decides it again
// the same way.

#include "switchyard/agents/effect_id.hpp"

#include <optional>
#include <string>
#include <vector>

#include <msgpack.hpp>

namespace switchyard::agents {

/// The answer to `ctx.call<R>`: a worker's or another session's reply.
template <class R> struct reply {
  call_id call;
  std::string tag;
  R value;
};

/// A call that will not be answered: its timeout ran out, the callee answered with an
/// error, or (for agent calls) the limit on hops refused it.
struct call_failed {
  enum class why { timeout, error };
  call_id call;
  std::string tag;
  why reason = why::timeout;
  std::string detail;
};

/// The results of `ctx.fan_out<R>`, in input order; nullopt for a child that had not
/// answered by the deadline (or answered with an error).
template <class R> struct joined {
  group_id group;
  std::string tag;
  std::vector<std::optional<R>> results;
};

/// Published by a client (type "cancel_turn") or decided by a handler. The runtime first
/// cancels the turn's calls, timers and joins and passes the cancel on to the sessions it
/// called; then the kind's handler, if it has one, runs.
struct cancel_turn {
  std::string turn = {};
  std::string reason = {};
  MSGPACK_DEFINE_MAP(turn, reason)
};

/// An inbox event that could not be handled (its handler threw
/// `kind_options::max_crashes_per_event` times, it broke a limit, or its body did not
/// decode) went to `dead/agents/<kind>/<key>`; the session goes on with the next one.
struct poisoned {
  seq_t seq = 0;
  std::string type;
  std::string error;
};

} // namespace switchyard::agents
