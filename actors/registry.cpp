#include "actors/registry.hpp"

#include "actors/keyed_supervisor.hpp"
#include "actors/log.hpp"
#include "actors/node_context.hpp"
#include "actors/remote_topic.hpp"
#include "actors/shard_map.hpp"
#include "actors/topic.hpp"

#include <algorithm>
#include <chrono>

namespace switchyard::actors {

std::string topic_key(std::string_view tenant, std::string_view topic) {
  std::string key;
  key.reserve(1 + tenant.size() + topic.size());
  key.push_back(static_cast<char>(static_cast<uint8_t>(tenant.size())));
  key.append(tenant);
  key.append(topic);
  return key;
}

topic_names split_topic_key(const std::string& key) {
  const auto n = static_cast<std::size_t>(static_cast<uint8_t>(key.at(0)));
  return {key.substr(1, n), key.substr(1 + n)};
}

std::string tenant_of_key(const std::string& key) {
  return split_topic_key(key).tenant;
}

registry_actor spawn_registry(caf::actor_system& sys, node_context& ctx) {
  keyed_supervisor_spec<topic_actor> spec;
  spec.kind = "topic";
  spec.restarted = &ctx.metrics.topic_restarts_total;
  spec.policy = ctx.restarts;
  spec.max_live = static_cast<std::size_t>(ctx.topics.max_live);
  // A topic stops between idle_ms and 1.5 x idle_ms after its last use.
  spec.tick_interval = std::chrono::milliseconds(std::max<int64_t>(1, ctx.topics.idle_ms / 2));
  spec.spawn = [&ctx](caf::local_actor* self, const std::string& key) {
    auto names = split_topic_key(key);
    // In a cluster, a topic whose shard another node owns is a stand-in that forwards.
    if (ctx.shards != nullptr && !ctx.shards->serves(shard_of_key(key))) {
      return spawn_remote_topic(self, ctx, std::move(names.tenant), std::move(names.topic));
    }
    return spawn_topic(self, ctx, std::move(names.tenant), std::move(names.topic));
  };
  spec.describe = [](const std::string& key) {
    auto names = split_topic_key(key);
    return "tenant=" + log_name(names.tenant) + " topic=" + names.topic;
  };
  spec.owner = tenant_of_key;
  if (ctx.shards != nullptr) {
    spec.admit = [shards = ctx.shards](const std::string& key) { return shards->unroutable(key); };
  }
  spec.quota = [&ctx](const std::string& tenant) {
    return ctx.tenant_policy.get()->limits_of(tenant).max_topics;
  };
  spec.quota_name = "max_topics";
  return sys.spawn(keyed_supervisor<topic_actor>, std::move(spec));
}

} // namespace switchyard::actors
