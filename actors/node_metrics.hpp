#pragma once
// The node's counters for /metrics: relaxed atomics bumped where the work happens (once
// per batch, never per delivery), read by the scrape. Light (no CAF): node_context
// holds one.

#include <array>
#include <atomic>
#include <cstdint>

namespace switchyard::actors {

/// A histogram with fixed upper bounds; observe() is lock-free.
template <std::size_t N> class fixed_histogram {
public:
  explicit constexpr fixed_histogram(std::array<double, N> bounds) : bounds_(bounds) {}
  void observe(double value) {
    std::size_t i = 0;
    while (i < N && value > bounds_[i]) {
      ++i;
    }
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    // The sum in millionths keeps it an integer atomic (seconds to the microsecond).
    sum_micros_.fetch_add(static_cast<uint64_t>(value * 1e6), std::memory_order_relaxed);
  }
  const std::array<double, N>& bounds() const { return bounds_; }
  /// Observations in bucket i (i == N: above the last bound), not cumulative.
  uint64_t count_in(std::size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  double sum() const {
    return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
  }

private:
  std::array<double, N> bounds_;
  std::array<std::atomic<uint64_t>, N + 1> counts_{};
  std::atomic<uint64_t> sum_micros_{0};
};

struct node_metrics {
  using counter = std::atomic<uint64_t>;
  counter events_stored_total{0};        ///< events a topic stored (publishes, dups left out)
  counter fanout_deliveries_total{0};    ///< live events handed to fanout subscribers
  counter queue_deliveries_total{0};     ///< events handed to queue-group members (attempts)
  counter redeliveries_total{0};         ///< queue deliveries with attempt > 1
  counter dead_letters_total{0};         ///< events moved to dead/<topic>
  counter agent_divergences_total{0};    ///< replayed agent events that decided differently
  counter gaps_total{0};                 ///< gap pushes to slow fanout subscribers
  counter bytes_in_total{0};             ///< WebSocket message bytes read
  counter bytes_out_total{0};            ///< WebSocket message bytes written
  std::atomic<int64_t> subscriptions{0}; ///< fanout subscriptions held by topics
  /// Replication: events stored here whose followers have not all stored them yet (their
  /// publishers wait; the cluster view calls it the replication lag).
  std::atomic<int64_t> replication_waiting_events{0};
  std::atomic<int64_t> queue_lag{0}; ///< events queue groups have yet to finish, summed
  counter topic_restarts_total{0};   ///< restarts by the topic supervisor
  counter group_restarts_total{0};   ///< restarts by the queue-group supervisor
  counter tenant_restarts_total{0};  ///< restarts by the tenant supervisor
  /// Seconds one store write transaction took (commit included).
  fixed_histogram<12> store_commit_seconds{
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0}};
  /// Events one store write transaction held (group commit).
  fixed_histogram<10> store_commit_events{{1, 2, 4, 8, 16, 32, 64, 128, 256, 1024}};
};

} // namespace switchyard::actors
