#include "store/event_store.hpp"

#include "store/lmdb_env.hpp"
#include "store/log_txn.hpp"
#include "store/record_format.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include <unistd.h>

namespace switchyard::store {

struct event_store::impl {
  store_stats stats;
  lmdb_env env;
  uint64_t dedup_window_ms = 0;
  /// Where the sweeper's next step goes on (only the writer's calls touch these).
  std::string sweep_topics_from;
  std::string sweep_idem_from;

  /// One sweeper step inside `t`.
  status sweep_in(log_txn& t, const sweep_request& req, sweep_result& out) {
    out = {};
    std::size_t budget = req.budget;
    status s = t.sweep_topics(req, sweep_topics_from, budget, out);
    if (s.ok()) {
      s = t.sweep_idem(req, sweep_idem_from, budget, out);
    }
    if (s.ok()) {
      s = t.sweep_groups(req, budget, out);
    }
    out.more = out.more || budget == 0;
    return s;
  }

  /// Names LMDB could not store as a key are refused before any lookup.
  status check_names(std::string_view tenant, std::string_view topic) const {
    if (tenant.size() > max_tenant_bytes) {
      return {status::code::bad_name, "tenant name longer than 255 bytes"};
    }
    if (1 + tenant.size() + topic.size() > env.max_key_bytes()) {
      return {status::code::bad_name, "tenant + topic names longer than " +
                                          std::to_string(env.max_key_bytes() - 1) + " bytes"};
    }
    return {};
  }

  /// One write transaction over every batch, group and agent record; a refused batch
  /// (seq_conflict, bad_name) is left out, any other failure drops the whole transaction.
  status append_once(std::span<const append_batch> batches, std::vector<batch_result>& per_batch,
                     std::span<const group_write> groups, std::span<const agent_write> agents,
                     const sweep_request* sweep, sweep_result* swept) {
    per_batch.assign(batches.size(), batch_result{});
    log_txn t(env, false);
    uint64_t next_id = 0;
    status s = t.started().ok() ? t.load_next_id(next_id) : t.started();
    const uint64_t first_new_id = next_id;
    for (std::size_t i = 0; s.ok() && i < batches.size(); ++i) {
      const auto& b = batches[i];
      if (b.events.empty()) {
        continue; // nothing to store and no seq to check
      }
      status one = check_names(b.tenant, b.topic);
      if (one.ok()) {
        one = t.put_batch(b, next_id, dedup_window_ms, per_batch[i].duplicates);
      }
      if (one.value == status::code::seq_conflict || one.value == status::code::bad_name) {
        per_batch[i] = {std::move(one), {}};
      } else {
        s = std::move(one);
      }
    }
    for (std::size_t i = 0; s.ok() && i < groups.size(); ++i) {
      // Group names come from actors that checked them; a bad one fails like a disk error.
      s = check_names(groups[i].tenant, groups[i].topic);
      if (s.ok()) {
        s = t.put_group(groups[i], next_id);
      }
    }
    for (std::size_t i = 0; s.ok() && i < agents.size(); ++i) {
      s = check_names(agents[i].tenant, agents[i].topic);
      if (s.ok()) {
        s = t.put_agent(agents[i], next_id);
      }
    }
    if (s.ok() && sweep != nullptr) {
      s = sweep_in(t, *sweep, *swept);
    }
    if (s.ok() && next_id != first_new_id) {
      s = t.store_next_id(next_id);
    }
    if (s.ok()) {
      s = t.stamp();
    }
    if (s.ok()) {
      s = t.commit();
    }
    return s; // on failure the txn is aborted: nothing of this call is visible
  }

  status append(std::span<const append_batch> batches, std::vector<batch_result>& per_batch,
                std::span<const group_write> groups, std::span<const agent_write> agents,
                const sweep_request* sweep, sweep_result* swept) {
    for (;;) {
      status s = append_once(batches, per_batch, groups, agents, sweep, swept);
      if (s.value != status::code::map_full || !env.grow()) {
        return s;
      }
    }
  }

  status purge_once(std::string_view tenant, std::string_view topic, uint64_t up_to,
                    std::size_t budget, purge_result& out) {
    out = {};
    log_txn t(env, false);
    const std::string key = topic_key(tenant, topic);
    std::optional<topic_record> rec;
    status s = t.started().ok() ? t.load_topic(key, rec) : t.started();
    if (!s.ok() || !rec) {
      return s; // nothing to purge: the transaction is dropped unwritten
    }
    out.found = true;
    s = t.purge_topic(key, *rec, up_to, budget, out);
    if (s.ok()) {
      s = t.stamp();
    }
    return s.ok() ? t.commit() : s;
  }

