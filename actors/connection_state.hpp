#pragma once
// Internal to the connection actor (connection*.cpp): its state and the functions
// its handlers share. Everything here runs on the connection actor only.

#include "actors/connection_sink.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "protocol/message.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/all.hpp>

namespace switchyard::actors {

/// One fanout subscription of this connection.
struct subscription {
  caf::actor topic;        ///< null until the topic confirmed (and while it restarts)
  uint64_t generation = 0; ///< tells a stale subscribe reply from the current one
  uint64_t delivered = 0;  ///< newest seq queued to the client or reported in a gap
  uint64_t replay_to = 0;  ///< read the store until `delivered` reaches this
  uint64_t gap_from = 0;   ///< events gap_from..gap_to were dropped (queue full)
  uint64_t gap_to = 0;
  bool catching_up() const { return delivered < replay_to; }
};

using topic_callback = std::function<void(const caf::actor*)>;

struct connection_state {
  node_context* ctx = nullptr;
  std::weak_ptr<connection_sink> sink;
  protocol::encoding enc = protocol::encoding::json;
  std::string remote;
  uint64_t conn_id = 0;
  bool connected = false;
  bool closing = false;
  bool batching = false;        ///< inside a handler: output is flushed at its end
  bool drain_requested = false; ///< the session will send `written` once drained
  std::size_t capacity = 0;     ///< backlog at which fanout events become a gap
  std::string tenant;
  std::string user;
  std::unordered_map<std::string, subscription> subs;
  std::unordered_set<std::string> replaying;          ///< subs catching up from the store
  std::unordered_set<std::string> gapped;             ///< subs with an unreported gap
  std::unordered_map<std::string, caf::actor> topics; ///< monitored topic handles
  std::unordered_map<std::string, std::vector<topic_callback>> lookups;
  outbound_frame pending; ///< output of the current handler, handed over at its end
  /// Bad frames within the last minute (a vector: an empty std::deque allocates ~600 B,
  /// and this is per connection).
  std::vector<std::chrono::steady_clock::time_point> bad_frames;
  uint64_t next_generation = 1;
  static inline const char* name = "connection";
};

using connection_actor = caf::stateful_actor<connection_state>;

// connection.cpp

/// Collects everything a handler outputs into one hand-over to the socket.
class output_batch {
public:
  explicit output_batch(connection_actor* self);
  ~output_batch();
  output_batch(const output_batch&) = delete;
  output_batch& operator=(const output_batch&) = delete;

private:
  connection_actor* self_;
};

/// Queues an encoded message (flushed at the end of the handler, or now outside one).
void push_output(connection_actor* self, std::shared_ptr<const std::string> msg);
void flush_output(connection_actor* self);
/// How many more fanout events fit before the capacity (socket backlog included).
std::size_t output_room(connection_actor* self);
/// Asks for one `written` message once the socket backlog is empty.
void notify_when_drained(connection_actor* self);
void send_message(connection_actor* self, std::string msg);
void send_error(connection_actor* self, std::optional<int64_t> id, std::string_view code,
                std::string_view message, std::optional<int64_t> retry_after_ms = std::nullopt);
void close_connection(connection_actor* self, uint16_t code, std::string reason);
/// Calls `fn` with the topic's actor (looked up once, then cached and monitored), or with
/// nullptr when the registry refused. Calls for one topic run in the order they were made.
void with_topic(connection_actor* self, const std::string& topic, topic_callback fn);

// connection_subscribe.cpp
void on_subscribe(connection_actor* self, protocol::client_message& msg);
void on_unsubscribe(connection_actor* self, const protocol::client_message& msg);
void on_events(connection_actor* self, const event_batch_ptr& batch);
void on_topic_down(connection_actor* self, const caf::down_msg& dm);
/// Reports pending gaps and reads catching-up subscriptions from the store while
/// the outbound queue has room.
void refill(connection_actor* self);

// connection_ops.cpp
void on_connect(connection_actor* self, const protocol::client_message& msg);
void on_publish(connection_actor* self, protocol::client_message& msg);
void on_history(connection_actor* self, const protocol::client_message& msg);

} // namespace switchyard::actors
