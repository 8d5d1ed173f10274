#include "actors/tenant_policy.hpp"

namespace switchyard::actors {

const std::vector<tenant_limit_key>& tenant_limit_keys() {
  static const std::vector<tenant_limit_key> keys = {
      {"publish_per_s", &tenant_limits::publish_per_s},
      {"publish_bytes_per_s", &tenant_limits::publish_bytes_per_s},
      {"max_connections", &tenant_limits::max_connections},
      {"max_subscriptions", &tenant_limits::max_subscriptions},
      {"max_topics", &tenant_limits::max_topics},
      {"max_groups", &tenant_limits::max_groups},
      {"max_agent_sessions", &tenant_limits::max_agent_sessions},
  };
  return keys;
}

std::vector<std::pair<std::string_view, int64_t>> tenant_limits::by_key() const {
  std::vector<std::pair<std::string_view, int64_t>> out;
  for (const auto& k : tenant_limit_keys()) {
    out.emplace_back(k.key, this->*k.field);
  }
  return out;
}

} // namespace switchyard::actors
