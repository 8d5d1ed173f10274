// topics: one connection publishes once to each of --topics distinct topics
// (spread/<n>), at most --inflight unacknowledged, and reports the node's resident
// anonymous memory before, once every publish was acknowledged, and after --hold
// seconds (idle topics stop after topics.idle_ms). Per topic: (after - before) / topics.

#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/io_pool.hpp"
#include "bench/loadgen/proc_stats.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/run_control.hpp"
#include "bench/loadgen/scenarios.hpp"
#include "bench/loadgen/ws_conn.hpp"

#include <atomic>
#include <cstdio>
#include <string>

namespace switchyard::bench {

namespace {

/// Publishes to one new topic per message until `total` were acknowledged.
class spreader final : public ws_handler {
public:
  spreader(io_pool& pool, const endpoint& ep, std::size_t total, std::size_t window)
      : conn_(pool, 0, ep, *this), total_(total), window_(window) {}

  void start() { conn_.start(); }

  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<bool> failed{false};

  void on_open() override { conn_.send_connect(); }

  void on_message(std::string_view msg, uint64_t) override {
    if (!connected_) {
      connected_ = msg.find("\"ok\"") != std::string_view::npos;
      failed = !connected_;
      pump();
      return;
    }
    if (msg.find("\"ok\"") != std::string_view::npos) {
      ++acked;
    } else {
      ++refused;
      record_error("topics", msg.substr(0, 200));
    }
    --unacked_;
    pump();
  }

  void on_write_done() override { pump(); }

  void on_closed(std::string_view why) override {
    if (acked + refused < total_) {
      failed = true;
      record_error("topics connection closed", why);
    }
  }

private:
  void pump() {
    while (connected_ && sent_ < total_ && unacked_ < window_) {
      ++sent_;
      ++unacked_;
      conn_.send(R"({"id":)" + std::to_string(sent_) + R"(,"op":"publish","topic":"spread/)" +
                 std::to_string(sent_) + R"(","data":1})");
    }
  }

  ws_conn conn_;
  std::size_t total_;
  std::size_t window_;
  std::size_t sent_ = 0;
  std::size_t unacked_ = 0;
  bool connected_ = false;
};

nlohmann::ordered_json per_topic(long before, long after, std::size_t topics) {
  if (before < 0 || after < 0) {
    return nullptr;
  }
  return round3(static_cast<double>(after - before) / static_cast<double>(topics));
}

} // namespace

int run_topics(const bench_options& o) {
  const long rss0 = process_rss_anon_kib(o.server_pid);
  io_pool pool(1);
  spreader s(pool, o.target, o.topics, o.inflight);
  progress_meter meter(
      "topics publishing", "refused", [&s] { return s.refused.load(); }, "acked",
      [&s] { return s.acked.load(); });
  const uint64_t t0 = mono_ns();
  s.start();
  wait_until(
      t0 + seconds_ns(600), [&] { return s.failed || s.acked + s.refused >= o.topics; }, meter);
  const double publish_s = static_cast<double>(mono_ns() - t0) / 1e9;
  const long rss1 = process_rss_anon_kib(o.server_pid);
  progress_meter hold(
      "topics holding", "refused", [&s] { return s.refused.load(); }, "acked",
      [&s] { return s.acked.load(); });
  wait_until(
      mono_ns() + seconds_ns(o.hold_s), [] { return false; }, hold);
  const long rss2 = process_rss_anon_kib(o.server_pid);
  pool.stop();
  nlohmann::ordered_json r = {
      {"scenario", "topics"},
      {"topics", o.topics},
      {"acked", s.acked.load()},
      {"refused", s.refused.load()},
      {"publish_s", round3(publish_s)},
      {"acks_per_s", round3(static_cast<double>(s.acked.load()) / publish_s)},
      {"server_rss_anon_kib_before", known(rss0)},
      {"server_rss_anon_kib_published", known(rss1)},
      {"server_rss_anon_kib_after_hold", known(rss2)},
      {"server_kib_per_topic_published", per_topic(rss0, rss1, o.topics)},
      {"server_kib_per_topic_after_hold", per_topic(rss0, rss2, o.topics)},
      {"hold_s", o.hold_s},
      {"errors", error_count()}};
  print_report(r);
  return !s.failed && s.acked == o.topics ? 0 : 1;
}

} // namespace switchyard::bench
