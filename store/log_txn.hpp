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
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::store {

class log_txn {
public:
  /// The transaction is aborted on destruction unless committed. A read-only one begins
  /// again while its snapshot is newer than its transaction id (see event_store.hpp).
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
  /// Records this write transaction's id in `meta`, for the readers' snapshot check.
  status stamp();

  /// Writes one non-empty batch with valid names, creating the topic with id `next_id++`
  /// when new. An event whose idem the topic saw within `window_ms` of its ts is left out
  /// and listed in `dups`; the others take the seqs from the batch's first on. A batch
  /// whose first seq does not continue its topic is refused with seq_conflict before
  /// anything is written (the transaction stays usable). map_full, io_error, corrupt or
  /// fatal: the caller must drop the transaction.
  status put_batch(const append_batch& batch, uint64_t& next_id, uint64_t window_ms,
                   std::vector<duplicate>& dups);

  /// Writes a replica batch (append_batch::origin): events at their own seqs, replacing
  /// the topic's events from the first of them on. seq_conflict when it leaves a gap.
  status put_replica(const append_batch& batch, uint64_t& next_id);

  /// Sweeper steps (retention); each deletes while `budget` lasts and moves `from` (a key
  /// of its table; empty: the start) to where the next step goes on.
  status sweep_topics(const sweep_request& req, std::string& from, std::size_t& budget,
                      sweep_result& out);
  status sweep_idem(const sweep_request& req, std::string& from, std::size_t& budget,
                    sweep_result& out);
  status sweep_groups(const sweep_request& req, std::size_t& budget, sweep_result& out);

  /// One purge step of the topic `key` (see event_store::purge); `rec` is its record,
  /// rewritten here when anything was deleted.
  status purge_topic(const std::string& key, topic_record& rec, uint64_t up_to, std::size_t budget,
                     purge_result& out);

  /// Writes (or with no state, deletes) a group, creating its topic's record when new.
  status put_group(const group_write& g, uint64_t& next_id);
  status load_group(const std::string& topic_key, std::string_view group,
                    std::optional<group_state>& out) const;
  status list_groups(const std::string& topic_key,
                     std::vector<std::pair<std::string, group_state>>& out) const;

  /// Writes an agent session's progress (and snapshot, when given), creating its inbox
  /// topic's record when new.
  status put_agent(const agent_write& a, uint64_t& next_id);
  status load_agent(const std::string& topic_key, std::optional<agent_record>& out) const;

  /// Calls `take` with the key and record of each topic from key `from` on, in key order,
  /// until it returns false or `max_keys` were looked at; `next` is then the key to go
  /// on from (empty: there is none).
  status scan_topics(std::string_view from, std::size_t max_keys,
                     const std::function<bool(std::string_view, const topic_record&)>& take,
                     std::string& next) const;

  /// Appends to `out` the events of topic `id` with seq >= from, in seq order: at most
  /// `limit`, and no event that would take the data past `max_bytes` unless `out` is empty.
  status read_events(uint64_t id, uint64_t from, std::size_t limit, std::size_t max_bytes,
                     std::vector<event_record>& out) const;

  /// The ts_ms of one stored event; corrupt when it is missing.
  status ts_at(uint64_t id, uint64_t seq, int64_t& out) const;

private:
  /// The topic's record, created with id `next_id++` (and no events) when new.
  status ensure_topic(const std::string& key, uint64_t& next_id, topic_record& out);
  /// True (with its record) when `ev.idem` was stored for the topic within the window.
  status find_idem(uint64_t topic_id, const event_record& ev, uint64_t window_ms,
                   std::optional<idem_record>& out) const;
  /// The lowest floor of the topic's groups (none: nullopt).
  status min_group_floor(uint64_t topic_id, std::optional<uint64_t>& out) const;
  /// The seq of the topic's agent snapshot when it has an agent record (else nullopt):
  /// a rebuild needs the inbox events after it.
  status agent_floor(uint64_t topic_id, std::optional<uint64_t>& out) const;
  /// Whether an event (its seq and fields) is to be deleted.
  using doomed_fn = std::function<bool(uint64_t seq, const event_fields& ev)>;
  /// Deletes the topic's events from its oldest on while `doomed` says so and the budget
  /// lasts (`more` once it ran out), keeping rec's first_seq and bytes in step; `deleted`
  /// counts them. Writes nothing else: the caller stores `rec`.
  status delete_oldest(topic_record& rec, std::size_t& budget, uint64_t& deleted, bool& more,
                       const doomed_fn& doomed);
  /// Deletes the topic's events from seq `from` on, with the idem entries that name them,
  /// keeping rec's range and bytes in step (the caller stores `rec`).
  status delete_tail(topic_record& rec, uint64_t from);
  /// Deletes the topic's oldest events the policy removes, up to `budget`.
  status sweep_topic(const sweep_request& req, topic_record& rec, std::size_t& budget,
                     sweep_result& out);
  status put(MDB_dbi dbi, std::string_view key, std::string_view val, unsigned flags,
             const char* what);
  void begin_read();
  status snapshot_stamp(uint64_t& out) const;
  /// A u64 value of `meta`; `absent` when the key is not there.
  status load_meta_u64(std::string_view key, uint64_t absent, uint64_t& out) const;

  const lmdb_env& env_;
  /// Held by read transactions until after they end (declared before txn_).
  std::shared_lock<std::shared_mutex> gate_;
  txn txn_;
  status started_;
  /// Reused encoding buffer for event values.
  std::string buf_;
};

} // namespace switchyard::store
