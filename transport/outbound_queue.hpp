#pragma once
// The messages waiting for a connection's socket, and the coalescing of whatever is
// queued into one frame (batching from backlog, not timers). Plain class; owned by the
// WebSocket session, used on its io thread only.

#include "actors/connection_sink.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace switchyard::transport {

class outbound_queue {
public:
  /// `max_frame_bytes`: most bytes one coalesced frame may hold.
  explicit outbound_queue(std::size_t max_frame_bytes);

  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }

  void push(std::shared_ptr<const std::string> msg) { items_.push_back(std::move(msg)); }

  /// Moves queued messages, oldest first, into `out` as one frame's payload, up to
  /// max_frame_bytes (at least one message); JSON messages are joined by '\n'.
  /// Returns how many messages it took.
  std::size_t take_frame(std::string& out, bool newline_separated);

private:
  std::size_t max_frame_bytes_;
  /// A vector consumed from the front in bulk: an empty std::deque allocates ~600 B, and
  /// there is one queue per connection.
  std::vector<std::shared_ptr<const std::string>> items_;
};

} // namespace switchyard::transport
