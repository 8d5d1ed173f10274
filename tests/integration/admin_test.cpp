// The admin reads of the HTTP API (PROTOCOL.md, HTTP API) and the console's files,
// through a real HTTP client: what they report follows what clients did, pages hold
// together, and without the admin claim they answer 401/403.

#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/token_signer.hpp"
#include "tests/support/ws_client.hpp"

#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view admin_key = "admin-test-key-that-is-32-bytes-long!!!!";

class Admin : public ::testing::Test {
protected:
  static json get_json(uint16_t port, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    auto answer = http_call(port, "GET", target, headers);
    EXPECT_EQ(answer.status, 200) << target << ": " << answer.body;
    EXPECT_EQ(answer.headers["content-type"], "application/json");
    return json::parse(answer.body, nullptr, false);
  }
  static void publish_to(uint16_t port, const std::string& topic, int n) {
    for (int i = 0; i < n; ++i) {
      auto answer = http_call(port, "POST", "/api/v1/publish", {},
                              json{{"topic", topic}, {"data", i}}.dump());
      ASSERT_EQ(answer.status, 200) << answer.body;
    }
  }
};

TEST_F(Admin, StatusReportsTheNodeAndWhatRunsOnIt) {
  test_node node{[](runtime::node_config& cfg) { cfg.node_name = "admin-node"; }};
  encoded_client c{node.port(), wire::in_json};
  c.connect();
  ASSERT_TRUE(c.request({{"op", "subscribe"}, {"topic", "s/1"}}, 2).contains("ok"));
  auto status = get_json(node.port(), "/admin/v1/status");
  EXPECT_EQ(status["node"], "admin-node");
  EXPECT_EQ(status["connections"], 1);
  EXPECT_EQ(status["topics_live"], 1);
  EXPECT_EQ(status["draining"], false);
  EXPECT_EQ(status["store_writable"], true);
  EXPECT_GE(status["uptime_ms"].get<int64_t>(), 0);
  EXPECT_GT(status["store"]["map_bytes"].get<int64_t>(), 0);
  ASSERT_EQ(http_call(node.port(), "POST", "/admin/drain").status, 202);
  EXPECT_EQ(get_json(node.port(), "/admin/v1/status")["draining"], true);
}

TEST_F(Admin, TopicsPageThroughEveryStoredTopicWithPrefixAndTenant) {
  test_node node;
  for (int i = 0; i < 5; ++i) {
    publish_to(node.port(), "room/" + std::to_string(i), i + 1);
  }
  publish_to(node.port(), "other", 1);
  std::vector<std::string> seen;
  std::string target = "/admin/v1/topics?prefix=room%2F&limit=2";
  for (int pages = 0; pages < 10; ++pages) {
    auto page = get_json(node.port(), target);
    ASSERT_TRUE(page["topics"].is_array()) << page.dump();
    EXPECT_LE(page["topics"].size(), 2u);
    for (const auto& t : page["topics"]) {
      EXPECT_EQ(t["tenant"], "default");
      const auto name = t["topic"].get<std::string>();
      EXPECT_EQ(t["last_seq"], std::stoi(name.substr(5)) + 1) << t.dump();
      seen.push_back(name);
    }
    if (!page.contains("next")) {
      break;
    }
    target = "/admin/v1/topics?prefix=room%2F&limit=2&after=" + page["next"].get<std::string>();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"room/0", "room/1", "room/2", "room/3", "room/4"}));
  auto all = get_json(node.port(), "/admin/v1/topics?tenant=default");
  EXPECT_EQ(all["topics"].size(), 6u);
  EXPECT_EQ(get_json(node.port(), "/admin/v1/topics?tenant=nobody")["topics"], json::array());
  EXPECT_EQ(http_call(node.port(), "GET", "/admin/v1/topics?limit=0").status, 400);
  EXPECT_EQ(http_call(node.port(), "GET", "/admin/v1/topics?after=zz").status, 400);
  EXPECT_EQ(http_call(node.port(), "GET", "/admin/v1/topics?colour=red").status, 400);
}

