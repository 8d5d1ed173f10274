#pragma once
// Helpers the integration and end-to-end tests share: JSON replies, connecting,
// publishing, and bounded waits for a condition a user could observe.

#include "tests/support/ws_client.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace switchyard::testing {

using json = nlohmann::json;

/// The message parsed, or null JSON (with a test failure) when there was none.
json parse(const std::optional<std::string>& msg);

/// Sends `connect` and expects ok.
void connect(ws_client& c);

/// `count` publishes to `topic` as one frame, with ids first_id.. and data = their index
/// from first_data on (integers).
std::string publish_frame(const std::string& topic, int64_t first_id, int64_t first_data,
                          int count);

/// The topic's stored seqs from 1 on, read page by page with `history` (ids from 900000).
std::vector<uint64_t> stored_seqs(ws_client& c, const std::string& topic);

/// The topic's last seq, from `history`.
uint64_t last_seq(ws_client& c, const std::string& topic);

/// Calls `pred` every few milliseconds until it is true or `timeout` passed; returns
/// whether it became true. For conditions with no event to wait on (a counter going down).
bool wait_for(const std::function<bool()>& pred,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Sets the flag when its scope ends. Declared after a std::jthread whose loop watches
/// the flag, it stops that thread before the thread is joined, also when an ASSERT
/// returns early.
struct stop_on_exit {
  std::atomic<bool>& flag;
  ~stop_on_exit() { flag = true; }
};

/// A fresh client can still connect, publish and get its ack.
void expect_node_serves(uint16_t port);

} // namespace switchyard::testing
