#include "actors/outbound_queue.hpp"

#include <utility>

namespace switchyard::actors {

outbound_queue::outbound_queue(std::size_t capacity, std::size_t max_frame_bytes)
    : capacity_(capacity), max_frame_bytes_(max_frame_bytes) {}

bool outbound_queue::push(std::shared_ptr<const std::string> msg) {
  if (items_.size() >= capacity_ * 4) {
    return false;
  }
  items_.push_back(std::move(msg));
  return true;
}

outbound_frame outbound_queue::take_frame() {
  outbound_frame frame;
  std::size_t bytes = 0;
  while (!items_.empty()) {
    auto next = items_.front()->size() + 1; // +1: the JSON newline separator
    if (!frame.parts.empty() && bytes + next > max_frame_bytes_) {
      break;
    }
    bytes += next;
    frame.parts.push_back(std::move(items_.front()));
    items_.pop_front();
  }
  return frame;
}

} // namespace switchyard::actors
