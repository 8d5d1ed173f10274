#pragma once
// Internal to the connection actor (connection*.cpp): its state and the functions
// its handlers share. Everything here runs on the connection actor only.

#include "actors/connection_sink.hpp"
#include "actors/interfaces.hpp"
#include "actors/node_context.hpp"
#include "actors/subscription.hpp"
#include "protocol/codec.hpp"
#include "protocol/jwt.hpp"
#include "protocol/message.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

namespace switchyard::actors {

/// One fanout subscription of this connection and the topic actor serving it.
struct topic_subscription {
  explicit topic_subscription(uint64_t generation) : sub(generation) {}
  subscription sub;
  topic_actor topic; ///< null until the topic confirmed (and while it restarts); monitored
  /// Asked the topic to write live events to the socket itself (direct_delivery); the
  /// topic may have refused, which the next batch it sends here shows.
  bool direct = false;
  bool replaying = false; ///< catching up from the store
  bool gapped = false;    ///< a gap waits to be reported (the socket had no room)
  bool presence = false;  ///< subscribed with presence: true (a member of the topic's set)
  std::shared_ptr<std::atomic<uint64_t>> cursor; ///< the last seq the topic wrote directly
};

/// One queue-group membership of this connection.
struct queue_membership {
  group_actor group; ///< null until the group confirmed the join; monitored
};
/// Memberships are keyed by topic and group: one connection may be a fanout subscriber
/// of a topic and a member of several of its groups.
using queue_key = std::pair<std::string, std::string>;

/// Topic handles for publishing, most recently used first; small and unmonitored (a
/// handle found dead is looked up again), so a connection publishing to many topics
/// holds a bounded amount.
class topic_cache {
public:
  static constexpr std::size_t capacity = 16;
  const topic_actor* find(const std::string& name);
  void put(const std::string& name, topic_actor handle);
  void forget(const std::string& name);

private:
  std::vector<std::pair<std::string, topic_actor>> entries_;
};

/// The topic's actor, or nullptr with why the registry refused.
using topic_callback = std::function<void(const topic_actor*, const caf::error& why)>;

/// A client's WebSocket message, decoded by its socket's thread (connection_handle).
struct client_frame {
  std::vector<protocol::decoded_message> messages;
  std::size_t bytes = 0;   ///< its size, for the socket's inbound flow control
  bool clean = true;       ///< false: at least one part could not be decoded
  std::size_t next = 0;    ///< the message handling goes on with (it paused before)
  std::string bad_snippet; ///< the frame's start when not clean, for the log
};

struct connection_state {
  connection_state() = default;
  connection_state(const connection_state&) = delete;
  connection_state& operator=(const connection_state&) = delete;
  /// The connection leaves ctx->live_connections with its state (CAF destroys it when the
  /// actor exits, however it exits): cheaper than a functor attached to every actor.
  ~connection_state() {
    if (ctx != nullptr) {
      --ctx->live_connections;
    }
  }

