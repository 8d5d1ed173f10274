#pragma once
// The sequencing logic of one topic, as a plain class (tested without an actor system).
// Publishes are staged; one batch at a time is in flight to the store, and its seqs
// are assigned when it leaves (so a topic that learns the store's truth late, after a
// restart or a refused append, never staged an event under a stale seq). When a
// batch is durable it is encoded once per encoding for delivery.

#include "actors/messages.hpp"
#include "store/event_store.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace switchyard::actors {

class topic_state {
public:
  topic_state(std::string tenant, std::string topic, std::size_t max_pending);

  const std::string& tenant() const { return tenant_; }
  const std::string& topic() const { return topic_; }

  /// Starts from what the store holds (after a start or a restart).
  void recover(const store::topic_info& info);

  /// The newest seq that is durable (and therefore delivered).
  uint64_t durable_seq() const { return durable_seq_; }

  /// True when max_pending events are staged or in flight: refuse the next publish.
  bool full() const { return staged_.size() + inflight_ >= max_pending_; }
  /// How many more publishes may be staged before full().
  std::size_t room() const { return full() ? 0 : max_pending_ - staged_.size() - inflight_; }
  /// Nothing staged and nothing in flight.
  bool idle() const { return staged_.empty() && inflight_ == 0; }

  /// Stages one publish received at `now_ms`.
  void stage(int64_t now_ms, publish_request req);

  /// True when staged events wait and no batch is in flight.
  bool ready_to_flush() const { return inflight_ == 0 && !staged_.empty(); }
  std::size_t inflight() const { return inflight_; }
  std::size_t staged() const { return staged_.size(); }

  /// Moves every staged event into the in-flight batch, giving them the next seqs and
  /// timestamps that never go backwards within the topic (`since_ms` look-ups
  /// binary-search by seq).
  store::append_batch take_batch();

  /// The in-flight batch is durable (without the duplicates the store left out, and
  /// renumbered): encodes it for the encodings asked for.
  event_batch_ptr commit(const store::append_batch& batch, bool json, bool msgpack);

  /// The in-flight batch was not stored; `info` is what the store holds. Seq assignment
  /// continues after it. Returns how many events were dropped.
  std::size_t refused(const store::topic_info& info);

private:
  std::string tenant_;
  std::string topic_;
  std::size_t max_pending_;
  uint64_t durable_seq_ = 0;
  int64_t durable_ts_ = 0;
  std::size_t inflight_ = 0;
  std::vector<store::event_record> staged_;
};

} // namespace switchyard::actors
