#pragma once
// The LMDB environment and its named databases (`topics`, `events`, `meta`, `idem`,
// `groups`, `agents`).
// Internal to store/. Opened once; the handles are then shared by every thread.

#include "store/event_store.hpp"

#include <cstddef>
#include <shared_mutex>
#include <string>

#include <lmdb.h>

namespace switchyard::store {

class lmdb_env {
public:
  lmdb_env() = default;
  /// Closing the environment also releases its database handles.
  ~lmdb_env();
  lmdb_env(const lmdb_env&) = delete;
  lmdb_env& operator=(const lmdb_env&) = delete;

  /// Creates `cfg.data_dir` if missing, opens the environment with MDB_NOTLS and the
  /// databases (creating them), and checks or writes the format version. The map starts
  /// at cfg.initial_map_mb, or twice what the data already takes, within the ceiling. Call once.
  status open(const store_config& cfg, store_stats& stats);

  /// Doubles the map, capped at the ceiling (store.map_size_mb). Returns false when it
  /// is already there. Waits for running reads; the caller holds no transaction.
  bool grow();

  /// Read transactions hold it shared, so grow() (exclusive) never remaps under them.
  std::shared_mutex& gate() const { return gate_; }
  store_stats& stats() const { return *stats_; }

  MDB_env* get() const { return env_; }
  MDB_dbi topics() const { return topics_; }
  MDB_dbi events() const { return events_; }
  MDB_dbi meta() const { return meta_; }
  MDB_dbi idem() const { return idem_; }
  MDB_dbi groups() const { return groups_; }
  /// Agent session records. A store written before they existed, opened read-only, has
  /// none: has_agents() is false and agents() must not be used.
  MDB_dbi agents() const { return agents_; }
  bool has_agents() const { return has_agents_; }
  /// 32 random bytes made with the store and kept in its meta: the key of resume sessions.
  const std::string& session_key() const { return session_key_; }
  /// LMDB's key size limit (511 unless LMDB was built otherwise).
  std::size_t max_key_bytes() const { return max_key_bytes_; }

private:
  status open_env(const store_config& cfg);
  status open_dbs();
  status load_session_key(MDB_txn* t);
  status size_map();

  MDB_env* env_ = nullptr;
  MDB_dbi topics_ = 0;
  MDB_dbi events_ = 0;
  MDB_dbi meta_ = 0;
  MDB_dbi idem_ = 0;
  MDB_dbi groups_ = 0;
  MDB_dbi agents_ = 0;
  bool has_agents_ = false;
  std::string session_key_;
  std::size_t max_key_bytes_ = 0;
  std::size_t map_ceiling_ = 0;
  std::size_t map_initial_ = 0;
  std::size_t map_size_ = 0;
  bool read_only_ = false;
  mutable std::shared_mutex gate_;
  store_stats* stats_ = nullptr;
};

} // namespace switchyard::store
