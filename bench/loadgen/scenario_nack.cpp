// nack: how fast a queue group gives back an event that was nacked. One member of group
// `g` on topic nack/bench publishes one event, gets it (attempt 1), nacks it and times
// the redelivery (attempt 2), acks, and starts over, for --duration or --msgs rounds.

#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/histogram.hpp"
#include "bench/loadgen/io_pool.hpp"
#include "bench/loadgen/message_scan.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/run_control.hpp"
#include "bench/loadgen/scenarios.hpp"
#include "bench/loadgen/ws_conn.hpp"

#include <atomic>

namespace switchyard::bench {

namespace {

constexpr std::string_view topic = "nack/bench";

/// The member: one round at a time, all on its io thread.
class nack_member final : public ws_handler {
public:
  nack_member(io_pool& pool, const endpoint& ep, uint64_t max_rounds)
      : conn_(pool, 0, ep, *this), max_rounds_(max_rounds) {}

  void start() { conn_.start(); }

  std::atomic<uint64_t> rounds{0};
  std::atomic<bool> ready{false};
  std::atomic<bool> failed{false};
  std::atomic<bool> stop{false};
  histogram latency; ///< read after the io thread stopped

  void on_open() override {
    conn_.send_connect();
    conn_.send(R"({"id":2,"op":"subscribe","topic":"nack/bench","mode":"queue","group":"g"})");
  }

  void on_message(std::string_view msg, uint64_t recv_ns) override {
    switch (classify(msg)) {
    case message_kind::ok:
      if (uint_field(msg, "id") == 2u) {
        ready = true;
        publish();
      }
      return;
    case message_kind::error:
      record_error("nack", msg);
      failed = true;
      return;
    case message_kind::ping:
      return conn_.send(R"({"op":"ping"})");
    case message_kind::event:
      return on_event(msg, recv_ns);
    default:
      return;
    }
  }

  void on_closed(std::string_view why) override {
    record_error("nack member closed", why);
    failed = true;
  }

private:
  void publish() {
    if (stop || rounds >= max_rounds_) {
      stop = true;
      return;
    }
    conn_.send(R"({"op":"publish","topic":"nack/bench","data":1})");
  }

  void on_event(std::string_view msg, uint64_t recv_ns) {
    const auto seq = uint_field(msg, "seq").value_or(0);
    const auto attempt = uint_field(msg, "attempt").value_or(0);
    const std::string tail = R"(","group":"g","seq":)" + std::to_string(seq) + "}";
    if (attempt == 1) {
      nacked_at_ = mono_ns();
      conn_.send(R"({"op":"nack","topic":")" + std::string(topic) + tail);
      return;
    }
    latency.record(recv_ns - nacked_at_);
    ++rounds;
    conn_.send(R"({"op":"ack","topic":")" + std::string(topic) + tail);
    publish();
  }

  ws_conn conn_;
  uint64_t max_rounds_;
  uint64_t nacked_at_ = 0;
};

} // namespace

int run_nack(const bench_options& o) {
  io_pool pool(1);
  nack_member member(pool, o.target, o.max_msgs);
  member.start();
  progress_meter meter(
      "nack", "failed", [&] { return member.failed ? 1u : 0u; }, "rounds",
      [&] { return member.rounds.load(); });
  const uint64_t t0 = mono_ns();
  wait_until(
      t0 + seconds_ns(o.duration_s), [&] { return member.stop || member.failed; }, meter);
  member.stop = true;
  pool.stop();
  const auto rounds = member.rounds.load();
  print_report({{"scenario", "nack"},
                {"rounds", rounds},
                {"rounds_per_s", per_second(rounds, static_cast<double>(mono_ns() - t0) / 1e9)},
                {"redelivery_latency_ms", latency_ms(member.latency)},
                {"errors", error_count()}});
  return member.failed || rounds == 0 ? 1 : 0;
}

} // namespace switchyard::bench
