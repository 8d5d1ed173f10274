#pragma once
// The cluster test harness (docs/cluster.md): a real etcd and real nodes on loopback,
// each with its own data directory and ephemeral ports, and the views a test waits on.

#include "actors/shard_map.hpp"
#include "tests/support/encoded_client.hpp"
#include "tests/support/etcd_process.hpp"
#include "tests/support/process.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/ws_client.hpp"

#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {

constexpr int64_t lease_ttl_ms = 3000;

struct cluster_node {
  std::string name;
  std::filesystem::path dir;
  std::string etcd_url;
  int64_t ttl_ms = lease_ttl_ms;
  int replication = 1;
  std::unique_ptr<node_process> process;
  uint16_t port = 0;
  int starts = 0;

  void start() {
    ++starts;
    process = std::make_unique<node_process>(
        SWITCHYARD_BIN,
        std::vector<std::string>{"--port", "0", "--data-dir", (dir / "data").string(),
                                 "--node-name", name, "--cluster-etcd", etcd_url,
                                 "--cluster-lease-ttl-ms", std::to_string(ttl_ms),
                                 "--cluster-peer-port", "0", "--cluster-replication",
                                 std::to_string(replication), "--log-level", "info"},
        dir / ("node-" + std::to_string(starts) + ".log"));
    port = process->wait_for_port();
    ASSERT_NE(port, 0) << process->log();
  }

  json cluster() const {
    auto [status, body] = http_get(port, "/admin/v1/cluster");
    if (status != 200) {
      return json();
    }
    return json::parse(body, nullptr, false);
  }

  /// publish -> "ok" or the error code; `message` gets the error's text.
  std::string publish(const std::string& topic, int value, std::string* message = nullptr) {
    encoded_client c(port, wire::in_json);
    c.connect();
    auto r = c.request({{"op", "publish"}, {"topic", topic}, {"data", value}}, 7);
    if (r.contains("ok")) {
      return "ok";
    }
    if (message != nullptr) {
      *message = r["error"].value("message", "");
    }
    return r["error"].value("code", "?");
  }
};

/// shard -> (owner, epoch) as a node's /admin/v1/cluster shows it.
using shard_table = std::map<uint32_t, std::pair<std::string, int64_t>>;

inline shard_table shards_of(const json& view) {
  shard_table out;
  for (const auto& s : view["shards"]) {
    out[s["shard"].get<uint32_t>()] = {s["owner"].is_string() ? s["owner"].get<std::string>() : "",
                                       s["epoch"].get<int64_t>()};
  }
  return out;
}

inline std::set<std::string> members_of(const json& view) {
  std::set<std::string> out;
  for (const auto& m : view["members"]) {
    out.insert(m["node"].get<std::string>());
  }
  return out;
}

class Cluster : public ::testing::Test {
protected:
  void SetUp() override {
    etcd = std::make_unique<etcd_process>(dir.path());
    for (const auto* name : {"n1", "n2", "n3"}) {
      add(name);
    }
  }

  cluster_node& add(const std::string& name, std::string etcd_url = "",
                    int64_t ttl_ms = lease_ttl_ms) {
    auto& n = nodes[name];
    n.name = name;
    n.ttl_ms = ttl_ms;
    n.replication = replication;
    n.dir = dir.path() / name;
    n.etcd_url = etcd_url.empty() ? etcd->url() : etcd_url;
    std::filesystem::create_directories(n.dir);
    n.start();
    return n;
  }

  /// Waits until every node named agrees: exactly these members, every shard owned by
  /// one of them. Returns the agreed shard table (empty, with a test failure, on timeout).
  shard_table settled(const std::set<std::string>& live,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<shard_table> agreed;
      bool ok = true;
      for (const auto& name : live) {
        auto view = nodes[name].cluster();
        if (!view.is_object() || !view.value("lease_live", false) || members_of(view) != live) {
          ok = false;
          last = view.dump().substr(0, 300);
          break;
        }
        auto table = shards_of(view);
        for (const auto& [shard, owner] : table) {
          ok = ok && live.count(owner.first) > 0;
        }
        if (agreed && *agreed != table) {
          ok = false;
        }
        agreed = table;
      }
      if (ok && agreed) {
        return *agreed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the cluster did not settle on members " << live.size()
                  << "; last view: " << last;
    return {};
  }

  /// A topic of tenant `default` whose shard `owner` owns in `table`.
  static std::string topic_owned_by(const shard_table& table, const std::string& owner) {
    for (int i = 0;; ++i) {
      auto topic = "room/" + std::to_string(i);
      if (table.at(actors::shard_of("default", topic)).first == owner) {
        return topic;
      }
    }
  }

  /// cluster.replication of the nodes add() starts (set before SetUp to change it).
  int replication = 1;
  temp_dir dir;
  std::unique_ptr<etcd_process> etcd;
  std::map<std::string, cluster_node> nodes;
};

} // namespace switchyard::testing
