#pragma once
// A handler's only door to the world. Handlers decide, the runtime acts: every method
// below only records an effect; the runtime executes them, in order, after the handler
// returned, and skips them while it replays the inbox to rebuild a session.

#include "switchyard/agents/body.hpp"
#include "switchyard/agents/effect_id.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::agents {

using clock = std::chrono::system_clock;
using duration = std::chrono::milliseconds;

/// Where a call or a send goes.
struct target {
  /// A queue group of workers (any language, over the WebSocket protocol): the job is
  /// published to topic `jobs/<name>`, whose group `<name>` the workers join.
  static target group(std::string name);
  /// Another agent session, started on demand.
  static target agent(std::string_view kind, std::string_view key);

  std::string topic = {};
  std::string group_name = {}; ///< empty for an agent
};

// Every field has an initializer: designated initializers that skip one stay quiet
// under GCC's -Wmissing-field-initializers.
struct call_options {
  duration timeout{30'000};   ///< then `call_failed{timeout}` (a durable timer)
  std::string tag = {};       ///< echoed in `reply` / `call_failed`
  std::string stream_to = {}; ///< a topic the worker may stream partial output to
  std::string key = {};       ///< ordering key inside the worker group
};

struct join_options {
  duration deadline{120'000}; ///< then `joined` with nullopt for the missing results
  std::size_t quorum = 0;     ///< 0: all; else join as soon as this many answered
  std::string tag = {};
};

/// A handler asked for an effect the runtime refuses: over a bound (fan-out width,
/// state bytes), to a topic name that is not valid or is reserved, or with an option that
/// does not apply. The event is dead-lettered at once (it would be refused again on every
/// retry) and the kind gets `poisoned`.
class effect_refused : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace detail {
class handling;
}

/// Valid during one handler call, on the session's own thread; never stored.
class context {
public:
  explicit context(detail::handling& h) : h_{h} {}
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  // -- the only identity, clock and randomness a handler may use: replay sees the same --
  const std::string& session() const; ///< "agents/<kind>/<key>"
  const std::string& key() const;
  /// "agents/<kind>/<key>/out", where clients read by convention.
  const std::string& out() const;
  seq_t seq() const;               ///< inbox seq of the event being handled
  clock::time_point now() const;   ///< the event's append time, never the wall clock
  const std::string& turn() const; ///< the event's turn ("" if none); effects inherit it
  std::uint64_t random();          ///< seeded by (session, seq)
  std::string unique_id();         ///< derived from (session, seq, a counter)
  bool replaying() const;          ///< for logs and metrics only: never branch on it

  // -- effects --
  template <class E> effect_id emit(std::string_view topic, const E& ev) {
    return record_emit(topic, E::type, pack(ev));
  }
  /// The answer comes back as `reply<R>` (or `call_failed`), a later inbox event.
  template <class R, class Q>
  call_id call(const target& to, const Q& request, call_options opts = {}) {
    return record_call(to, Q::type, pack(request), R::type, std::move(opts));
  }
  /// Starts one `kind` session per input (keys `<key>.<seq>.<i>`) and joins their
  /// answers (`ctx.complete`) into one `joined<R>`.
  template <class R, class Q>
  group_id fan_out(std::string_view kind, const std::vector<Q>& inputs, join_options opts = {}) {
    std::vector<std::string> bodies;
    bodies.reserve(inputs.size());
    for (const auto& in : inputs)
      bodies.push_back(pack(in));
    return record_fan_out(kind, Q::type, std::move(bodies), R::type, std::move(opts));
  }
  /// One event, no answer expected.
  template <class E> effect_id send(const target& to, const E& ev) {
    return record_send(to, E::type, pack(ev));
  }
  /// Passes the turn to session `<kind>/<same key>`: it gets `ev`, and its `complete`
  /// answers whoever called this session in this turn.
  template <class E> effect_id handoff(std::string_view kind, const E& ev) {
    return record_handoff(kind, E::type, pack(ev));
  }
  /// A durable timer: `ev` enters the inbox after `d`, also across restarts and
  /// passivation.
  template <class E> timer_id after(duration d, const E& ev) {
    return record_after(d, E::type, pack(ev));
  }
  /// Answers whoever called this session in this turn (a `call` or a `fan_out`); with no
  /// caller, `result` is emitted to `out()`.
  template <class R> void complete(const R& result) { record_complete(R::type, pack(result)); }
  /// Stops waiting for a call, a timer or a fan-out: its outcome is dropped.
  void cancel(const effect_id& id);
  /// Cancels the turn's calls, timers and joins and passes the cancel on to the sessions
  /// it called.
  void cancel_turn(std::string_view turn);
  /// Logged with the session's fields; silent while replaying.
  void log(std::string_view message);

private:
  effect_id record_emit(std::string_view topic, std::string_view type, std::string body);
  call_id record_call(const target& to, std::string_view type, std::string body,
                      std::string_view reply_type, call_options opts);
  group_id record_fan_out(std::string_view kind, std::string_view type,
                          std::vector<std::string> bodies, std::string_view reply_type,
                          join_options opts);
  effect_id record_send(const target& to, std::string_view type, std::string body);
  effect_id record_handoff(std::string_view kind, std::string_view type, std::string body);
  timer_id record_after(duration d, std::string_view type, std::string body);
  void record_complete(std::string_view type, std::string body);

  detail::handling& h_;
};

} // namespace switchyard::agents
