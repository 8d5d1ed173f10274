#include "tests/support/protocol_helpers.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace switchyard::testing {

json parse(const std::optional<std::string>& msg) {
  EXPECT_TRUE(msg.has_value()) << "no message";
  return msg ? json::parse(*msg) : json{};
}

void connect(ws_client& c) {
  auto reply = json::parse(c.request(R"("op":"connect")", 1));
  ASSERT_TRUE(reply.contains("ok")) << reply.dump();
}

std::string publish_frame(const std::string& topic, int64_t first_id, int64_t first_data,
                          int count) {
  std::string frame;
  for (int i = 0; i < count; ++i) {
    frame += R"({"id":)" + std::to_string(first_id + i) + R"(,"op":"publish","topic":")" + topic +
             R"(","data":)" + std::to_string(first_data + i) + "}\n";
  }
  return frame;
}

std::vector<uint64_t> stored_seqs(ws_client& c, const std::string& topic) {
  std::vector<uint64_t> out;
  uint64_t from = 1;
  for (int64_t id = 900000;; ++id) {
    auto page = json::parse(c.request(R"("op":"history","topic":")" + topic + R"(","from_seq":)" +
                                          std::to_string(from) + R"(,"limit":1000)",
                                      id));
    if (!page.contains("ok") || page["ok"]["events"].empty()) {
      EXPECT_TRUE(page.contains("ok")) << page.dump();
      return out;
    }
    for (const auto& ev : page["ok"]["events"]) {
      out.push_back(ev["seq"].get<uint64_t>());
    }
    from = page["ok"]["next_seq"].get<uint64_t>();
  }
}

uint64_t last_seq(ws_client& c, const std::string& topic) {
  auto page = json::parse(
      c.request(R"("op":"history","topic":")" + topic + R"(","from_seq":1,"limit":1)", 899999));
  return page["ok"]["last_seq"].get<uint64_t>();
}

bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void expect_node_serves(uint16_t port) {
  ws_client c{port};
  auto ok = json::parse(c.request(R"("op":"connect")", 1));
  ASSERT_TRUE(ok.contains("ok"));
  auto ack = json::parse(c.request(R"("op":"publish","topic":"alive","data":1)", 2));
  ASSERT_TRUE(ack.contains("ok")) << ack.dump();
}

} // namespace switchyard::testing
