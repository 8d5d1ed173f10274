#include "bench/loadgen/presence_member_set.hpp"

#include "bench/loadgen/io_pool.hpp"

#include <algorithm>

namespace switchyard::bench {

namespace {

/// Members that time the churn: enough for a p99, few enough to cost nothing.
constexpr std::size_t delay_sample = 100;

/// The nearest-rank 99th percentile (reorders `cells`); 0 when empty.
uint32_t p99(std::vector<uint32_t>& cells) {
  if (cells.empty()) {
    return 0;
  }
  const auto rank = (cells.size() * 99 + 99) / 100 - 1;
  const auto at = cells.begin() + static_cast<std::ptrdiff_t>(rank);
  std::nth_element(cells.begin(), at, cells.end());
  return *at;
}

} // namespace

presence_member_set::presence_member_set(io_pool& pool, const endpoint& ep,
                                         const std::string& topic, std::size_t count,
                                         std::size_t concurrency, const churn_schedule& schedule,
                                         std::size_t seconds)
    : seconds_(seconds),
      gate_(count, concurrency, [this](std::size_t i) { members_[i]->start(); }) {
  for (std::size_t w = 0; w < pool.size(); ++w) {
    stats_.push_back(std::make_unique<presence_stats>());
  }
  members_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t w = i % pool.size();
    presence_member::setup s{topic, &schedule, seconds, i < delay_sample};
    members_.push_back(std::make_unique<presence_member>(pool, w, ep, *stats_[w], std::move(s),
                                                         [this](bool ok) { gate_.done(ok); }));
  }
}

uint64_t presence_member_set::pushes() const {
  uint64_t sum = 0;
  for (const auto& s : stats_) {
    sum += s->pushes.load(std::memory_order_relaxed);
  }
  return sum;
}

uint64_t presence_member_set::frames() const {
  uint64_t sum = 0;
  for (const auto& s : stats_) {
    sum += s->frames.load(std::memory_order_relaxed);
  }
  return sum;
}

presence_totals presence_member_set::collect() const {
  presence_totals t;
  t.seconds = seconds_;
  std::vector<uint32_t> cells;
  for (const auto& m : members_) {
    if (!m->joined()) {
      continue;
    }
    ++t.members;
    const auto& frames = m->frames_per_s();
    const auto& pushes = m->pushes_per_s();
    uint64_t member_frames = 0;
    for (std::size_t s = 0; s < seconds_; ++s) {
      member_frames += frames[s];
      t.frames += frames[s];
      t.pushes += pushes[s];
      t.frames_max = std::max(t.frames_max, frames[s]);
      t.pushes_max = std::max(t.pushes_max, pushes[s]);
      cells.push_back(frames[s]);
    }
    t.member_frames_max = std::max(t.member_frames_max, member_frames);
  }
  t.frames_p99 = p99(cells);
  for (const auto& s : stats_) {
    t.joins += s->joins;
    t.leaves += s->leaves;
    t.disconnects += s->disconnects;
    t.join_delay.merge(s->join_delay);
    t.leave_delay.merge(s->leave_delay);
  }
  return t;
}

} // namespace switchyard::bench
