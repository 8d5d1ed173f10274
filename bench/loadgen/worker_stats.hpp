#pragma once
// What the subscribers of one io thread observed. Only that thread writes; the
// atomics are also read by publishers (closed-loop window) and the progress line,
// the rest once the io threads stopped. One per thread, so nothing is contended.

#include "bench/loadgen/histogram.hpp"

#include <atomic>
#include <cstdint>
#include <map>

namespace switchyard::bench {

/// Adds `n` to a counter that has a single writer (no locked read-modify-write).
inline void bump(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

/// The slow-event timeline's resolution.
constexpr uint64_t slow_bucket_ns = 100'000'000;

struct alignas(64) worker_stats {
  std::atomic<uint64_t> delivered{0};  ///< events received with a valid stamp
  std::atomic<uint64_t> gap_events{0}; ///< events covered by `gap` pushes
  uint64_t gap_pushes = 0;             ///< `gap` pushes received
  uint64_t bad_payloads = 0;           ///< events whose data was not a stamp of this run
  uint64_t disconnects = 0;            ///< ready subscribers the node closed
  uint64_t last_recv_ns = 0;           ///< when the latest event arrived
  histogram latency;                   ///< receive time - (intended) send time
  uint64_t slow_ns = 0;                ///< with --slow-ms: what counts as slow (0 = nothing)
  std::map<uint64_t, uint64_t> slow;   ///< slow events by the 100 ms their send fell in
};

} // namespace switchyard::bench
