#include "bench/loadgen/subscriber_set.hpp"

#include "bench/loadgen/io_pool.hpp"

#include <algorithm>

namespace switchyard::bench {

subscriber_set::subscriber_set(io_pool& pool, const endpoint& ep, std::size_t count,
                               std::size_t publishers, const topics_fn& topics,
                               std::size_t concurrency)
    : publishers_(publishers),
      gate_(count, concurrency, [this](std::size_t i) { subs_[i]->start(); }) {
  for (std::size_t w = 0; w < pool.size(); ++w) {
    stats_.push_back(std::make_unique<worker_stats>());
  }
  subs_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t w = i % pool.size();
    subs_.push_back(std::make_unique<subscriber>(pool, w, ep, *stats_[w], topics(i), publishers,
                                                 [this](bool ok) { gate_.done(ok); }));
  }
}

uint64_t subscriber_set::delivered() const {
  uint64_t sum = 0;
  for (const auto& s : stats_) {
    sum += s->delivered.load(std::memory_order_relaxed);
  }
  return sum;
}

uint64_t subscriber_set::gap_events() const {
  uint64_t sum = 0;
  for (const auto& s : stats_) {
    sum += s->gap_events.load(std::memory_order_relaxed);
  }
  return sum;
}

void subscriber_set::count_slower_than(uint64_t ns) {
  for (auto& s : stats_) {
    s->slow_ns = ns;
  }
}

subscriber_totals subscriber_set::collect(const expected_fn& expected) const {
  subscriber_totals t;
  for (const auto& s : stats_) {
    t.delivered += s->delivered.load();
    t.gap_events += s->gap_events.load();
    t.gap_pushes += s->gap_pushes;
    t.bad_payloads += s->bad_payloads;
    t.disconnects += s->disconnects;
    t.last_recv_ns = std::max(t.last_recv_ns, s->last_recv_ns);
    t.latency.merge(s->latency);
    for (const auto& [at, n] : s->slow) {
      t.slow[at] += n;
    }
  }
  for (std::size_t i = 0; i < subs_.size(); ++i) {
    const seq_tracker& tr = subs_[i]->tracker();
    t.duplicates += tr.duplicates();
    t.out_of_order += tr.out_of_order();
    for (uint32_t p = 0; p < publishers_; ++p) {
      t.lost += tr.missing(p, expected(i, p));
    }
  }
  return t;
}

} // namespace switchyard::bench
