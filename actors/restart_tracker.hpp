#pragma once
// The failure history of one supervised child: exponential backoff between restarts,
// and a cut-off once it fails more than `max_restarts` times within `window_ms` (so a
// poison message cannot spin a core). Plain class, no CAF; used by keyed_supervisor.

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace switchyard::actors {

/// Config area `supervision`.
struct restart_policy {
  int64_t backoff_min_ms = 10;   ///< first restart delay
  int64_t backoff_max_ms = 1000; ///< restart delay cap (doubles per failure)
  int64_t max_restarts = 10;     ///< restarts allowed within window_ms
  int64_t window_ms = 10000;     ///< past the intensity, the child is cut off this long
};

class restart_tracker {
public:
  using clock = std::chrono::steady_clock;

  /// Records an abnormal exit at `now`. Returns the delay before the restart, or
  /// nullopt when the child exceeded its restart intensity: it is then cut off for
  /// `window_ms`.
  std::optional<std::chrono::milliseconds> failed(const restart_policy& policy,
                                                  clock::time_point now);

  /// Failures within the window, as of the last failed() call.
  std::size_t recent_failures() const { return failures_.size(); }
  bool cut_off(clock::time_point now) const { return now < cut_off_until_; }
  clock::time_point cut_off_until() const { return cut_off_until_; }
  /// True when nothing in the history matters any more (no recent failure, no cut-off).
  bool forgotten(const restart_policy& policy, clock::time_point now) const;

private:
  std::vector<clock::time_point> failures_;
  clock::time_point cut_off_until_{};
};

} // namespace switchyard::actors
