// The HTTP API on the node's port (PROTOCOL.md, HTTP API), through a real HTTP client
// over loopback: publish, history and presence answer what the WebSocket protocol
// answers, and every error has its protocol code and HTTP status.

#include "tests/support/encoded_client.hpp"
#include "tests/support/test_node.hpp"
#include "tests/support/token_signer.hpp"
#include "tests/support/ws_client.hpp"

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view http_key = "http-api-test-key-that-is-32-bytes-long!";

class HttpApi : public ::testing::Test {
protected:
  static void jwt_mode(runtime::node_config& cfg) {
    cfg.auth_mode = "jwt";
    cfg.auth.jwt = true;
    cfg.auth.jwt_secret = std::string{http_key};
  }
  static std::string bearer_for(json claims) {
    claims["exp"] = epoch_seconds(3600);
    return "Bearer " + hs256_token(claims, http_key);
  }
  static http_answer post_publish(uint16_t port, const json& body,
                                  const std::string& authorization = "") {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"}};
    if (!authorization.empty()) {
      headers.emplace_back("Authorization", authorization);
    }
    return http_call(port, "POST", "/api/v1/publish", headers, body.dump());
  }
  static http_answer get(uint16_t port, const std::string& target,
                         const std::string& authorization = "") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!authorization.empty()) {
      headers.emplace_back("Authorization", authorization);
    }
    return http_call(port, "GET", target, headers);
  }
  /// The error code of an error answer, checked to be the API's JSON error shape.
  static std::string code_of(const http_answer& a) {
    auto body = json::parse(a.body, nullptr, false);
    if (!body.is_object() || !body.contains("error")) {
      return "not an error: " + a.body;
    }
    EXPECT_EQ(a.headers.at("content-type"), "application/json");
    EXPECT_TRUE(body["error"]["message"].is_string()) << a.body;
    return body["error"]["code"].get<std::string>();
  }
};

TEST_F(HttpApi, PublishReturnsSeqAndTheEventReachesWebSocketSubscribers) {
  test_node node;
  encoded_client sub{node.port(), wire::in_json};
  sub.connect();
  ASSERT_TRUE(sub.request({{"op", "subscribe"}, {"topic", "chat/1"}}, 2).contains("ok"));

  auto first = post_publish(node.port(), {{"topic", "chat/1"}, {"data", {{"text", "hi"}}}});
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(json::parse(first.body), json({{"seq", 1}, {"dup", false}}));
  auto event = sub.next_push("event");
  EXPECT_EQ(event["seq"], 1);
  EXPECT_EQ(event["data"], json({{"text", "hi"}}));

  // idem: the same token again makes no new event and answers the original seq.
  const json with_idem{{"topic", "chat/1"}, {"data", 2}, {"idem", "order-7"}, {"key", "k"}};
  ASSERT_EQ(json::parse(post_publish(node.port(), with_idem).body),
            json({{"seq", 2}, {"dup", false}}));
  EXPECT_EQ(json::parse(post_publish(node.port(), with_idem).body),
            json({{"seq", 2}, {"dup", true}}));
}

TEST_F(HttpApi, HistoryPagesLikeTheProtocolOpAndTakesAPercentEncodedTopic) {
  test_node node;
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(post_publish(node.port(), {{"topic", "room/a"}, {"data", i}}).status, 200);
  }
  auto page = get(node.port(), "/api/v1/topics/room%2Fa/history?from_seq=2&limit=2");
  ASSERT_EQ(page.status, 200) << page.body;
  auto body = json::parse(page.body);
  ASSERT_EQ(body["events"].size(), 2u) << page.body;
  EXPECT_EQ(body["events"][0]["seq"], 2);
  EXPECT_EQ(body["events"][0]["data"], 2);
  EXPECT_EQ(body["events"][1]["seq"], 3);
  EXPECT_EQ(body["next_seq"], 4);
  EXPECT_EQ(body["last_seq"], 5);
  // An unencoded '/' in {topic} names the same topic.
  auto plain = json::parse(get(node.port(), "/api/v1/topics/room/a/history?from_seq=4").body);
  EXPECT_EQ(plain["events"].size(), 2u) << plain.dump();
}

TEST_F(HttpApi, PresenceListsTheWebSocketMembersOfATopic) {
  test_node node;
  // auth.mode none allows everything: a token there is not read.
  EXPECT_EQ(get(node.port(), "/api/v1/topics/lobby/presence", "Bearer whatever").status, 200);
  auto empty = get(node.port(), "/api/v1/topics/lobby/presence");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(json::parse(empty.body), json({{"members", json::array()}, {"count", 0}}));

  encoded_client member{node.port(), wire::in_msgpack};
  ASSERT_TRUE(member.request({{"op", "connect"}, {"client", "app/1"}}, 1).contains("ok"));
  ASSERT_TRUE(member.request({{"op", "subscribe"}, {"topic", "lobby"}, {"presence", true}}, 2)
                  .contains("ok"));
  auto listed = json::parse(get(node.port(), "/api/v1/topics/lobby/presence").body);
  ASSERT_EQ(listed["count"], 1) << listed.dump();
  EXPECT_EQ(listed["members"][0]["user"], "anonymous");
  EXPECT_EQ(listed["members"][0]["client"], "app/1");
}

