#pragma once
// Message tags between Switchyard actors (CAF 0.17 atoms: at most 10 characters), and
// the local-only value types allowed in messages.

#include "actors/messages.hpp"
#include "store/event_store.hpp"
#include "protocol/message.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

// These never cross the middleman, so they need no serialization (CAF 0.17 asks either
// for an inspect() or for this explicit allowance).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::publish_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::event_batch_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::store::append_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::protocol::encoding)

namespace switchyard::actors {

using publish_atom = caf::atom_constant<caf::atom("publish")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsub_atom = caf::atom_constant<caf::atom("unsub")>;
using events_atom = caf::atom_constant<caf::atom("events")>;
using append_atom = caf::atom_constant<caf::atom("append")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using frame_atom = caf::atom_constant<caf::atom("frame")>;
using written_atom = caf::atom_constant<caf::atom("written")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using crash_atom = caf::atom_constant<caf::atom("crash")>;
using count_atom = caf::atom_constant<caf::atom("count")>;

} // namespace switchyard::actors
