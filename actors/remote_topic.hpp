#pragma once
// In a cluster, what stands for a topic whose shard another node owns (docs/cluster.md):
// it speaks the topic protocol (topic_actor) to the connections, forwards their publishes
// to the owner's peer actor over the CAF middleman and answers with the owner's acks.
// Subscribe, presence and queue groups are refused, naming the owner. It stops when the
// shard moves here (the connection's retry then finds the local topic) and when idle.

#include "actors/interfaces.hpp"

#include <string>

namespace switchyard::actors {

struct node_context;

topic_actor spawn_remote_topic(caf::local_actor* supervisor, node_context& ctx, std::string tenant,
                               std::string topic);

} // namespace switchyard::actors
