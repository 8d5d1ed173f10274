#pragma once
// A publisher that asks for acknowledgements: every publish carries an `id`, and the
// node replies `{"id":N,"ok":{"seq":S,...}}` once the event is stored. At most
// `window` publishes wait for their ack; new ones top up a frame of at most `batch`.
// Each ack's latency is measured from the moment the publish was queued, and the
// acked seqs must count up by one (one connection, one topic, nobody else on it; the
// first ack is the baseline, 1 on a fresh topic).

#include "bench/loadgen/histogram.hpp"
#include "bench/loadgen/io_pool.hpp"
#include "bench/loadgen/ws_conn.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace switchyard::bench {

/// Shared by the acked publishers of a run and read by the control thread.
struct ack_flow {
  std::atomic<uint64_t> sent{0};     ///< publishes sent
  std::atomic<uint64_t> settled{0};  ///< publishes answered (ok or error)
  std::atomic<uint64_t> acked{0};    ///< publishes answered ok
  std::atomic<bool> stop{false};     ///< set by the control thread at the deadline
  std::atomic<std::size_t> ready{0}; ///< connections whose `connect` was acknowledged
  std::atomic<std::size_t> failed{0};
};

struct acked_setup {
  std::string topic;
  std::size_t size = 128;   ///< payload bytes
  std::size_t window = 256; ///< unacknowledged publishes at most
  std::size_t batch = 64;   ///< messages per frame at most
  uint64_t max_msgs = 0;    ///< publishes at most
  bool idem = false;        ///< every publish carries a unique `idem` token
};

class acked_publisher final : public ws_handler {
public:
  acked_publisher(io_pool& pool, std::size_t worker, const endpoint& ep, ack_flow& flow,
                  acked_setup setup);

  void start() { conn_.start(); }
  /// Starts publishing on the io thread. Any thread.
  void begin();

  // Read after the io threads stopped.
  const histogram& latency() const { return latency_; }
  uint64_t seq_violations() const { return seq_violations_; }
  uint64_t first_seq() const { return first_seq_; }
  uint64_t last_ack_ns() const { return last_ack_ns_; }

  void on_open() override;
  void on_message(std::string_view msg, uint64_t recv_ns) override;
  void on_write_done() override { pump(); }
  void on_closed(std::string_view why) override;

private:
  void pump();
  void send_one(uint64_t now);
  void on_reply(std::string_view msg, uint64_t recv_ns, bool ok);
  void check_seq(std::string_view msg);

  io_pool& pool_;
  std::size_t worker_;
  ws_conn conn_;
  ack_flow& flow_;
  acked_setup setup_;
  std::vector<uint64_t> sent_at_; ///< queue time of id, at id % window
  std::string body_;              ///< `,"op":"publish","topic":"T","data":"`
  std::string payload_;
  std::string scratch_;
  histogram latency_;
  uint64_t next_id_ = 2; ///< id 1 is `connect`
  uint64_t last_id_ = 1; ///< highest id answered
  uint64_t unacked_ = 0;
  uint64_t first_seq_ = 0;
  uint64_t last_seq_ = 0;
  uint64_t seq_violations_ = 0;
  uint64_t last_ack_ns_ = 0;
  bool connected_ = false;
  bool running_ = false;
};

} // namespace switchyard::bench
