#pragma once
// Internal: what the server needs from every live WebSocket session, whatever stream
// it runs on: a way to drain it, to close it (shutdown, 1001) and to let it go once the
// io threads are gone.

#include <cstdint>
#include <string>

namespace switchyard::transport {

class live_session {
public:
  virtual ~live_session() = default;
  /// The node drains: its connection pushes `drain` with this reconnect time and closes
  /// at that time once its work in flight finished (`timeout_ms` at the latest).
  virtual void drain(int64_t reconnect_after_ms, int64_t timeout_ms) = 0;
  /// Sends a close frame with `code` after what is queued, and ends the session.
  virtual void close(uint16_t code, std::string reason) = 0;
  /// Ends the session without touching the socket (its io threads are gone).
  virtual void abandon() = 0;
};

} // namespace switchyard::transport
