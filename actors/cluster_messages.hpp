#pragma once
// What nodes of a cluster send each other over the CAF middleman (docs/cluster.md): plain
// serializable structs, registered under these names with every node's actor system
// (register_cluster_messages), since BASP names the type of every message it carries.

#include <cstdint>
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

inline void register_cluster_messages(caf::actor_system_config& cfg) {
  cfg.add_message_type<forwarded_publish>("switchyard.forwarded_publish");
  cfg.add_message_type<forwarded_acks>("switchyard.forwarded_acks");
}

} // namespace switchyard::actors
