#include "tests/support/encoded_client.hpp"

#include <gtest/gtest.h>
#include <msgpack.hpp>

namespace switchyard::testing {

using json = nlohmann::json;

encoded_client::encoded_client(uint16_t port, wire w)
    : wire_(w), ws_(port, w == wire::in_json ? "switchyard.v1.json" : "switchyard.v1.msgpack") {}

void encoded_client::send(const json& msg) {
  send_frame({msg});
}

void encoded_client::send_frame(const std::vector<json>& msgs) {
  std::string frame;
  for (const auto& m : msgs) {
    if (wire_ == wire::in_json) {
      frame += (frame.empty() ? "" : "\n") + m.dump();
    } else {
      const auto bytes = json::to_msgpack(m);
      frame.append(bytes.begin(), bytes.end());
    }
  }
  wire_ == wire::in_json ? ws_.send_text(frame) : ws_.send_binary(frame);
}

bool encoded_client::fill(std::chrono::milliseconds timeout) {
  auto frame = ws_.read_frame(timeout);
  if (!frame) {
    return false;
  }
  if (wire_ == wire::in_json) {
    std::size_t pos = 0;
    while (pos < frame->size()) {
      auto nl = frame->find('\n', pos);
      if (nl == std::string::npos) {
        nl = frame->size();
      }
      inbox_.push_back(json::parse(frame->substr(pos, nl - pos)));
      pos = nl + 1;
    }
    return true;
  }
  // Maps back to back: msgpack-c finds where each ends, nlohmann turns it into JSON.
  std::size_t pos = 0;
  while (pos < frame->size()) {
    const std::size_t begin = pos;
    msgpack::unpack(frame->data(), frame->size(), pos);
    inbox_.push_back(json::from_msgpack(frame->begin() + static_cast<std::ptrdiff_t>(begin),
                                        frame->begin() + static_cast<std::ptrdiff_t>(pos)));
  }
  return true;
}

json encoded_client::next(std::chrono::milliseconds timeout) {
  if (inbox_.empty() && !fill(timeout)) {
    return nullptr;
  }
  if (inbox_.empty()) {
    return nullptr;
  }
  auto m = std::move(inbox_.front());
  inbox_.pop_front();
  return m;
}

json encoded_client::next_push(const std::string& push, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return nullptr;
    }
    auto m = next(left);
    if (m.is_null() || m.value("push", "") == push) {
      return m;
    }
  }
}

json encoded_client::request(json msg, int64_t id) {
  msg["id"] = id;
  send(msg);
  return reply(id);
}

json encoded_client::reply(int64_t id) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
      if (it->contains("id") && (*it)["id"] == id) {
        auto reply = std::move(*it);
        inbox_.erase(it);
        return reply;
      }
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !fill(left)) {
      ADD_FAILURE() << "no reply to id " << id;
      return nullptr;
    }
  }
}

void encoded_client::connect() {
  auto reply = request({{"op", "connect"}}, 1);
  ASSERT_TRUE(reply.contains("ok")) << reply.dump();
}

} // namespace switchyard::testing
