#include "actors/tenant_policy.hpp"

namespace switchyard::actors {

const std::vector<tenant_limit_key>& tenant_limit_keys() {
  static const std::vector<tenant_limit_key> keys = {
      {"publish_per_s", &tenant_limits::publish_per_s, true},
      {"publish_bytes_per_s", &tenant_limits::publish_bytes_per_s, true},
      {"max_connections", &tenant_limits::max_connections, true},
      {"max_subscriptions", &tenant_limits::max_subscriptions, true},
      {"max_topics", &tenant_limits::max_topics, true},
      {"max_groups", &tenant_limits::max_groups, true},
      {"max_agent_sessions", &tenant_limits::max_agent_sessions, false},
  };
  return keys;
}

std::vector<std::pair<std::string_view, int64_t>> tenant_limits::by_key() const {
  std::vector<std::pair<std::string_view, int64_t>> out;
  for (const auto& k : tenant_limit_keys()) {
    if (k.enforced) {
      out.emplace_back(k.key, this->*k.field);
    }
  }
  return out;
}

} // namespace switchyard::actors
