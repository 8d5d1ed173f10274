// cluster: the members of the node's cluster and its shard map with epochs, as the node
// read them from etcd (GET /admin/v1/cluster; admin rights with auth mode jwt).

#include "tools/ctl/commands.hpp"
#include "tools/ctl/http_call.hpp"

#include <cstdio>
#include <string>

namespace switchyard::ctl {

int run_cluster(const common_options& common) {
  const auto answer = http_json(common.node(), "GET", "/admin/v1/cluster");
  if (common.json) {
    std::printf("%s\n", answer.dump().c_str());
    return 0;
  }
  const auto node = answer.value("node", std::string());
  if (!answer.value("enabled", false)) {
    std::printf("node %s runs alone (no cluster.etcd)\n", node.c_str());
    return 0;
  }
  std::printf("node %s  lease %s  replication %llu  lag %lld events (stored here, waiting "
              "for followers)\n\n",
              node.c_str(),
              answer.value("lease_live", false) ? "live" : "LOST (fenced: serves no shard)",
              answer.value("replication", 1ull), answer.value("replication_lag_events", 0ll));
  std::printf("%-20s %6s  %s\n", "MEMBER", "SHARDS", "URL");
  for (const auto& m : answer["members"]) {
    std::printf("%-20s %6llu  %s\n", m.value("node", std::string()).c_str(),
                m.value("shards", 0ull), m.value("url", std::string()).c_str());
  }
  // The shard map, eight a line: shard owner@epoch.
  std::printf("\nSHARD OWNER@EPOCH\n");
  int column = 0;
  for (const auto& s : answer["shards"]) {
    const auto owner = s["owner"].is_string() ? s["owner"].get<std::string>() : std::string("-");
    std::printf("%3llu %s@%lld%s", s.value("shard", 0ull), owner.c_str(), s.value("epoch", 0ll),
                ++column % 8 == 0 ? "\n" : "  ");
  }
  if (column % 8 != 0) {
    std::printf("\n");
  }
  return 0;
}

} // namespace switchyard::ctl
