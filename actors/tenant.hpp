#pragma once
// Tenants as actors (PROTOCOL.md, Errors and slow_down): one per active tenant, started
// on demand by a keyed supervisor. It counts the tenant's connections and
// subscriptions against its limits, leases publish credit to its connections in
// batches (so no publish waits for it), sets the slow_down level and runs the circuit
// breaker. Limits come from node_context::tenant_policy and follow a reload within a
// tick.

#include "actors/interfaces.hpp"

namespace switchyard::actors {

struct node_context;

tenant_registry_actor spawn_tenant_registry(caf::actor_system& sys, node_context& ctx);

} // namespace switchyard::actors
