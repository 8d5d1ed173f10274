#pragma once
// One WebSocket connection to the node, speaking the public protocol (JSON or
// MessagePack) synchronously: the CLI does one thing at a time, so blocking calls are
// the simplest correct client. WebSocket pings are answered while reading.

#include "tools/ctl/node_endpoint.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchyard::ctl {

enum class wire {
  json,    ///< the default subprotocol: what the user reads
  msgpack, ///< switchyard.v1.msgpack: data passes through unchanged (binary stays binary)
};

class ws_link {
public:
  /// Connects to ws://host:port/ws and sends `connect` with the endpoint's token;
  /// throws ctl_error when either fails.
  ws_link(const node_endpoint& node, wire encoding);
  ~ws_link();
  ws_link(const ws_link&) = delete;
  ws_link& operator=(const ws_link&) = delete;

  /// Sends `op` with the next id and returns its `ok` object; an `error` reply throws
  /// ctl_error::from_node. Pushes read meanwhile are kept for next_message().
  nlohmann::json call(nlohmann::json op);
  /// Sends the messages in one frame (each should carry an id from next_id()).
  void send(const std::vector<nlohmann::json>& messages);
  /// The next message from the node (a kept one first); blocks.
  nlohmann::json next_message();
  uint64_t next_id() { return ++last_id_; }
  /// The node's limits.max_frame_bytes (from the connect reply).
  std::size_t max_frame_bytes() const { return max_frame_bytes_; }
  /// Bytes `message` takes on this connection's wire.
  std::size_t encoded_size(const nlohmann::json& message) const;

private:
  struct socket;
  std::unique_ptr<socket> socket_;
  wire encoding_;
  uint64_t last_id_ = 0;
  std::size_t max_frame_bytes_ = 1u << 20;
  std::deque<nlohmann::json> kept_;
};

} // namespace switchyard::ctl