TEST_F(Admin, GroupsShowTheirFloorAndLag) {
  test_node node;
  encoded_client worker{node.port(), wire::in_json};
  worker.connect();
  ASSERT_TRUE(worker
                  .request({{"op", "subscribe"},
                            {"topic", "jobs"},
                            {"mode", "queue"},
                            {"group", "w"},
                            {"max_inflight", 1}},
                           2)
                  .contains("ok"));
  publish_to(node.port(), "jobs", 3);
  auto first = worker.next_push("event");
  ASSERT_EQ(first["seq"], 1);
  ASSERT_TRUE(worker.request({{"op", "ack"}, {"topic", "jobs"}, {"group", "w"}, {"seq", 1}}, 3)
                  .contains("ok"));
  json group;
  for (int i = 0; i < 100; ++i) { // the group writes its state after the ack
    auto view = get_json(node.port(), "/admin/v1/groups?topic=jobs");
    EXPECT_EQ(view["last_seq"], 3);
    if (view["groups"].size() == 1 && view["groups"][0]["floor"] == 1) {
      group = view["groups"][0];
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(group.is_null());
  EXPECT_EQ(group["group"], "w");
  EXPECT_EQ(group["lag"], 2);
  EXPECT_EQ(get_json(node.port(), "/admin/v1/groups?topic=none")["groups"], json::array());
  EXPECT_EQ(http_call(node.port(), "GET", "/admin/v1/groups").status, 400);
}

TEST_F(Admin, TenantsShowLimitsCountsAndBreakers) {
  test_node node{[](runtime::node_config& cfg) { cfg.tenants.defaults.max_connections = 7; }};
  encoded_client c{node.port(), wire::in_json};
  c.connect();
  ASSERT_TRUE(c.request({{"op", "subscribe"}, {"topic", "x"}}, 2).contains("ok"));
  json row;
  for (int i = 0; i < 100 && row.is_null(); ++i) { // tenants report every 250 ms
    const auto view = get_json(node.port(), "/admin/v1/tenants");
    for (const auto& t : view["tenants"]) {
      if (t["tenant"] == "default" && t["subscriptions"] == 1) {
        row = t;
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(row.is_null());
  EXPECT_EQ(row["connections"], 1);
  EXPECT_EQ(row["breaker"], "closed");
  EXPECT_EQ(row["limits"]["max_connections"], 7);
  EXPECT_EQ(row["limits"]["publish_per_s"], 0);
}

TEST_F(Admin, AdminCallsNeedTheAdminClaim) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.auth_mode = "jwt";
    cfg.auth.jwt = true;
    cfg.auth.jwt_secret = std::string{admin_key};
  }};
  const auto token = [](bool admin) {
    json claims{{"sub", "ops"}, {"tenant", "acme"}, {"exp", epoch_seconds(3600)}};
    if (admin) {
      claims["admin"] = true;
    }
    return "Bearer " + hs256_token(claims, admin_key);
  };
  for (const auto* path :
       {"/admin/v1/status", "/admin/v1/tenants", "/admin/v1/topics", "/admin/v1/groups?topic=a"}) {
    EXPECT_EQ(http_call(node.port(), "GET", path).status, 401) << path;
    EXPECT_EQ(http_call(node.port(), "GET", path, {{"Authorization", token(false)}}).status, 403)
        << path;
    EXPECT_EQ(http_call(node.port(), "GET", path, {{"Authorization", token(true)}}).status, 200)
        << path;
  }
  // /metrics and the console's files need no token (the console asks for one itself).
  EXPECT_EQ(http_call(node.port(), "GET", "/metrics").status, 200);
  EXPECT_EQ(http_call(node.port(), "GET", "/console").status, 200);
}

TEST_F(Admin, TheConsoleIsServedFromTheBinary) {
  test_node node;
  auto page = http_call(node.port(), "GET", "/console");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/console/console.js"), std::string::npos);
  auto script = http_call(node.port(), "GET", "/console/console.js");
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(script.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_NE(script.body.find("/api/v1/publish"), std::string::npos);
  EXPECT_EQ(http_call(node.port(), "GET", "/console/console.css").status, 200);
  EXPECT_EQ(http_call(node.port(), "GET", "/console/").status, 200);
  EXPECT_EQ(http_call(node.port(), "GET", "/console/missing.js").status, 404);
}

} // namespace
} // namespace switchyard::testing
