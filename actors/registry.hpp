#pragma once
// The topic registry and supervisor: starts topic actors on demand, links them, and
// restarts a crashed one with exponential backoff and bounded intensity. A crashed
// topic's subscribers re-subscribe through it (connection actors monitor topics).
//
// Protocol:
//   (lookup_atom, tenant, topic)   request -> caf::actor (waits while a restart is due;
//                                  an error while the topic exceeded its restart intensity)
//   (shutdown_atom)                request -> stops every topic, replies once all are gone,
//                                  then quits

#include "actors/node_context.hpp"

#include <string>
#include <string_view>

#include <caf/fwd.hpp>

namespace switchyard::actors {

caf::actor spawn_registry(caf::actor_system& sys, node_context& ctx);

/// The registry's key for a tenant's topic; the length prefix keeps tenants apart
/// whatever bytes their names hold.
std::string topic_key(std::string_view tenant, std::string_view topic);

} // namespace switchyard::actors
