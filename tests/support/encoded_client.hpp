#pragma once
// A test client that speaks either encoding but reads and writes messages as JSON
// values, so one test body checks a rule in JSON and in MessagePack.

#include "tests/support/ws_client.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

#include <nlohmann/json.hpp>

namespace switchyard::testing {

using json = nlohmann::json;

enum class wire { in_json, in_msgpack };

inline const char* wire_name(wire w) {
  return w == wire::in_json ? "json" : "msgpack";
}

class encoded_client {
public:
  encoded_client(uint16_t port, wire w);

  /// Sends one message (a JSON object; sent as MessagePack in msgpack mode).
  void send(const nlohmann::json& msg);
  /// Sends several messages in one frame.
  void send_frame(const std::vector<nlohmann::json>& msgs);
  /// Sends `msg` with `id` and returns the reply with that id (pushes in between are
  /// kept for next()); a null value (and a test failure) when none came in time.
  nlohmann::json request(nlohmann::json msg, int64_t id);
  /// The reply with `id` to a message already sent (pushes in between are kept).
  nlohmann::json reply(int64_t id);
  /// Next message, or null when none arrives within `timeout`.
  nlohmann::json next(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// The next push of kind `push` (others are dropped), or null.
  nlohmann::json next_push(const std::string& push,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// Sends `connect` and expects ok.
  void connect();
  ws_client& socket() { return ws_; }

private:
  bool fill(std::chrono::milliseconds timeout);

  wire wire_;
  ws_client ws_;
  std::deque<nlohmann::json> inbox_;
};

} // namespace switchyard::testing
