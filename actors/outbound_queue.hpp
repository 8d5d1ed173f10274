#pragma once
// A connection's bounded queue of encoded messages waiting for the socket, and the
// coalescing of whatever is queued into one frame (batching from backlog, not timers).
// Plain class; owned by one connection actor.

#include "actors/connection_sink.hpp"

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

namespace switchyard::actors {

class outbound_queue {
public:
  /// `capacity`: messages queued before fanout events are refused (the caller turns
  /// them into a `gap`); `max_frame_bytes`: most bytes one coalesced frame may hold.
  outbound_queue(std::size_t capacity, std::size_t max_frame_bytes);

  /// True when a fanout event would not fit; replies and control pushes are still taken.
  bool full() const { return items_.size() >= capacity_; }
  /// How many fanout events fit now.
  std::size_t room() const { return full() ? 0 : capacity_ - items_.size(); }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }

  /// Replies and control pushes beyond capacity are allowed up to a hard limit (4x
  /// capacity); past it push returns false and the connection must be closed, since
  /// a client that sends requests but never reads would otherwise grow it forever.
  bool push(std::shared_ptr<const std::string> msg);

  /// Takes queued messages, oldest first, up to max_frame_bytes (at least one).
  outbound_frame take_frame();

private:
  std::size_t capacity_;
  std::size_t max_frame_bytes_;
  std::deque<std::shared_ptr<const std::string>> items_;
};

} // namespace switchyard::actors
