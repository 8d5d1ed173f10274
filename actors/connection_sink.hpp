#pragma once
// What a connection actor needs from its socket, without naming Beast or CAF.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace switchyard::actors {

/// Messages that leave as ONE WebSocket frame. Parts are shared, immutable buffers
/// (an event encoded once is shared by every subscriber's frame).
struct outbound_frame {
  std::vector<std::shared_ptr<const std::string>> parts;
};

/// Implemented by the transport's WebSocket session. Called from actor threads;
/// implementations hand the work to their socket's executor.
class connection_sink {
public:
  virtual ~connection_sink() = default;
  /// Writes the parts as one frame (JSON parts joined by '\n'); the connection is
  /// told through connection_handle::written() once the socket took it.
  virtual void write(outbound_frame frame) = 0;
  /// Sends a close frame with `code` and ends the session.
  virtual void close(uint16_t code, std::string reason) = 0;
};

} // namespace switchyard::actors
