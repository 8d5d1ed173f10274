#pragma once
// Admin purges (PROTOCOL.md, HTTP API: DELETE /admin/v1/topics/{topic} and
// /admin/v1/tenants/{tenant}), callable without CAF. A purge stops the queue groups of
// what it purges (their members get `unsubscribed`) and starts none meanwhile, has the
// store writer delete the stored events, idem entries and group states in its order with
// the appends, then lets groups start again. Topics keep their last seq: no seq is ever
// handed out twice, and a replay from a purged seq is answered `expired`.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace switchyard::actors {

struct node_context;

struct purge_outcome {
  bool found = false;               ///< anything of it was stored
  uint64_t topics = 0;              ///< stored topics purged
  uint64_t events = 0;              ///< events deleted
  uint64_t idem = 0;                ///< idem entries deleted
  uint64_t groups = 0;              ///< queue groups deleted
  uint64_t last_seq = 0;            ///< a topic purge: the topic's last seq, kept
  std::optional<std::string> error; ///< it failed part way (the store cannot write): retry
};

/// Called once with the outcome, from an actor thread.
using purge_done = std::function<void(purge_outcome)>;

void purge_topic(node_context& ctx, std::string tenant, std::string topic, purge_done done);

/// Purges every stored topic of the tenant.
void purge_tenant(node_context& ctx, std::string tenant, purge_done done);

} // namespace switchyard::actors
