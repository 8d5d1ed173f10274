#pragma once
// One tenant's accounting, apart from its actor so it is tested with a fake clock:
// connection and subscription counts, publish credit (token buckets), the slow_down
// level and the circuit breaker. Times are steady milliseconds.

#include "actors/tenant_policy.hpp"
#include "actors/token_bucket.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace switchyard::actors {

enum class breaker_state { closed, open, half_open };
const char* to_string(breaker_state s);

/// The answer to a request for publish credit.
struct credit_grant {
  enum class verdict { granted, throttled, circuit_open };
  verdict outcome = verdict::granted;
  int64_t msgs = 0;  ///< events it may publish
  int64_t bytes = 0; ///< bytes of `data` it may publish
  int64_t retry_after_ms = 0;
};

class tenant_guard {
public:
  /// How often tick() is expected: the usage window is four ticks long (one second).
  static constexpr int64_t tick_ms = 250;
  /// A half-open breaker closes after this long without overload.
  static constexpr int64_t probe_ms = 1000;

  tenant_guard(const tenant_limits& limits, const breaker_settings& breaker, int64_t now_ms);

  /// New limits (a reload); counts and credit already granted stay.
  void reconfigure(const tenant_limits& limits, const breaker_settings& breaker, int64_t now_ms);
  const tenant_limits& limits() const { return limits_; }

  /// A connection wants in: nullopt when it may (and it is counted), else why not.
  std::optional<credit_grant> open_connection(int64_t now_ms);
  void close_connection() { --connections_; }
  /// A connection this tenant had before it restarted: counted whatever the limits.
  void readmit_connection() { ++connections_; }
  int64_t connections() const { return connections_; }
  int64_t subscriptions() const { return subscriptions_; }

  /// A subscription wants in (max_subscriptions): true when it is counted.
  bool add_subscription();
  /// Counts subscriptions made without asking (limit 0), or removed (n < 0).
  void count_subscriptions(int64_t n) { subscriptions_ += n; }

  /// Credit for at least `need_msgs` events of `need_bytes` bytes, up to `want_msgs` and
  /// `want_bytes`; refused, retry_after_ms says when `want_msgs` and `want_bytes` are
  /// there again (at most a second).
  credit_grant lease(int64_t need_msgs, int64_t want_msgs, int64_t need_bytes, int64_t want_bytes,
                     int64_t now_ms);
  /// A publish of this tenant failed for want of room (topic full, store unavailable).
  void store_failure() { overloaded_now_ = true; }

  /// What changed at a tick.
  struct tick_outcome {
    std::optional<int> level;             ///< the slow_down level, when it changed
    std::optional<breaker_state> breaker; ///< the breaker's state, when it changed
  };
  tick_outcome tick(int64_t now_ms);

  int level() const { return level_; }
  breaker_state breaker() const { return breaker_; }
  /// How long a refused client should wait: the cool-down left, or the bucket's refill.
  int64_t retry_after_ms(int64_t now_ms);
  /// Nothing to remember: no connection, full buckets, breaker closed.
  bool idle() const;

private:
  tenant_limits limits_;
  breaker_settings breaker_settings_;
  int64_t connections_ = 0;
  int64_t subscriptions_ = 0;
  token_bucket msgs_;
  token_bucket bytes_;
  /// Credit granted in the last four ticks and in the current one, for the usage ratio.
  std::array<int64_t, 4> msgs_window_{};
  std::array<int64_t, 4> bytes_window_{};
  int64_t msgs_now_ = 0;
  int64_t bytes_now_ = 0;
  std::size_t window_pos_ = 0;
  bool overloaded_now_ = false; ///< a refusal or a store failure since the last tick
  int level_ = 0;
  breaker_state breaker_ = breaker_state::closed;
  int64_t last_tick_ms_;
  int64_t overloaded_ms_ = 0; ///< how long every tick was overloaded
  int64_t open_until_ms_ = 0;
  int64_t probe_until_ms_ = 0;
};

} // namespace switchyard::actors
