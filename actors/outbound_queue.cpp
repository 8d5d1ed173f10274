#include "actors/outbound_queue.hpp"

#include <utility>

namespace switchyard::actors {

outbound_queue::outbound_queue(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

std::size_t outbound_queue::take_frame(std::string& out, bool newline_separated) {
  std::size_t taken = 0;
  std::size_t bytes = 0;
  for (const auto& item : items_) {
    if (taken > 0 && bytes + item->size() + 1 > max_frame_bytes_) {
      break;
    }
    bytes += item->size() + 1;
    ++taken;
  }
  out.reserve(out.size() + bytes);
  for (std::size_t i = 0; i < taken; ++i) {
    if (i > 0 && newline_separated) {
      out += '\n';
    }
    out += *items_.front();
    items_.pop_front();
  }
  return taken;
}

} // namespace switchyard::actors
