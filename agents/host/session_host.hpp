#pragma once
// The node side of agent sessions: one actor per live (tenant, kind, session), under a
// keyed supervisor, fed from its inbox topic `agents/<kind>/<session>` in seq order.
//
// A topic actor of an inbox tells the host's router (node_context::agents) after every
// commit; the router looks the session up (starting it on its first event, or again
// after it passivated or crashed) and wakes it; the session reads what it has not
// handled from the store, runs the kind's handler (session_engine) and publishes the
// effects, each with its idempotency token, before it handles the next event. A session
// that starts rebuilds itself by handling its inbox from the first stored event: what it
// publishes again is dropped as a duplicate by the store's idempotency index.

#include "switchyard/agents/detail/kind_entry.hpp"

#include <memory>
#include <vector>

#include <caf/actor.hpp>

namespace caf {
class actor_system;
}
namespace switchyard::actors {
struct node_context;
}

namespace switchyard::agents::host {

struct agent_host {
  caf::actor router;   ///< takes (wake_atom, topic_key, seq) from inbox topics
  caf::actor sessions; ///< the sessions' supervisor (supervisor_actor): shutdown, count
};

/// Spawns the router and the sessions' supervisor for `kinds`; the router wakes every
/// stored inbox of a registered kind once at start, so timers and calls that were armed
/// when the node stopped come due again.
agent_host spawn_agent_host(caf::actor_system& sys, actors::node_context& ctx,
                            std::vector<std::shared_ptr<const detail::kind_entry>> kinds);

} // namespace switchyard::agents::host
