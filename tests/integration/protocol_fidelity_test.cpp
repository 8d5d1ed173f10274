// What the node answers is exactly what PROTOCOL.md says: fields it does not implement
// are refused, errors of messages without id are still sent, no server message exceeds
// limits.max_frame_bytes, and the per-frame and keep-alive rules hold.

#include "protocol/codec.hpp"
#include "tests/support/protocol_helpers.hpp"
#include "tests/support/test_node.hpp"

#include <gtest/gtest.h>
#include <msgpack.hpp>

namespace switchyard::testing {
namespace {

json error_of(ws_client& c, const std::string& fields, int64_t id) {
  auto r = json::parse(c.request(fields, id));
  EXPECT_TRUE(r.contains("error")) << fields << " -> " << r.dump();
  return r.contains("error") ? r["error"] : json{};
}

TEST(ProtocolFidelity, FieldsTheNodeDoesNotImplementAreRefusedByName) {
  test_node node;
  ws_client c{node.port()};
  auto e = error_of(c, R"("op":"connect","token":"abc")", 1);
  EXPECT_EQ(e["code"], "bad_request");
  EXPECT_NE(e["message"].get<std::string>().find("'token'"), std::string::npos) << e.dump();
  e = error_of(c, R"("op":"connect","resume":{"session":"s","topics":{},"extra":1})", 2);
  EXPECT_NE(e["message"].get<std::string>().find("'extra'"), std::string::npos) << e.dump();
  connect(c);
  const std::vector<std::pair<std::string, std::string>> refused = {
      {R"("op":"subscribe","topic":"t","mode":"queue","group":"g","presence":true)", "'presence'"},
      // Queue-only fields on a fanout subscription.
      {R"("op":"subscribe","topic":"t","max_inflight":5)", "'max_inflight'"},
      {R"("op":"subscribe","topic":"t","ack_wait_ms":5)", "'ack_wait_ms'"},
      {R"("op":"subscribe","topic":"t","group":"g")", "'group'"},
  };
  int64_t id = 10;
  for (const auto& [fields, name] : refused) {
    auto err = error_of(c, fields, id++);
    EXPECT_EQ(err["code"], "bad_request") << fields;
    EXPECT_NE(err["message"].get<std::string>().find(name), std::string::npos) << err.dump();
  }
  // Nothing of the refused publishes was stored.
  EXPECT_EQ(last_seq(c, "t"), 0u);
}

TEST(ProtocolFidelity, ErrorsOfMessagesWithoutIdAreSentWithoutId) {
  test_node node;
  ws_client c{node.port()};
  connect(c);
  c.send_text(R"({"op":"publish","topic":"t","data":1,"idem":""})");
  auto err = parse(c.next());
  EXPECT_FALSE(err.contains("id")) << err.dump();
  EXPECT_EQ(err["error"]["code"], "bad_request");
  c.send_text(R"({"op":"subscribe","topic":"t"})");
  c.send_text(R"({"op":"subscribe","topic":"t"})"); // the second is an error
  err = parse(c.next());
  EXPECT_FALSE(err.contains("id")) << err.dump();
  EXPECT_EQ(err["error"]["code"], "bad_request");
}

TEST(ProtocolFidelity, AHistoryReplyStopsAtTheFrameLimitAndSaysWhereToGoOn) {
  test_node node{[](runtime::node_config& cfg) { cfg.limits.max_frame_bytes = 4096; }};
  ws_client c{node.port()};
  connect(c);
  const std::string text(600, 'h');
  for (int i = 1; i <= 20; ++i) {
    ASSERT_TRUE(json::parse(c.request(R"("op":"publish","topic":"big","data":")" + text + "\"", i))
                    .contains("ok"));
  }
  uint64_t from = 1;
  std::vector<uint64_t> seqs;
  for (int64_t id = 100; from <= 20; ++id) {
    c.send_text(R"({"id":)" + std::to_string(id) + R"(,"op":"history","topic":"big","from_seq":)" +
                std::to_string(from) + R"(,"limit":20})");
    auto frame = c.read_frame();
    ASSERT_TRUE(frame.has_value());
    EXPECT_LE(frame->size(), 4096u);
    auto page = json::parse(*frame)["ok"];
    ASSERT_FALSE(page["events"].empty()) << page.dump();
    EXPECT_LT(page["events"].size(), 20u);
    for (const auto& ev : page["events"]) {
      seqs.push_back(ev["seq"].get<uint64_t>());
    }
    EXPECT_EQ(page["next_seq"], seqs.back() + 1);
    EXPECT_EQ(page["last_seq"], 20);
    from = page["next_seq"].get<uint64_t>();
  }
  ASSERT_EQ(seqs.size(), 20u);
  for (uint64_t i = 0; i < 20; ++i) {
    EXPECT_EQ(seqs[i], i + 1);
  }
}

TEST(ProtocolFidelity, APublishWhoseEventWouldExceedTheFrameLimitIsTooLarge) {
  test_node node{[](runtime::node_config& cfg) { cfg.limits.max_frame_bytes = 4096; }};
  ws_client c{node.port(), "switchyard.v1.msgpack"};
  ws_client json_sub{node.port()};
  connect(json_sub);
  ASSERT_TRUE(json::parse(json_sub.request(R"("op":"subscribe","topic":"bin")", 2)).contains("ok"));
  // 3500 binary bytes fit a msgpack frame, but reach JSON subscribers as 4668 base64 chars.
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  auto publish = [&](int64_t id, std::size_t bytes) {
    buf.clear();
    pk.pack_map(5);
    pk.pack("id");
    pk.pack(id);
    pk.pack("op");
    pk.pack("publish");
    pk.pack("topic");
    pk.pack("bin");
    // Longer than a short-string buffer: the size check reads it from the heap.
    pk.pack("key");
    pk.pack("a-key-longer-than-any-short-string-buffer");
    pk.pack("data");
    pk.pack_bin(static_cast<uint32_t>(bytes));
    pk.pack_bin_body(std::string(bytes, '\x01').data(), static_cast<uint32_t>(bytes));
    c.send_binary(std::string(buf.data(), buf.size()));
    auto reply = c.read_frame();
    EXPECT_TRUE(reply.has_value());
    return reply ? json::parse(protocol::msgpack_to_json(*reply)) : json{};
  };
  pk.pack_map(2);
  pk.pack("id");
  pk.pack(1);
  pk.pack("op");
  pk.pack("connect");
  c.send_binary(std::string(buf.data(), buf.size()));
  ASSERT_TRUE(c.read_frame().has_value());
  auto refused = publish(2, 3500);
  EXPECT_EQ(refused["error"]["code"], "too_large") << refused.dump();
  auto stored = publish(3, 1000);
  EXPECT_TRUE(stored.contains("ok")) << stored.dump();
  auto ev = parse(json_sub.next());
  EXPECT_EQ(ev["seq"], 1); // the refused one made no event
  EXPECT_EQ(ev["data_encoding"], "base64");
}

TEST(ProtocolFidelity, AFrameCarriesAtMost1024MessagesAndTheRestIsRefusedOnce) {
  test_node node;
  ws_client c{node.port()};
  connect(c);
  std::string frame;
  for (int i = 0; i < 1100; ++i) {
    frame += R"({"id":)" + std::to_string(10 + i) + R"(,"op":"ping"})" + "\n";
  }
  c.send_text(frame);
  int ok = 0;
  int errors = 0;
  for (int i = 0; i < 1025; ++i) {
    auto m = parse(c.next());
    ok += m.contains("ok") ? 1 : 0;
    if (m.contains("error")) {
      ++errors;
      EXPECT_EQ(m["error"]["code"], "bad_request");
    }
  }
  EXPECT_EQ(ok, 1024);
  EXPECT_EQ(errors, 1);
  // Nothing else follows: the next message is the reply to the next request.
  c.send_text(R"({"id":7,"op":"ping"})");
  EXPECT_EQ(parse(c.next()), json::parse(R"({"id":7,"ok":{}})"));
}

TEST(ProtocolFidelity, PingWithIdIsAnsweredAndWithoutIdIsNot) {
  test_node node;
  ws_client c{node.port()};
  connect(c);
  c.send_text(R"({"op":"ping"})");
  c.send_text(R"({"id":3,"op":"ping"})");
  // The next message is the reply to the ping with an id: the first had none.
  EXPECT_EQ(parse(c.next()), json::parse(R"({"id":3,"ok":{}})"));
}

} // namespace
} // namespace switchyard::testing
