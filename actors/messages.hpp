#pragma once
// Values exchanged between actors on one node. Local only for now: nothing here
// crosses the middleman, so none of these types is registered for serialization.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace switchyard::actors {

/// A client's publish as the connection hands it to the topic actor.
struct publish_request {
  std::string data; ///< MessagePack bytes
  std::string key;
  std::string idem;
  bool wants_reply = false; ///< sent with request() when true, with send() otherwise
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

} // namespace switchyard::actors