  status purge(std::string_view tenant, std::string_view topic, uint64_t up_to, std::size_t budget,
               purge_result& out) {
    if (status s = check_names(tenant, topic); !s.ok()) {
      return s;
    }
    for (;;) {
      // A delete copies pages too, so even a purge may need the map to grow.
      status s = purge_once(tenant, topic, up_to, budget, out);
      if (s.value != status::code::map_full || !env.grow()) {
        return s;
      }
    }
  }

  /// Loads the topic's record in the read transaction `t`; `rec` stays empty for an
  /// unknown topic.
  status load_in(const log_txn& t, std::string_view tenant, std::string_view topic,
                 std::optional<topic_record>& rec) const {
    status s = check_names(tenant, topic);
    if (!s.ok()) {
      return s;
    }
    return t.started().ok() ? t.load_topic(topic_key(tenant, topic), rec) : t.started();
  }

  status read(std::string_view tenant, std::string_view topic, uint64_t from_seq, std::size_t limit,
              std::vector<event_record>& out, std::size_t max_bytes) const {
    log_txn t(env, true);
    std::optional<topic_record> rec;
    status s = load_in(t, tenant, topic, rec);
    if (!s.ok() || !rec || limit == 0) {
      return s;
    }
    // Seq 0 is never stored, so from_seq 0 starts at seq 1 without special casing.
    return t.read_events(rec->id, from_seq, limit, max_bytes, out);
  }

  status history(std::string_view tenant, std::string_view topic, uint64_t from_seq,
                 std::optional<int64_t> since_ms, std::size_t limit, std::size_t max_bytes,
                 history_page& out) const {
    log_txn t(env, true);
    std::optional<topic_record> rec;
    status s = load_in(t, tenant, topic, rec);
    if (!s.ok() || !rec) {
      return s;
    }
    out.last_seq = rec->last_seq;
    out.first_seq = rec->first_seq;
    if (since_ms) {
      s = first_seq_since(t, *rec, *since_ms, from_seq);
    }
    if (!s.ok() || limit == 0) {
      return s;
    }
    return t.read_events(rec->id, from_seq, limit, max_bytes, out.events);
  }

  /// The stored record, read in its own transaction; `out` empty for an unknown topic.
  status load(std::string_view tenant, std::string_view topic,
              std::optional<topic_record>& out) const {
    log_txn t(env, true);
    return load_in(t, tenant, topic, out);
  }

  /// Binary search over [first_seq, last_seq]: ts is non-decreasing within a topic.
  static status first_seq_since(const log_txn& t, const topic_record& rec, int64_t since_ms,
                                uint64_t& out) {
    uint64_t lo = rec.first_seq == 0 ? rec.last_seq + 1 : rec.first_seq;
    uint64_t hi = rec.last_seq + 1;
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      int64_t ts = 0;
      if (status s = t.ts_at(rec.id, mid, ts); !s.ok()) {
        return s;
      }
      if (ts >= since_ms) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    out = lo;
    return {};
  }

