#pragma once
// The churn of the presence scenario, open loop on one io thread (see churn_schedule):
// the pool's first churners join before the phase, then each tick closes the oldest
// churner and opens a new one. A late tick runs at once and keeps its due time; the
// worst lateness tells whether the driver kept up.

#include "bench/loadgen/churn_schedule.hpp"
#include "bench/loadgen/churner.hpp"
#include "bench/loadgen/io_pool.hpp"
#include "bench/loadgen/ws_conn.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace switchyard::bench {

class churn_driver {
public:
  churn_driver(io_pool& pool, std::size_t worker, const endpoint& ep, std::string topic,
               const churn_schedule& schedule);

  /// Opens the pool's first churners. Control thread, before begin().
  void prefill();
  /// Runs the ticks from the schedule's start (begin the schedule first). Any thread, once.
  void begin();

  const churn_flow& flow() const { return flow_; }
  /// Ticks run so far. Any thread.
  uint64_t ticks_done() const { return ticks_.load(std::memory_order_relaxed); }
  bool done() const { return ticks_done() == schedule_.ticks(); }
  /// The most a tick ran after it was due; after the io threads stopped.
  uint64_t max_lag_ns() const { return max_lag_ns_; }

private:
  void open_next();
  void pump();

  io_pool& pool_;
  std::size_t worker_;
  endpoint ep_;
  std::string topic_;
  const churn_schedule& schedule_;
  io_timer timer_;
  churn_flow flow_;
  /// By serial, kept until the run ends: a closed churner's handlers may still be queued.
  std::vector<std::unique_ptr<churner>> churners_;
  std::atomic<uint64_t> ticks_{0};
  uint64_t max_lag_ns_ = 0;
};

} // namespace switchyard::bench
