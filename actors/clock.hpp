#pragma once
// Wall-clock time as the protocol counts it (event `ts`, ttl, dedup and retention
// windows), and the monotonic time of throttles, breakers and drains.

#include <chrono>
#include <cstdint>

namespace switchyard::actors {

/// Milliseconds since the epoch.
inline int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// Milliseconds of a monotonic clock (credit, throttles, breakers and drains count in it).
inline int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace switchyard::actors
