#pragma once
// Owners for LMDB transactions and cursors, and the mapping of LMDB return codes to
// status. Internal to store/: no other folder includes <lmdb.h>.

#include "store/event_store.hpp"

#include <string>
#include <string_view>

#include <lmdb.h>

namespace switchyard::store {

/// An LMDB error as a status, classified by what the caller can do about it: degrade
/// (map_full), try again (busy), or stop using the environment (fatal).
inline status lmdb_error(int rc, std::string_view what) {
  auto c = status::code::io_error;
  switch (rc) {
  case MDB_MAP_FULL:
    c = status::code::map_full;
    break;
  case MDB_READERS_FULL:
    c = status::code::busy;
    break;
  case MDB_PANIC:
  case MDB_CORRUPTED:
  case MDB_PAGE_NOTFOUND:
  case MDB_VERSION_MISMATCH:
  case MDB_INVALID:
    c = status::code::fatal;
    break;
  default:
    break;
  }
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
  ~txn() { abort(); }
  txn(const txn&) = delete;
  txn& operator=(const txn&) = delete;

  int begin(MDB_env* env, unsigned flags) { return mdb_txn_begin(env, nullptr, flags, &handle_); }
  void abort() {
    if (handle_ != nullptr) {
      mdb_txn_abort(handle_);
      handle_ = nullptr;
    }
  }
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

/// Deletes the cursor's record and moves to the one after it. Repositioning by key is
/// what stays well defined when the delete emptied a page or the table.
inline int delete_and_next(MDB_cursor* c, MDB_val& k, MDB_val& v) {
  std::string deleted(to_view(k));
  if (int rc = mdb_cursor_del(c, 0); rc != 0) {
    return rc;
  }
  k = to_val(deleted);
  return mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
}

} // namespace switchyard::store
