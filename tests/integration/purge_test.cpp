// The admin purges of the HTTP API (DELETE /admin/v1/topics/{topic} and
// /admin/v1/tenants/{tenant}), through a real HTTP client against a running node: what a
// purge deletes, what it keeps (the seq), what its queue group members hear, and each
// status it answers.

#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/token_signer.hpp"
#include "tests/support/ws_client.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

constexpr std::string_view purge_key = "purge-test-key-that-is-32-bytes-long!!!!";

json publish_over_http(uint16_t port, const json& body,
                       const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  auto answer = http_call(port, "POST", "/api/v1/publish", headers, body.dump());
  EXPECT_EQ(answer.status, 200) << answer.body;
  return json::parse(answer.body, nullptr, false);
}

json parsed(const http_answer& answer) {
  return json::parse(answer.body, nullptr, false);
}

TEST(Purge, ATopicLosesItsEventsIdemAndGroupsButKeepsItsSeq) {
  test_node node;
  encoded_client worker{node.port(), wire::in_json};
  worker.connect();
  const json queue_sub{{"op", "subscribe"},
                       {"topic", "jobs"},
                       {"mode", "queue"},
                       {"group", "w"},
                       {"max_inflight", 1}};
  ASSERT_TRUE(worker.request(queue_sub, 2).contains("ok"));
  encoded_client watcher{node.port(), wire::in_json};
  watcher.connect();
  ASSERT_TRUE(watcher.request({{"op", "subscribe"}, {"topic", "jobs"}}, 2).contains("ok"));
  for (int i = 1; i <= 5; ++i) {
    json body{{"topic", "jobs"}, {"data", i}};
    if (i == 3) {
      body["idem"] = "job-3";
    }
    publish_over_http(node.port(), body);
  }
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(watcher.next_push("event")["seq"], i);
  }
  ASSERT_EQ(worker.next_push("event")["seq"], 1); // held unacked while the purge runs

  auto answer = http_call(node.port(), "DELETE", "/admin/v1/topics/jobs");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(parsed(answer), (json{{"tenant", "default"},
                                  {"topic", "jobs"},
                                  {"last_seq", 5},
                                  {"purged_events", 5},
                                  {"purged_idem", 1},
                                  {"purged_groups", 1}}));
  auto gone = worker.next_push("unsubscribed");
  ASSERT_FALSE(gone.is_null());
  EXPECT_EQ(gone["topic"], "jobs");
  EXPECT_EQ(gone["group"], "w");
  EXPECT_EQ(gone["code"], "unavailable");
  EXPECT_NE(gone["message"].get<std::string>().find("purged"), std::string::npos) << gone;

  // Nothing before the purge can be read any more; the range says where it stands.
  auto history = http_call(node.port(), "GET", "/api/v1/topics/jobs/history?from_seq=1");
  EXPECT_EQ(history.status, 410) << history.body;
  EXPECT_EQ(parsed(history)["error"]["oldest_seq"], 6);
  auto groups = http_call(node.port(), "GET", "/admin/v1/groups?topic=jobs");
  EXPECT_EQ(parsed(groups)["groups"], json::array());

  // The seq goes on (none is handed out twice), the idem token is new again, live
  // subscribers stay, and the group can be joined afresh.
  ASSERT_TRUE(worker.request(queue_sub, 3).contains("ok"));
  auto again = publish_over_http(node.port(), {{"topic", "jobs"}, {"data", 6}, {"idem", "job-3"}});
  EXPECT_EQ(again, (json{{"seq", 6}, {"dup", false}}));
  EXPECT_EQ(watcher.next_push("event")["seq"], 6);
  EXPECT_EQ(worker.next_push("event")["seq"], 6);
}

TEST(Purge, AnswersForWhatIsNotThereAndForBadRequests) {
  test_node node;
  publish_over_http(node.port(), {{"topic", "a/b"}, {"data", 1}});
  EXPECT_EQ(http_call(node.port(), "DELETE", "/admin/v1/topics/none").status, 404);
  EXPECT_EQ(http_call(node.port(), "DELETE", "/admin/v1/topics/a%2Fb?tenant=other").status, 404);
  EXPECT_EQ(http_call(node.port(), "DELETE", "/admin/v1/tenants/nobody").status, 404);
  EXPECT_EQ(http_call(node.port(), "DELETE", "/admin/v1/topics/a%2Fb?colour=red").status, 400);
  EXPECT_EQ(http_call(node.port(), "DELETE", "/admin/v1/topics/").status, 400);
  EXPECT_EQ(http_call(node.port(), "DELETE", "/admin/v1/topics/a%2").status, 400);
  EXPECT_EQ(
      http_call(node.port(), "DELETE", "/admin/v1/topics/x?tenant=" + std::string(256, 't')).status,
      400);
  EXPECT_EQ(http_call(node.port(), "DELETE", "/admin/v1/tenants/" + std::string(256, 't')).status,
            400);
  EXPECT_EQ(http_call(node.port(), "DELETE", "/admin/v1/tenants/default?x=1").status, 400);
  // An unencoded '/' inside {topic} names the same topic.
  auto answer = http_call(node.port(), "DELETE", "/admin/v1/topics/a/b");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(parsed(answer)["purged_events"], 1);
  // Purged again: still stored (its seq), with nothing left to delete.
  answer = http_call(node.port(), "DELETE", "/admin/v1/topics/a%2Fb");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(parsed(answer)["purged_events"], 0);
  EXPECT_EQ(parsed(answer)["last_seq"], 1);

  ASSERT_EQ(http_call(node.port(), "POST", "/admin/drain").status, 202);
  auto draining = http_call(node.port(), "DELETE", "/admin/v1/topics/a%2Fb");
  EXPECT_EQ(draining.status, 503);
  EXPECT_EQ(parsed(draining)["error"]["code"], "unavailable");
}

