#pragma once
// Internal: the agent envelopes of the wire contract (PROTOCOL.md, "Agent sessions"), as
// MessagePack `data`. An inbox event is {type, turn?, body, corr?, reply_to?, hops?}; a
// worker's job is {type, corr, reply_to, stream_to?, deadline_ms, turn?, body}.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::agents::detail {

struct inbox_envelope {
  std::string type = {};
  std::string turn = {};
  std::string body = {};     ///< MessagePack; empty: none (nil)
  std::string corr = {};     ///< a reply, error or timer: the call, timer or join it answers;
                             ///< a request from another session: the call to answer
  std::string reply_to = {}; ///< a request: the inbox to answer to
  std::uint32_t hops = 0;
};

/// nullopt with `error` set when `data` is not an inbox envelope (also for a field this
/// version does not know: it is refused, never ignored).
std::optional<inbox_envelope> decode_inbox(std::string_view data, std::string& error);
std::string encode_inbox(const inbox_envelope& env);

struct job_envelope {
  std::string type = {};
  std::string corr = {};
  std::string reply_to = {}; ///< empty: a `send`, nobody waits for an answer
  std::string stream_to = {};
  std::int64_t deadline_ms = 0; ///< epoch ms; 0: none
  std::string turn = {};
  std::string body = {};
};
std::string encode_job(const job_envelope& job);

/// {topic, seq, attempts, data (the original's), last_error}.
std::string encode_agent_dead_letter(std::string_view topic, std::uint64_t seq,
                                     std::uint32_t attempts, std::string_view data,
                                     std::string_view error);

/// The text of an error answer's body: a string as it is, anything else as JSON.
std::string body_text(std::string_view body);

} // namespace switchyard::agents::detail
