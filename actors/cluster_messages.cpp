#include "actors/cluster_messages.hpp"

namespace switchyard::actors {

replica_batch to_replica(const store::append_batch& batch, int64_t epoch, bool from_start) {
  replica_batch out;
  out.tenant = batch.tenant;
  out.topic = batch.topic;
  out.epoch = epoch;
  out.from_start = from_start;
  const auto n = batch.events.size();
  out.seq.reserve(n);
  out.ts_ms.reserve(n);
  out.key.reserve(n);
  out.idem.reserve(n);
  out.data.reserve(n);
  out.ttl_ms.reserve(n);
  for (const auto& ev : batch.events) {
    out.seq.push_back(ev.seq);
    out.ts_ms.push_back(ev.ts_ms);
    out.key.push_back(ev.key);
    out.idem.push_back(ev.idem);
    out.data.push_back(ev.data);
    out.ttl_ms.push_back(ev.ttl_ms);
  }
  return out;
}

std::optional<store::append_batch> to_append_batch(replica_batch&& batch) {
  const auto n = batch.seq.size();
  if (batch.ts_ms.size() != n || batch.key.size() != n || batch.idem.size() != n ||
      batch.data.size() != n || batch.ttl_ms.size() != n) {
    return std::nullopt;
  }
  store::append_batch out;
  out.tenant = std::move(batch.tenant);
  out.topic = std::move(batch.topic);
  out.from = batch.from_start ? store::append_batch::origin::replica_start
                              : store::append_batch::origin::replica;
  out.events.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.events.push_back({batch.seq[i], batch.ts_ms[i], std::move(batch.key[i]),
                          std::move(batch.idem[i]), std::move(batch.data[i]), batch.ttl_ms[i]});
  }
  return out;
}

replica_group to_replica(const store::group_write& g, int64_t epoch) {
  replica_group out;
  out.tenant = g.tenant;
  out.topic = g.topic;
  out.group = g.group;
  out.epoch = epoch;
  out.deleted = !g.state;
  if (g.state) {
    out.floor = g.state->floor;
    out.created_ms = g.state->created_ms;
    out.active_ms = g.state->active_ms;
    for (const auto& p : g.state->pending) {
      out.pending_seq.push_back(p.seq);
      out.pending_attempts.push_back(p.attempts);
    }
    out.done = g.state->done;
  }
  return out;
}

std::optional<store::group_write> to_group_write(replica_group&& g) {
  if (g.pending_seq.size() != g.pending_attempts.size()) {
    return std::nullopt;
  }
  store::group_write out{std::move(g.tenant), std::move(g.topic), std::move(g.group), {}};
  if (!g.deleted) {
    store::group_state state;
    state.floor = g.floor;
    state.created_ms = g.created_ms;
    state.active_ms = g.active_ms;
    for (std::size_t i = 0; i < g.pending_seq.size(); ++i) {
      state.pending.push_back({g.pending_seq[i], g.pending_attempts[i]});
    }
    state.done = std::move(g.done);
    out.state = std::move(state);
  }
  return out;
}

replica_agent to_replica(const store::agent_write& a, int64_t epoch) {
  replica_agent out;
  out.tenant = a.tenant;
  out.topic = a.topic;
  out.epoch = epoch;
  out.snapshot_seq = a.progress.snapshot_seq;
  out.applied_seq = a.progress.applied_seq;
  out.digests = a.progress.digests;
  out.next_due_ms = a.progress.next_due_ms;
  out.has_snapshot = a.snapshot.has_value();
  if (a.snapshot) {
    out.snapshot_at = a.snapshot->seq;
    out.snapshot_bytes = a.snapshot->bytes;
  }
  return out;
}

store::agent_write to_agent_write(replica_agent&& a) {
  store::agent_write out;
  out.tenant = std::move(a.tenant);
  out.topic = std::move(a.topic);
  out.progress = {a.snapshot_seq, a.applied_seq, std::move(a.digests), a.next_due_ms};
  if (a.has_snapshot) {
    out.snapshot = store::agent_snapshot{a.snapshot_at, std::move(a.snapshot_bytes)};
  }
  return out;
}

} // namespace switchyard::actors
