#pragma once
// A node's endpoint for the other nodes of its cluster, published on cluster.peer_port
// over the CAF middleman (docs/cluster.md). It takes publishes forwarded by nodes that
// do not own a topic's shard and hands them to the local topic, which must be owned
// here: a forward never travels a second hop. With replication it stores the copies
// owners send and answers the catch-up of topics starting elsewhere; the local topics
// reach the other members' peers through it (it keeps one connection to each).
//   forward    forwarded_publish -> forwarded_acks once stored | failure (not_owner...)
//   replicate  replica_batch (from an owner) -> this store's last seq of the topic once
//              stored (or, when the batch would leave a gap, unchanged) | failure: an
//              older epoch than this node knows for the shard, or the shard is this node's
//   pull       catch_up_request -> replica_batch: what this store holds past after_seq
//              (from `overlap` events before it), a page at a time; empty when nothing
//   replicate  (from a local topic) host:port, replica_batch, timeout ms: the same, to
//              the member there -> its answer
//   pull       (from a local topic) host:port, catch_up_request, timeout ms -> its answer

#include <caf/actor.hpp>

namespace caf {
class actor_system;
}

namespace switchyard::actors {

struct node_context;

caf::actor spawn_cluster_peer(caf::actor_system& sys, node_context& ctx);

} // namespace switchyard::actors
