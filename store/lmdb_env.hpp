#pragma once
// The LMDB environment and its named databases (`topics`, `events`, `meta`).
// Internal to store/. Opened once; the handles are then shared by every thread.

#include "store/event_store.hpp"

#include <cstddef>

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
  /// databases (creating them), and checks or writes the format version. Call once.
  status open(const store_config& cfg);

  MDB_env* get() const { return env_; }
  MDB_dbi topics() const { return topics_; }
  MDB_dbi events() const { return events_; }
  MDB_dbi meta() const { return meta_; }
  /// LMDB's key size limit (511 unless LMDB was built otherwise).
  std::size_t max_key_bytes() const { return max_key_bytes_; }

private:
  status open_env(const store_config& cfg);
  status open_dbs();

  MDB_env* env_ = nullptr;
  MDB_dbi topics_ = 0;
  MDB_dbi events_ = 0;
  MDB_dbi meta_ = 0;
  std::size_t max_key_bytes_ = 0;
};

} // namespace switchyard::store