  node_context* ctx = nullptr;
  registry_actor registry;
  store_reader_actor reader;
  std::weak_ptr<connection_sink> sink;
  protocol::encoding enc = protocol::encoding::json;
  std::string remote;
  uint64_t conn_id = 0;
  bool connected = false;
  bool closing = false;
  /// The node drains (a `drain` push went out): new connects, publishes and subscribes
  /// are refused, and the connection closes (1001) once `leave_at_ms` came and nothing
  /// is in flight, or at `leave_by_ms` whatever is (steady ms).
  bool leaving = false;
  int64_t leave_at_ms = 0;
  int64_t leave_by_ms = 0;
  bool batching = false;        ///< inside a handler: output is flushed at its end
  bool flush_scheduled = false; ///< a flush message to itself is on its way
  bool drain_requested = false; ///< the session will send `written` once drained
  std::size_t capacity = 0;     ///< backlog at which fanout events become a gap
  std::string tenant;
  std::string user;
  std::string client; ///< connect.client, as presence shows it
  /// The resume session's id: made by the first connect, kept by a resume of it.
  std::string session_id;
  /// connect with resume, verified: the topics to take up once the tenant let it in.
  std::optional<protocol::resume_request> resuming;
  bool presence_keepalive = false; ///< the socket pings as presence.timeout_ms needs
  /// auth.mode jwt: what the connect token allows; null (auth.mode none): everything.
  std::shared_ptr<const protocol::token_claims> claims;
  tenant_actor tenant_ref; ///< its tenant, set once connected
  tenant_limits quota;     ///< the tenant's limits, as it last said
  /// Publish credit leased from the tenant while it limits publishing.
  int64_t credit_msgs = 0;
  int64_t credit_bytes = 0;
  int64_t credit_want = 1;  ///< events asked for at once: grows while leases go fast
  int64_t credit_at_ms = 0; ///< when the last lease came (steady_ms)
  /// Until then (steady_ms) publishes are refused without asking: throttled, or the
  /// tenant's breaker is open.
  int64_t blocked_until_ms = 0;
  std::string_view blocked_code;
  bool sent_while_blocked = false;    ///< the frame being handled had a publish refused so
  int64_t reported_subscriptions = 0; ///< what the tenant was last told this holds
  int behind_level = 0; ///< the slow_down level this was last told as a fanout consumer
  /// Topics this was told (as a publisher) have a queue group behind, with the level.
  std::map<std::string, int> lagging_topics;
  int64_t failure_reported_ms = 0; ///< when the tenant was last told of a failed publish
  /// Handling of frames waits for the tenant (connect, credit, a subscription slot); the
  /// paused frame is the first of `deferred`.
  bool paused = false;
  uint64_t token_timer = 0;  ///< the token timer that counts (a refresh starts a new one)
  bool token_warned = false; ///< token_expiring went out for the current token
  // A map, not a hash table: most connections hold a few subscriptions, and a hash table
  // keeps its bucket array (~120 bytes) once it has held one.
  std::map<std::string, topic_subscription> subs;
  std::map<queue_key, queue_membership> queues;
  topic_cache targets;
  /// Registry look-ups in flight, with what waits for each (a vector: rarely more than one).
  std::vector<std::pair<std::string, std::vector<topic_callback>>> lookups;
  outbound_frame pending; ///< output of the current handler, handed over at its end
  /// Bad frames within the last minute (a vector: an empty std::deque allocates ~600 B,
  /// and this is per connection).
  std::vector<std::chrono::steady_clock::time_point> bad_frames;
  uint64_t next_generation = 1;
  /// Requests waiting for another actor (publish, history, subscribe). Past
  /// max_ops_in_flight() frames wait in `deferred` (bounded by limits.inbound_queue:
  /// the socket stops reading), so a flooding client cannot pile up work elsewhere.
  std::size_t ops_in_flight = 0;
  std::vector<client_frame> deferred;
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

/// Queues an encoded message (flushed at the end of the handler, or outside one after the
/// messages already in the mailbox).
void push_output(connection_actor* self, std::shared_ptr<const std::string> msg);
void flush_output(connection_actor* self);
/// How many more fanout events fit before the capacity (socket backlog included).
std::size_t output_room(connection_actor* self);
/// Asks for one `written` message once the socket backlog is empty.
void notify_when_drained(connection_actor* self);
void send_message(connection_actor* self, std::string msg);
/// An error for the message with `id`; sent without id when the message had none.
void send_error(connection_actor* self, std::optional<int64_t> id, std::string_view code,
                std::string_view message, std::optional<int64_t> retry_after_ms = std::nullopt);
/// The oldest seq a topic still stores (what `expired` errors report), from a history page.
uint64_t oldest_seq(const store::history_page& page);
/// The `expired` error: `what` asked for seq `from`, older than the topic keeps.
void send_expired(connection_actor* self, std::optional<int64_t> id, const std::string& what,
                  uint64_t from, uint64_t oldest);
/// The protocol error for a failed request to another actor.
void send_failure(connection_actor* self, std::optional<int64_t> id, const caf::error& err,
                  std::string_view what);
void close_connection(connection_actor* self, uint16_t code, std::string reason);
/// Calls `fn` with the topic's actor (subscribed, cached or looked up), or with nullptr
/// and the reason when the registry refused. Calls for one topic run in the order they
/// were made.
void with_topic(connection_actor* self, const std::string& topic, topic_callback fn);
/// Accounting of requests waiting for another actor (see connection_state).
/// `n`: the requests it stands for (a publish_batch counts each of its events).
void op_started(connection_actor* self, std::size_t n = 1);
void op_finished(connection_actor* self, std::size_t n = 1);

// connection_subscribe.cpp
void on_subscribe(connection_actor* self, protocol::client_message& msg);
void on_unsubscribe(connection_actor* self, const protocol::client_message& msg);
void on_events(connection_actor* self, const event_batch_ptr& batch);
void on_topic_down(connection_actor* self, const caf::down_msg& dm);
/// The topic stopped writing a subscription's events directly: its socket fell behind.
void on_demoted(connection_actor* self, const std::string& topic, uint64_t generation);
/// Reports pending gaps and asks the store for catching-up subscriptions while the
/// outbound queue has room.
void refill(connection_actor* self);

/// Resolves a `from` of kind since_ms into a seq (a store read); calls `then` with the
/// position to use, or with nullopt after answering the client with an error.
void resolve_start(connection_actor* self, const std::string& topic, std::optional<int64_t> id,
                   protocol::start_position from,
                   std::function<void(std::optional<protocol::start_position>)> then);

/// A presence subscription was made: from now on the socket is pinged and cut as
/// presence.timeout_ms needs (PROTOCOL.md, Presence).
void keep_presence_alive(connection_actor* self);
/// The presence member this connection is: its user, and its connect.client cut to at
/// most 256 bytes (a member must fit in any push).
presence_join presence_member(const connection_state& st);
/// `presence`: one page of the topic's members.
void on_presence(connection_actor* self, const protocol::client_message& msg);
/// A presence push of a topic this is a presence subscriber of.
void on_presence_push(connection_actor* self, const std::string& topic,
                      const presence_push_ptr& push);
/// The socket is gone: presence memberships leave now (`linger_ms` 0) or linger.
void leave_presence(connection_actor* self, int64_t linger_ms);
/// Joins a topic listed in connect.resume (its subscription already in `subs`) from
/// `from_seq`, without a subscribe reply.
void join_resumed(connection_actor* self, const std::string& topic, uint64_t from_seq);

// connection_resume.cpp

/// connect with resume, once the tenant let the connection in: checks and takes up
/// each listed topic, sends the connect reply `ok` with `resumed`, then replays what
/// each topic holds after its last_seq. Handling stays paused until the reply is out.
void resume_topics(connection_actor* self, std::optional<int64_t> id, protocol::connect_ok ok);

// connection_tenant.cpp

/// connect, once the token is good: joins the tenant (max_connections, breaker) and
/// answers the client. Handling pauses until the tenant answered.
void join_tenant(connection_actor* self, std::optional<int64_t> id,
                 std::shared_ptr<const protocol::token_claims> claims, std::string tenant,
                 std::string user, std::string client);
enum class credit_check {
  go,       ///< publish it (credit taken, or the tenant does not limit publishing)
  answered, ///< refused with an error (throttled, circuit_open)
  wait      ///< credit was asked for: handling paused before this publish
};
credit_check take_credit(connection_actor* self, const protocol::client_message& msg);
/// Calls `then` once the tenant counted one more subscription (max_subscriptions), or
/// answers `throttled`.
void with_subscription_slot(connection_actor* self, std::optional<int64_t> id,
                            std::function<void()> then);
/// Tells the tenant how many subscriptions this holds, when that changed.
void report_subscriptions(connection_actor* self);
/// A publish failed for want of room: tells the tenant (its breaker), at most 4 times a
/// second.
void report_publish_failure(connection_actor* self);
void on_slow_down(connection_actor* self, int level, int64_t retry_after_ms,
                  const std::string& reason);
void on_limits(connection_actor* self, const tenant_limits& limits);
/// The tenant actor went away (it crashed and restarts): joins the new one. False when
/// `dm` is not the tenant's.
bool on_tenant_down(connection_actor* self, const caf::down_msg& dm);
/// The tenant's breaker opened: credit is void, publishes are refused for the cool-down.
void on_revoke(connection_actor* self, int64_t retry_after_ms);
/// After a frame that published while blocked: its next frames wait until the block ends
/// (at most a second), so a client flooding past its limits is held back by TCP instead
/// of costing the node a refusal per publish.
void hold_after_frame(connection_actor* self);
/// Stops handling frames until resume() (the current frame goes on where it stopped).
void pause(connection_actor* self);
void resume(connection_actor* self);

// connection_queue.cpp

/// Acks of the frame being handled, consecutive and to one group: they travel to it as
/// one message.
struct ack_run {
  queue_key key;
  std::vector<uint64_t> seqs;
  std::vector<std::optional<int64_t>> ids; ///< one per seq
};

void on_queue_subscribe(connection_actor* self, protocol::client_message& msg);
void on_queue_unsubscribe(connection_actor* self, const protocol::client_message& msg);
/// Adds the ack to `run` (sending the run first if it is for another group).
void on_ack(connection_actor* self, const protocol::client_message& msg, ack_run& run);
/// Sends the run's acks, if any, and empties it.
void send_acks(connection_actor* self, ack_run& run);
void on_nack(connection_actor* self, const protocol::client_message& msg);
void on_queued(connection_actor* self, const queued_batch& batch);
/// A group this connection is a member of went away; false when `dm` is not a group's.
bool on_group_down(connection_actor* self, const caf::down_msg& dm);

// connection_ops.cpp

/// Publishes of the frame being handled, consecutive and to one topic: they travel to it
/// as one publish_batch.
struct publish_run {
  std::string topic;
  publish_batch_ptr batch;
  std::vector<std::optional<int64_t>> ids; ///< one per event, in order
};

void on_connect(connection_actor* self, const protocol::client_message& msg);
/// Sets the token's timer: `token_expiring` 60 s before its exp, then the close (4001)
/// at exp + auth.leeway_ms.
void arm_token_timer(connection_actor* self);
/// The token timer `timer` fired (stale ones, from before a refresh, do nothing).
void on_token_timer(connection_actor* self, uint64_t timer);
/// `refresh`: a fresh token for the same sub and tenant replaces the connection's.
void on_refresh(connection_actor* self, const protocol::client_message& msg);
/// The node drains: push `drain` with this connection's reconnect time, refuse new work
/// and close at that time once what is in flight finished (`timeout_ms` at the latest).
void on_node_drain(connection_actor* self, int64_t reconnect_after_ms, int64_t timeout_ms);
/// A leaving connection whose time came closes once nothing is in flight.
void leave_when_done(connection_actor* self);
/// Answers a connect, publish or subscribe of a leaving connection (`unavailable`).
void refuse_while_leaving(connection_actor* self, std::optional<int64_t> id);
/// Whether the token lets this connection publish to `topic` (claim `pub`).
bool may_publish(const connection_state& st, std::string_view topic);
/// Whether the token lets this connection read `topic` (subscribe, queue groups,
/// history): claim `sub_topics`, and `private/<user>/...` only for that user.
bool may_read(const connection_state& st, std::string_view topic);
/// The `forbidden` message for a topic may_read() refused.
std::string not_readable(const std::string& topic);
/// Adds the publish to `run` (sending the run first if it is for another topic), or
/// answers it with an error.
void on_publish(connection_actor* self, protocol::client_message& msg, publish_run& run);
/// Sends the run's publishes, if any, and empties it.
void send_publishes(connection_actor* self, publish_run& run);
void on_history(connection_actor* self, const protocol::client_message& msg);

} // namespace switchyard::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::client_frame)
