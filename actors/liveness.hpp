#pragma once
// Whether an actor handle still points at a running actor.

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>

namespace switchyard::actors {

/// True once the actor has terminated (or the handle is null). CAF sets the flag before
/// it notifies monitors and links, so a handle cached by anyone can be checked before
/// it is used: the `down_msg`s of one death reach its observers in
/// no fixed order. Works for caf::actor and typed handles alike.
template <class Handle> bool is_terminated(const Handle& handle) {
  return !handle || caf::actor_cast<caf::abstract_actor*>(handle)->getf(
                        caf::abstract_actor::is_terminated_flag);
}

} // namespace switchyard::actors
