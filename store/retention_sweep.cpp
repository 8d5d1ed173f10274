// The retention sweeper's steps (log_txn methods): old events, stale idem entries and
// inactive groups are deleted in small steps inside write transactions, so a large
// backlog never holds the writer for long.

#include "store/log_txn.hpp"

#include <algorithm>

namespace switchyard::store {

namespace {

/// Entries an idem step looks at for each one it may delete: the idem table is not in
/// time order, so a step reads a slice of it and the next goes on from there.
constexpr std::size_t idem_scan_factor = 8;

} // namespace

status log_txn::min_group_floor(uint64_t topic_id, std::optional<uint64_t>& out) const {
  out.reset();
  cursor c;
  if (int rc = c.open(txn_.get(), env_.groups()); rc != 0) {
    return lmdb_error(rc, "mdb_cursor_open groups");
  }
  const std::string prefix = group_key(topic_id, "");
  MDB_val k = to_val(prefix);
  MDB_val v;
  int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
  for (; rc == 0 && to_view(k).substr(0, prefix.size()) == prefix;
       rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT)) {
    const auto g = decode_group(to_view(v));
    if (!g) {
      return {status::code::corrupt, "corrupt groups record"};
    }
    out = std::min(out.value_or(UINT64_MAX), g->floor);
  }
  return rc == 0 || rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_cursor_get groups");
}

status log_txn::delete_oldest(topic_record& rec, std::size_t& budget, uint64_t& deleted, bool& more,
                              const doomed_fn& doomed) {
  if (rec.first_seq == 0) {
    return {};
  }
  cursor c;
  if (int rc = c.open(txn_.get(), env_.events()); rc != 0) {
    return lmdb_error(rc, "mdb_cursor_open events");
  }
  const event_key start = make_event_key(rec.id, rec.first_seq);
  MDB_val k = to_val({start.data(), start.size()});
  MDB_val v;
  int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
  while (rc == 0) {
    const auto ek = decode_event_key(to_view(k));
    if (!ek || ek->topic_id != rec.id) {
      break;
    }
    const auto ev = decode_event(to_view(v));
    if (!ev) {
      return {status::code::corrupt, "corrupt event record seq=" + std::to_string(ek->seq)};
    }
    if (!doomed(ek->seq, *ev)) {
      break;
    }
    if (budget == 0) {
      more = true;
      break;
    }
    rec.bytes -= std::min<uint64_t>(rec.bytes, ev->data.size());
    rec.first_seq = ek->seq + 1;
    --budget;
    ++deleted;
    rc = delete_and_next(c.get(), k, v);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) {
    return lmdb_error(rc, "mdb_cursor_get events");
  }
  if (rec.first_seq > rec.last_seq) {
    rec.first_seq = 0; // none stored; the next append sets it again
  }
  return {};
}

status log_txn::sweep_topic(const sweep_request& req, topic_record& rec, std::size_t& budget,
                            sweep_result& out) {
  const auto& p = req.policy;
  std::optional<uint64_t> floor;
  if (status s = min_group_floor(rec.id, floor); !s.ok()) {
    return s;
  }
  std::optional<uint64_t> snapshot;
  if (status s = agent_floor(rec.id, snapshot); !s.ok()) {
    return s;
  }
  if (snapshot) {
    floor = std::min(floor.value_or(UINT64_MAX), *snapshot);
  }
  // Nothing a group has yet to deliver goes, nor what an agent session's rebuild reads.
  const uint64_t keep_from = floor ? std::min(*floor + 1, rec.last_seq + 1) : rec.last_seq + 1;
  const uint64_t count_below = p.max_events > 0 && rec.last_seq - rec.first_seq + 1 > p.max_events
                                   ? rec.last_seq - p.max_events + 1
                                   : 0;
  const int64_t cutoff = p.max_age_ms > 0 ? req.now_ms - p.max_age_ms : INT64_MIN;
  return delete_oldest(rec, budget, out.events, out.more,
                       [&](uint64_t seq, const event_fields& ev) {
                         const bool old = ev.ts_ms < cutoff;
                         const bool beyond_count = seq < count_below;
                         const bool beyond_bytes = p.max_bytes > 0 && rec.bytes > p.max_bytes;
                         return seq < keep_from && (old || beyond_count || beyond_bytes);
                       });
}

