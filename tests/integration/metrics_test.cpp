// GET /metrics (PROTOCOL.md, HTTP API): Prometheus text that the reference client's
// parser (Debian's python3-prometheus-client) reads, with switchyard_* names, counters
// ending in _total, values that follow what clients did, and tenant labels bounded by
// metrics.max_tenant_labels.

#include "tests/support/encoded_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/token_signer.hpp"
#include "tests/support/ws_client.hpp"

#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

using namespace std::chrono_literals;

class Metrics : public ::testing::Test {
protected:
  /// The node's /metrics as the reference parser read it: {family: {type, samples}}.
  static json scrape(uint16_t port, const temp_dir& scratch) {
    auto answer = http_call(port, "GET", "/metrics");
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    const auto file = scratch.path() / "metrics.txt";
    std::ofstream(file) << answer.body;
    auto [status, out] = run_binary(
        "/usr/bin/python3", {SWITCHYARD_SOURCE_DIR "/tests/tools/parse_metrics.py", file.string()});
    EXPECT_EQ(status, 0) << out << "\n" << answer.body;
    return status == 0 ? json::parse(out) : json::object();
  }
  /// The value of the sample `name` with exactly `labels` (-1 when there is none).
  static double value_of(const json& families, const std::string& name, const json& labels = {}) {
    for (const auto& [family, f] : families.items()) {
      for (const auto& s : f["samples"]) {
        if (s[0] == name && s[1] == (labels.is_null() ? json::object() : labels)) {
          return s[2].get<double>();
        }
      }
    }
    return -1;
  }
};

TEST_F(Metrics, AReferenceParserReadsThemAndTheyFollowTraffic) {
  test_node node;
  temp_dir scratch;
  encoded_client sub{node.port(), wire::in_json};
  sub.connect();
  ASSERT_TRUE(sub.request({{"op", "subscribe"}, {"topic", "m/1"}}, 2).contains("ok"));
  encoded_client pub{node.port(), wire::in_msgpack};
  pub.connect();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(
        pub.request({{"op", "publish"}, {"topic", "m/1"}, {"data", i}}, 10 + i).contains("ok"));
    ASSERT_EQ(sub.next_push("event")["seq"], i);
  }
  ASSERT_TRUE(pub.request({{"op", "publish"}, {"topic", "m/1"}, {"data", 9}, {"idem", "x"}}, 20)
                  .contains("ok"));
  ASSERT_TRUE(pub.request({{"op", "publish"}, {"topic", "m/1"}, {"data", 9}, {"idem", "x"}}, 21)
                  .contains("ok")); // a duplicate: not a new event
  ASSERT_EQ(sub.next_push("event")["seq"], 4);

  const auto families = scrape(node.port(), scratch);
  ASSERT_FALSE(families.empty());
  for (const auto& [name, f] : families.items()) {
    EXPECT_EQ(name.rfind("switchyard_", 0), 0u) << name;
    for (const auto& s : f["samples"]) {
      const auto sample = s[0].get<std::string>();
      if (f["type"] == "counter") {
        EXPECT_TRUE(sample.ends_with("_total")) << sample;
      }
      EXPECT_EQ(s[1].count("topic"), 0u) << sample << ": no per-topic labels";
    }
  }
  EXPECT_EQ(families["switchyard_publishes"]["type"], "counter");
  EXPECT_EQ(value_of(families, "switchyard_publishes_total"), 4);
  EXPECT_EQ(value_of(families, "switchyard_deliveries_total", {{"mode", "fanout"}}), 4);
  EXPECT_EQ(value_of(families, "switchyard_connections"), 2);
  EXPECT_EQ(value_of(families, "switchyard_topics"), 1);
  EXPECT_EQ(value_of(families, "switchyard_subscriptions"), 1);
  EXPECT_EQ(value_of(families, "switchyard_gaps_total"), 0);
  EXPECT_GT(value_of(families, "switchyard_received_bytes_total"), 0);
  EXPECT_GT(value_of(families, "switchyard_sent_bytes_total"), 0);
  EXPECT_EQ(families["switchyard_store_commit_seconds"]["type"], "histogram");
  EXPECT_GE(value_of(families, "switchyard_store_commit_seconds_count"), 4);
  EXPECT_EQ(value_of(families, "switchyard_store_commit_seconds_count"),
            value_of(families, "switchyard_store_commit_seconds_bucket", {{"le", "+Inf"}}));
  // The duplicate travels to the store too, which leaves it out of the topic.
  EXPECT_EQ(value_of(families, "switchyard_store_commit_events_sum"), 5);
  EXPECT_EQ(value_of(families, "switchyard_restarts_total", {{"supervisor", "topics"}}), 0);

  node.get().crash_topic("default", "m/1");
  json after;
  for (int i = 0; i < 100; ++i) { // the supervisor restarts it after a backoff
    after = scrape(node.port(), scratch);
    if (value_of(after, "switchyard_restarts_total", {{"supervisor", "topics"}}) != 0) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(value_of(after, "switchyard_restarts_total", {{"supervisor", "topics"}}), 1);
}

TEST_F(Metrics, TenantLabelsStopAtTheConfiguredNumberAndTheRestAreSummed) {
  constexpr std::string_view key = "metrics-test-key-that-is-32-bytes-long!!";
  test_node node{[&](runtime::node_config& cfg) {
    cfg.auth_mode = "jwt";
    cfg.auth.jwt = true;
    cfg.auth.jwt_secret = std::string{key};
    cfg.metrics_max_tenant_labels = 2;
  }};
  temp_dir scratch;
  std::vector<std::unique_ptr<encoded_client>> clients;
  for (const auto* tenant : {"t1", "t2", "t3", "t4"}) {
    clients.push_back(std::make_unique<encoded_client>(node.port(), wire::in_json));
    const auto token =
        hs256_token({{"sub", "u"}, {"tenant", tenant}, {"exp", epoch_seconds(3600)}}, key);
    ASSERT_TRUE(clients.back()->request({{"op", "connect"}, {"token", token}}, 1).contains("ok"));
  }
  // Tenants report on their ticks (every 250 ms).
  json families;
  for (int i = 0; i < 100; ++i) {
    families = scrape(node.port(), scratch);
    if (value_of(families, "switchyard_tenant_connections", {{"tenant", "_other"}}) == 2) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  const auto& samples = families["switchyard_tenant_connections"]["samples"];
  ASSERT_EQ(samples.size(), 3u) << samples.dump();
  double named = 0;
  for (const auto& s : samples) {
    if (s[1]["tenant"] != "_other") {
      EXPECT_EQ(s[2], 1) << s.dump();
      named += 1;
    }
  }
  EXPECT_EQ(named, 2);
  EXPECT_EQ(value_of(families, "switchyard_tenant_connections", {{"tenant", "_other"}}), 2);
}

} // namespace
} // namespace switchyard::testing
