#pragma once
// A node's endpoint for the other nodes of its cluster, published on cluster.peer_port
// over the CAF middleman (docs/cluster.md). It takes publishes forwarded by nodes that
// do not own a topic's shard and hands them to the local topic, which must be owned
// here: a forward never travels a second hop.
//   forward  forwarded_publish -> forwarded_acks once stored | failure (not_owner...)

#include <caf/actor.hpp>

namespace caf {
class actor_system;
}

namespace switchyard::actors {

struct node_context;

caf::actor spawn_cluster_peer(caf::actor_system& sys, node_context& ctx);

} // namespace switchyard::actors
