#pragma once
// Values exchanged between actors on one node. Local only for now: nothing here
// crosses the middleman, so none of these types is registered for serialization.

#include "actors/connection_sink.hpp"
#include "store/event_store.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::actors {

/// A client's publish as the connection hands it to the topic actor. The data is shared:
/// the connection keeps it to send the publish again when the topic stopped (idle)
/// before it took it.
struct publish_request {
  std::shared_ptr<const std::string> data; ///< MessagePack bytes
  std::string key;
  std::string idem;
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

} // namespace switchyard::actors
