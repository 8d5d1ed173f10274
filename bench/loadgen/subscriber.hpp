#pragma once
// A subscribing connection: `connect`, one `subscribe` per topic (ids 2, 3, ...) in
// one frame, ready once every subscribe is acknowledged. Then it scans each event for
// its stamp, checks order per publisher and records latency into its thread's stats.

#include "bench/loadgen/seq_tracker.hpp"
#include "bench/loadgen/worker_stats.hpp"
#include "bench/loadgen/ws_conn.hpp"

#include <functional>
#include <string>
#include <vector>

namespace switchyard::bench {

class subscriber final : public ws_handler {
public:
  /// Called once on the io thread: true when subscribed to every topic, false on failure.
  using ready_fn = std::function<void(bool ok)>;

  subscriber(io_pool& pool, std::size_t worker, const endpoint& ep, worker_stats& stats,
             std::vector<std::string> topics, std::size_t publishers, ready_fn on_ready);

  /// Connects and subscribes in the background. Any thread, once.
  void start() { conn_.start(); }
  /// Per-publisher order of the events received; read after the io threads stopped.
  const seq_tracker& tracker() const { return tracker_; }

  void on_open() override;
  void on_message(std::string_view msg, uint64_t recv_ns) override;
  void on_closed(std::string_view why) override;

private:
  void on_event(std::string_view msg, uint64_t recv_ns);
  void on_gap(std::string_view msg);
  void on_reply(std::string_view msg, bool ok);
  void finish_setup(bool ok);

  ws_conn conn_;
  worker_stats& stats_;
  std::vector<std::string> topics_; ///< cleared once subscribed
  seq_tracker tracker_;
  ready_fn on_ready_;
  std::size_t acks_missing_ = 0;
  bool set_up_ = false; ///< on_ready_ was called
};

} // namespace switchyard::bench
