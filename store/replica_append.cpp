// Replica appends (append_batch::origin): a follower stores what the shard's owner
// stored, under the owner's seqs. The owner is the truth: a tail this store has past the
// owner's batch (events its last owner committed and never replicated before it died) is
// replaced, so both stores hold the same event at every seq.

#include "store/log_txn.hpp"

#include <algorithm>

namespace switchyard::store {

status log_txn::delete_tail(topic_record& rec, uint64_t from) {
  cursor c;
  if (int rc = c.open(txn_.get(), env_.events()); rc != 0) {
    return lmdb_error(rc, "mdb_cursor_open events");
  }
  const event_key start = make_event_key(rec.id, from);
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
    if (!ev->idem.empty()) {
      // Only the entry that names this event: a token first stored earlier stays.
      const std::string ik = idem_key(rec.id, ev->idem);
      MDB_val ikey = to_val(ik);
      MDB_val iv;
      if (int irc = mdb_get(txn_.get(), env_.idem(), &ikey, &iv); irc == 0) {
        const auto seen = decode_idem(to_view(iv));
        if (seen && seen->seq == ek->seq) {
          if (int drc = mdb_del(txn_.get(), env_.idem(), &ikey, nullptr); drc != 0) {
            return lmdb_error(drc, "mdb_del idem");
          }
        }
      } else if (irc != MDB_NOTFOUND) {
        return lmdb_error(irc, "mdb_get idem");
      }
    }
    rec.bytes -= std::min<uint64_t>(rec.bytes, ev->data.size());
    rc = delete_and_next(c.get(), k, v);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) {
    return lmdb_error(rc, "mdb_cursor_get events");
  }
  rec.last_seq = from - 1;
  if (rec.first_seq >= from) {
    rec.first_seq = 0;
  }
  return {};
}

status log_txn::put_replica(const append_batch& batch, uint64_t& next_id) {
  const uint64_t first = batch.events.front().seq;
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    if (batch.events[i].seq != first + i || batch.events[i].seq == 0) {
      return {status::code::seq_conflict, "replica batch with seqs out of order tenant='" +
                                              batch.tenant + "' topic='" + batch.topic + "'"};
    }
  }
  const std::string key = topic_key(batch.tenant, batch.topic);
  std::optional<topic_record> found;
  if (status s = load_topic(key, found); !s.ok()) {
    return s;
  }
  // Created only once the batch is accepted: a refused one writes nothing.
  topic_record rec = found ? *found : topic_record{0, 0, 0, 0};
  const bool may_start = batch.from == append_batch::origin::replica_start && rec.first_seq == 0;
  if (first > rec.last_seq + 1 && !may_start) {
    return {status::code::seq_conflict,
            "replica batch leaves a gap tenant='" + batch.tenant + "' topic='" + batch.topic +
                "': have seq " + std::to_string(rec.last_seq) + ", got " + std::to_string(first)};
  }
  if (!found) {
    rec.id = next_id++;
  }
  if (first <= rec.last_seq) {
    if (status s = delete_tail(rec, first); !s.ok()) {
      return s;
    }
  }
  for (const auto& ev : batch.events) {
    if (!ev.idem.empty()) {
      status s = put(env_.idem(), idem_key(rec.id, ev.idem), encode_idem({ev.seq, ev.ts_ms}), 0,
                     "mdb_put idem");
      if (!s.ok()) {
        return s;
      }
    }
    const event_key ek = make_event_key(rec.id, ev.seq);
    encode_event(ev, buf_);
    status s = put(env_.events(), {ek.data(), ek.size()}, buf_, MDB_NOOVERWRITE, "mdb_put events");
    if (!s.ok()) {
      return s;
    }
    if (rec.first_seq == 0) {
      rec.first_seq = ev.seq;
    }
    rec.last_seq = ev.seq;
    rec.last_ts_ms = ev.ts_ms;
    rec.bytes += ev.data.size();
  }
  return put(env_.topics(), key, encode_topic(rec), 0, "mdb_put topics");
}

} // namespace switchyard::store
