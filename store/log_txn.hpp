#pragma once
// Reads and writes of topic logs inside one LMDB transaction. Internal to store/.
// A read-only log_txn may live on any thread (MDB_NOTLS); a writable one belongs to
// the single writer and must begin and end on one thread.

#include "store/event_store.hpp"
#include "store/lmdb_env.hpp"
#include "store/lmdb_handles.hpp"
#include "store/record_format.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::store {

/// Topics created by a write transaction: (topic_key, id). Known only once committed.
using created_topics = std::vector<std::pair<std::string, uint64_t>>;

class log_txn {
public:
  /// The transaction is aborted on destruction unless committed.
  log_txn(const lmdb_env& env, bool read_only);
  log_txn(const log_txn&) = delete;
  log_txn& operator=(const log_txn&) = delete;

  /// The status of beginning the transaction; call nothing else unless it is ok.
  const status& started() const { return started_; }
  status commit();

  /// Finds a topic by topic_key; `out` stays empty when it does not exist.
  status load_topic(const std::string& key, std::optional<topic_record>& out) const;

  /// The id the next new topic gets (meta next_topic_id, 1 in a new store).
  status load_next_id(uint64_t& out) const;
  status store_next_id(uint64_t id);

  /// Writes one non-empty batch with valid names (after checking its seqs continue the
  /// topic), creating the topic with id `next_id++` when new. Fails with seq_conflict, map_full,
  /// io_error or corrupt; the caller must then drop the transaction.
  status put_batch(const append_batch& batch, uint64_t& next_id, created_topics& created);

  /// Appends to `out` the events of topic `id` with seq >= from, in seq order: at most
  /// `limit`, and no event that would take the data past `max_bytes` unless `out` is empty.
  status read_events(uint64_t id, uint64_t from, std::size_t limit, std::size_t max_bytes,
                     std::vector<event_record>& out) const;

  /// The ts_ms of one stored event; corrupt when it is missing.
  status ts_at(uint64_t id, uint64_t seq, int64_t& out) const;

private:
  status put(MDB_dbi dbi, std::string_view key, std::string_view val, unsigned flags,
             const char* what);

  const lmdb_env& env_;
  txn txn_;
  status started_;
  /// Reused encoding buffer for event values.
  std::string buf_;
};

} // namespace switchyard::store