TEST_F(HttpApi, BadRequestsAre400WithTheFieldNamed) {
  test_node node;
  const auto expect_400 = [](const http_answer& a, const std::string& mentions) {
    EXPECT_EQ(a.status, 400) << a.body;
    EXPECT_EQ(code_of(a), "bad_request");
    EXPECT_NE(a.body.find(mentions), std::string::npos) << a.body;
  };
  expect_400(http_call(node.port(), "POST", "/api/v1/publish", {}, "not json"), "JSON object");
  expect_400(http_call(node.port(), "POST", "/api/v1/publish", {}, "[1,2]"), "JSON object");
  expect_400(post_publish(node.port(), {{"topic", "a"}, {"data", 1}, {"op", "subscribe"}}), "op");
  expect_400(post_publish(node.port(), {{"topic", "a"}, {"data", 1}, {"ttl_ms", "soon"}}),
             "ttl_ms");
  expect_400(post_publish(node.port(), {{"data", 1}}), "topic");
  expect_400(post_publish(node.port(), {{"topic", "no spaces"}, {"data", 1}}), "topic");
  expect_400(get(node.port(), "/api/v1/topics/a/history?from_seq=-1"), "from_seq");
  expect_400(get(node.port(), "/api/v1/topics/a/history?from_seq=1&colour=red"), "colour");
  expect_400(get(node.port(), "/api/v1/topics/a/presence?after=x&limit=3"), "limit");
  expect_400(get(node.port(), "/api/v1/topics/a%zz/history?from_seq=1"), "percent");
}

TEST_F(HttpApi, UnknownPathsAre404AndWrongMethods405) {
  test_node node;
  auto nothing = get(node.port(), "/api/v1/nothing");
  EXPECT_EQ(nothing.status, 404);
  EXPECT_EQ(code_of(nothing), "not_found");
  auto view = get(node.port(), "/api/v1/topics/a/colour");
  EXPECT_EQ(view.status, 404);
  EXPECT_EQ(code_of(view), "not_found");
  EXPECT_EQ(http_call(node.port(), "DELETE", "/api/v1/publish").status, 405);
  EXPECT_EQ(http_call(node.port(), "GET", "/api/v1/publish").status, 405);
}

TEST_F(HttpApi, TokensDecide401And403) {
  test_node node{jwt_mode};
  auto none = post_publish(node.port(), {{"topic", "a"}, {"data", 1}});
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_EQ(code_of(none), "unauthorized");
  auto basic = post_publish(node.port(), {{"topic", "a"}, {"data", 1}}, "Basic YWRhOng=");
  EXPECT_EQ(basic.status, 401) << basic.body;
  auto forged = post_publish(
      node.port(), {{"topic", "a"}, {"data", 1}},
      "Bearer " + hs256_token({{"sub", "ada"}, {"tenant", "acme"}, {"exp", epoch_seconds(3600)}},
                              "another-key-that-is-also-32-bytes-long!!"));
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_EQ(code_of(forged), "unauthorized");

  const auto ada = bearer_for(
      {{"sub", "ada"}, {"tenant", "acme"}, {"pub", {"chat/*"}}, {"sub_topics", {"chat/*"}}});
  EXPECT_EQ(post_publish(node.port(), {{"topic", "chat/1"}, {"data", 1}}, ada).status, 200);
  auto not_hers = post_publish(node.port(), {{"topic", "news/1"}, {"data", 1}}, ada);
  EXPECT_EQ(not_hers.status, 403) << not_hers.body;
  EXPECT_EQ(code_of(not_hers), "forbidden");
  auto private_read = get(node.port(), "/api/v1/topics/private%2Fbob%2Finbox/history?from_seq=1",
                          bearer_for({{"sub", "ada"}, {"tenant", "acme"}}));
  EXPECT_EQ(private_read.status, 403) << private_read.body;
  auto presence = get(node.port(), "/api/v1/topics/news%2F1/presence", ada);
  EXPECT_EQ(presence.status, 403) << presence.body;
  // Tenants never meet: acme's event is not in globex's history of the same name.
  auto globex = get(node.port(), "/api/v1/topics/chat%2F1/history?from_seq=1",
                    bearer_for({{"sub", "eve"}, {"tenant", "globex"}}));
  ASSERT_EQ(globex.status, 200) << globex.body;
  EXPECT_TRUE(json::parse(globex.body)["events"].empty()) << globex.body;
}

