#pragma once
// Owners for LMDB transactions and cursors, and the mapping of LMDB return codes to
// status. Internal to store/: no other folder includes <lmdb.h>.

#include "store/event_store.hpp"

#include <string>
#include <string_view>

#include <lmdb.h>

namespace switchyard::store {

/// An LMDB error as a status. MDB_MAP_FULL has its own code so the caller can degrade
/// (refuse publishes) instead of treating the disk as broken.
inline status lmdb_error(int rc, std::string_view what) {
  const auto c = rc == MDB_MAP_FULL ? status::code::map_full : status::code::io_error;
  return {c, std::string(what) + ": " + mdb_strerror(rc)};
}

/// LMDB never writes through the pointer of a key or value passed in, hence the cast.
inline MDB_val to_val(std::string_view s) {
  return {s.size(), const_cast<char*>(s.data())};
}

inline std::string_view to_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

/// A transaction that is aborted unless committed. With MDB_NOTLS a read-only one is not
/// tied to its thread, but it must end on the call that began it (readers are limited).
class txn {
public:
  txn() = default;
  ~txn() {
    if (handle_ != nullptr) {
      mdb_txn_abort(handle_);
    }
  }
  txn(const txn&) = delete;
  txn& operator=(const txn&) = delete;

  int begin(MDB_env* env, unsigned flags) { return mdb_txn_begin(env, nullptr, flags, &handle_); }
  /// LMDB frees the transaction even when the commit fails.
  int commit() {
    MDB_txn* t = handle_;
    handle_ = nullptr;
    return mdb_txn_commit(t);
  }
  MDB_txn* get() const { return handle_; }

private:
  MDB_txn* handle_ = nullptr;
};

/// A cursor closed on scope exit; declare it after its txn so it closes first.
class cursor {
public:
  cursor() = default;
  ~cursor() {
    if (handle_ != nullptr) {
      mdb_cursor_close(handle_);
    }
  }
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;

  int open(MDB_txn* t, MDB_dbi dbi) { return mdb_cursor_open(t, dbi, &handle_); }
  MDB_cursor* get() const { return handle_; }

private:
  MDB_cursor* handle_ = nullptr;
};

} // namespace switchyard::store
