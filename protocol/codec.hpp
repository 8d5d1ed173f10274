#pragma once
// Decoding client frames and encoding server messages, for both encodings.
// Runs on whichever thread calls it (connection and topic actors); no shared state.
// Third-party parsers (nlohmann-json, msgpack-c) may throw: every throw is caught here
// and becomes a decode_error, never an exception out of these functions.

#include "protocol/message.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::protocol {

struct decode_limits {
  /// Deepest nesting of arrays/maps accepted anywhere in a message (incl. `data`).
  std::size_t max_depth = 64;
  /// Most messages one frame may carry; the rest of the frame is refused as one error.
  std::size_t max_messages = 1024;
};

/// Decodes one WebSocket frame: newline-delimited JSON objects, or MessagePack maps
/// back to back. Appends one entry per message (or per undecodable part) to `out`.
/// Returns false when the frame had at least one error (the caller counts bad frames).
bool decode_frame(encoding enc, std::string_view frame, std::vector<decoded_message>& out,
                  const decode_limits& limits = {});

/// Fields of one event, as stored; `data` is MessagePack bytes.
struct event_view {
  uint64_t seq = 0;
  int64_t ts_ms = 0;
  std::string_view key;  ///< empty: none
  std::string_view idem; ///< empty: none
  std::string_view data;
  std::string_view group{}; ///< queue delivery: the group (empty: fanout)
  uint32_t attempt = 0;     ///< queue delivery: 1 on the first
  bool expired = false;     ///< history: its ttl ran out
};

/// One topic of a connect reply's `resumed`: where it resumed, or why it did not.
struct resumed_topic {
  std::string topic;
  uint64_t from_seq = 0;   ///< resumed: the first seq that follows
  std::string_view error;  ///< not resumed: an error code (error_code::...)
  std::string message;     ///< not resumed: why
  uint64_t oldest_seq = 0; ///< error expired: the oldest seq the topic keeps
};

struct connect_ok {
  std::string conn;
  std::string session;
  std::string node;
  int64_t ping_ms = 0;
  int64_t max_frame_bytes = 0;
  int64_t publish_per_s = 0;     ///< the tenant's (0: not limited)
  int64_t max_subscriptions = 0; ///< per connection
  /// The tenant's limits by key (`limits.tenant`; 0: not limited).
  std::vector<std::pair<std::string_view, int64_t>> tenant;
  /// connect with `resume`: one entry per topic listed.
  std::optional<std::vector<resumed_topic>> resumed;
};

/// A presence member as the protocol shows it.
struct member_view {
  uint64_t conn = 0;
  std::string_view user;
  std::string_view client;
  int64_t since_ms = 0; ///< omitted in pushes
};

/// The name a connection has on the wire ("c" and its number), and back.
std::string conn_name(uint64_t conn);
std::optional<uint64_t> parse_conn_name(std::string_view name);

// Each encoder returns one complete message (no trailing newline); a frame of several
// messages joins JSON ones with '\n' and MessagePack ones back to back.
std::string encode_error(encoding enc, std::optional<int64_t> id, std::string_view code,
                         std::string_view message,
                         std::optional<int64_t> retry_after_ms = std::nullopt);
/// The `expired` error: what was asked for is older than what the store keeps;
/// `oldest_seq` is the oldest seq available.
std::string encode_expired_error(encoding enc, std::optional<int64_t> id, std::string_view message,
                                 uint64_t oldest_seq);
std::string encode_ok_empty(encoding enc, int64_t id);
std::string encode_connect_ok(encoding enc, int64_t id, const connect_ok& ok);
std::string encode_subscribe_ok(encoding enc, int64_t id, std::string_view topic, uint64_t seq,
                                uint64_t replayed);
/// The `presence` reply: one page of members; `next` (the last member's conn) when more
/// follow.
std::string encode_presence_ok(encoding enc, int64_t id, std::span<const member_view> members,
                               uint64_t count, std::optional<uint64_t> next);
/// The `presence` push: members that joined and left a topic since the last one.
std::string encode_presence_push(encoding enc, std::string_view topic,
                                 std::span<const member_view> joins,
                                 std::span<const member_view> leaves);
std::string encode_publish_ok(encoding enc, int64_t id, uint64_t seq, bool dup);
std::string encode_history_ok(encoding enc, int64_t id, std::string_view topic,
                              std::span<const event_view> events, uint64_t next_seq,
                              uint64_t last_seq);
/// The `event` push; the topic actor calls this once per event and encoding.
std::string encode_event_push(encoding enc, std::string_view topic, const event_view& ev);
/// The `data` of a dead letter, as MessagePack: {topic, seq, group, attempts, data (the
/// original's), last_error (when not empty)}.
std::string encode_dead_letter(std::string_view topic, uint64_t seq, std::string_view group,
                               uint32_t attempts, std::string_view data,
                               std::string_view last_error);
std::string encode_gap_push(encoding enc, std::string_view topic, uint64_t from, uint64_t to);
/// The node ended a subscription (of a queue group when `group` is not empty); `code` is
/// an error code (error_code::...).
std::string encode_unsubscribed_push(encoding enc, std::string_view topic, std::string_view code,
                                     std::string_view message, std::string_view group = {});
std::string encode_ping_push(encoding enc);
/// The connection's token runs out at `exp_ms`: send `refresh` before then.
std::string encode_token_expiring_push(encoding enc, int64_t exp_ms);
/// Backpressure: level 0 (clear), 1 (soft) or 2 (hard).
std::string encode_slow_down_push(encoding enc, int level, int64_t retry_after_ms,
                                  std::string_view reason);
/// The node is leaving: reconnect with `resume` after `reconnect_after_ms`.
/// `url`: in a cluster, another node to reconnect to (left out when empty).
std::string encode_drain_push(encoding enc, int64_t reconnect_after_ms, std::string_view reason,
                              std::string_view url = {});

/// Converts a JSON text value to MessagePack bytes (what a JSON client's `data` becomes).
/// Returns nullopt when the text is not valid JSON or nests deeper than `max_depth`.
std::optional<std::string> json_to_msgpack(std::string_view json, std::size_t max_depth = 64);
/// Converts MessagePack bytes to JSON text (binary becomes a base64 string).
std::string msgpack_to_json(std::string_view msgpack);
/// True when the MessagePack value is a binary (bin 8/16/32) at the top level.
bool msgpack_is_binary(std::string_view msgpack);

} // namespace switchyard::protocol
