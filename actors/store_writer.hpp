#pragma once
// The one actor that writes the event store (group commit).

#include <caf/fwd.hpp>

namespace switchyard::store {
class event_store;
}
namespace switchyard::actors {
struct node_context;
}

namespace switchyard::actors {

/// Spawns the writer on its own thread (detached), so fsync never blocks a scheduler
/// worker. Protocol: request (append_atom, store::append_batch) -> the same batch once
/// it is durable, or an error; (shutdown_atom) commits what is pending and quits.
caf::actor spawn_store_writer(caf::actor_system& sys, node_context& ctx);

} // namespace switchyard::actors
