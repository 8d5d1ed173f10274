#pragma once
// The topic registry: a keyed_supervisor of topic actors, keyed by topic_key(tenant,
// topic). Topics start on their first lookup, restart after a crash, and stop when
// idle (topics.idle_ms) or when more than topics.max_live run.

#include "actors/interfaces.hpp"

#include <string>
#include <string_view>

namespace switchyard::actors {

struct node_context;

registry_actor spawn_registry(caf::actor_system& sys, node_context& ctx);

/// The registry's key for a tenant's topic; the length prefix keeps tenants apart
/// whatever bytes their names hold. Tenant names are at most 255 bytes.
std::string topic_key(std::string_view tenant, std::string_view topic);
/// A topic_key taken apart again.
struct topic_names {
  std::string tenant;
  std::string topic;
};
topic_names split_topic_key(const std::string& key);
/// The tenant a topic_key (or a key that starts with one, as group_key) belongs to.
std::string tenant_of_key(const std::string& key);

} // namespace switchyard::actors
