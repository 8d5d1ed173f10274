#pragma once
// Queue groups (PROTOCOL.md, Semantics, Queue): one actor per (tenant, topic, group),
// started on demand and restarted after a crash by a keyed supervisor like topics.
// A group reads its topic's events from the store after its floor, hands each to one
// member at a time (group_window), and writes its state through the store writer in
// the same group commits as the events; acks are answered once their state is durable.
// The topic only tells it how far the durable log reaches, so a slow or crashed group
// never slows the topic's fanout.

#include "actors/interfaces.hpp"

#include <string>
#include <string_view>

namespace switchyard::actors {

struct node_context;

group_registry_actor spawn_group_registry(caf::actor_system& sys, node_context& ctx);

/// The registry's key for a group: topic_key(tenant, topic), '\n' (never in a topic
/// name), then the group name.
std::string group_key(std::string_view tenant, std::string_view topic, std::string_view group);

/// Events a group holds after its floor (read ahead, in flight or done out of order).
inline constexpr std::size_t group_window_capacity = 4096;

} // namespace switchyard::actors
