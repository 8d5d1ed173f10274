#include "store/log_txn.hpp"

#include <thread>

namespace switchyard::store {

namespace {

/// Snapshots begun again before a read gives up with `busy` (each retry is one
/// preemption in a window of a few instructions: more than a couple is never seen).
constexpr int max_snapshot_attempts = 64;

constexpr std::string_view stamp_key = "txn";

status corrupt(std::string message) {
  return {status::code::corrupt, std::move(message)};
}

/// Checks that the events continue the topic: last_seq + 1, last_seq + 2, ...
status check_seqs(const append_batch& batch, uint64_t last_seq) {
  uint64_t expected = last_seq + 1;
  for (const auto& ev : batch.events) {
    if (ev.seq != expected) {
      return {status::code::seq_conflict, "seq conflict tenant='" + batch.tenant + "' topic='" +
                                              batch.topic + "': expected seq " +
                                              std::to_string(expected) + ", got " +
                                              std::to_string(ev.seq)};
    }
    ++expected;
  }
  return {};
}

} // namespace

log_txn::log_txn(const lmdb_env& env, bool read_only) : env_(env) {
  if (read_only) {
    begin_read();
  } else if (int rc = txn_.begin(env.get(), 0); rc != 0) {
    started_ = lmdb_error(rc, "mdb_txn_begin");
  }
}

void log_txn::begin_read() {
  gate_ = std::shared_lock(env_.gate());
  for (int attempt = 1;; ++attempt) {
    if (int rc = txn_.begin(env_.get(), MDB_RDONLY); rc != 0) {
      started_ = lmdb_error(rc, "mdb_txn_begin");
      return;
    }
    uint64_t stamp = 0;
    if (status s = snapshot_stamp(stamp); !s.ok()) {
      started_ = s;
      return;
    }
    if (stamp <= mdb_txn_id(txn_.get())) {
      return;
    }
    // The snapshot belongs to a newer transaction than ours (LMDB's renew race):
    // it may not be committed yet, so begin again.
    ++env_.stats().stale_snapshots;
    txn_.abort();
    if (attempt == max_snapshot_attempts) {
      started_ = {status::code::busy, "no stable read snapshot"};
      return;
    }
    std::this_thread::yield();
  }
}

status log_txn::load_meta_u64(std::string_view key, uint64_t absent, uint64_t& out) const {
  MDB_val k = to_val(key);
  MDB_val v;
  out = absent;
  if (int rc = mdb_get(txn_.get(), env_.meta(), &k, &v); rc != 0) {
    return rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_get meta " + std::string(key));
  }
  const auto n = decode_u64(to_view(v));
  out = n.value_or(0);
  return n ? status{} : corrupt("corrupt meta " + std::string(key));
}

status log_txn::snapshot_stamp(uint64_t& out) const {
  return load_meta_u64(stamp_key, 0, out);
}

status log_txn::stamp() {
  return put(env_.meta(), stamp_key, encode_u64(mdb_txn_id(txn_.get())), 0, "mdb_put meta txn");
}

status log_txn::commit() {
  int rc = txn_.commit();
  return rc == 0 ? status{} : lmdb_error(rc, "mdb_txn_commit");
}

status log_txn::load_topic(const std::string& key, std::optional<topic_record>& out) const {
  out.reset();
  MDB_val k = to_val(key);
  MDB_val v;
  if (int rc = mdb_get(txn_.get(), env_.topics(), &k, &v); rc != 0) {
    return rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_get topics");
  }
  out = decode_topic(to_view(v));
  return out ? status{} : corrupt("corrupt topics record");
}

status log_txn::load_next_id(uint64_t& out) const {
  return load_meta_u64("next_topic_id", 1, out);
}

status log_txn::store_next_id(uint64_t id) {
  return put(env_.meta(), "next_topic_id", encode_u64(id), 0, "mdb_put meta next_topic_id");
}

status log_txn::put(MDB_dbi dbi, std::string_view key, std::string_view val, unsigned flags,
                    const char* what) {
  MDB_val k = to_val(key);
  MDB_val v = to_val(val);
  const int rc = mdb_put(txn_.get(), dbi, &k, &v, flags);
  if (rc == MDB_KEYEXIST) {
    return corrupt(std::string(what) + ": an event is already stored past the topic's last_seq");
  }
  return rc == 0 ? status{} : lmdb_error(rc, what);
}

status log_txn::put_batch(const append_batch& batch, uint64_t& next_id) {
  const std::string key = topic_key(batch.tenant, batch.topic);
  std::optional<topic_record> rec;
  if (status s = load_topic(key, rec); !s.ok()) {
    return s;
  }
  if (status s = check_seqs(batch, rec ? rec->last_seq : 0); !s.ok()) {
    return s;
  }
  if (!rec) {
    rec = topic_record{next_id++, 0, 0, 0};
  }
  for (const auto& ev : batch.events) {
    const event_key ek = make_event_key(rec->id, ev.seq);
    encode_event(ev, buf_);
    // Not MDB_APPEND: one transaction interleaves topics, so keys do not only increase.
    // MDB_NOOVERWRITE turns a stray event past last_seq into `corrupt`, not a silent loss.
    status s = put(env_.events(), {ek.data(), ek.size()}, buf_, MDB_NOOVERWRITE, "mdb_put events");
    if (!s.ok()) {
      return s;
    }
  }
  if (rec->first_seq == 0) {
    rec->first_seq = batch.events.front().seq;
  }
  rec->last_seq = batch.events.back().seq;
  rec->last_ts_ms = batch.events.back().ts_ms;
  return put(env_.topics(), key, encode_topic(*rec), 0, "mdb_put topics");
}

status log_txn::read_events(uint64_t id, uint64_t from, std::size_t limit, std::size_t max_bytes,
                            std::vector<event_record>& out) const {
  cursor c;
  if (int rc = c.open(txn_.get(), env_.events()); rc != 0) {
    return lmdb_error(rc, "mdb_cursor_open events");
  }
  const event_key start = make_event_key(id, from);
  MDB_val k = to_val({start.data(), start.size()});
  MDB_val v;
  std::size_t bytes = 0;
  int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
  for (; rc == 0 && out.size() < limit; rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT)) {
    const auto ek = decode_event_key(to_view(k));
    if (!ek || ek->topic_id != id) {
      return ek ? status{} : corrupt("corrupt events key");
    }
    const auto ev = decode_event(to_view(v));
    if (!ev) {
      return corrupt("corrupt event record seq=" + std::to_string(ek->seq));
    }
    if (!out.empty() && bytes + ev->data.size() > max_bytes) {
      return {};
    }
    bytes += ev->data.size();
    out.push_back(
        {ek->seq, ev->ts_ms, std::string(ev->key), std::string(ev->idem), std::string(ev->data)});
  }
  return rc == 0 || rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_cursor_get events");
}

status log_txn::ts_at(uint64_t id, uint64_t seq, int64_t& out) const {
  const event_key ek = make_event_key(id, seq);
  MDB_val k = to_val({ek.data(), ek.size()});
  MDB_val v;
  if (int rc = mdb_get(txn_.get(), env_.events(), &k, &v); rc != 0) {
    return rc == MDB_NOTFOUND ? corrupt("event seq=" + std::to_string(seq) + " missing")
                              : lmdb_error(rc, "mdb_get events");
  }
  const auto ev = decode_event(to_view(v));
  out = ev ? ev->ts_ms : 0;
  return ev ? status{} : corrupt("corrupt event record seq=" + std::to_string(seq));
}

} // namespace switchyard::store
