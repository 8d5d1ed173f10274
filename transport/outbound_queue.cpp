#include "transport/outbound_queue.hpp"

#include <utility>

namespace switchyard::transport {

namespace {

/// Slots kept after a burst; more are given back so idle connections stay small.
constexpr std::size_t keep_capacity = 64;

} // namespace

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
    out += *items_[i];
  }
  items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(taken));
  if (items_.empty() && items_.capacity() > keep_capacity) {
    std::vector<std::shared_ptr<const std::string>>{}.swap(items_);
  }
  return taken;
}

} // namespace switchyard::transport