  status first_seq_since(std::string_view tenant, std::string_view topic, int64_t since_ms,
                         uint64_t& out) const {
    out = 1;
    log_txn t(env, true);
    std::optional<topic_record> rec;
    status s = load_in(t, tenant, topic, rec);
    if (!s.ok() || !rec) {
      return s;
    }
    return first_seq_since(t, *rec, since_ms, out);
  }
};

event_store::event_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

event_store::~event_store() = default;

std::unique_ptr<event_store> event_store::open(const store_config& cfg, std::string& error) {
  auto p = std::make_unique<impl>();
  p->dedup_window_ms = cfg.dedup_window_ms;
  if (status s = p->env.open(cfg, p->stats); !s.ok()) {
    error = s.message;
    return nullptr;
  }
  return std::unique_ptr<event_store>(new event_store(std::move(p)));
}

status event_store::append(std::span<const append_batch> batches,
                           std::vector<batch_result>& per_batch,
                           std::span<const group_write> groups, std::span<const agent_write> agents,
                           const sweep_request* sweep, sweep_result* swept) {
  per_batch.assign(batches.size(), batch_result{});
  sweep_result ignored;
  if (sweep != nullptr && swept == nullptr) {
    swept = &ignored;
  }
  return batches.empty() && groups.empty() && agents.empty() && sweep == nullptr
             ? status{}
             : impl_->append(batches, per_batch, groups, agents, sweep, swept);
}

status event_store::sweep(const sweep_request& req, sweep_result& out) {
  std::vector<batch_result> none;
  return impl_->append({}, none, {}, {}, &req, &out);
}

status event_store::purge(std::string_view tenant, std::string_view topic, uint64_t up_to,
                          std::size_t budget, purge_result& out) {
  return impl_->purge(tenant, topic, up_to, budget, out);
}

status event_store::load_group(std::string_view tenant, std::string_view topic,
                               std::string_view group, std::optional<group_state>& out) const {
  out.reset();
  if (status s = impl_->check_names(tenant, topic); !s.ok()) {
    return s;
  }
  log_txn t(impl_->env, true);
  return t.started().ok() ? t.load_group(topic_key(tenant, topic), group, out) : t.started();
}

status event_store::load_agent(std::string_view tenant, std::string_view topic,
                               std::optional<agent_record>& out) const {
  out.reset();
  if (status s = impl_->check_names(tenant, topic); !s.ok()) {
    return s;
  }
  log_txn t(impl_->env, true);
  return t.started().ok() ? t.load_agent(topic_key(tenant, topic), out) : t.started();
}

status event_store::list_groups(std::string_view tenant, std::string_view topic,
                                std::vector<std::pair<std::string, group_state>>& out) const {
  out.clear();
  if (status s = impl_->check_names(tenant, topic); !s.ok()) {
    return s;
  }
  log_txn t(impl_->env, true);
  return t.started().ok() ? t.list_groups(topic_key(tenant, topic), out) : t.started();
}

status event_store::history(std::string_view tenant, std::string_view topic, uint64_t from_seq,
                            std::optional<int64_t> since_ms, std::size_t limit,
                            std::size_t max_bytes, history_page& out) const {
  out = {};
  status s = impl_->history(tenant, topic, from_seq, since_ms, limit, max_bytes, out);
  if (!s.ok()) {
    out.events.clear();
  }
  return s;
}

const std::string& event_store::session_key() const {
  return impl_->env.session_key();
}

const store_stats& event_store::stats() const {
  return impl_->stats;
}

status event_store::sync() {
  // What mdb_env_sync(env, 1) does for an environment without MDB_WRITEMAP, minus its
  // read of the meta page in the map, which the writer may be remapping (growth).
  mdb_filehandle_t fd{};
  if (int rc = mdb_env_get_fd(impl_->env.get(), &fd); rc != 0) {
    return lmdb_error(rc, "mdb_env_get_fd");
  }
  if (fdatasync(fd) != 0) {
    return lmdb_error(errno, "fdatasync");
  }
  return {};
}

status event_store::read(std::string_view tenant, std::string_view topic, uint64_t from_seq,
                         std::size_t limit, std::vector<event_record>& out,
                         std::size_t max_bytes) const {
  out.clear();
  status s = impl_->read(tenant, topic, from_seq, limit, out, max_bytes);
  if (!s.ok()) {
    out.clear();
  }
  return s;
}

status event_store::list_topics(const std::optional<std::string>& tenant, std::string_view prefix,
                                std::string_view cursor, std::size_t limit, topic_page& out) const {
  // The cursor is the first key not yet listed (copied first: it may be out.next).
  std::string from(cursor);
  out = {};
  if (tenant && tenant->size() > max_tenant_bytes) {
    return {};
  }
  if (tenant) {
    from = std::max(from, topic_key(*tenant, prefix));
  }
  // Bounds one call's scan when a prefix skips many topics of other tenants.
  const std::size_t max_keys = 8 * limit + 256;
  log_txn t(impl_->env, true);
  if (!t.started().ok()) {
    return t.started();
  }
  std::string stopped_at;
  status s = t.scan_topics(
      from, max_keys,
      [&](std::string_view key, const topic_record& rec) {
        const auto tenant_len = static_cast<uint8_t>(key[0]);
        const auto key_tenant = key.substr(1, tenant_len);
        const auto name = key.substr(1 + tenant_len);
        if (tenant && key_tenant != *tenant) {
          return false;
        }
        if (!name.starts_with(prefix)) {
          return !tenant || name < prefix; // one tenant's names past the prefix: done
        }
        if (out.topics.size() == limit) {
          out.next = std::string(key);
          return false;
        }
        out.topics.push_back({std::string(key_tenant), std::string(name), rec.first_seq,
                              rec.last_seq, rec.last_ts_ms, rec.bytes});
        return true;
      },
      stopped_at);
  if (s.ok() && out.next.empty()) {
    out.next = std::move(stopped_at);
  }
  return s;
}

status event_store::info(std::string_view tenant, std::string_view topic, topic_info& out) const {
  std::optional<topic_record> rec;
  status s = impl_->load(tenant, topic, rec);
  out = rec ? topic_info{rec->first_seq, rec->last_seq, rec->last_ts_ms} : topic_info{};
  return s;
}

status event_store::first_seq_since(std::string_view tenant, std::string_view topic,
                                    int64_t since_ms, uint64_t& out) const {
  return impl_->first_seq_since(tenant, topic, since_ms, out);
}

} // namespace switchyard::store
