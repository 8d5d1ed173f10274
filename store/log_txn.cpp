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

/// Checks that the events continue the topic: last_seq + 1, last_seq + 2, ... (the store
/// renumbers the events after a duplicate, so only contiguous batches are accepted).
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

status log_txn::ensure_topic(const std::string& key, uint64_t& next_id, topic_record& out) {
  std::optional<topic_record> rec;
  if (status s = load_topic(key, rec); !s.ok()) {
    return s;
  }
  if (rec) {
    out = *rec;
    return {};
  }
  out = topic_record{next_id++, 0, 0, 0};
  return put(env_.topics(), key, encode_topic(out), 0, "mdb_put topics");
}

status log_txn::find_idem(uint64_t topic_id, const event_record& ev, uint64_t window_ms,
                          std::optional<idem_record>& out) const {
  out.reset();
  const std::string k = idem_key(topic_id, ev.idem);
  MDB_val key = to_val(k);
  MDB_val v;
  if (int rc = mdb_get(txn_.get(), env_.idem(), &key, &v); rc != 0) {
    return rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_get idem");
  }
  const auto rec = decode_idem(to_view(v));
  if (!rec) {
    return corrupt("corrupt idem record");
  }
  // An entry older than the window no longer counts (the sweeper removes it later).
  if (ev.ts_ms - rec->ts_ms <= static_cast<int64_t>(window_ms)) {
    out = rec;
  }
  return {};
}

status log_txn::put_batch(const append_batch& batch, uint64_t& next_id, uint64_t window_ms,
                          std::vector<duplicate>& dups) {
  dups.clear();
  if (batch.from != append_batch::origin::publish) {
    return put_replica(batch, next_id);
  }
  const std::string key = topic_key(batch.tenant, batch.topic);
  std::optional<topic_record> found;
  if (status s = load_topic(key, found); !s.ok()) {
    return s;
  }
  if (status s = check_seqs(batch, found ? found->last_seq : 0); !s.ok()) {
    return s;
  }
  topic_record rec = found ? *found : topic_record{next_id++, 0, 0, 0};
  uint64_t seq = batch.events.front().seq;
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    const auto& ev = batch.events[i];
    if (!ev.idem.empty()) {
      std::optional<idem_record> seen;
      if (status s = find_idem(rec.id, ev, window_ms, seen); !s.ok()) {
        return s;
      }
      if (seen) {
        dups.push_back({static_cast<uint32_t>(i), seen->seq});
        continue;
      }
      status s = put(env_.idem(), idem_key(rec.id, ev.idem), encode_idem({seq, ev.ts_ms}), 0,
                     "mdb_put idem");
      if (!s.ok()) {
        return s;
      }
    }
    const event_key ek = make_event_key(rec.id, seq);
    encode_event(ev, buf_);
    // Not MDB_APPEND: one transaction interleaves topics, so keys do not only increase.
    // MDB_NOOVERWRITE turns a stray event past last_seq into `corrupt`, not a silent loss.
    status s = put(env_.events(), {ek.data(), ek.size()}, buf_, MDB_NOOVERWRITE, "mdb_put events");
    if (!s.ok()) {
      return s;
    }
    if (rec.first_seq == 0) {
      rec.first_seq = seq;
    }
    rec.last_seq = seq++;
    rec.last_ts_ms = ev.ts_ms;
    rec.bytes += ev.data.size();
  }
  if (found && rec.last_seq == found->last_seq) {
    return {}; // only duplicates: the topic is unchanged
  }
  return put(env_.topics(), key, encode_topic(rec), 0, "mdb_put topics");
}

status log_txn::put_group(const group_write& g, uint64_t& next_id) {
  const std::string key = topic_key(g.tenant, g.topic);
  if (!g.state) {
    std::optional<topic_record> rec;
    if (status s = load_topic(key, rec); !s.ok() || !rec) {
      return s;
    }
    const std::string gk = group_key(rec->id, g.group);
    MDB_val k = to_val(gk);
    const int rc = mdb_del(txn_.get(), env_.groups(), &k, nullptr);
    return rc == 0 || rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_del groups");
  }
  topic_record rec;
  if (status s = ensure_topic(key, next_id, rec); !s.ok()) {
    return s;
  }
  return put(env_.groups(), group_key(rec.id, g.group), encode_group(*g.state), 0,
             "mdb_put groups");
}

status log_txn::load_group(const std::string& topic_key, std::string_view group,
                           std::optional<group_state>& out) const {
  out.reset();
  std::optional<topic_record> rec;
  if (status s = load_topic(topic_key, rec); !s.ok() || !rec) {
    return s;
  }
  const std::string gk = group_key(rec->id, group);
  MDB_val k = to_val(gk);
  MDB_val v;
  if (int rc = mdb_get(txn_.get(), env_.groups(), &k, &v); rc != 0) {
    return rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_get groups");
  }
  out = decode_group(to_view(v));
  return out ? status{} : corrupt("corrupt groups record");
}

