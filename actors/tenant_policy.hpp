#pragma once
// What each tenant may use (config area `tenants`): limits by tenant with defaults, and
// the circuit breaker's timing. Light (no CAF): the config loader and node_context
// include it.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::actors {

/// One tenant's limits; 0 means not limited.
struct tenant_limits {
  int64_t publish_per_s = 0;       ///< events published a second (token bucket, 1 s burst)
  int64_t publish_bytes_per_s = 0; ///< bytes of `data` published a second
  int64_t max_connections = 0;     ///< connections at once
  int64_t max_subscriptions = 0;   ///< subscriptions (fanout and queue) over all connections
  int64_t max_topics = 0;          ///< topics running at once (keyed_supervisor quota)
  int64_t max_groups = 0;          ///< queue groups running at once
  int64_t max_agent_sessions = 0;  ///< agent sessions running at once

  bool limits_publishing() const { return publish_per_s > 0 || publish_bytes_per_s > 0; }
  /// The limits by their config and protocol key (what `connect` reports), in a fixed
  /// order.
  std::vector<std::pair<std::string_view, int64_t>> by_key() const;
  friend bool operator==(const tenant_limits&, const tenant_limits&) = default;
};

/// Every key of tenant_limits with its field, in the order of by_key().
struct tenant_limit_key {
  std::string_view key;
  int64_t tenant_limits::*field;
};
const std::vector<tenant_limit_key>& tenant_limit_keys();

/// tenants.breaker.*: a tenant overloaded this long is cut off for the cool-down.
struct breaker_settings {
  int64_t open_after_ms = 10000;
  int64_t cooldown_ms = 30000;
  friend bool operator==(const breaker_settings&, const breaker_settings&) = default;
};

struct tenant_policy {
  tenant_limits defaults;                         ///< tenants.defaults.*
  std::map<std::string, tenant_limits> overrides; ///< tenants.overrides.<tenant>.* (complete)
  breaker_settings breaker;

  const tenant_limits& limits_of(const std::string& tenant) const {
    auto it = overrides.find(tenant);
    return it == overrides.end() ? defaults : it->second;
  }
  friend bool operator==(const tenant_policy&, const tenant_policy&) = default;
};

/// The policy in force, replaced as a whole on a reload (SIGHUP); tenant actors read it
/// on their ticks.
class tenant_policy_source {
public:
  std::shared_ptr<const tenant_policy> get() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  void set(tenant_policy policy) {
    auto next = std::make_shared<const tenant_policy>(std::move(policy));
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
  }

private:
  mutable std::mutex mutex_;
  std::shared_ptr<const tenant_policy> current_ = std::make_shared<const tenant_policy>();
};

} // namespace switchyard::actors
