#pragma once
// The churn of the presence scenario as the driver and the members both see it.
// Churner s (s = 0, 1, ...) connects as client `switchyard-bench/churn/<s>`. The first
// `pool` join before the churn phase; then tick j, due at start + j * tick, closes
// churner j and opens churner pool + j: one leave and one join, so `rate` changes per
// second and a set of constant size. Open loop: a member times a change it sees from
// when the change was due, so a late driver or a slow connect counts as delay.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::bench {

class churn_schedule {
public:
  /// `rate` changes/s (joins + leaves; 0 = none) for `duration_s` seconds.
  churn_schedule(double rate, double duration_s)
      : tick_ns_(rate > 0 ? 2e9 / rate : 0),
        // A churner stays joined for a second at least (and 20 ticks), so it is
        // subscribed well before its leave is due.
        pool_(rate > 0 ? std::max<uint64_t>(20, static_cast<uint64_t>(std::ceil(rate / 2))) : 0),
        ticks_(rate > 0 ? static_cast<uint64_t>(std::ceil(duration_s * 1e9 / tick_ns_)) : 0) {}

  uint64_t pool() const { return pool_; }
  /// Ticks of the phase: each due before its end.
  uint64_t ticks() const { return ticks_; }
  double tick_ns() const { return tick_ns_; }

  /// Starts the phase at `t0_ns`. Control thread, once.
  void begin(uint64_t t0_ns) { start_ns_.store(t0_ns, std::memory_order_release); }
  /// When the phase started; 0 before. Any thread.
  uint64_t start_ns() const { return start_ns_.load(std::memory_order_acquire); }
  /// When tick `j` is due (after begin()).
  uint64_t tick_due_ns(uint64_t j) const {
    return start_ns() + static_cast<uint64_t>(static_cast<double>(j) * tick_ns_);
  }

  /// When churner `s`'s join was due; nullopt for the pool's first, which joined
  /// before the phase.
  std::optional<uint64_t> join_due_ns(uint64_t s) const {
    return s < pool_ ? std::nullopt : std::optional<uint64_t>(tick_due_ns(s - pool_));
  }
  /// When churner `s`'s leave was due.
  uint64_t leave_due_ns(uint64_t s) const { return tick_due_ns(s); }

  static std::string client_name(uint64_t s) {
    return std::string(client_prefix) + std::to_string(s);
  }
  /// The churner a member's `client` names; nullopt for a steady member.
  static std::optional<uint64_t> churner_of(std::string_view client) {
    if (!client.starts_with(client_prefix) || client.size() == client_prefix.size()) {
      return std::nullopt;
    }
    uint64_t s = 0;
    for (const char c : client.substr(client_prefix.size())) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      s = s * 10 + static_cast<uint64_t>(c - '0');
    }
    return s;
  }

private:
  static constexpr std::string_view client_prefix = "switchyard-bench/churn/";

  double tick_ns_;
  uint64_t pool_;
  uint64_t ticks_;
  std::atomic<uint64_t> start_ns_{0};
};

} // namespace switchyard::bench
