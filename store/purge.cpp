// A topic purge (log_txn::purge_topic): the admin API's DELETE of a topic or tenant. Like
// the sweeper it deletes in budgeted steps, so a large topic never holds the writer long.

#include "store/log_txn.hpp"

namespace switchyard::store {

namespace {

/// Walks the records of `dbi` whose key starts with `prefix`, deleting those `doomed`
/// says, while the budget lasts.
template <class Doomed>
status delete_prefixed(MDB_txn* t, MDB_dbi dbi, const std::string& prefix, std::size_t& budget,
                       uint64_t& deleted, bool& more, Doomed doomed, const char* what) {
  cursor c;
  if (int rc = c.open(t, dbi); rc != 0) {
    return lmdb_error(rc, what);
  }
  MDB_val k = to_val(prefix);
  MDB_val v;
  int rc = mdb_cursor_get(c.get(), &k, &v, MDB_SET_RANGE);
  while (rc == 0 && to_view(k).starts_with(prefix)) {
    auto verdict = doomed(to_view(v));
    if (!verdict) {
      return {status::code::corrupt, std::string("corrupt record: ") + what};
    }
    if (!*verdict) {
      rc = mdb_cursor_get(c.get(), &k, &v, MDB_NEXT);
      continue;
    }
    if (budget == 0) {
      more = true;
      return {};
    }
    --budget;
    ++deleted;
    rc = delete_and_next(c.get(), k, v);
  }
  return rc == 0 || rc == MDB_NOTFOUND ? status{} : lmdb_error(rc, what);
}

} // namespace

status log_txn::purge_topic(const std::string& key, topic_record& rec, uint64_t up_to,
                            std::size_t budget, purge_result& out) {
  const uint64_t before = out.events;
  if (status s = delete_oldest(rec, budget, out.events, out.more,
                               [up_to](uint64_t seq, const event_fields&) { return seq <= up_to; });
      !s.ok()) {
    return s;
  }
  if (out.events != before) {
    if (status s = put(env_.topics(), key, encode_topic(rec), 0, "mdb_put topics"); !s.ok()) {
      return s;
    }
  }
  if (out.more) {
    return {};
  }
  const std::string prefix = idem_key(rec.id, "");
  status s = delete_prefixed(
      txn_.get(), env_.idem(), prefix, budget, out.idem, out.more,
      [up_to](std::string_view v) -> std::optional<bool> {
        const auto r = decode_idem(v);
        return r ? std::optional<bool>(r->seq <= up_to) : std::nullopt;
      },
      "idem");
  if (!s.ok() || out.more) {
    return s;
  }
  s = delete_prefixed(
      txn_.get(), env_.groups(), group_key(rec.id, ""), budget, out.groups, out.more,
      [](std::string_view v) -> std::optional<bool> {
        return decode_group(v) ? std::optional<bool>(true) : std::nullopt;
      },
      "groups");
  if (!s.ok() || out.more || !env_.has_agents()) {
    return s;
  }
  // The inbox's agent session goes with it: a session purged is a session forgotten.
  for (const char part : {'p', 's'}) {
    const std::string ak = agent_key(rec.id, part);
    MDB_val k = to_val(ak);
    if (int rc = mdb_del(txn_.get(), env_.agents(), &k, nullptr); rc != 0 && rc != MDB_NOTFOUND) {
      return lmdb_error(rc, "mdb_del agents");
    }
  }
  return {};
}

} // namespace switchyard::store
