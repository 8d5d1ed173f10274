#include "actors/restart_tracker.hpp"

#include <algorithm>

namespace switchyard::actors {

std::optional<std::chrono::milliseconds> restart_tracker::failed(const restart_policy& policy,
                                                                 clock::time_point now) {
  const auto window = std::chrono::milliseconds(policy.window_ms);
  std::erase_if(failures_, [&](clock::time_point t) { return now - t > window; });
  failures_.push_back(now);
  const auto n = static_cast<int64_t>(failures_.size());
  if (n > policy.max_restarts) {
    cut_off_until_ = now + window;
    return std::nullopt;
  }
  const int64_t doubling = std::min<int64_t>(n - 1, 20);
  return std::chrono::milliseconds(
      std::min<int64_t>(policy.backoff_max_ms, policy.backoff_min_ms << doubling));
}

bool restart_tracker::forgotten(const restart_policy& policy, clock::time_point now) const {
  const auto window = std::chrono::milliseconds(policy.window_ms);
  return !cut_off(now) && std::all_of(failures_.begin(), failures_.end(),
                                      [&](clock::time_point t) { return now - t > window; });
}

} // namespace switchyard::actors
