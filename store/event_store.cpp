#include "store/event_store.hpp"

#include "store/lmdb_env.hpp"
#include "store/log_txn.hpp"
#include "store/record_format.hpp"

#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

namespace switchyard::store {

struct event_store::impl {
  lmdb_env env;
  /// topic_key -> id of committed topics, so reads skip the `topics` lookup. Ids never
  /// change, so entries never go stale; the map holds every topic read or created.
  mutable std::shared_mutex ids_mutex;
  mutable std::unordered_map<std::string, uint64_t> ids;

  /// Names LMDB could not store as a key are refused before any lookup.
  status check_names(std::string_view tenant, std::string_view topic) const {
    if (tenant.size() > max_tenant_bytes) {
      return {status::code::io_error, "tenant name longer than 255 bytes"};
    }
    if (1 + tenant.size() + topic.size() > env.max_key_bytes()) {
      return {status::code::io_error, "tenant + topic names longer than " +
                                          std::to_string(env.max_key_bytes() - 1) + " bytes"};
    }
    return {};
  }

  void remember(const std::string& key, uint64_t id) const {
    std::unique_lock lock(ids_mutex);
    ids.emplace(key, id);
  }

  /// The topic's id from the cache or `t`; `out` stays empty when the topic does not exist.
  status topic_id(const log_txn& t, const std::string& key, std::optional<uint64_t>& out) const {
    {
      std::shared_lock lock(ids_mutex);
      if (auto it = ids.find(key); it != ids.end()) {
        out = it->second;
        return {};
      }
    }
    std::optional<topic_record> rec;
    status s = t.load_topic(key, rec);
    if (rec) {
      out = rec->id;
      remember(key, rec->id);
    }
    return s;
  }

  status append(std::span<const append_batch> batches) {
    log_txn t(env, false);
    uint64_t next_id = 0;
    status s = t.started().ok() ? t.load_next_id(next_id) : t.started();
    const uint64_t first_new_id = next_id;
    created_topics created;
    for (auto b = batches.begin(); s.ok() && b != batches.end(); ++b) {
      if (b->events.empty()) {
        continue; // nothing to store and no seq to check
      }
      s = check_names(b->tenant, b->topic);
      if (s.ok()) {
        s = t.put_batch(*b, next_id, created);
      }
    }
    if (s.ok() && next_id != first_new_id) {
      s = t.store_next_id(next_id);
    }
    if (s.ok()) {
      s = t.commit();
    }
    if (!s.ok()) {
      return s; // the txn is aborted: nothing of this call is visible
    }
    // Only committed topics enter the cache: an aborted txn's ids are handed out again.
    for (const auto& [key, id] : created) {
      remember(key, id);
    }
    return s;
  }

  status read(std::string_view tenant, std::string_view topic, uint64_t from_seq, std::size_t limit,
              std::vector<event_record>& out, std::size_t max_bytes) const {
    status s = check_names(tenant, topic);
    if (!s.ok() || limit == 0) {
      return s;
    }
    log_txn t(env, true);
    if (!t.started().ok()) {
      return t.started();
    }
    std::optional<uint64_t> id;
    s = topic_id(t, topic_key(tenant, topic), id);
    if (!s.ok() || !id) {
      return s;
    }
    // Seq 0 is never stored, so from_seq 0 starts at seq 1 without special casing.
    return t.read_events(*id, from_seq, limit, max_bytes, out);
  }

  /// The stored record, read in its own transaction; `out` empty for an unknown topic.
  status load(std::string_view tenant, std::string_view topic,
              std::optional<topic_record>& out) const {
    status s = check_names(tenant, topic);
    if (!s.ok()) {
      return s;
    }
    log_txn t(env, true);
    return t.started().ok() ? t.load_topic(topic_key(tenant, topic), out) : t.started();
  }

  /// Binary search over [first_seq, last_seq]: ts is non-decreasing within a topic.
  status first_seq_since(std::string_view tenant, std::string_view topic, int64_t since_ms,
                         uint64_t& out) const {
    out = 1;
    status s = check_names(tenant, topic);
    if (!s.ok()) {
      return s;
    }
    log_txn t(env, true);
    std::optional<topic_record> rec;
    s = t.started().ok() ? t.load_topic(topic_key(tenant, topic), rec) : t.started();
    if (!s.ok() || !rec) {
      return s;
    }
    uint64_t lo = rec->first_seq == 0 ? rec->last_seq + 1 : rec->first_seq;
    uint64_t hi = rec->last_seq + 1;
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      int64_t ts = 0;
      if (s = t.ts_at(rec->id, mid, ts); !s.ok()) {
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
};

event_store::event_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

event_store::~event_store() = default;

std::unique_ptr<event_store> event_store::open(const store_config& cfg, std::string& error) {
  auto p = std::make_unique<impl>();
  if (status s = p->env.open(cfg); !s.ok()) {
    error = s.message;
    return nullptr;
  }
  return std::unique_ptr<event_store>(new event_store(std::move(p)));
}

status event_store::append(std::span<const append_batch> batches) {
  return batches.empty() ? status{} : impl_->append(batches);
}

status event_store::sync() {
  if (int rc = mdb_env_sync(impl_->env.get(), 1); rc != 0) {
    return lmdb_error(rc, "mdb_env_sync");
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
