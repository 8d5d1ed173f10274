#pragma once
// Values exchanged between actors on one node. Local only for now: nothing here
// crosses the middleman, so none of these types is registered for serialization.

#include "actors/connection_sink.hpp"
#include "protocol/message.hpp"
#include "store/event_store.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::actors {

/// A client's publish as the connection hands it to the topic actor.
struct publish_request {
  std::string data; ///< MessagePack bytes
  std::string key;
  std::string idem;
  int64_t ttl_ms = 0;
};

/// A connection's run of publishes to one topic (consecutive in one client frame, often
/// just one): one request to the topic and one reply, instead of one of each per event.
struct publish_batch {
  std::vector<publish_request> events;
  /// A client waits for the answer of at least one of them (its publish had an id): the
  /// writer commits it without store.commit_wait_us.
  bool awaited = false;
};
/// Shared, not copied: the topic moves the events out as it stages them, and the
/// connection keeps the pointer to send them again when its request bounced off a topic
/// that had stopped (idle) before taking it, so the topic never touched them.
using publish_batch_ptr = std::shared_ptr<publish_batch>;

/// The topic's answer to a publish_batch once every event of it is durable: one per
/// event, in order.
struct publish_ack {
  uint64_t seq = 0;
  bool dup = false; ///< the idem token was seen before: `seq` is the first publish's
  /// Not taken: the topic already had topics.max_pending publishes waiting (a batch may
  /// fit only in part; its first events are taken).
  bool refused = false;
};
struct publish_acks {
  std::vector<publish_ack> events;
  /// The slow_down level of the topic's queue groups when the batch was taken: the
  /// furthest behind of them, against groups.lag_watermark.
  int lag_level = 0;
};

/// One durable event, encoded once per encoding that some subscriber uses
/// (an encoding nobody needs stays empty).
struct encoded_event {
  uint64_t seq = 0;
  std::string json;
  std::string msgpack;
};

/// Events that became durable together; one actor message carries the whole batch
/// to every subscriber, shared, never copied per subscriber.
struct event_batch {
  std::string topic;
  std::vector<encoded_event> events;
};

using event_batch_ptr = std::shared_ptr<const event_batch>;

/// Who subscribes with `presence: true` (member false: a plain subscription).
struct presence_join {
  bool member = false;
  uint64_t conn = 0;
  std::string user;
  std::string client;
  std::string session; ///< its resume session id: a resume of it takes the member over
};

/// One page of a topic's presence members (the `presence` op).
struct presence_page {
  struct entry {
    uint64_t conn = 0;
    std::string user;
    std::string client;
    int64_t since_ms = 0;
  };
  std::vector<entry> members;
  uint64_t count = 0;
  std::optional<uint64_t> next; ///< more follow after this conn
};

/// A presence push, encoded once per encoding its members use (the other stays empty),
/// shared by every member.
struct presence_push {
  std::vector<std::string> json;
  std::vector<std::string> msgpack;
};
using presence_push_ptr = std::shared_ptr<const presence_push>;

/// A connection's request that its topic write live events to its socket itself (no
/// actor message per batch) while the socket keeps up. The connection has pushed every
/// event up to `delivered`; the topic takes over only if that is its durable seq (no
/// batch is on its way to the connection). The topic writes the seq of the last event
/// it pushed into `cursor`; when the socket falls behind it hands the subscription
/// back (`demoted`), and the connection goes on from the cursor.
struct direct_delivery {
  uint64_t delivered = 0;
  uint64_t generation = 0;
  std::weak_ptr<connection_sink> sink;
  std::shared_ptr<std::atomic<uint64_t>> cursor;
};

/// A topic's events that just became durable, as stored, for its queue groups (shared:
/// a group in step with the log takes them without reading the store).
using committed_events_ptr = std::shared_ptr<const std::vector<store::event_record>>;

/// Who a queue group is; shared by every delivery of the group.
struct group_names {
  std::string tenant;
  std::string topic;
  std::string group;
};
using group_names_ptr = std::shared_ptr<const group_names>;

/// A connection's request to become a member of a queue group.
struct group_join {
  uint32_t max_inflight = 64;
  int64_t ack_wait_ms = 30000;
  /// Only for a group that does not exist yet: where it starts (since_ms already
  /// resolved to a seq by the connection).
  std::optional<protocol::start_position> from;
};

/// The group's answer to a join: the topic's last seq, and how many events of it the
/// group has yet to deliver.
struct group_joined {
  uint64_t topic_last = 0;
  uint64_t backlog = 0;
};

/// Events a queue group hands to one member, in seq order.
struct queued_batch {
  group_names_ptr names;
  struct item {
    std::shared_ptr<const store::event_record> event;
    uint32_t attempt = 0;
  };
  std::vector<item> events;
};

/// A read for a store reader: events from a seq (replay), a history page, or the
/// first seq at or after a time.
struct read_request {
  enum class kind : uint8_t { events, history, since };
  kind what = kind::events;
  std::string tenant;
  std::string topic;
  uint64_t from_seq = 1;
  std::optional<int64_t> since_ms; ///< history (instead of from_seq) and since
  std::size_t limit = 0;
  std::size_t max_bytes = 0; ///< data bytes; at least one event is returned
};

struct read_result {
  store::status status;
  store::history_page page; ///< events (and for history: the topic's range)
  uint64_t seq = 0;         ///< since: the first seq at or after since_ms
};

/// What the store writer's purge of one topic removed (summed over its steps).
struct topic_purged {
  store::purge_result removed; ///< `more` is false: the purge is complete
  uint64_t last_seq = 0;       ///< the topic's last seq, kept
};

} // namespace switchyard::actors
