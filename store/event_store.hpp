#pragma once
// The LMDB event store: per-topic append-only logs under one environment.
//
// Threading: `append` must be called by one thread at a time (the store writer actor);
// every other member may be called from any thread concurrently (MDB_NOTLS read
// transactions). LMDB headers stay out of this header.
//
// Names: a tenant longer than 255 bytes, or tenant + topic longer than 510 bytes (LMDB's
// key limit), fails every call with io_error. A stored record that does not decode
// (unknown format version, too short) fails the call with corrupt.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::store {

struct store_config {
  /// Directory holding data.mdb and lock.mdb; created if missing.
  std::string data_dir = "./data";
  /// Upper bound of the memory map (LMDB's map size), in MiB. The file grows as needed.
  uint64_t map_size_mb = 4096;
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
};

/// One stored event. `data` holds MessagePack bytes; `key`/`idem` are empty when absent.
struct event_record {
  uint64_t seq = 0;
  int64_t ts_ms = 0;
  std::string key;
  std::string idem;
  std::string data;
};

/// Events of one topic to append; seqs are contiguous and continue the topic's last_seq.
struct append_batch {
  std::string tenant;
  std::string topic;
  std::vector<event_record> events;
};

/// What the store knows of a topic. A topic never written has last_seq == 0.
struct topic_info {
  uint64_t first_seq = 0; ///< oldest stored seq (0: none stored)
  uint64_t last_seq = 0;  ///< newest stored seq (0: none ever)
  int64_t last_ts_ms = 0;
};

/// Outcome of a store call. `ok()` is true on success; otherwise `message` says what failed.
struct status {
  enum class code : uint8_t { ok, map_full, seq_conflict, io_error, corrupt };
  code value = code::ok;
  std::string message;
  bool ok() const { return value == code::ok; }
};

class event_store {
public:
  /// Opens (or creates) the environment. On failure returns nullptr and sets `error`.
  static std::unique_ptr<event_store> open(const store_config& cfg, std::string& error);
  ~event_store();
  event_store(const event_store&) = delete;
  event_store& operator=(const event_store&) = delete;

  /// Appends all batches in ONE write transaction and commits it synchronously
  /// (group commit). Either every batch is durable on return (ok) or none is.
  /// A batch whose first seq is not its topic's last_seq + 1 fails the whole call
  /// with seq_conflict. One caller at a time. A batch without events is skipped;
  /// map_full means the map (map_size_mb) is full: nothing was stored, reads still work.
  status append(std::span<const append_batch> batches);

  /// Reads up to `limit` events of a topic with seq >= from_seq, in seq order,
  /// stopping early once `max_bytes` of data were read (at least one event is returned).
  /// `out` is replaced. from_seq 0 reads from 1; an unknown topic reads nothing (ok).
  /// No event that would take the data past `max_bytes` is added, except the first.
  status read(std::string_view tenant, std::string_view topic, uint64_t from_seq, std::size_t limit,
              std::vector<event_record>& out, std::size_t max_bytes = 16u << 20) const;

  /// The topic's stored range, as committed; all zeros for an unknown topic.
  status info(std::string_view tenant, std::string_view topic, topic_info& out) const;

  /// The first seq whose ts_ms >= since_ms (ts is non-decreasing within a topic);
  /// last_seq + 1 when there is none (1 for an unknown topic).
  status first_seq_since(std::string_view tenant, std::string_view topic, int64_t since_ms,
                         uint64_t& out) const;

  /// Flushes committed transactions to disk (for sync_mode::async). One caller at a time,
  /// like append().
  status sync();

private:
  struct impl;
  explicit event_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace switchyard::store
