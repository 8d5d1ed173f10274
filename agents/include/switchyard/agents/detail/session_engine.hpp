#pragma once
// Internal: one agent session as a deterministic machine, free of actors, sockets and
// the store. It routes each inbox event against its tables (pending calls, timers,
// joins, callers), runs the kind's handler and turns the recorded intents into effects
// (publishes). The session host actor and test_kit both drive it; replaying the same
// inbox from the same snapshot yields the same state, tables and decision digests.

#include "switchyard/agents/effect_id.hpp"
#include "switchyard/agents/kind.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::agents::detail {

/// One publish the runtime makes for a handled event.
struct effect {
  enum class what {
    emit,        ///< ctx.emit, or ctx.complete with no caller
    job,         ///< a call to a worker group: the job on `jobs/<group>`
    request,     ///< a call to a session, or one child of a fan-out
    send,        ///< ctx.send, ctx.handoff
    reply,       ///< ctx.complete to its caller
    cancel,      ///< a cancelled turn passed on to a session it called
    self_error,  ///< a call refused by a bound, answered into the session's own inbox
    dead_letter, ///< to dead/agents/<kind>/<key>
  };
  what kind = what::emit;
  std::string topic = {};
  std::string data = {}; ///< the event's `data` (MessagePack)
  std::string idem = {};
  std::string key = {}; ///< ordering key (jobs with call_options::key)
  // What the effect says, for tests and logs:
  effect_id id = {};
  std::string type = {};
  std::string body = {};
  std::string tag = {};
  std::string stream_to = {};
  std::string to = {}; ///< the group's name for a job, else the topic
};

struct inbox_event {
  seq_t seq = 0;
  std::int64_t ts_ms = 0;
  std::string_view data; ///< the inbox envelope {type, turn?, body, ...} (MessagePack)
};

struct outcome {
  std::vector<effect> effects;
  /// Of every decision the handler made (effects, timers, cancels), in order: the same
  /// event handled again must give the same digest.
  std::uint64_t digest = 0;
  std::vector<std::string> logs; ///< ctx.log lines (empty while replaying)
  /// Why no handler ran (a late reply, a cancelled timer, no handler for the type).
  std::string dropped = {};
};

class session_engine {
public:
  /// `token_key` keys the effects' tokens (effect_token(name, key)); empty in test_kit.
  session_engine(std::unique_ptr<session_kind> kind, std::string key, kind_options opts,
                 std::string token_key = {});
  ~session_engine();
  session_engine(const session_engine&) = delete;
  session_engine& operator=(const session_engine&) = delete;

  const std::string& session() const;
  const std::string& key() const;
  session_kind& kind();
  /// The last inbox seq handled (0: none).
  seq_t applied_seq() const;

  /// Routes and handles one inbox event. What the handler throws, other than a bound
  /// (effect_refused) or a body that does not decode, propagates: the engine is then
  /// spoiled and must be rebuilt (restore + replay), as after a crash.
  outcome handle(const inbox_event& ev, bool replaying);
  /// The event crashed its handler too often: dead-letter it (`crashes` attempts,
  /// `error`) and deliver `poisoned`.
  outcome poison(const inbox_event& ev, std::uint32_t crashes, std::string_view error,
                 bool replaying);

  /// State, tables and applied seq. Throws effect_refused over max_state_bytes.
  std::string snapshot() const;
  /// Loads a snapshot of this kind; false (the engine unchanged) when it is not one, or of
  /// another kind version.
  bool restore(std::string_view snapshot);

  /// Every armed timer, call timeout and join deadline, earliest first. When one is due
  /// the runtime appends {type: "timer", corr: token} to the inbox (idem `<token>:fire`);
  /// handling that event disarms it.
  struct armed_timer {
    std::int64_t due_ms = 0;
    std::string token = {};
  };
  std::vector<armed_timer> armed() const;

  class impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace switchyard::agents::detail
