#pragma once
// The socket side's grip on its connection actor: lets transport code drive a
// connection without including CAF. Called from the session's io thread only.

#include "actors/connection_sink.hpp"
#include "protocol/message.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace switchyard::actors {

struct node_context;

class connection_handle {
public:
  connection_handle() = default;
  /// Spawns the connection actor for a freshly accepted WebSocket.
  static connection_handle spawn(node_context& ctx, protocol::encoding enc,
                                 std::weak_ptr<connection_sink> sink, std::string remote);
  /// One complete WebSocket message from the client. It is decoded here, on the
  /// socket's io thread, so the actor threads only act on it.
  void frame(std::string_view payload) const;
  /// The socket backlog drained after connection_sink::notify_when_drained().
  void written() const;
  /// The socket is gone; the actor leaves its topics and quits. Idempotent.
  void closed();
  explicit operator bool() const { return impl_ != nullptr; }

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace switchyard::actors
