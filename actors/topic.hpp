#pragma once
// The topic actor: the one writer of a topic. Protocol: topic_actor (interfaces.hpp).
// It learns its last seq from the store writer (in order with any append a previous
// incarnation left queued), stages publishes, keeps one batch in flight to the writer,
// and fans each durable batch out to every subscriber as one shared message.

#include "actors/interfaces.hpp"

#include <string>

namespace switchyard::actors {

struct node_context;

/// Spawns a topic monitored by `supervisor`.
topic_actor spawn_topic(caf::local_actor* supervisor, node_context& ctx, std::string tenant,
                        std::string topic);

} // namespace switchyard::actors
