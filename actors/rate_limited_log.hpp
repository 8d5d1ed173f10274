#pragma once
// At most one log line per interval for a recurring condition (a full store, a failing
// disk), reporting how many occurrences the interval swallowed. One actor's use only.

#include <chrono>
#include <cstdint>

namespace switchyard::actors {

class rate_limited_log {
public:
  explicit rate_limited_log(std::chrono::milliseconds interval) : interval_(interval) {}

  /// True when a line may go out now; `suppressed` is then how many occurrences were
  /// swallowed since the last line. False: this occurrence is only counted.
  bool allow(uint64_t& suppressed) {
    const auto now = std::chrono::steady_clock::now();
    if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < interval_) {
      ++suppressed_;
      return false;
    }
    suppressed = suppressed_;
    last_ = now;
    suppressed_ = 0;
    return true;
  }

private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
  uint64_t suppressed_ = 0;
};

} // namespace switchyard::actors
