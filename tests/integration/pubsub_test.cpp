// Publish/subscribe over real WebSocket connections to an in-process node.

#include "actors/clock.hpp"
#include "actors/node_context.hpp"
#include "protocol/session_token.hpp"
#include "store/event_store.hpp"
#include "tests/support/protocol_helpers.hpp"
#include "tests/support/test_node.hpp"

#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace switchyard::testing {
namespace {

TEST(PubSub, ConnectRepliesWithConnectionFactsAndLimits) {
  test_node node;
  ws_client c{node.port()};
  auto reply = json::parse(c.request(R"("op":"connect","client":"test/1")", 7));
  ASSERT_EQ(reply["id"], 7);
  auto ok = reply["ok"];
  EXPECT_FALSE(ok["conn"].get<std::string>().empty());
  // The session is a token this node signed for this user and tenant (NodeRestart.*).
  const auto session =
      protocol::verify_session(ok["session"].get<std::string>(),
                               node.get().context().store->session_key(), actors::now_ms());
  ASSERT_TRUE(session.claims) << session.error;
  EXPECT_EQ(session.claims->user, "anonymous");
  EXPECT_EQ(ok["node"], "switchyard-1");
  EXPECT_EQ(ok["ping_ms"], 25000);
  EXPECT_EQ(ok["limits"]["max_frame_bytes"], 1048576);
  EXPECT_EQ(ok["limits"]["max_subscriptions"], 1000);
}

TEST(PubSub, OpsBeforeConnectGetNotConnected) {
  test_node node;
  ws_client c{node.port()};
  auto reply = json::parse(c.request(R"("op":"publish","topic":"t","data":1)", 3));
  EXPECT_EQ(reply["error"]["code"], "not_connected");
  reply = json::parse(c.request(R"("op":"ping")", 4));
  EXPECT_EQ(reply["error"]["code"], "not_connected");
  connect(c);
  reply = json::parse(c.request(R"("op":"ping")", 5));
  EXPECT_EQ(reply, json::parse(R"({"id":5,"ok":{}})"));
}

TEST(PubSub, PublishAssignsGapFreeSeqAndSubscriberGetsEventsInOrder) {
  test_node node;
  ws_client sub{node.port()};
  ws_client pub{node.port()};
  connect(sub);
  connect(pub);
  auto reply = json::parse(sub.request(R"("op":"subscribe","topic":"chat/1")", 2));
  EXPECT_EQ(reply["ok"], json::parse(R"({"topic":"chat/1","seq":0,"replayed":0})"));
  for (int i = 1; i <= 20; ++i) {
    auto ack = json::parse(pub.request(
        R"("op":"publish","topic":"chat/1","data":{"n":)" + std::to_string(i) + "}", 100 + i));
    EXPECT_EQ(ack["ok"]["seq"], i);
    EXPECT_EQ(ack["ok"]["dup"], false);
  }
  for (int i = 1; i <= 20; ++i) {
    auto ev = parse(sub.next());
    EXPECT_EQ(ev["push"], "event");
    EXPECT_EQ(ev["topic"], "chat/1");
    EXPECT_EQ(ev["seq"], i);
    EXPECT_EQ(ev["data"]["n"], i);
    EXPECT_GT(ev["ts"].get<int64_t>(), 0);
  }
}

TEST(PubSub, TopicsAreSeparateAndUnsubscribeStopsEvents) {
  test_node node;
  ws_client c{node.port()};
  connect(c);
  c.request(R"("op":"subscribe","topic":"a")", 2);
  c.request(R"("op":"publish","topic":"b","data":"not for me")", 3);
  c.request(R"("op":"publish","topic":"a","data":"for me")", 4);
  auto ev = parse(c.next_containing("\"push\""));
  EXPECT_EQ(ev["topic"], "a");
  EXPECT_EQ(ev["data"], "for me");
  EXPECT_EQ(ev["seq"], 1);
  EXPECT_EQ(json::parse(c.request(R"("op":"unsubscribe","topic":"a")", 5))["ok"], json::object());
  c.request(R"("op":"publish","topic":"a","data":"after")", 6);
  // A barrier instead of a timeout: the next message is the reply to the next request.
  c.send_text(R"({"id":7,"op":"ping"})");
  EXPECT_EQ(parse(c.next()), json::parse(R"({"id":7,"ok":{}})"));
}

TEST(PubSub, SubscribingTwiceIsABadRequest) {
  test_node node;
  ws_client c{node.port()};
  connect(c);
  c.request(R"("op":"subscribe","topic":"a")", 2);
  auto reply = json::parse(c.request(R"("op":"subscribe","topic":"a")", 3));
  EXPECT_EQ(reply["error"]["code"], "bad_request");
}

TEST(PubSub, HistoryReturnsStoredEventsFromSeqWithLimit) {
  test_node node;
  ws_client c{node.port()};
  connect(c);
  for (int i = 1; i <= 10; ++i) {
    c.request(R"("op":"publish","topic":"h","key":"k)" + std::to_string(i) + R"(","data":)" +
                  std::to_string(i),
              10 + i);
  }
  auto reply = json::parse(c.request(R"("op":"history","topic":"h","from_seq":4,"limit":3)", 2));
  auto ok = reply["ok"];
  ASSERT_EQ(ok["events"].size(), 3u);
  EXPECT_EQ(ok["events"][0]["seq"], 4);
  EXPECT_EQ(ok["events"][0]["data"], 4);
  EXPECT_EQ(ok["events"][0]["key"], "k4");
  EXPECT_EQ(ok["events"][2]["seq"], 6);
  EXPECT_EQ(ok["next_seq"], 7);
  EXPECT_EQ(ok["last_seq"], 10);
  auto since = json::parse(c.request(R"("op":"history","topic":"h","since_ms":0)", 3));
  EXPECT_EQ(since["ok"]["events"].size(), 10u);
  auto empty = json::parse(c.request(R"("op":"history","topic":"nothing","from_seq":1)", 4));
  EXPECT_EQ(empty["ok"], json::parse(R"({"events":[],"next_seq":1,"last_seq":0})"));
}

TEST(PubSub, SubscribeFromReplaysStoredEventsThenLiveWithNothingLostOrRepeated) {
  test_node node;
  ws_client pub{node.port()};
  connect(pub);
  for (int i = 1; i < 50; ++i) {
    pub.send_text(R"({"op":"publish","topic":"r","data":)" + std::to_string(i) + "}");
  }
  // Acknowledged in order: once 50 is stored, so are the ones before it.
  pub.request(R"("op":"publish","topic":"r","data":50)", 99);
  // Publishing goes on in another thread while the subscriber replays.
  std::thread more([&] {
    for (int i = 51; i <= 400; ++i) {
      pub.send_text(R"({"op":"publish","topic":"r","data":)" + std::to_string(i) + "}");
    }
  });
  ws_client sub{node.port()};
  connect(sub);
  auto reply = json::parse(sub.request(R"("op":"subscribe","topic":"r","from":{"seq":10})", 2));
  more.join();
  auto last = reply["ok"]["seq"].get<int64_t>();
  EXPECT_GE(last, 50);
  EXPECT_EQ(reply["ok"]["replayed"], last - 9);
  for (int expected = 10; expected <= 400; ++expected) {
    auto ev = parse(sub.next());
    ASSERT_EQ(ev["push"], "event") << ev.dump();
    ASSERT_EQ(ev["seq"], expected);
    ASSERT_EQ(ev["data"], expected);
  }
  // Nothing repeated after the last one: the next push is the next event published.
  pub.request(R"("op":"publish","topic":"r","data":401)", 100);
  EXPECT_EQ(parse(sub.next())["seq"], 401);
}

TEST(PubSub, SubscribeFromLastAndSinceMs) {
  test_node node;
  ws_client c{node.port()};
  connect(c);
  for (int i = 1; i <= 5; ++i) {
    c.request(R"("op":"publish","topic":"x","data":)" + std::to_string(i), 10 + i);
  }
  ws_client last{node.port()};
  connect(last);
  auto reply = json::parse(last.request(R"("op":"subscribe","topic":"x","from":{"last":2})", 2));
  EXPECT_EQ(reply["ok"]["replayed"], 2);
  EXPECT_EQ(parse(last.next())["seq"], 4);
  EXPECT_EQ(parse(last.next())["seq"], 5);
  ws_client since{node.port()};
  connect(since);
  reply = json::parse(since.request(R"("op":"subscribe","topic":"x","from":{"since_ms":0})", 2));
  EXPECT_EQ(reply["ok"]["replayed"], 5);
  EXPECT_EQ(parse(since.next())["seq"], 1);
}

TEST(PubSub, ClientFramesMayCarrySeveralMessages) {
  test_node node;
  ws_client c{node.port()};
  c.send_text("{\"id\":1,\"op\":\"connect\"}\n{\"id\":2,\"op\":\"subscribe\",\"topic\":\"m\"}\n"
              "{\"id\":3,\"op\":\"publish\",\"topic\":\"m\",\"data\":true}\n");
  std::vector<json> got;
  while (got.size() < 4) {
    auto msg = c.next();
    ASSERT_TRUE(msg.has_value());
    got.push_back(json::parse(*msg));
  }
  EXPECT_EQ(got[0]["id"], 1);
  EXPECT_EQ(got[1]["id"], 2);
  int events = 0;
  for (auto& m : got) {
    events += m.contains("push") ? 1 : 0;
  }
  EXPECT_EQ(events, 1);
}

TEST(PubSub, PublishesSharingAFrameAreEachAnsweredAndStoredInFrameOrder) {
  test_node node;
  ws_client c{node.port()};
  connect(c);
  // Runs for topic a, split by a publish to b, a refused publish and one without id.
  c.send_text(R"({"id":1,"op":"publish","topic":"a","data":1})"
              "\n"
              R"({"id":2,"op":"publish","topic":"a","data":2})"
              "\n"
              R"({"id":3,"op":"publish","topic":"b","data":3})"
              "\n"
              R"({"id":4,"op":"publish","topic":"a","data":4,"idem":""})"
              "\n"
              R"({"id":5,"op":"publish","topic":"a","data":5})"
              "\n"
              R"({"op":"publish","topic":"a","data":6})"
              "\n"
              R"({"id":7,"op":"publish","topic":"a","data":7})");
  std::map<int, json> replies;
  while (replies.size() < 6) {
    auto msg = c.next();
    ASSERT_TRUE(msg.has_value()) << replies.size() << " replies";
    auto reply = json::parse(*msg);
    replies[reply.value("id", 0)] = reply;
  }
  EXPECT_EQ(replies[1]["ok"]["seq"], 1);
  EXPECT_EQ(replies[2]["ok"]["seq"], 2);
  EXPECT_EQ(replies[3]["ok"]["seq"], 1);
  EXPECT_EQ(replies[4]["error"]["code"], "bad_request");
  EXPECT_EQ(replies[5]["ok"]["seq"], 3);
  EXPECT_EQ(replies[7]["ok"]["seq"], 5);
  auto history = json::parse(c.request(R"("op":"history","topic":"a","from_seq":1)", 8));
  std::vector<int> data;
  for (const auto& ev : history["ok"]["events"]) {
    data.push_back(ev["data"].get<int>());
  }
  EXPECT_EQ(data, (std::vector<int>{1, 2, 5, 6, 7}));
}

TEST(PubSub, HealthEndpointsAnswerOverHttp) {
  test_node node;
  EXPECT_EQ(http_get(node.port(), "/healthz").first, 200);
  EXPECT_EQ(http_get(node.port(), "/readyz").first, 200);
  EXPECT_EQ(http_get(node.port(), "/nope").first, 404);
}

TEST(PubSub, StopClosesConnectionsWithGoingAway) {
  auto node = std::make_unique<test_node>();
  ws_client c{node->port()};
  connect(c);
  std::thread stopper([&] { node.reset(); });
  EXPECT_EQ(c.wait_closed(), 1001);
  stopper.join();
}

} // namespace
} // namespace switchyard::testing
