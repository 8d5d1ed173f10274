#pragma once
// Internal to the agent API library: the session engine's tables and the state of one
// handler call (what a context records into). Shared by context.cpp and
// session_engine.cpp; nothing outside agents/ includes it.

#include "protocol/message.hpp"
#include "switchyard/agents/detail/envelope.hpp"
#include "switchyard/agents/detail/session_engine.hpp"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

namespace switchyard::agents::detail {

inline constexpr std::uint32_t snapshot_format = 1;
inline constexpr std::uint64_t fnv_basis = 14695981039346656037ull;
inline constexpr std::uint64_t fnv_prime = 1099511628211ull;

/// FNV-1a over a length-prefixed string, so ("ab","c") and ("a","bc") differ.
inline std::uint64_t fnv(std::uint64_t h, std::string_view s) {
  for (int i = 0; i < 8; ++i) {
    h ^= static_cast<unsigned char>(s.size() >> (8 * i));
    h *= fnv_prime;
  }
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= fnv_prime;
  }
  return h;
}

inline std::uint64_t splitmix(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The tables. They change only while an inbox event is handled, so replaying the inbox
// rebuilds them; snapshots store them as MessagePack arrays.
struct call_rec {
  std::string token;
  seq_t seq = 0;
  std::uint32_t index = 0;
  std::string tag;
  std::string reply_type;
  std::string turn;
  std::string to;          ///< the callee's topic
  bool agent = false;      ///< the callee is a session (it is told about a cancelled turn)
  std::int64_t due_ms = 0; ///< the timeout; 0 for a fan-out child (its join has one)
  std::string join;        ///< a fan-out child: its join's token
  std::uint32_t slot = 0;
  std::uint32_t hops = 0;
  MSGPACK_DEFINE(token, seq, index, tag, reply_type, turn, to, agent, due_ms, join, slot, hops)
};

struct timer_rec {
  std::string token;
  std::string turn;
  std::string type;
  std::string body;
  std::int64_t due_ms = 0;
  std::uint32_t hops = 0;
  MSGPACK_DEFINE(token, turn, type, body, due_ms, hops)
};

struct join_rec {
  std::string token;
  seq_t seq = 0;
  std::uint32_t index = 0;
  std::string tag;
  std::string reply_type;
  std::string turn;
  std::uint32_t needed = 0; ///< answers that complete the join (the quorum, or all)
  std::int64_t due_ms = 0;
  std::vector<std::optional<std::string>> slots;
  std::uint32_t answered = 0; ///< replies
  std::uint32_t settled = 0;  ///< replies and errors
  std::uint32_t hops = 0;
  MSGPACK_DEFINE(token, seq, index, tag, reply_type, turn, needed, due_ms, slots, answered, settled,
                 hops)
};

/// Who called this session in a turn (a request or a fan-out child's input).
struct caller_rec {
  std::string turn;
  std::string corr;
  std::string reply_to;
  std::uint32_t hops = 0;
  MSGPACK_DEFINE(turn, corr, reply_to, hops)
};

struct snapshot_rec {
  std::uint32_t format = 0;
  std::uint32_t version = 0;
  std::string kind;
  std::string key;
  seq_t applied = 0;
  std::string state;
  std::vector<call_rec> calls;
  std::vector<timer_rec> timers;
  std::vector<join_rec> joins;
  std::vector<caller_rec> callers;
  MSGPACK_DEFINE(format, version, kind, key, applied, state, calls, timers, joins, callers)
};

template <class Map> inline std::vector<typename Map::mapped_type> values(const Map& m) {
  std::vector<typename Map::mapped_type> out;
  out.reserve(m.size());
  for (const auto& [k, v] : m)
    out.push_back(v);
  return out;
}

inline bool is_agent_inbox(std::string_view topic) {
  return protocol::valid_topic(topic) && protocol::agent_inbox_kind(topic).has_value();
}

inline bool reserved_type(std::string_view type) {
  return type == "poisoned" || type == "call_failed" || type == "timer" ||
         type.find(':') != std::string_view::npos;
}

class handling {
public:
  handling(session_engine::impl& e, const inbox_event& ev, bool replay);

  effect_id next_id();
  void decide(std::string_view what, std::initializer_list<std::string_view> parts) {
    digest = fnv(digest, what);
    for (auto p : parts)
      digest = fnv(digest, p);
  }

  session_engine::impl& eng;
  seq_t seq;
  std::int64_t ts_ms;
  bool replaying;
  std::string turn;
  std::uint32_t hops = 0;
  std::uint32_t next_index = 0;
  std::uint64_t digest = fnv_basis;
  std::uint64_t rng;
  std::uint64_t ids = 0;
  std::string scratch; ///< a delivery's body made here (a join, a timer's event)
  std::vector<effect> effects;
  std::vector<std::string> logs;
};

class session_engine::impl {
public:
  impl(std::unique_ptr<session_kind> k, std::string key_, kind_options o, std::string secret)
      : kind{std::move(k)}, key{std::move(key_)}, session{"agents/" + std::string{kind->name()} +
                                                          "/" + key},
        out{session + "/out"}, opts{o}, token_key{std::move(secret)} {}

  std::string token(const effect_id& id) const { return effect_token(id.name(), token_key); }

  outcome run(const inbox_event& ev, bool replaying, const std::string* poison_error,
              std::uint32_t crashes);
  std::optional<delivery> route(handling& h, const inbox_envelope& env, std::string& dropped);
  delivery close_join(handling& h, std::map<std::string, join_rec>::iterator j);
  void cascade(handling& h, const std::string& turn, const std::string& reason,
               const std::string& token);
  void dead_letter(handling& h, const inbox_event& ev, std::uint32_t attempts,
                   std::string_view error);
  void deliver_poisoned(handling& h, context& ctx, std::string_view type, std::string_view error);
  void check_topic(std::string_view topic) const;
  bool over_hops(const handling& h) const { return h.hops + 1 > opts.max_hops_per_turn; }
  std::string hops_error() const {
    return "max_hops_per_turn (" + std::to_string(opts.max_hops_per_turn) + ") reached";
  }

  std::unique_ptr<session_kind> kind;
  std::string key;
  std::string session;
  std::string out;
  kind_options opts;
  std::string token_key;
  seq_t applied = 0;
  std::map<std::string, call_rec> calls;
  std::map<std::string, timer_rec> timers;
  std::map<std::string, join_rec> joins;
  std::map<std::string, caller_rec> callers; ///< by turn
};

inline handling::handling(session_engine::impl& e, const inbox_event& ev, bool replay)
    : eng{e}, seq{ev.seq}, ts_ms{ev.ts_ms}, replaying{replay}, rng{fnv(fnv_basis, e.session) ^
                                                                   (ev.seq *
                                                                    0x9e3779b97f4a7c15ull)} {}

inline effect_id handling::next_id() {
  return {eng.session, seq, next_index++};
}

} // namespace switchyard::agents::detail