TEST_F(HttpApi, HistoryOlderThanRetentionIs410WithOldestSeq) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.retention.max_events = 2;
    cfg.retention.sweep_ms = 50;
  }};
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(post_publish(node.port(), {{"topic", "t"}, {"data", i}}).status, 200);
  }
  http_answer answer;
  for (int i = 0; i < 100; ++i) { // until the sweeper kept only the last two
    answer = get(node.port(), "/api/v1/topics/t/history?from_seq=1");
    if (answer.status == 410 && json::parse(answer.body)["error"].value("oldest_seq", 0) == 4) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(answer.status, 410) << answer.body;
  EXPECT_EQ(code_of(answer), "expired");
  EXPECT_EQ(json::parse(answer.body)["error"]["oldest_seq"], 4) << answer.body;
}

TEST_F(HttpApi, ABodyOverMaxFrameBytesIs413) {
  test_node node{[](runtime::node_config& cfg) { cfg.limits.max_frame_bytes = 4096; }};
  const std::string big(5000, 'x');
  auto answer = post_publish(node.port(), {{"topic", "t"}, {"data", big}});
  EXPECT_EQ(answer.status, 413) << answer.body;
  EXPECT_EQ(code_of(answer), "too_large");
  // The node goes on serving.
  EXPECT_EQ(post_publish(node.port(), {{"topic", "t"}, {"data", 1}}).status, 200);
}

TEST_F(HttpApi, ATenantOverItsRateIs429WithRetryAfter) {
  test_node node{[](runtime::node_config& cfg) { cfg.tenants.defaults.publish_per_s = 1; }};
  http_answer answer;
  for (int i = 0; i < 5 && answer.status != 429; ++i) {
    answer = post_publish(node.port(), {{"topic", "t"}, {"data", i}});
  }
  ASSERT_EQ(answer.status, 429) << answer.body;
  EXPECT_EQ(code_of(answer), "throttled");
  const auto retry_ms = json::parse(answer.body)["error"]["retry_after_ms"].get<int64_t>();
  EXPECT_GT(retry_ms, 0);
  ASSERT_TRUE(answer.headers.contains("retry-after"));
  EXPECT_GE(std::stoll(answer.headers["retry-after"]) * 1000, retry_ms);
}

TEST_F(HttpApi, ADrainingNodeAnswers503) {
  test_node node;
  ASSERT_EQ(http_call(node.port(), "POST", "/admin/drain").status, 202);
  auto answer = post_publish(node.port(), {{"topic", "t"}, {"data", 1}});
  EXPECT_EQ(answer.status, 503) << answer.body;
  EXPECT_EQ(code_of(answer), "unavailable");
  EXPECT_EQ(answer.headers["retry-after"], "1");
  EXPECT_EQ(get(node.port(), "/api/v1/topics/t/history?from_seq=1").status, 503);
}

TEST_F(HttpApi, AnOpenBreakerIs503CircuitOpenWithRetryAfter) {
  test_node node{[](runtime::node_config& cfg) {
    cfg.tenants.defaults.publish_per_s = 10;
    cfg.tenants.breaker.open_after_ms = 300;
    cfg.tenants.breaker.cooldown_ms = 5000;
  }};
  http_answer answer;
  for (int i = 0; i < 200 && code_of(answer) != "circuit_open"; ++i) {
    answer = post_publish(node.port(), {{"topic", "t"}, {"data", i}});
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(code_of(answer), "circuit_open") << "the breaker never opened: " << answer.body;
  EXPECT_EQ(answer.status, 503);
  ASSERT_TRUE(answer.headers.contains("retry-after"));
  EXPECT_GE(std::stoll(answer.headers["retry-after"]), 1);
}

TEST_F(HttpApi, AStoredEventThatNoLongerDecodesIs500AndTheNodeGoesOn) {
  temp_dir dir;
  const auto data_dir = (dir.path() / "data").string();
  const auto on_dir = [&](runtime::node_config& cfg) { cfg.store.data_dir = data_dir; };
  const std::string marker = "bytes-the-disk-will-spoil";
  {
    test_node node{on_dir};
    ASSERT_EQ(post_publish(node.port(), {{"topic", "t"}, {"data", marker}}).status, 200);
  }
  // Spoil the record's version byte on disk (LMDB keeps no checksums): the value is
  // version, ts (8 bytes), key and idem lengths (1 byte each, empty), then the data,
  // a MessagePack str with a 1-byte header.
  std::fstream file(data_dir + "/data.mdb", std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(file), {}};
  const auto at = bytes.find(marker);
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(bytes.find(marker, at + 1), std::string::npos);
  const auto version_at = at - 1 - 2 - 8 - 1;
  ASSERT_EQ(bytes[version_at], '\x01');
  file.clear();
  file.seekp(static_cast<std::streamoff>(version_at));
  file.put('\x7f');
  file.close();

  test_node node{on_dir};
  auto answer = get(node.port(), "/api/v1/topics/t/history?from_seq=1");
  EXPECT_EQ(answer.status, 500) << answer.body;
  EXPECT_EQ(code_of(answer), "internal");
  auto next = post_publish(node.port(), {{"topic", "t"}, {"data", 2}});
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(json::parse(next.body)["seq"], 2);
}

} // namespace
} // namespace switchyard::testing
