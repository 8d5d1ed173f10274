#pragma once
// The topic actor: the one writer of a topic. It assigns seq, appends to the store
// through the store writer (one batch in flight, the rest staged: backlog batching),
// and once a batch is durable replies to the publishers and sends the batch to every
// subscriber as one shared message.
//
// Protocol (all from connection actors, or tests):
//   (publish_atom, publish_request)     request when wants_reply: -> (seq, dup) | error
//   (subscribe_atom, encoding)          request -> durable seq; the sender then gets
//                                       (events_atom, event_batch_ptr) for later seqs
//   (unsub_atom)                        the sender stops receiving events
//   (count_atom)                        request -> number of subscribers
//   (crash_atom)                        fault injection for supervision tests: throws

#include "actors/node_context.hpp"

#include <string>

#include <caf/fwd.hpp>

namespace switchyard::actors {

/// Spawns a topic linked to `supervisor`; it rebuilds its state from the store.
caf::actor spawn_topic(caf::event_based_actor* supervisor, node_context& ctx, std::string tenant,
                       std::string topic);

} // namespace switchyard::actors
