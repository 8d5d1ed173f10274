#pragma once
// Whether an actor handle still points at a running actor.

#include <caf/abstract_actor.hpp>
#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>

namespace switchyard::actors {

/// True once the actor has terminated. CAF sets the flag before it notifies monitors
/// and links, so a handle cached by anyone can be checked before it is used: a
/// `down_msg` and the registry's `exit_msg` for the same death arrive in no fixed order.
inline bool is_terminated(const caf::actor& handle) {
  return !handle || caf::actor_cast<caf::abstract_actor*>(handle)->getf(
                        caf::abstract_actor::is_terminated_flag);
}

} // namespace switchyard::actors
