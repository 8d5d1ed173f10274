#pragma once
// All subscribers of a run, spread round-robin over the io threads, connected with a
// bounded number of handshakes in flight (connect_gate).

#include "bench/loadgen/connect_gate.hpp"
#include "bench/loadgen/histogram.hpp"
#include "bench/loadgen/subscriber.hpp"
#include "bench/loadgen/worker_stats.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace switchyard::bench {

/// Sums over every subscriber; computed after the io threads stopped.
struct subscriber_totals {
  uint64_t delivered = 0;
  uint64_t lost = 0; ///< expected but never received (gap-covered events included)
  uint64_t duplicates = 0;
  uint64_t out_of_order = 0;
  uint64_t gap_pushes = 0;
  uint64_t gap_events = 0;
  uint64_t bad_payloads = 0;
  uint64_t disconnects = 0;
  uint64_t last_recv_ns = 0;
  histogram latency;
  std::map<uint64_t, uint64_t> slow; ///< see worker_stats::slow
};

class subscriber_set {
public:
  using topics_fn = std::function<std::vector<std::string>(std::size_t index)>;
  /// Messages publisher `p` sent that subscriber `index` should have received.
  using expected_fn = std::function<uint64_t(std::size_t index, uint32_t p)>;

  subscriber_set(io_pool& pool, const endpoint& ep, std::size_t count, std::size_t publishers,
                 const topics_fn& topics, std::size_t concurrency);

  /// Starts the first `concurrency` handshakes; each finished setup starts the next.
  /// Counts events slower than `ns` by when they were sent (call before start()).
  void count_slower_than(uint64_t ns);
  void start() { gate_.start(); }
  std::size_t size() const { return subs_.size(); }
  std::size_t ready() const { return gate_.ready(); }
  std::size_t failed() const { return gate_.failed(); }
  /// Events received so far by all subscribers. Any thread.
  uint64_t delivered() const;
  /// Events covered by gap pushes so far. Any thread.
  uint64_t gap_events() const;
  /// Everything observed; only after the io threads stopped.
  subscriber_totals collect(const expected_fn& expected) const;

private:
  std::size_t publishers_;
  std::vector<std::unique_ptr<worker_stats>> stats_;
  std::vector<std::unique_ptr<subscriber>> subs_;
  connect_gate gate_;
};

} // namespace switchyard::bench
