#pragma once
// Store readers: detached actors (one thread each) that read LMDB for connections
// (replay, history, since_ms look-ups), so a cold-page read never stalls the actors
// sharing a scheduler worker. A busy store (no reader slot, no stable snapshot) is
// retried with a short backoff, never reported as a gap. Protocol: store_reader_actor.

#include "actors/interfaces.hpp"

#include <cstddef>
#include <vector>

namespace switchyard::actors {

struct node_context;

std::vector<store_reader_actor> spawn_store_readers(caf::actor_system& sys, node_context& ctx,
                                                    std::size_t count);

/// The reader serving connection `conn_id` (each connection always uses the same one).
store_reader_actor reader_for(const node_context& ctx, uint64_t conn_id);

} // namespace switchyard::actors
