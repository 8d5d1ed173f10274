#pragma once
// The one clock of the load generator: CLOCK_MONOTONIC in nanoseconds (what
// std::chrono::steady_clock reads on Linux), so send stamps, receive times and
// timers all agree.

#include <chrono>
#include <cstdint>

namespace switchyard::bench {

/// Nanoseconds on the monotonic clock; callable from any thread.
inline uint64_t mono_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

/// Seconds as nanoseconds (for option values given in seconds).
inline uint64_t seconds_ns(double s) {
  return static_cast<uint64_t>(s * 1e9);
}

} // namespace switchyard::bench
