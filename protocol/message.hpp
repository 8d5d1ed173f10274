#pragma once
// Protocol types shared by the codecs, the actors and the transport (PROTOCOL.md v1).
// Plain data only: no CAF, Beast, msgpack or JSON headers here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace switchyard::protocol {

/// The encoding a connection negotiated through its WebSocket subprotocol.
enum class encoding : uint8_t { json, msgpack };

inline constexpr std::string_view json_subprotocol = "switchyard.v1.json";
inline constexpr std::string_view msgpack_subprotocol = "switchyard.v1.msgpack";

enum class op : uint8_t {
  connect,
  subscribe,
  unsubscribe,
  publish,
  ack,
  nack,
  history,
  presence,
  ping,
  refresh,
};

std::string_view to_string(op o);

/// Where a subscription starts: `from` {seq|since_ms|last}.
struct start_position {
  enum class kind : uint8_t { seq, since_ms, last };
  kind from = kind::seq;
  int64_t value = 0;
};

/// One topic of `connect.resume`: the client has every event up to `last_seq`.
struct resume_topic {
  std::string topic;
  uint64_t last_seq = 0;
  bool presence = false; ///< take the presence membership over (or join)
};

/// `connect.resume`: a session of an earlier connect and the topics to take up again, in
/// the order the client listed them.
struct resume_request {
  std::string session;
  std::vector<resume_topic> topics;
};

/// One decoded client message. Only the fields of its `op` are meaningful;
/// the decoder has checked their presence and types.
struct client_message {
  op kind = op::ping;
  std::optional<int64_t> id;
  std::string topic;
  /// publish: the `data` value as MessagePack bytes (the one internal representation).
  std::string data;
  std::optional<std::string> key;
  std::optional<std::string> idem;
  std::optional<int64_t> ttl_ms;
  /// subscribe
  bool queue_mode = false;
  std::optional<std::string> group;
  std::optional<start_position> from;
  bool presence = false;
  std::optional<int64_t> max_inflight;
  std::optional<int64_t> ack_wait_ms;
  /// ack / nack
  int64_t seq = 0;
  std::optional<int64_t> delay_ms;
  std::optional<std::string> reason; ///< nack: kept as the dead letter's last_error
  /// history: exactly one of from_seq / since_ms
  std::optional<int64_t> from_seq;
  std::optional<int64_t> since_ms;
  std::optional<int64_t> limit;
  /// connect
  std::optional<std::string> token;
  std::optional<std::string> client;
  std::optional<resume_request> resume;
  /// presence: the `conn` of the previous page's last member
  std::optional<std::string> after;
};

/// A message that could not be decoded. `id` is set when one could be read,
/// so the error reply can carry it.
struct decode_error {
  std::optional<int64_t> id;
  std::string message;
};

using decoded_message = std::variant<client_message, decode_error>;

/// Protocol error codes (PROTOCOL.md "Errors").
namespace error_code {
inline constexpr std::string_view bad_request = "bad_request";
inline constexpr std::string_view not_connected = "not_connected";
inline constexpr std::string_view unauthorized = "unauthorized";
inline constexpr std::string_view forbidden = "forbidden";
inline constexpr std::string_view not_found = "not_found";
inline constexpr std::string_view too_large = "too_large";
inline constexpr std::string_view throttled = "throttled";
inline constexpr std::string_view circuit_open = "circuit_open";
inline constexpr std::string_view expired = "expired";
inline constexpr std::string_view unavailable = "unavailable";
inline constexpr std::string_view internal = "internal";
} // namespace error_code

/// True when `name` is a valid topic: 1-200 bytes of [A-Za-z0-9_.:/-] (a dead-letter
/// topic may be longer by its prefix). Group names follow the same rule.
bool valid_topic(std::string_view name);

/// The kind of an agent session's inbox, `agents/<kind>/<session>` (exactly three
/// segments, none empty); nullopt for any other topic (`agents/<kind>/<session>/out` is
/// an ordinary topic).
std::optional<std::string_view> agent_inbox_kind(std::string_view topic);

/// Dead letters of topic T go to `dead/T`, written only by the node.
inline constexpr std::string_view dead_letter_prefix = "dead/";
inline bool is_dead_letter_topic(std::string_view name) {
  return name.substr(0, dead_letter_prefix.size()) == dead_letter_prefix;
}
inline std::string dead_letter_topic(std::string_view topic) {
  return std::string(dead_letter_prefix) + std::string(topic);
}

} // namespace switchyard::protocol