status log_txn::list_groups(const std::string& topic_key,
                            std::vector<std::pair<std::string, group_state>>& out) const {
  out.clear();
  std::optional<topic_record> rec;
  if (status s = load_topic(topic_key, rec); !s.ok() || !rec) {
    return s;
  }
  cursor c;
  if (int rc = c.open(txn_.get(), env_.groups()); rc != 0) {
    return lmdb_error(rc, "mdb_cursor_open groups");
  }
  const std::string prefix = group_key(rec->id, "");
  MDB_val k = to_val(prefix);
  MDB_val v;
  int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
  for (; rc == 0; rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT)) {
    const auto name = to_view(k);
    if (name.substr(0, prefix.size()) != prefix) {
      break;
    }
    auto g = decode_group(to_view(v));
    if (!g) {
      return corrupt("corrupt groups record");
    }
    out.emplace_back(std::string(name.substr(prefix.size())), std::move(*g));
  }
  return rc == 0 || rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_cursor_get groups");
}

status log_txn::put_agent(const agent_write& a, uint64_t& next_id) {
  topic_record rec;
  if (status s = ensure_topic(topic_key(a.tenant, a.topic), next_id, rec); !s.ok()) {
    return s;
  }
  if (a.snapshot) {
    if (status s = put(env_.agents(), agent_key(rec.id, 's'), encode_agent_snapshot(*a.snapshot), 0,
                       "mdb_put agents");
        !s.ok()) {
      return s;
    }
  }
  return put(env_.agents(), agent_key(rec.id, 'p'), encode_agent_progress(a.progress), 0,
             "mdb_put agents");
}

status log_txn::load_agent(const std::string& topic_key, std::optional<agent_record>& out) const {
  out.reset();
  std::optional<topic_record> rec;
  if (status s = load_topic(topic_key, rec); !s.ok() || !rec || !env_.has_agents()) {
    return s;
  }
  const std::string pk = agent_key(rec->id, 'p');
  MDB_val k = to_val(pk);
  MDB_val v;
  if (int rc = mdb_get(txn_.get(), env_.agents(), &k, &v); rc != 0) {
    return rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_get agents");
  }
  auto progress = decode_agent_progress(to_view(v));
  if (!progress) {
    return corrupt("corrupt agents progress record");
  }
  agent_record r{std::move(*progress), std::nullopt};
  const std::string sk = agent_key(rec->id, 's');
  k = to_val(sk);
  if (int rc = mdb_get(txn_.get(), env_.agents(), &k, &v); rc == 0) {
    r.snapshot = decode_agent_snapshot(to_view(v));
    if (!r.snapshot) {
      return corrupt("corrupt agents snapshot record");
    }
  } else if (rc != MDB_NOTFOUND) {
    return lmdb_error(rc, "mdb_get agents");
  }
  out = std::move(r);
  return {};
}

status log_txn::agent_floor(uint64_t topic_id, std::optional<uint64_t>& out) const {
  out.reset();
  if (!env_.has_agents()) {
    return {};
  }
  const std::string pk = agent_key(topic_id, 'p');
  MDB_val k = to_val(pk);
  MDB_val v;
  if (int rc = mdb_get(txn_.get(), env_.agents(), &k, &v); rc != 0) {
    return rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_get agents");
  }
  const auto p = decode_agent_progress(to_view(v));
  if (!p) {
    return corrupt("corrupt agents progress record");
  }
  out = p->snapshot_seq;
  return {};
}

status log_txn::scan_topics(std::string_view from, std::size_t max_keys,
                            const std::function<bool(std::string_view, const topic_record&)>& take,
                            std::string& next) const {
  next.clear();
  cursor c;
  if (int rc = c.open(txn_.get(), env_.topics()); rc != 0) {
    return lmdb_error(rc, "mdb_cursor_open topics");
  }
  MDB_val k = to_val(from);
  MDB_val v;
  int rc = from.empty() ? mdb_cursor_get(c.get(), &k, &v, MDB_FIRST)
                        : mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
  for (std::size_t seen = 0; rc == 0; rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT), ++seen) {
    if (seen == max_keys) {
      next = std::string(to_view(k));
      return {};
    }
    const auto rec = decode_topic(to_view(v));
    if (!rec) {
      return corrupt("corrupt topics record");
    }
    if (!take(to_view(k), *rec)) {
      return {};
    }
  }
  return rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_cursor_get topics");
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
    out.push_back({ek->seq, ev->ts_ms, std::string(ev->key), std::string(ev->idem),
                   std::string(ev->data), ev->ttl_ms});
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
