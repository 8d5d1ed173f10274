#pragma once
// The sequencing logic of one topic, as a plain class (tested without an actor system).
// Publishes are staged with the next seq; one batch at a time is in flight to the
// store; when it is durable it is encoded once per encoding for delivery.

#include "actors/messages.hpp"
#include "store/event_store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace switchyard::actors {

class topic_state {
public:
  topic_state(std::string tenant, std::string topic);

  const std::string& tenant() const { return tenant_; }
  const std::string& topic() const { return topic_; }

  /// Starts from what the store holds (after a start or a restart).
  void recover(const store::topic_info& info);

  /// The newest seq that is durable (and therefore delivered).
  uint64_t durable_seq() const { return durable_seq_; }

  /// Stages one publish and returns the seq it will have. ts never goes backwards
  /// within a topic, which lets `since_ms` look-ups binary-search by seq.
  uint64_t stage(int64_t now_ms, std::string data, std::string key, std::string idem);

  /// True when staged events wait and no batch is in flight.
  bool ready_to_flush() const { return inflight_ == 0 && !staged_.empty(); }
  std::size_t inflight() const { return inflight_; }
  std::size_t staged() const { return staged_.size(); }

  /// Moves every staged event into the in-flight batch (the store append).
  store::append_batch take_batch();

  /// The in-flight batch is durable: encodes it for the encodings asked for.
  event_batch_ptr commit(store::append_batch batch, bool json, bool msgpack);

  /// The in-flight append failed: the in-flight and staged events are dropped and
  /// seq assignment resumes after the durable seq. Returns how many were dropped.
  std::size_t abort();

private:
  std::string tenant_;
  std::string topic_;
  uint64_t durable_seq_ = 0;
  uint64_t next_seq_ = 1;
  int64_t last_ts_ = 0;
  int64_t durable_ts_ = 0;
  std::size_t inflight_ = 0;
  std::vector<store::event_record> staged_;
};

} // namespace switchyard::actors
