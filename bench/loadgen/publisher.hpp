#pragma once
// A fire-and-forget publisher (publishes without `id`, so the node sends no reply).
// Closed loop: sends whenever the run's deliveries in flight are under the window,
// topping up a frame of at most `batch` messages behind the one on the wire. Open
// loop: message k is due at t0 + k/rate and carries that intended time, so a stalled
// generator or node shows up as latency instead of silently lowering the load.

#include "bench/loadgen/io_pool.hpp"
#include "bench/loadgen/ws_conn.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace switchyard::bench {

/// Shared by the publishers of one run and read by the control thread.
struct publish_flow {
  std::atomic<uint64_t> sent{0};      ///< messages published
  std::atomic<uint64_t> expected{0};  ///< deliveries those messages owe
  std::atomic<bool> stop{false};      ///< set by the control thread at the deadline
  std::atomic<std::size_t> ready{0};  ///< publishers connected
  std::atomic<std::size_t> failed{0}; ///< publishers that could not connect
  std::atomic<std::size_t> done{0};   ///< publishers that stopped
};

struct publisher_setup {
  uint32_t id = 0;                 ///< publisher number, packed into every payload's seq
  std::vector<std::string> topics; ///< published round-robin, starting at id % size
  std::vector<uint64_t> members;   ///< subscribers of each topic (deliveries a message owes)
  std::size_t size = 128;          ///< payload bytes
  double rate = 0;                 ///< messages/s of this publisher; 0 = closed loop
  uint64_t window = 20000;         ///< closed loop: deliveries in flight (whole run) at most
  std::size_t batch = 64;          ///< messages per frame at most
  uint64_t max_msgs = 0;           ///< messages this publisher sends at most
};

class publisher final : public ws_handler {
public:
  /// `delivered` returns the deliveries settled so far: received, or skipped by a
  /// `gap` (any thread).
  publisher(io_pool& pool, std::size_t worker, const endpoint& ep, publish_flow& flow,
            std::function<uint64_t()> delivered, publisher_setup setup);

  /// Connects in the background; flow.ready counts it once `connect` is acknowledged.
  void start() { conn_.start(); }
  /// Starts publishing on the io thread; `t0_ns` is the schedule origin. Any thread.
  void begin(uint64_t t0_ns);
  /// Messages sent to topic index `topic`; after the io threads stopped.
  uint64_t sent_to(std::size_t topic) const { return per_topic_[topic]; }

  void on_open() override;
  void on_message(std::string_view msg, uint64_t recv_ns) override;
  void on_write_done() override;
  void on_closed(std::string_view why) override;

private:
  void pump();
  uint64_t pump_closed();
  uint64_t pump_open(uint64_t now);
  void send_one(uint64_t sent_ns);
  void finish();

  io_pool& pool_;
  std::size_t worker_;
  ws_conn conn_;
  io_timer timer_;
  publish_flow& flow_;
  std::function<uint64_t()> delivered_;
  publisher_setup setup_;
  std::vector<uint64_t> per_topic_;   ///< next message number per topic
  std::vector<std::string> prefixes_; ///< `{"op":"publish","topic":"T","data":"` per topic
  std::string payload_;
  std::string scratch_;
  uint64_t sent_ = 0;
  uint64_t t0_ = 0;
  double interval_ns_ = 0;
  std::size_t next_topic_ = 0;
  bool connected_ = false;
  bool running_ = false;
};

} // namespace switchyard::bench
