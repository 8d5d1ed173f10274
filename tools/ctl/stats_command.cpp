// stats: the node's status and its tenants, from the admin API (/admin/v1/status and
// /admin/v1/tenants; admin rights with auth mode jwt).

#include "tools/ctl/commands.hpp"
#include "tools/ctl/http_call.hpp"

#include <cstdio>

namespace switchyard::ctl {

namespace {

std::string duration(uint64_t ms) {
  const uint64_t s = ms / 1000;
  char text[64];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%lluh %02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60));
  } else {
    std::snprintf(text, sizeof text, "%llum %02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  }
  return text;
}

/// The limits that are set, as "key=value" (0 means not limited and is left out).
std::string set_limits(const nlohmann::json& limits) {
  std::string out;
  for (const auto& [key, value] : limits.items()) {
    if (!value.is_number() || value.get<double>() != 0) {
      out += (out.empty() ? "" : " ") + key + "=" + value.dump();
    }
  }
  return out.empty() ? "none" : out;
}

} // namespace

int run_stats(const common_options& common) {
  const auto node = common.node();
  const auto status = http_json(node, "GET", "/admin/v1/status");
  const auto tenants = http_json(node, "GET", "/admin/v1/tenants");
  if (common.json) {
    std::printf("%s\n",
                nlohmann::json{{"status", status}, {"tenants", tenants["tenants"]}}.dump().c_str());
    return 0;
  }
  const auto& store = status["store"];
  std::printf("node %s  up %s  %s  store %s\n", status.value("node", std::string()).c_str(),
              duration(status.value("uptime_ms", 0ull)).c_str(),
              status.value("draining", false) ? "DRAINING" : "serving",
              status.value("store_writable", false) ? "writable" : "NOT WRITABLE");
  std::printf("connections %llu  live topics %llu  tenants %llu\n",
              status.value("connections", 0ull), status.value("topics_live", 0ull),
              status.value("tenants_known", 0ull));
  std::printf("store map %.1f MiB (grown %llu times)  commits %llu  batches %llu\n",
              static_cast<double>(store.value("map_bytes", 0ull)) / (1 << 20),
              store.value("map_grown", 0ull), store.value("commits", 0ull),
              store.value("batches", 0ull));
  std::printf("\n%-20s %6s %6s %-10s %10s  %s\n", "TENANT", "CONNS", "SUBS", "BREAKER", "THROTTLED",
              "LIMITS");
  for (const auto& t : tenants["tenants"]) {
    std::printf("%-20s %6llu %6llu %-10s %10llu  %s\n", t.value("tenant", std::string()).c_str(),
                t.value("connections", 0ull), t.value("subscriptions", 0ull),
                t.value("breaker", std::string()).c_str(), t.value("throttled_total", 0ull),
                set_limits(t.value("limits", nlohmann::json::object())).c_str());
  }
  return 0;
}

} // namespace switchyard::ctl
