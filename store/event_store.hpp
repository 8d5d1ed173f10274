#pragma once
// The LMDB event store: per-topic append-only logs under one environment.
//
// Threading: `append` must be called by one thread at a time (the store writer actor);
// every other member may be called from any thread concurrently (MDB_NOTLS read
// transactions; `sync` only flushes the file). LMDB headers stay out of this header.
//
// Names: a tenant longer than 255 bytes, or tenant + topic longer than 510 bytes (LMDB's
// key limit), is refused with bad_name. A stored record that does not decode
// (unknown format version, too short) fails the call with corrupt.
//
// Reads never see a commit that has not been published: LMDB 0.9 lets a reader that
// is preempted at the wrong moment take the root of a newer transaction than its own
// (mdb_txn_renew0 reads the meta slot without re-checking its txnid). Every write
// stamps its transaction id into `meta`, and a read whose snapshot holds a newer stamp
// than its own id begins again (store_stats::stale_snapshots counts them).

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::store {

struct store_config {
  /// Directory holding data.mdb and lock.mdb; created if missing (unless read_only).
  std::string data_dir = "./data";
  /// Ceiling of the memory map (LMDB's map size), in MiB. The map starts small (64 MiB,
  /// or what the data already needs) and doubles online when full, up to this.
  uint64_t map_size_mb = 4096;
  /// Where the map starts when the data needs less, in MiB (not a node option: tests
  /// lower it to see the map grow).
  uint64_t initial_map_mb = 64;
  /// What a commit waits for before an append counts as durable:
  ///   full - data and meta pages synced (two fdatasync): survives process and power loss;
  ///   data - data pages synced, meta page left to the OS (MDB_NOMETASYNC, one fdatasync):
  ///          survives a process crash; a power loss may undo the last commit only;
  ///   async - nothing synced at commit (MDB_NOSYNC); the writer calls sync() every
  ///          flush_ms: survives a process crash; a power loss may lose up to flush_ms.
  enum class sync_mode : uint8_t { full, data, async };
  sync_mode sync = sync_mode::full;
  /// With sync_mode::async: the longest time a commit stays unsynced, in ms.
  uint64_t flush_ms = 100;
  /// After a commit that carried a steady load's worth of events, how long the writer
  /// waits before the next one when no client waits for its answer, in microseconds (0:
  /// never waits). Not used by the store itself: the node's writer reads it.
  uint64_t commit_wait_us = 2000;
  /// How long an event's idem token makes a repeat a duplicate, in ms.
  uint64_t dedup_window_ms = uint64_t{72} * 3600 * 1000;
  /// Opens an existing store for reading only (switchyard-ctl inspect): nothing is
  /// created or written, the map keeps the file's size, and every write call fails.
  bool read_only = false;
};

/// One stored event. `data` holds MessagePack bytes; `key`/`idem` are empty when absent;
/// `ttl_ms` 0: it never expires.
struct event_record {
  uint64_t seq = 0;
  int64_t ts_ms = 0;
  std::string key;
  std::string idem;
  std::string data;
  int64_t ttl_ms = 0;

  bool operator==(const event_record&) const = default;
  /// Past ts + ttl: not delivered to queue groups nor replayed any more.
  bool expired_at(int64_t now_ms) const { return ttl_ms > 0 && now_ms > ts_ms + ttl_ms; }
};

/// Events of one topic to append. The first seq continues the topic's last_seq; an event
/// whose `idem` the topic saw within store.dedup_window_ms is not stored (batch_result
/// names it), and the events stored take the seqs from the first on, in order.
struct append_batch {
  /// Where the events come from (docs/cluster.md, replication):
  ///   publish       the topic's own publishes, as above;
  ///   replica       events the shard's owner stored, under its seqs: they replace this
  ///                 store's events from the first seq on (a tail the owner never had),
  ///                 nothing is a duplicate (the owner decided) and their idem entries are
  ///                 kept; a batch past last_seq + 1 is refused (seq_conflict);
  ///   replica_start the same, starting at the owner's oldest stored event: it may start
  ///                 past last_seq + 1 when this store holds none of the topic's events.
  enum class origin : uint8_t { publish, replica, replica_start };
  std::string tenant;
  std::string topic;
  std::vector<event_record> events;
  origin from = origin::publish;
};

/// A queue group's durable state: everything up to `floor` is done (acked or dead-
/// lettered); above it, `done` lists the seqs done out of order and `pending` the ones
/// delivered at least once and not done, with their attempts. Both lists ascend.
struct group_state {
  struct attempted {
    uint64_t seq = 0;
    uint32_t attempts = 0;
    bool operator==(const attempted&) const = default;
  };
  uint64_t floor = 0;
  int64_t created_ms = 0;
  int64_t active_ms = 0; ///< when it last had a member (for groups.inactive_ms)
  std::vector<attempted> pending;
  std::vector<uint64_t> done;
  bool operator==(const group_state&) const = default;
};

/// A group's state to store with an append (nullopt: delete the group).
struct group_write {
  std::string tenant;
  std::string topic;
  std::string group;
  std::optional<group_state> state;
};

/// What the store knows of a topic. A topic never written has last_seq == 0.
struct topic_info {
  uint64_t first_seq = 0; ///< oldest stored seq (0: none stored)
  uint64_t last_seq = 0;  ///< newest stored seq (0: none ever)
  int64_t last_ts_ms = 0;
};

/// Outcome of a store call. `ok()` is true on success; otherwise `message` says what failed.
struct status {
  enum class code : uint8_t {
    ok,
    map_full,     ///< the map reached store.map_size_mb: nothing written, reads still work
    seq_conflict, ///< a batch does not continue its topic (only that batch is refused)
    bad_name,     ///< tenant or topic too long for a key (only that batch is refused)
    busy,         ///< no reader slot or no stable snapshot right now: try again shortly
    io_error,     ///< the disk refused a write or sync
    corrupt,      ///< a stored record does not decode
    fatal,        ///< LMDB can no longer be used in this process (MDB_PANIC and kin)
  };
  code value = code::ok;
  std::string message;
  bool ok() const { return value == code::ok; }
};

/// An agent session's state after handling its inbox up to `seq`: the session engine's
/// snapshot (state and tables), opaque to the store.
struct agent_snapshot {
  uint64_t seq = 0;
  std::string bytes;
  bool operator==(const agent_snapshot&) const = default;
};

/// How far an agent session got: the durable half of its rebuild. The inbox events from
/// snapshot_seq + 1 to applied_seq were handled and every effect they decided is stored,
/// so a rebuild replays them with effects suppressed and checks each decision against
/// `digests`; later events run as new.
struct agent_progress {
  uint64_t snapshot_seq = 0; ///< the seq of the newest snapshot (0: none; rebuild from seq 1)
  uint64_t applied_seq = 0;  ///< >= snapshot_seq
  /// Decision digests of the events snapshot_seq + 1 .. applied_seq, in order.
  std::vector<uint64_t> digests;
  /// The earliest armed timer, call timeout or join deadline (0: none): when a session
  /// that passivated must come back although its inbox is quiet.
  int64_t next_due_ms = 0;
  bool operator==(const agent_progress&) const = default;
};

/// What the store keeps of an agent session, beside its inbox topic. Retention keeps the
/// inbox events after the snapshot (a rebuild needs them); a purge of the inbox deletes it.
struct agent_record {
  agent_progress progress;
  std::optional<agent_snapshot> snapshot;
  bool operator==(const agent_record&) const = default;
};

/// An agent session's record to store with an append: the progress always, a new
/// snapshot when given (else the stored one stays).
struct agent_write {
  std::string tenant;
  std::string topic; ///< the inbox: agents/<kind>/<session>
  agent_progress progress;
  std::optional<agent_snapshot> snapshot;
};

/// What the retention sweeper removes. 0 turns a rule off.
struct retention_policy {
  int64_t max_age_ms = int64_t{72} * 3600 * 1000; ///< events older than this
  uint64_t max_events = 0;                        ///< per topic: the oldest beyond this many
  uint64_t max_bytes = 0;                         ///< per topic: the oldest beyond this much data
  int64_t dedup_window_ms = int64_t{72} * 3600 * 1000;   ///< idem entries older than this
  int64_t group_inactive_ms = int64_t{72} * 3600 * 1000; ///< groups inactive this long
};

/// One step of the sweeper: deletes at most `budget` records, going on where the last
/// step stopped. Events a queue group of the topic has yet to deliver (after its floor),
/// and an agent inbox's events after its session's snapshot, are never deleted.
struct sweep_request {
  retention_policy policy;
  int64_t now_ms = 0;
  std::size_t budget = 512;
};

struct sweep_result {
  uint64_t events = 0; ///< events deleted
  uint64_t idem = 0;   ///< idem entries deleted
  uint64_t groups = 0; ///< inactive groups deleted
  bool more = false;   ///< the budget ran out: another step has work to do
};

/// What one purge() step removed. The topic's record stays (its last seq, so no seq is
/// ever handed out twice), with nothing stored below what the purge reached.
struct purge_result {
  bool found = false;  ///< the topic is stored (else nothing was done)
  uint64_t events = 0; ///< events deleted
  uint64_t idem = 0;   ///< idem entries deleted (a repeat of their token is stored anew)
  uint64_t groups = 0; ///< queue groups deleted
  bool more = false;   ///< the budget ran out: call again with the same up_to
};

/// An event of a batch that was not stored: its idem was seen within the window.
struct duplicate {
  uint32_t index = 0; ///< position in the batch's events
  uint64_t seq = 0;   ///< the seq of the event first stored with that idem
  bool operator==(const duplicate&) const = default;
};

/// What append() did with one batch.
struct batch_result {
  status result;                     ///< not ok: nothing of the batch was stored
  std::vector<duplicate> duplicates; ///< in index order
  bool ok() const { return result.ok(); }
};

/// One page of a topic's history, read in one snapshot.
struct history_page {
  std::vector<event_record> events;
  uint64_t last_seq = 0;  ///< the topic's newest seq in that snapshot
  uint64_t first_seq = 0; ///< its oldest stored seq (0: none)
};

/// One stored topic, as listed by list_topics().
struct topic_listing {
  std::string tenant;
  std::string topic;
  uint64_t first_seq = 0; ///< oldest stored seq (0: none stored)
  uint64_t last_seq = 0;  ///< newest seq (0: none ever)
  int64_t last_ts_ms = 0; ///< ts of the newest event
  uint64_t bytes = 0;     ///< bytes of data stored
};

/// A page of list_topics().
struct topic_page {
  std::vector<topic_listing> topics;
  /// Where the next page starts (pass as `cursor`): the first key not listed; empty at
  /// the end. Opaque bytes.
  std::string next;
};

/// Counters for tests, metrics and logs; read from any thread.
struct store_stats {
  std::atomic<uint64_t> map_bytes{0};       ///< current map size
  std::atomic<uint64_t> map_grown{0};       ///< times the map was enlarged online
  std::atomic<uint64_t> stale_snapshots{0}; ///< reads begun again (see the header comment)
};

class event_store {
public:
  /// Opens (or creates) the environment. On failure returns nullptr and sets `error`.
  static std::unique_ptr<event_store> open(const store_config& cfg, std::string& error);
  ~event_store();
  event_store(const event_store&) = delete;
  event_store& operator=(const event_store&) = delete;

  /// Appends the batches and writes the group states and agent records in ONE write
  /// transaction and commits it (group commit). A batch that does not continue its topic
  /// (seq_conflict) or has a bad name is left out and reported in `per_batch[i]`; the others are
  /// stored, minus their duplicates. A batch without events is skipped. When the map is full it is
  /// enlarged (up to the ceiling) and the transaction runs again. A non-ok result means
  /// nothing at all was stored. One caller at a time.
  /// With `sweep`, one sweeper step runs in the same transaction (no extra sync), and
  /// `swept` says what it did.
  status append(std::span<const append_batch> batches, std::vector<batch_result>& per_batch,
                std::span<const group_write> groups = {}, std::span<const agent_write> agents = {},
                const sweep_request* sweep = nullptr, sweep_result* swept = nullptr);

  /// One sweeper step in a transaction of its own. Same caller as append().
  status sweep(const sweep_request& req, sweep_result& out);

  /// One step of a topic purge, in a transaction of its own: deletes the topic's events
  /// with seq <= up_to, the idem entries of those events, every queue group of the topic
  /// and its agent record, at most `budget` records a step. Events after up_to (appended
  /// since the purge began) stay. Same caller as append().
  status purge(std::string_view tenant, std::string_view topic, uint64_t up_to, std::size_t budget,
               purge_result& out);

  /// A queue group's stored state; `out` empty when there is none.
  status load_group(std::string_view tenant, std::string_view topic, std::string_view group,
                    std::optional<group_state>& out) const;

  /// The agent record kept beside an inbox topic; `out` empty when there is none.
  status load_agent(std::string_view tenant, std::string_view topic,
                    std::optional<agent_record>& out) const;

  /// The names and states of a topic's stored groups, in name order.
  status list_groups(std::string_view tenant, std::string_view topic,
                     std::vector<std::pair<std::string, group_state>>& out) const;

  /// Stored topics in (tenant, name) order, from one snapshot: only `tenant`'s when
  /// given, only names starting with `prefix`, from `cursor` on (an earlier page's
  /// `next`; empty: the start). At most `limit` topics; one call looks at no more than
  /// a bounded number of records, so a page may come back short with a `next`.
  status list_topics(const std::optional<std::string>& tenant, std::string_view prefix,
                     std::string_view cursor, std::size_t limit, topic_page& out) const;

  /// Reads up to `limit` events of a topic with seq >= from_seq, in seq order,
  /// stopping early once `max_bytes` of data were read (at least one event is returned).
  /// `out` is replaced. from_seq 0 reads from 1; an unknown topic reads nothing (ok).
  status read(std::string_view tenant, std::string_view topic, uint64_t from_seq, std::size_t limit,
              std::vector<event_record>& out, std::size_t max_bytes = 16u << 20) const;

  /// Like read(), plus the topic's range, all from one snapshot. With `since_ms` the
  /// page starts at the first event whose ts_ms >= since_ms instead of at from_seq.
  status history(std::string_view tenant, std::string_view topic, uint64_t from_seq,
                 std::optional<int64_t> since_ms, std::size_t limit, std::size_t max_bytes,
                 history_page& out) const;

  /// The topic's stored range, as committed; all zeros for an unknown topic.
  status info(std::string_view tenant, std::string_view topic, topic_info& out) const;

  /// The first seq whose ts_ms >= since_ms (ts is non-decreasing within a topic);
  /// last_seq + 1 when there is none (1 for an unknown topic).
  status first_seq_since(std::string_view tenant, std::string_view topic, int64_t since_ms,
                         uint64_t& out) const;

  /// Flushes committed transactions to disk (for sync_mode::async). Safe from any thread,
  /// also while append() commits or grows the map: it syncs the file, never the map.
  status sync();

  const store_stats& stats() const;
  /// The key that signs resume sessions: 32 random bytes made with the store and kept in
  /// it, so sessions outlive restarts.
  const std::string& session_key() const;

private:
  struct impl;
  explicit event_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace switchyard::store
