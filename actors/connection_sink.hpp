#pragma once
// What a connection actor needs from its socket, without naming Beast or CAF.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace switchyard::actors {

/// Encoded messages handed to the socket together. Parts are shared, immutable buffers
/// (an event encoded once is shared by every subscriber's frame).
struct outbound_frame {
  std::vector<std::shared_ptr<const std::string>> parts;
  /// Events of a big room: they may wait for the socket's next write round
  /// (limits.write_round_ms) instead of leaving at once.
  bool bulk = false;
};

/// Implemented by the transport's WebSocket session. Called from actor threads;
/// implementations hand the work to their socket's executor.
class connection_sink {
public:
  virtual ~connection_sink() = default;
  /// Queues the parts for the socket. Whatever is queued while a write is in progress
  /// leaves together as one frame (JSON parts joined by '\n'), up to the frame size limit.
  virtual void write(outbound_frame frame) = 0;
  /// Messages handed to write() and not yet on the wire (read from any thread).
  virtual std::size_t backlog() const = 0;
  /// Asks for one connection_handle::written() once the backlog is empty.
  virtual void notify_when_drained() = 0;
  /// One frame (of `bytes`) handed over by connection_handle::frame() was handled: the
  /// socket may read more (it pauses past limits.inbound_queue unhandled frames).
  virtual void frame_done(std::size_t bytes) = 0;
  /// The connection holds presence: ping the peer after a quarter of `timeout_ms` of
  /// silence, and cut it before it has been silent for `timeout_ms`.
  virtual void keep_alive_within(int64_t timeout_ms) = 0;
  /// Sends a close frame with `code` after what is queued, and ends the session.
  virtual void close(uint16_t code, std::string reason) = 0;
};

} // namespace switchyard::actors
