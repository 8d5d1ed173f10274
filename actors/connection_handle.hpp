#pragma once
// The socket side's grip on its connection actor: lets transport code drive a
// connection without including CAF. Called from the session's io thread only.

#include "actors/connection_sink.hpp"
#include "protocol/message.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace caf {
class actor_control_block;
} // namespace caf

namespace switchyard::actors {

struct node_context;

class connection_handle {
public:
  connection_handle() = default;
  connection_handle(connection_handle&& other) noexcept
      : actor_(std::exchange(other.actor_, nullptr)), enc_(other.enc_) {}
  connection_handle& operator=(connection_handle&& other) noexcept;
  connection_handle(const connection_handle&) = delete;
  connection_handle& operator=(const connection_handle&) = delete;
  ~connection_handle();
  /// Spawns the connection actor for a freshly accepted WebSocket.
  static connection_handle spawn(node_context& ctx, protocol::encoding enc,
                                 std::weak_ptr<connection_sink> sink, std::string remote);
  /// One complete WebSocket message from the client. It is decoded here, on the
  /// socket's io thread, so the actor threads only act on it.
  void frame(std::string_view payload) const;
  /// The socket backlog drained after connection_sink::notify_when_drained().
  void written() const;
  /// The node drains: the actor pushes `drain` with this reconnect time, refuses new
  /// work and closes (1001) at that time once what it has in flight finished, or after
  /// `timeout_ms` whatever it has.
  void drain(int64_t reconnect_after_ms, int64_t timeout_ms) const;
  /// How the socket ended, for presence (PROTOCOL.md, Presence).
  enum class hangup : uint8_t {
    by_peer, ///< the client sent its close frame first: its memberships leave at once
    silent,  ///< cut after presence.timeout_ms of silence: leave at once
    lost     ///< it vanished, or the node closed it: members linger for a resume
  };
  /// The socket is gone; the actor leaves its topics and quits. Idempotent.
  void closed(hangup how = hangup::lost);
  explicit operator bool() const { return actor_ != nullptr; }

private:
  /// The actor's control block, holding one strong reference: a raw pointer rather than
  /// a caf::actor keeps CAF out of transport code without a heap-allocated wrapper per
  /// connection.
  caf::actor_control_block* actor_ = nullptr;
  protocol::encoding enc_ = protocol::encoding::json;
};

} // namespace switchyard::actors
