// Bad input costs only its sender: a protocol error or a close, never the node.

#include "tests/support/protocol_helpers.hpp"
#include "tests/support/test_node.hpp"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace switchyard::testing {
namespace {

json reply_to(ws_client& c, const std::string& frame) {
  c.send_text(frame);
  auto msg = c.next();
  EXPECT_TRUE(msg.has_value()) << "no reply to " << frame;
  return msg ? json::parse(*msg) : json{};
}

class BadInput : public ::testing::Test {
protected:
  test_node node_;
};

TEST_F(BadInput, MalformedJsonGetsBadRequestAndConnectionStaysOpen) {
  ws_client c{node_.port()};
  auto r = reply_to(c, "{\"id\":1,\"op\":");
  EXPECT_EQ(r["error"]["code"], "bad_request");
  EXPECT_FALSE(r.contains("id"));
  EXPECT_TRUE(json::parse(c.request(R"("op":"connect")", 2)).contains("ok"));
}

TEST_F(BadInput, EachKindOfBadMessageGetsBadRequestWithItsId) {
  ws_client c{node_.port()};
  c.request(R"("op":"connect")", 1);
  const char* frames[] = {
      R"([1,2,3])",                                               // not an object
      R"({"id":2})",                                              // missing op
      R"({"id":3,"op":42})",                                      // op of the wrong type
      R"({"id":4,"op":"frobnicate"})",                            // unknown op
      R"({"id":5,"op":"publish","data":1})",                      // missing topic
      R"({"id":6,"op":"publish","topic":7,"data":1})",            // topic of the wrong type
      R"({"id":7,"op":"publish","topic":"bad topic!","data":1})", // invalid topic name
      R"({"id":8,"op":"history","topic":"t"})",                   // neither from_seq nor since_ms
      R"({"id":9,"op":"history","topic":"t","from_seq":1,"limit":5000})", // limit over 1000
      R"({"id":10,"op":"subscribe","topic":"t","from":{"seq":"x"}})",     // from of wrong type
  };
  int64_t id = 1; // the first frame has no readable id
  for (const auto* f : frames) {
    auto r = reply_to(c, f);
    EXPECT_EQ(r["error"]["code"], "bad_request") << f;
    if (id > 1) {
      EXPECT_EQ(r["id"], id) << f;
    }
    EXPECT_FALSE(r["error"]["message"].get<std::string>().empty());
    ++id;
  }
  expect_node_serves(node_.port());
}

TEST_F(BadInput, FrameOverTheSizeLimitClosesWith1009) {
  ws_client c{node_.port()};
  c.request(R"("op":"connect")", 1);
  c.send_text(std::string(1024 * 1024 + 1, 'x'));
  EXPECT_EQ(c.wait_closed(), 1009);
  expect_node_serves(node_.port());
}

TEST_F(BadInput, FloodOfBadFramesClosesWith1008) {
  ws_client c{node_.port()};
  for (int i = 0; i < 25; ++i) {
    c.send_text("garbage");
  }
  EXPECT_EQ(c.wait_closed(), 1008);
  expect_node_serves(node_.port());
}

TEST_F(BadInput, AbruptDisconnectMidFrameLeavesOthersServedAndDataStored) {
  ws_client keeper{node_.port()};
  keeper.request(R"("op":"connect")", 1);
  keeper.request(R"("op":"subscribe","topic":"k")", 2);
  EXPECT_TRUE(
      json::parse(keeper.request(R"("op":"publish","topic":"k","data":"a")", 3)).contains("ok"));
  {
    ws_client victim{node_.port()};
    victim.request(R"("op":"connect")", 1);
    victim.request(R"("op":"subscribe","topic":"k")", 2);
    // A masked text frame header announcing 100 bytes, then only 3 of them.
    victim.write_raw(std::string{"\x81\xe4\x01\x02\x03\x04"
                                 "abc",
                                 9});
    victim.abort();
  }
  EXPECT_TRUE(
      json::parse(keeper.request(R"("op":"publish","topic":"k","data":"b")", 4)).contains("ok"));
  // The vanished client's connection actor is gone too (it left its topic).
  EXPECT_TRUE(wait_for([&] { return node_.get().live_connections() == 1; }));
  EXPECT_EQ(node_.get().subscriber_count("default", "k"), 1u);
  auto hist = json::parse(keeper.request(R"("op":"history","topic":"k","from_seq":1)", 5));
  EXPECT_EQ(hist["ok"]["events"].size(), 2u);
  expect_node_serves(node_.port());
}

TEST_F(BadInput, NonWebSocketRequestsToWsGetAnHttpError) {
  EXPECT_EQ(http_get(node_.port(), "/ws").first, 404);
  expect_node_serves(node_.port());
}

} // namespace
} // namespace switchyard::testing
