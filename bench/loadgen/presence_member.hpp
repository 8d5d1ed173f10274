#pragma once
// A steady member of the presence scenario: `connect`, `subscribe` with presence (id 2),
// ready once acknowledged. Before the churn phase (the join storm) it only counts the
// presence pushes. From the phase's start it also counts, per whole second, the frames
// that carried presence pushes and the pushes themselves, sums the joins and leaves they
// list and, when sampled, times each churner's change from when it was due.

#include "bench/loadgen/churn_schedule.hpp"
#include "bench/loadgen/histogram.hpp"
#include "bench/loadgen/io_pool.hpp"
#include "bench/loadgen/ws_conn.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace switchyard::bench {

/// What the members of one io thread observed. Only that thread writes; the atomics
/// are also read by the control thread, the rest once the io threads stopped.
struct alignas(64) presence_stats {
  std::atomic<uint64_t> pushes{0}; ///< presence pushes, any phase (settling watches it)
  std::atomic<uint64_t> frames{0}; ///< frames with presence pushes in the churn phase
  uint64_t joins = 0;              ///< joins listed in the churn phase
  uint64_t leaves = 0;             ///< leaves listed in the churn phase
  uint64_t disconnects = 0;        ///< ready members the node closed
  histogram join_delay;            ///< sampled members: a churner's join, due -> seen
  histogram leave_delay;           ///< sampled members: a churner's leave, due -> seen
};

class presence_member final : public ws_handler {
public:
  /// Called once on the io thread: true when subscribed, false on failure.
  using ready_fn = std::function<void(bool ok)>;

  struct setup {
    std::string topic;
    const churn_schedule* schedule = nullptr;
    std::size_t seconds = 1; ///< whole seconds of the churn phase counted one by one
    bool sampled = false;    ///< times the churners' changes
  };

  presence_member(io_pool& pool, std::size_t worker, const endpoint& ep, presence_stats& stats,
                  setup s, ready_fn on_ready);

  /// Connects and subscribes in the background. Any thread, once.
  void start() { conn_.start(); }
  /// Asks the node how many members the topic has; see members_counted(). Any thread.
  void query_members();
  /// The node's answer to query_members(); -1 until it came. Any thread.
  int64_t members_counted() const { return counted_.load(std::memory_order_relaxed); }
  /// Subscribed (and not failed); after the io threads stopped.
  bool joined() const { return joined_; }
  /// Presence frames and pushes per second of the phase; after the io threads stopped.
  const std::vector<uint32_t>& frames_per_s() const { return frames_; }
  const std::vector<uint32_t>& pushes_per_s() const { return pushes_; }

  void on_open() override;
  void on_message(std::string_view msg, uint64_t recv_ns) override;
  void on_frame_end() override { frame_counted_ = false; }
  void on_closed(std::string_view why) override;

private:
  void on_presence(std::string_view msg, uint64_t recv_ns);
  void time_change(bool join, std::string_view member, uint64_t recv_ns);
  void on_reply(std::string_view msg, bool ok);
  void finish_setup(bool ok);

  io_pool& pool_;
  std::size_t worker_;
  ws_conn conn_;
  presence_stats& stats_;
  setup setup_;
  ready_fn on_ready_;
  std::vector<uint32_t> frames_;
  std::vector<uint32_t> pushes_;
  std::atomic<int64_t> counted_{-1};
  bool frame_counted_ = false; ///< this frame's presence was counted already
  bool set_up_ = false;        ///< on_ready_ was called
  bool joined_ = false;
};

} // namespace switchyard::bench
