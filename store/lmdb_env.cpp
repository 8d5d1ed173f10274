#include "store/lmdb_env.hpp"

#include "store/lmdb_handles.hpp"
#include "store/record_format.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>

#include <sys/random.h>

namespace switchyard::store {

namespace {

/// Concurrent read transactions; one more fails with MDB_READERS_FULL.
constexpr unsigned max_readers = 256;
/// topics, events and meta, with room for the planned idem and groups databases.
constexpr MDB_dbi max_dbs = 8;

} // namespace

lmdb_env::~lmdb_env() {
  if (env_ != nullptr) {
    mdb_env_close(env_);
  }
}

status lmdb_env::open(const store_config& cfg, store_stats& stats) {
  stats_ = &stats;
  status s = open_env(cfg);
  return s.ok() ? open_dbs() : s;
}

bool lmdb_env::grow() {
  if (map_size_ >= map_ceiling_) {
    return false;
  }
  std::unique_lock lock(gate_);
  const std::size_t next = std::min(map_ceiling_, map_size_ * 2);
  if (mdb_env_set_mapsize(env_, next) != 0) {
    return false;
  }
  map_size_ = next;
  stats_->map_bytes = next;
  ++stats_->map_grown;
  return true;
}

status lmdb_env::open_env(const store_config& cfg) {
  if (cfg.map_size_mb == 0 || cfg.map_size_mb > (SIZE_MAX >> 20) || cfg.initial_map_mb == 0) {
    return {status::code::io_error, "map_size_mb out of range: " + std::to_string(cfg.map_size_mb)};
  }
  read_only_ = cfg.read_only;
  std::error_code ec;
  if (read_only_) {
    if (!std::filesystem::exists(std::filesystem::path(cfg.data_dir) / "data.mdb", ec)) {
      return {status::code::io_error, "no store in '" + cfg.data_dir + "' (no data.mdb)"};
    }
  } else if (std::filesystem::create_directories(cfg.data_dir, ec); ec) {
    return {status::code::io_error,
            "cannot create data_dir '" + cfg.data_dir + "': " + ec.message()};
  }
  if (int rc = mdb_env_create(&env_); rc != 0) {
    env_ = nullptr;
    return lmdb_error(rc, "mdb_env_create");
  }
  int rc = mdb_env_set_maxreaders(env_, max_readers);
  if (rc == 0) {
    rc = mdb_env_set_maxdbs(env_, max_dbs);
  }
  map_ceiling_ = static_cast<std::size_t>(cfg.map_size_mb) << 20;
  map_initial_ = std::min(map_ceiling_, static_cast<std::size_t>(cfg.initial_map_mb) << 20);
  if (rc == 0) {
    rc = mdb_env_set_mapsize(env_, map_initial_);
  }
  if (rc != 0) {
    return lmdb_error(rc, "configuring the LMDB environment");
  }
  // Every commit is fsynced, so an acknowledged append survives a crash; with
  // sync_mode::data the meta page is left to the OS (one fdatasync instead of two).
  // MDB_NOTLS: read transactions begin and end on whichever thread calls the store.
  unsigned flags = MDB_NOTLS | (read_only_ ? MDB_RDONLY : 0u);
  if (cfg.sync == store_config::sync_mode::data) {
    flags |= MDB_NOMETASYNC;
  } else if (cfg.sync == store_config::sync_mode::async) {
    flags |= MDB_NOSYNC;
  }
  if (rc = mdb_env_open(env_, cfg.data_dir.c_str(), flags, 0644); rc != 0) {
    return lmdb_error(rc, "mdb_env_open '" + cfg.data_dir + "'");
  }
  // Frees reader slots a crashed process left behind; they would pin old pages forever.
  int dead = 0;
  if (rc = mdb_reader_check(env_, &dead); rc != 0) {
    return lmdb_error(rc, "mdb_reader_check");
  }
  max_key_bytes_ = static_cast<std::size_t>(mdb_env_get_maxkeysize(env_));
  return size_map();
}

status lmdb_env::size_map() {
  // LMDB raises the map to what the file already holds; leave room to grow beyond it.
  MDB_envinfo info;
  MDB_stat st;
  int rc = mdb_env_info(env_, &info);
  if (rc == 0) {
    rc = mdb_env_stat(env_, &st);
  }
  if (rc != 0) {
    return lmdb_error(rc, "mdb_env_info");
  }
  const std::size_t used = (info.me_last_pgno + 1) * st.ms_psize;
  map_size_ = info.me_mapsize;
  if (read_only_) {
    stats_->map_bytes = map_size_;
    return {};
  }
  const std::size_t wanted = std::min(map_ceiling_, std::max(map_initial_, 2 * used));
  if (wanted > map_size_) {
    if (rc = mdb_env_set_mapsize(env_, wanted); rc != 0) {
      return lmdb_error(rc, "mdb_env_set_mapsize");
    }
    map_size_ = wanted;
  }
  stats_->map_bytes = map_size_;
  return {};
}

/// Made once, with the store: restarts (and, later, the cluster's nodes sharing it) sign
/// and verify resume sessions with the same key.
status lmdb_env::load_session_key(MDB_txn* t) {
  constexpr std::size_t key_bytes = 32;
  MDB_val key = to_val("session_key");
  MDB_val val;
  int rc = mdb_get(t, meta_, &key, &val);
  if (rc == 0 && val.mv_size == key_bytes) {
    session_key_.assign(static_cast<const char*>(val.mv_data), val.mv_size);
    return {};
  }
  if (rc != MDB_NOTFOUND) {
    return rc != 0 ? lmdb_error(rc, "meta session_key")
                   : status{status::code::corrupt, "meta session_key is not 32 bytes"};
  }
  if (read_only_) {
    return {}; // a reader signs nothing
  }
  std::string fresh(key_bytes, '\0');
  if (getrandom(fresh.data(), fresh.size(), 0) != static_cast<ssize_t>(fresh.size())) {
    return {status::code::io_error, "getrandom failed for the session key"};
  }
  val = to_val(fresh);
  if (rc = mdb_put(t, meta_, &key, &val, 0); rc != 0) {
    return lmdb_error(rc, "mdb_put meta session_key");
  }
  session_key_ = std::move(fresh);
  return {};
}

status lmdb_env::open_dbs() {
  txn t;
  if (int rc = t.begin(env_, read_only_ ? MDB_RDONLY : 0); rc != 0) {
    return lmdb_error(rc, "begin open txn");
  }
  const unsigned dbi_flags = read_only_ ? 0 : MDB_CREATE;
  for (auto [name, dbi] : {std::pair{"topics", &topics_},
                           {"events", &events_},
                           {"meta", &meta_},
                           {"idem", &idem_},
                           {"groups", &groups_},
                           {"agents", &agents_}}) {
    if (int rc = mdb_dbi_open(t.get(), name, dbi_flags, dbi); rc != 0) {
      if (rc == MDB_NOTFOUND && dbi == &agents_) {
        continue; // an older store, opened read-only
      }
      if (rc == MDB_NOTFOUND) {
        return {status::code::corrupt,
                std::string("not a Switchyard store: no database '") + name + "'"};
      }
      return lmdb_error(rc, std::string("mdb_dbi_open ") + name);
    }
  }
  has_agents_ = agents_ != 0;
  const char current = static_cast<char>(store_format);
  MDB_val key = to_val("format");
  MDB_val val;
  int rc = mdb_get(t.get(), meta_, &key, &val);
  const bool upgrade = rc == 0 && to_view(val) == std::string_view("\x01", 1);
  if (read_only_ && (upgrade || rc == MDB_NOTFOUND)) {
    rc = upgrade ? 0 : rc; // format 1 reads as the current one
  } else if (rc == MDB_NOTFOUND || upgrade) {
    val = to_val({&current, 1});
    rc = mdb_put(t.get(), meta_, &key, &val, 0);
  } else if (rc == 0 && to_view(val) != std::string_view(&current, 1)) {
    return {status::code::corrupt, "unsupported store format in meta (this build reads versions "
                                   "1 and " +
                                       std::to_string(store_format) + ")"};
  }
  if (rc != 0) {
    return lmdb_error(rc, "meta format");
  }
  if (auto s = load_session_key(t.get()); !s.ok()) {
    return s;
  }
  if (rc = t.commit(); rc != 0) {
    return lmdb_error(rc, "commit open txn");
  }
  return {};
}

} // namespace switchyard::store