status log_txn::sweep_topics(const sweep_request& req, std::string& from, std::size_t& budget,
                             sweep_result& out) {
  cursor c;
  if (int rc = c.open(txn_.get(), env_.topics()); rc != 0) {
    return lmdb_error(rc, "mdb_cursor_open topics");
  }
  MDB_val k = to_val(from);
  MDB_val v;
  int rc = from.empty() ? mdb_cursor_get(c.get(), &k, &v, MDB_FIRST)
                        : mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
  // Topic records are rewritten after the walk: the walk's cursor stays valid.
  std::vector<std::pair<std::string, topic_record>> changed;
  for (; rc == 0; rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT)) {
    if (budget == 0) {
      out.more = true;
      break;
    }
    auto rec = decode_topic(to_view(v));
    if (!rec) {
      return {status::code::corrupt, "corrupt topics record"};
    }
    if (rec->first_seq == 0) {
      continue;
    }
    const auto before = out.events;
    if (status s = sweep_topic(req, *rec, budget, out); !s.ok()) {
      return s;
    }
    if (out.events != before) {
      changed.emplace_back(std::string(to_view(k)), *rec);
    }
  }
  if (rc != 0 && rc != MDB_NOTFOUND) {
    return lmdb_error(rc, "mdb_cursor_get topics");
  }
  from = rc == 0 ? std::string(to_view(k)) : std::string();
  for (const auto& [key, rec] : changed) {
    if (status s = put(env_.topics(), key, encode_topic(rec), 0, "mdb_put topics"); !s.ok()) {
      return s;
    }
  }
  return {};
}

status log_txn::sweep_idem(const sweep_request& req, std::string& from, std::size_t& budget,
                           sweep_result& out) {
  if (req.policy.dedup_window_ms <= 0) {
    return {};
  }
  cursor c;
  if (int rc = c.open(txn_.get(), env_.idem()); rc != 0) {
    return lmdb_error(rc, "mdb_cursor_open idem");
  }
  MDB_val k = to_val(from);
  MDB_val v;
  int rc = from.empty() ? mdb_cursor_get(c.get(), &k, &v, MDB_FIRST)
                        : mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
  const int64_t cutoff = req.now_ms - req.policy.dedup_window_ms;
  for (std::size_t scan = budget * idem_scan_factor; rc == 0 && scan > 0; --scan) {
    const auto rec = decode_idem(to_view(v));
    if (!rec) {
      return {status::code::corrupt, "corrupt idem record"};
    }
    if (rec->ts_ms >= cutoff) {
      rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT);
      continue;
    }
    if (budget == 0) {
      out.more = true;
      break;
    }
    --budget;
    ++out.idem;
    rc = delete_and_next(c.get(), k, v);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) {
    return lmdb_error(rc, "mdb_cursor_get idem");
  }
  from = rc == 0 ? std::string(to_view(k)) : std::string();
  return {};
}

status log_txn::sweep_groups(const sweep_request& req, std::size_t& budget, sweep_result& out) {
  if (req.policy.group_inactive_ms <= 0) {
    return {};
  }
  cursor c;
  if (int rc = c.open(txn_.get(), env_.groups()); rc != 0) {
    return lmdb_error(rc, "mdb_cursor_open groups");
  }
  MDB_val k;
  MDB_val v;
  int rc = mdb_cursor_get(c.get(), &k, &v, MDB_FIRST);
  while (rc == 0 && budget > 0) {
    const auto g = decode_group(to_view(v));
    if (!g) {
      return {status::code::corrupt, "corrupt groups record"};
    }
    if (req.now_ms - g->active_ms < req.policy.group_inactive_ms) {
      rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT);
      continue;
    }
    --budget;
    ++out.groups;
    rc = delete_and_next(c.get(), k, v);
  }
  return rc == 0 || rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, "mdb_cursor_get groups");
}

} // namespace switchyard::store
