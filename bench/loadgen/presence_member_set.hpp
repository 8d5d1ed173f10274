#pragma once
// The steady members of the presence scenario, spread round-robin over the io threads
// and connected with a bounded number of handshakes in flight (connect_gate); the
// first hundred time the churners' changes. After the run, collect() sums what they
// counted into the figures of the report.

#include "bench/loadgen/churn_schedule.hpp"
#include "bench/loadgen/connect_gate.hpp"
#include "bench/loadgen/histogram.hpp"
#include "bench/loadgen/presence_member.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace switchyard::bench {

/// Over the members that joined, for the whole seconds of the churn phase (the sums of
/// joins and leaves also take what arrived after it).
struct presence_totals {
  std::size_t members = 0; ///< members that joined: the cells are theirs
  std::size_t seconds = 0; ///< whole seconds counted per member
  uint64_t frames = 0;     ///< frames with presence pushes, all cells
  uint64_t pushes = 0;     ///< presence pushes, all cells
  uint32_t frames_max = 0; ///< the most frames one member got in one second
  /// The most frames one member got over all the seconds counted: the node's batching
  /// bound, free of the receive-side jitter that moves a frame into the next second.
  uint64_t member_frames_max = 0;
  uint32_t frames_p99 = 0;  ///< 99th percentile of frames over every (member, second)
  uint32_t pushes_max = 0;  ///< the most presence pushes one member got in one second
  uint64_t joins = 0;       ///< joins listed, all members
  uint64_t leaves = 0;      ///< leaves listed, all members
  uint64_t disconnects = 0; ///< joined members the node closed
  histogram join_delay;
  histogram leave_delay;
};

class presence_member_set {
public:
  presence_member_set(io_pool& pool, const endpoint& ep, const std::string& topic,
                      std::size_t count, std::size_t concurrency, const churn_schedule& schedule,
                      std::size_t seconds);

  /// Starts the first `concurrency` handshakes; each finished setup starts the next.
  void start() { gate_.start(); }
  std::size_t size() const { return members_.size(); }
  std::size_t ready() const { return gate_.ready(); }
  std::size_t failed() const { return gate_.failed(); }
  bool settled() const { return gate_.settled(); }
  /// Presence pushes received so far, any phase. Any thread.
  uint64_t pushes() const;
  /// Frames with presence pushes received in the churn phase so far. Any thread.
  uint64_t frames() const;
  /// Asks the node for the topic's member count (through member 0). Any thread.
  void query_members() { members_.front()->query_members(); }
  /// The node's count; -1 until it answered. Any thread.
  int64_t members_counted() const { return members_.front()->members_counted(); }
  /// Everything observed; only after the io threads stopped.
  presence_totals collect() const;

private:
  std::size_t seconds_;
  std::vector<std::unique_ptr<presence_stats>> stats_;
  std::vector<std::unique_ptr<presence_member>> members_;
  connect_gate gate_;
};

} // namespace switchyard::bench