TEST(Purge, ATenantPurgeTakesEveryTopicOfThatTenantOnlyAndNeedsTheAdminClaim) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.auth_mode = "jwt";
    cfg.auth.jwt = true;
    cfg.auth.jwt_secret = std::string{purge_key};
  }};
  const auto bearer = [](const std::string& tenant, bool admin) {
    json claims{{"sub", "ops"}, {"tenant", tenant}, {"exp", epoch_seconds(3600)}};
    if (admin) {
      claims["admin"] = true;
    }
    return std::vector<std::pair<std::string, std::string>>{
        {"Authorization", "Bearer " + hs256_token(claims, purge_key)}};
  };
  for (const auto* topic : {"x", "y", "z/1"}) {
    publish_over_http(node.port(), {{"topic", topic}, {"data", 1}}, bearer("acme", false));
  }
  publish_over_http(node.port(), {{"topic", "x"}, {"data", 1}}, bearer("globex", false));

  for (const auto* path : {"/admin/v1/tenants/acme", "/admin/v1/topics/x?tenant=acme"}) {
    EXPECT_EQ(http_call(node.port(), "DELETE", path).status, 401) << path;
    EXPECT_EQ(http_call(node.port(), "DELETE", path, bearer("acme", false)).status, 403) << path;
  }
  auto answer = http_call(node.port(), "DELETE", "/admin/v1/tenants/acme", bearer("ops", true));
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(parsed(answer), (json{{"tenant", "acme"},
                                  {"topics", 3},
                                  {"purged_events", 3},
                                  {"purged_idem", 0},
                                  {"purged_groups", 0}}));
  auto acme =
      http_call(node.port(), "GET", "/api/v1/topics/x/history?since_ms=0", bearer("acme", false));
  EXPECT_EQ(parsed(acme)["events"], json::array()) << acme.body;
  EXPECT_EQ(parsed(acme)["last_seq"], 1);
  auto globex =
      http_call(node.port(), "GET", "/api/v1/topics/x/history?since_ms=0", bearer("globex", false));
  EXPECT_EQ(parsed(globex)["events"].size(), 1u) << globex.body;
}

TEST(Purge, UnderAStreamOfPublishesNoAckedEventAfterItIsLostAndNoSeqIsReused) {
  test_node node;
  encoded_client publisher{node.port(), wire::in_json};
  publisher.connect();
  std::atomic<bool> purged{false};
  std::thread purge([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto answer = http_call(node.port(), "DELETE", "/admin/v1/topics/stream");
    EXPECT_EQ(answer.status, 200) << answer.body;
    purged = true;
  });
  uint64_t last = 0;
  int after_purge = 0;
  std::vector<uint64_t> acked_after;
  for (int64_t id = 10; after_purge < 50 && id < 100000; ++id) {
    const bool was_purged = purged;
    auto reply = publisher.request({{"op", "publish"}, {"topic", "stream"}, {"data", id}}, id);
    ASSERT_TRUE(reply.contains("ok")) << reply;
    const auto seq = reply["ok"]["seq"].get<uint64_t>();
    ASSERT_EQ(seq, last + 1); // gap-free and never reused, across the purge
    last = seq;
    if (was_purged) {
      ++after_purge;
      acked_after.push_back(seq);
    }
  }
  purge.join();
  ASSERT_EQ(after_purge, 50);
  auto history = http_call(node.port(), "GET",
                           "/api/v1/topics/stream/history?limit=1000&from_seq=" +
                               std::to_string(acked_after.front()));
  ASSERT_EQ(history.status, 200) << history.body;
  std::vector<uint64_t> stored;
  const auto page = parsed(history);
  for (const auto& ev : page["events"]) {
    stored.push_back(ev["seq"].get<uint64_t>());
  }
  EXPECT_EQ(stored, acked_after); // published after the purge answered: all kept
}

} // namespace
} // namespace switchyard::testing
