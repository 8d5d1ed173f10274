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

} // namespace switchyard::actors
