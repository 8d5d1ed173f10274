#pragma once
// The one actor that writes the event store (group commit), on its own thread so that
// fsync never blocks a scheduler worker. Protocol: store_writer_actor (interfaces.hpp).

#include "actors/interfaces.hpp"

namespace switchyard::actors {

struct node_context;

store_writer_actor spawn_store_writer(caf::actor_system& sys, node_context& ctx);

} // namespace switchyard::actors
