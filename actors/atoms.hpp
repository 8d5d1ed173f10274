#pragma once
// Message tags between Switchyard actors (CAF 0.17 atoms: at most 10 characters).

#include <caf/atom.hpp>

namespace switchyard::actors {

using ack_atom = caf::atom_constant<caf::atom("ack")>;
using advanced_atom = caf::atom_constant<caf::atom("advanced")>;
using append_atom = caf::atom_constant<caf::atom("append")>;
using attach_atom = caf::atom_constant<caf::atom("attach")>;
using checkpoint_atom = caf::atom_constant<caf::atom("checkpoint")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using committed_atom = caf::atom_constant<caf::atom("committed")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using crash_atom = caf::atom_constant<caf::atom("crash")>;
using demoted_atom = caf::atom_constant<caf::atom("demoted")>;
using detach_atom = caf::atom_constant<caf::atom("detach")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using events_atom = caf::atom_constant<caf::atom("events")>;
using fire_atom = caf::atom_constant<caf::atom("fire")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using frame_atom = caf::atom_constant<caf::atom("frame")>;
using group_atom = caf::atom_constant<caf::atom("group")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
using lease_atom = caf::atom_constant<caf::atom("lease")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using limits_atom = caf::atom_constant<caf::atom("limits")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using nack_atom = caf::atom_constant<caf::atom("nack")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using promote_atom = caf::atom_constant<caf::atom("promote")>;
using presence_atom = caf::atom_constant<caf::atom("presence")>;
using purge_atom = caf::atom_constant<caf::atom("purge")>;
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using queued_atom = caf::atom_constant<caf::atom("queued")>;
using read_atom = caf::atom_constant<caf::atom("read")>;
using recover_atom = caf::atom_constant<caf::atom("recover")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using refused_atom = caf::atom_constant<caf::atom("refused")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
/// Replication between the nodes of a cluster (docs/cluster.md).
using replicate_atom = caf::atom_constant<caf::atom("replicate")>;
using pull_atom = caf::atom_constant<caf::atom("pull")>;
using revoke_atom = caf::atom_constant<caf::atom("revoke")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using slow_atom = caf::atom_constant<caf::atom("slowdown")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using token_atom = caf::atom_constant<caf::atom("token")>;
using unsub_atom = caf::atom_constant<caf::atom("unsub")>;
using wake_atom = caf::atom_constant<caf::atom("wake")>;
using written_atom = caf::atom_constant<caf::atom("written")>;

} // namespace switchyard::actors
