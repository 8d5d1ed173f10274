#pragma once
// What each tenant actor last reported (its limits, counts and breaker), for the admin
// API, the console and /metrics. Tenant actors write it on their ticks; readers take a
// copy. Light (no CAF): node_context holds one.

#include "actors/tenant_policy.hpp"

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace switchyard::actors {

struct tenant_view {
  std::string tenant;
  tenant_limits limits;
  int64_t connections = 0;
  int64_t subscriptions = 0;
  std::string breaker = "closed"; ///< closed, open or half_open
  int slow_down_level = 0;
  /// Totals since the node started (they survive the tenant actor's restarts).
  uint64_t throttled_total = 0; ///< publishes refused for the tenant's rate limits
  uint64_t breaker_opened_total = 0;
};

class tenant_board {
public:
  /// A tenant's report: `now` replaces its gauges, its totals are added.
  void report(const tenant_view& now) {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = rows_.try_emplace(now.tenant);
    if (fresh) {
      order_.push_back(now.tenant);
    }
    auto& row = it->second;
    const auto throttled = row.throttled_total + now.throttled_total;
    const auto opened = row.breaker_opened_total + now.breaker_opened_total;
    row = now;
    row.throttled_total = throttled;
    row.breaker_opened_total = opened;
  }
  /// Every tenant reported so far, in the order they first reported (so the first N keep
  /// their place, as metric labels need).
  std::vector<tenant_view> snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<tenant_view> out;
    out.reserve(order_.size());
    for (const auto& name : order_) {
      out.push_back(rows_.at(name));
    }
    return out;
  }

private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, tenant_view> rows_;
  std::vector<std::string> order_;
};

} // namespace switchyard::actors
