#include "bench/loadgen/seq_tracker.hpp"

namespace switchyard::bench {

seq_tracker::seq_tracker(std::size_t publishers) : streams_(publishers) {}

bool seq_tracker::observe(uint32_t publisher, uint64_t n) {
  if (publisher >= streams_.size()) {
    return false;
  }
  stream& s = streams_[publisher];
  if (n == s.next) {
    ++s.next;
  } else if (n > s.next) {
    s.holes.emplace(s.next, n);
    s.hole_total += n - s.next;
    s.next = n + 1;
  } else {
    fill_hole(s, n);
  }
  return true;
}

/// `n` is below the next expected number: a late arrival if it sits in a hole,
/// otherwise a duplicate.
void seq_tracker::fill_hole(stream& s, uint64_t n) {
  auto it = s.holes.upper_bound(n);
  if (it == s.holes.begin()) {
    ++duplicates_;
    return;
  }
  --it;
  const uint64_t first = it->first;
  const uint64_t end = it->second;
  if (n >= end) {
    ++duplicates_;
    return;
  }
  ++out_of_order_;
  --s.hole_total;
  s.holes.erase(it);
  if (first < n) {
    s.holes.emplace(first, n);
  }
  if (n + 1 < end) {
    s.holes.emplace(n + 1, end);
  }
}

uint64_t seq_tracker::missing(uint32_t publisher, uint64_t sent) const {
  if (publisher >= streams_.size()) {
    return sent;
  }
  const stream& s = streams_[publisher];
  const uint64_t tail = sent > s.next ? sent - s.next : 0;
  return s.hole_total + tail;
}

} // namespace switchyard::bench
