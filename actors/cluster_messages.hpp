#pragma once
// What nodes of a cluster send each other over the CAF middleman (docs/cluster.md): plain
// serializable structs, registered under these names with every node's actor system
// (register_cluster_messages), since BASP names the type of every message it carries.

#include "store/event_store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

namespace switchyard::actors {

/// Tags of the node-to-node messages (kept apart from atoms.hpp: only the cluster's
/// translation units use them).
using forward_atom = caf::atom_constant<caf::atom("forward")>;

/// A run of publishes to one topic, taken by a node that does not own the topic's shard
/// and sent to the owner's peer actor. Columns rather than structs: one vector a field.
struct forwarded_publish {
  std::string tenant;
  std::string topic;
  std::vector<std::string> data; ///< MessagePack bytes, one an event
  std::vector<std::string> key;
  std::vector<std::string> idem;
  std::vector<int64_t> ttl_ms;
  bool awaited = false; ///< a client waits for an answer (no store.commit_wait_us)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forwarded_publish& x) {
  return f(caf::meta::type_name("forwarded_publish"), x.tenant, x.topic, x.data, x.key, x.idem,
           x.ttl_ms, x.awaited);
}

/// The owner's answer: one entry an event, as publish_acks.
struct forwarded_acks {
  std::vector<uint64_t> seq;
  std::vector<uint8_t> dup;
  std::vector<uint8_t> refused;
  int32_t lag_level = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forwarded_acks& x) {
  return f(caf::meta::type_name("forwarded_acks"), x.seq, x.dup, x.refused, x.lag_level);
}

/// Stored events of one topic, under their seqs: what an owner sends its followers after
/// each commit (replication), and a page of a member's store a topic catches up from.
struct replica_batch {
  std::string tenant;
  std::string topic;
  int64_t epoch = 0;       ///< the sender's epoch of the shard (0 in a catch-up page)
  bool from_start = false; ///< begins at the sender's oldest stored event of the topic
  std::vector<uint64_t> seq;
  std::vector<int64_t> ts_ms;
  std::vector<std::string> key;
  std::vector<std::string> idem;
  std::vector<std::string> data;
  std::vector<int64_t> ttl_ms;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, replica_batch& x) {
  return f(caf::meta::type_name("replica_batch"), x.tenant, x.topic, x.epoch, x.from_start, x.seq,
           x.ts_ms, x.key, x.idem, x.data, x.ttl_ms);
}

/// A topic starting on a new owner asks each other member for the events it holds past
/// `after_seq`, from `overlap` events before it on: the asker's last events may be a tail
/// its last owner never replicated, which the longer log replaces.
struct catch_up_request {
  std::string tenant;
  std::string topic;
  uint64_t after_seq = 0;
  uint64_t overlap = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, catch_up_request& x) {
  return f(caf::meta::type_name("catch_up_request"), x.tenant, x.topic, x.after_seq, x.overlap);
}

/// A queue group's state as the owner stored it (its followers store it too, so a new
/// owner redelivers only what was not acknowledged). `deleted`: the group was removed.
struct replica_group {
  std::string tenant;
  std::string topic;
  std::string group;
  int64_t epoch = 0;
  bool deleted = false;
  uint64_t floor = 0;
  int64_t created_ms = 0;
  int64_t active_ms = 0;
  std::vector<uint64_t> pending_seq;
  std::vector<uint32_t> pending_attempts;
  std::vector<uint64_t> done;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, replica_group& x) {
  return f(caf::meta::type_name("replica_group"), x.tenant, x.topic, x.group, x.epoch, x.deleted,
           x.floor, x.created_ms, x.active_ms, x.pending_seq, x.pending_attempts, x.done);
}

/// An agent session's record as the owner stored it (progress, and a snapshot when one
/// was taken), so the session resumes on a new owner where it stood.
struct replica_agent {
  std::string tenant;
  std::string topic;
  int64_t epoch = 0;
  uint64_t snapshot_seq = 0;
  uint64_t applied_seq = 0;
  std::vector<uint64_t> digests;
  int64_t next_due_ms = 0;
  bool has_snapshot = false;
  uint64_t snapshot_at = 0;
  std::string snapshot_bytes;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, replica_agent& x) {
  return f(caf::meta::type_name("replica_agent"), x.tenant, x.topic, x.epoch, x.snapshot_seq,
           x.applied_seq, x.digests, x.next_due_ms, x.has_snapshot, x.snapshot_at,
           x.snapshot_bytes);
}

replica_group to_replica(const store::group_write& g, int64_t epoch);
std::optional<store::group_write> to_group_write(replica_group&& g);
replica_agent to_replica(const store::agent_write& a, int64_t epoch);
store::agent_write to_agent_write(replica_agent&& a);

/// Columns to events and back. nullopt: the columns differ in length.
replica_batch to_replica(const store::append_batch& batch, int64_t epoch, bool from_start);
std::optional<store::append_batch> to_append_batch(replica_batch&& batch);

inline void register_cluster_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<forwarded_publish>("switchyard.forwarded_publish");
  cfg.add_message_type<forwarded_acks>("switchyard.forwarded_acks");
  cfg.add_message_type<replica_batch>("switchyard.replica_batch");
  cfg.add_message_type<catch_up_request>("switchyard.catch_up_request");
  cfg.add_message_type<replica_group>("switchyard.replica_group");
  cfg.add_message_type<replica_agent>("switchyard.replica_agent");
}

} // namespace switchyard::actors
