#pragma once
// The message protocols of the node's actors as CAF typed interfaces, so the compiler
// checks every send and handler against them. Connections stay dynamically typed:
// they take frames from the socket side and event batches from topics.

#include "actors/atoms.hpp"
#include "actors/messages.hpp"
#include "actors/tenant_guard.hpp"
#include "protocol/message.hpp"
#include "store/event_store.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/local_actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/response_promise.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_response_promise.hpp>

namespace switchyard::actors {

/// Where a publisher's reply goes: what a response promise needs, so that whichever
/// actor ends up answering (the store writer, or the topic as it terminates) makes its
/// own promise. A promise made by the topic and delivered by the writer would read the
/// topic's scheduling state from the writer's thread (a data race ThreadSanitizer found).
struct reply_address {
  caf::strong_actor_ptr source;
  caf::response_promise::forwarding_stack stages;
  caf::message_id id;
  uint32_t events = 1;  ///< how many consecutive events of the batch the reply covers
  uint32_t refused = 0; ///< events of its publish_batch after those, not taken (full)
  bool awaited = false; ///< a client waits for the answer (publish_batch::awaited)
  int lag_level = 0;    ///< publish_acks::lag_level

  /// The promise to answer it, for `self` (the calling actor) to deliver.
  caf::response_promise promise(caf::local_actor* self) const {
    return {caf::strong_actor_ptr{self->ctrl()}, source, stages, id};
  }
};

/// A replicated topic's commit: the stored batch (duplicates left out, renumbered) and
/// the answers its publishers get once the shard's followers have it, one per reply.
struct held_commit {
  store::append_batch batch;
  std::vector<reply_address> replies;
  std::vector<publish_acks> acks;
};

/// One writer per topic: assigns seq, appends through the store writer, fans out.
///   publish     (from connections) a run of events -> one (seq, dup) each once all are
///               durable | failure
///   subscribe   the sender gets (events_atom, event_batch_ptr) for every later batch;
///               -> the durable last seq (events after it arrive as batches)
///   promote     the sender's socket gets live events written directly (direct_delivery)
///               from the next batch on, if it has every event up to the durable seq;
///               past limits.outbound_queue queued it gets (demoted_atom, topic,
///               generation) and the batches again
///   unsub       the sender stops receiving batches -> true (after its last direct write);
///               its presence membership leaves
///   leave       (from a connection going away) its presence membership lingers for
///               the given ms (0: leaves now), so that a resume may take it over
///   presence    list: members after a conn, at most n -> presence_page;
///               (from itself) push the presence changes of the last presence.batch_ms
///               to the members, as (presence_atom, topic, presence_push_ptr)
///   sweep       (from itself) lingering members whose time came leave
///   committed   (from the writer) a batch is durable: fan it out; with replication
///               (held_commit) once the shard's followers stored it too, then answer
///               its publishers
///   retry       (from itself) copy the held batch to followers that did not take it yet
///   flush       (from itself) send what is staged to the writer, once the publishes
///               already in the mailbox have been staged too
///   refused     (from the writer) the in-flight batch was not stored; what the store holds
///   attach      (from a queue group) the sender gets (advanced_atom, last seq, the
///               events) after every commit -> the durable last seq
///   detach      the sender stops getting them
///   slowdown    (from an attached queue group) its lag's slow_down level, when it
///               changed: publishers hear the highest one with their acks
///   count       -> number of subscribers
///   crash       fault injection for supervision tests: throws
///   passivate   (from its supervisor) stop now if idle
///   tick        (from the supervisor) stop if idle for topics.idle_ms
using topic_actor = caf::typed_actor<
    caf::replies_to<publish_atom, publish_batch_ptr>::with<publish_acks>,
    caf::replies_to<subscribe_atom, protocol::encoding, presence_join>::with<uint64_t>,
    caf::reacts_to<leave_atom, int64_t>,
    caf::replies_to<presence_atom, uint64_t, uint32_t>::with<presence_page>,
    caf::reacts_to<presence_atom>, caf::reacts_to<sweep_atom>,
    caf::reacts_to<promote_atom, direct_delivery>, caf::replies_to<unsub_atom>::with<bool>,
    caf::replies_to<attach_atom>::with<uint64_t>, caf::reacts_to<detach_atom>,
    caf::reacts_to<slow_atom, int32_t>, caf::reacts_to<committed_atom, store::append_batch>,
    caf::reacts_to<committed_atom, held_commit>, caf::reacts_to<retry_atom>,
    caf::reacts_to<flush_atom>, caf::reacts_to<refused_atom, store::topic_info>,
    caf::replies_to<count_atom>::with<uint64_t>, caf::reacts_to<crash_atom>,
    caf::reacts_to<passivate_atom>, caf::reacts_to<tick_atom>>;

/// A topic's batch for the store writer, with where the publishers' replies go: the
/// writer answers them itself once the commit returned, so a topic that dies meanwhile
/// costs no publisher a truthful answer.
struct append_request {
  store::append_batch batch;
  /// One per publish_batch, in order, each covering its events: publish_acks or an error.
  std::vector<reply_address> replies;
  topic_actor topic; ///< told `committed` or `refused` afterwards
  /// Replication (cluster.replication > 1): the replies go to the topic with the commit
  /// (held_commit), which gives them once the shard's followers stored the batch too.
  bool hold_replies = false;
  /// A follower's copy of its owner's batch (batch.from is a replica origin), from the
  /// cluster peer: no replies, no topic; answered with the topic's last seq once committed
  /// (also when refused for a gap: then the owner sends what comes first).
  caf::typed_response_promise<uint64_t> replica;
};

/// The one actor that writes the store (group commit), on its own thread.
///   append    commit with whatever else is waiting; answers the promises, tells the topic
///   recover   -> the topic's stored range, after every append queued before it
///   replicate a replica batch (another node's events, their seqs) -> the topic's last seq
///             after the commit
///   group     a queue group's state to store with the next commit -> true once durable
///   checkpoint  an agent session's record (progress, maybe a snapshot), likewise
///   flush     (from itself) commit what is pending
///   sync      (from itself) with store.sync async: sync the commits so far (on a syncer
///             actor with its own thread; the writer goes on committing meanwhile)
///   sweep     (from itself) a retention sweeper step is due; it runs inside the next
///             commit (alone when nothing else is pending)
///   purge     delete a topic's stored events (up to its last seq now), idem entries and
///             queue groups, in steps between commits -> what went, once all of it did
///   purge     (from itself) the next step of the oldest purge
///   shutdown  commit what is pending and quit
using store_writer_actor = caf::typed_actor<
    caf::reacts_to<append_atom, append_request>,
    caf::replies_to<recover_atom, std::string, std::string>::with<store::topic_info>,
    caf::replies_to<replicate_atom, store::append_batch>::with<uint64_t>,
    caf::replies_to<group_atom, store::group_write>::with<bool>,
    caf::replies_to<checkpoint_atom, store::agent_write>::with<bool>, caf::reacts_to<flush_atom>,
    caf::reacts_to<sweep_atom>, caf::reacts_to<sync_atom>,
    caf::replies_to<purge_atom, std::string, std::string>::with<topic_purged>,
    caf::reacts_to<purge_atom>, caf::reacts_to<shutdown_atom>>;

/// Reads the store off the scheduler threads (each reader is a detached actor).
///   read   -> the events, history page or seq asked for; a busy store is retried
///   retry  (from itself) try a read again after a pause
using store_reader_actor = caf::typed_actor<
    caf::replies_to<read_atom, read_request>::with<read_result>,
    caf::reacts_to<retry_atom, read_request, caf::typed_response_promise<read_result>, int32_t>>;

/// Starts children on demand by key, restarts crashed ones (keyed_supervisor.hpp).
///   lookup    -> the running child (waits while a restart is due) | failure
///   restart   (from itself) a restart is due
///   tick      (from itself) pass `tick` on to every running child
///   count     -> children running
///   shutdown  stops every child -> true once all are gone, then quits
///   purge     holds a key prefix: stops its running children with the reason given (as
///             an error the connections pass on), starts none until `release` -> true
///             once none of them runs
///   release   lifts the hold of a prefix
template <class Child>
using supervisor_actor =
    caf::typed_actor<caf::replies_to<lookup_atom, std::string>::with<Child>,
                     caf::reacts_to<restart_atom, std::string>, caf::reacts_to<tick_atom>,
                     caf::replies_to<count_atom>::with<uint64_t>,
                     caf::replies_to<shutdown_atom>::with<bool>,
                     caf::replies_to<purge_atom, std::string, std::string>::with<bool>,
                     caf::reacts_to<release_atom, std::string>>;

/// Topics by key (registry.hpp: topic_key(tenant, topic)).
using registry_actor = supervisor_actor<topic_actor>;

/// A queue group of one topic (queue_group.hpp): hands each event to one member at a
/// time, redelivers, dead-letters, and keeps its state in the store.
///   join      the sender becomes a member -> the topic's last seq and the backlog |
///             bad_request (`from` for a group that exists)
///   leave     the sender stops being a member; what it held waits again -> true
///   ack       the sender acks seqs (a run of one frame) -> the positions of the seqs it
///             did not hold (not_found), once the acks are durable
///   nack      the sender gives a seq back (delay_ms, reason) -> true | not_found
///   advanced  (from the topic) events up to this seq are durable; these are the newest
///   flush     (from itself) hand out what waits, after the messages already queued
///   retry     (from itself) an ack_wait or nack delay is due
///   passivate / tick  (from its supervisor) stop when idle; delete after groups.inactive_ms
using group_actor =
    caf::typed_actor<caf::replies_to<join_atom, group_join>::with<group_joined>,
                     caf::replies_to<leave_atom>::with<bool>,
                     caf::replies_to<ack_atom, std::vector<uint64_t>>::with<std::vector<uint64_t>>,
                     caf::replies_to<nack_atom, uint64_t, int64_t, std::string>::with<bool>,
                     caf::reacts_to<advanced_atom, uint64_t, committed_events_ptr>,
                     caf::reacts_to<flush_atom>, caf::reacts_to<retry_atom>,
                     caf::reacts_to<passivate_atom>, caf::reacts_to<tick_atom>>;

/// Queue groups by key (queue_group.hpp: group_key(tenant, topic, group)).
using group_registry_actor = supervisor_actor<group_actor>;

/// A tenant's answer to a connection that wants in.
struct tenant_welcome {
  std::optional<credit_grant> refused; ///< throttled (max_connections) or circuit_open
  tenant_limits limits;
};

/// One tenant (tenant.hpp): its limits, counts, publish credit, slow_down level and
/// circuit breaker. Connections it took get (slow_atom, level, retry_after_ms, reason),
/// (limits_atom, tenant_limits) after a reload and (revoke_atom, retry_after_ms) when
/// its breaker opens.
///   join       the sender (a connection) wants in -> its limits, or why not; taken ones
///              are monitored, and what they held is released when they go. With
///              `rejoin` (the connection was in before this tenant restarted) it is
///              taken whatever the limits, so the count is right again
///   crash      fault injection for supervision tests: throws
///   lease      publish credit (need events, want events, need bytes, want bytes)
///   subscribe  the sender wants one more subscription (max_subscriptions) -> whether
///   count      the sender now holds this many subscriptions
///   refused    a publish of the sender failed for want of room (breaker input)
///   passivate / tick  (from its supervisor) stop when idle; account the last tick
using tenant_actor = caf::typed_actor<
    caf::replies_to<join_atom, bool>::with<tenant_welcome>, caf::reacts_to<crash_atom>,
    caf::replies_to<lease_atom, int64_t, int64_t, int64_t, int64_t>::with<credit_grant>,
    caf::replies_to<subscribe_atom>::with<bool>, caf::reacts_to<count_atom, int64_t>,
    caf::reacts_to<refused_atom>, caf::reacts_to<passivate_atom>, caf::reacts_to<tick_atom>>;

/// Tenants by name.
using tenant_registry_actor = supervisor_actor<tenant_actor>;

} // namespace switchyard::actors

// Local-only message types: they never cross the middleman, so they need no
// serialization (CAF 0.17 asks either for an inspect() or for this explicit allowance).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::publish_batch_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::publish_acks)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::event_batch_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::committed_events_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::direct_delivery)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::read_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::group_join)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::group_joined)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::queued_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::read_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::append_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::held_commit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::store::append_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::store::group_write)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::store::agent_write)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::store::topic_info)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::topic_purged)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::store::status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::protocol::encoding)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::tenant_welcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::credit_grant)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::tenant_limits)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(caf::typed_response_promise<switchyard::actors::read_result>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::presence_join)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::presence_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::presence_push_ptr)
