// publish: --pubs connections, each publishing with ids to its own topic pub/<i>, at
// most --inflight unacknowledged each. Measures durable publishes per second (an ack
// means the event is stored) and the ack latency.

#include "bench/loadgen/acked_publisher.hpp"
#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/proc_stats.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/run_control.hpp"
#include "bench/loadgen/scenarios.hpp"

#include <cmath>
#include <memory>
#include <vector>

namespace switchyard::bench {

namespace {

/// The io threads and what lives on them; stops the threads before members go.
struct publish_session {
  explicit publish_session(std::size_t threads) : pool(threads) {}
  ~publish_session() { pool.stop(); }
  publish_session(const publish_session&) = delete;
  publish_session& operator=(const publish_session&) = delete;

  io_pool pool;
  ack_flow flow;
  std::vector<std::unique_ptr<acked_publisher>> pubs;
};

bool connect_publishers(publish_session& s, const bench_options& o) {
  for (std::size_t i = 0; i < o.pubs; ++i) {
    acked_setup setup{"pub/" + std::to_string(i), o.size, o.inflight, o.batch, o.max_msgs, o.idem};
    s.pubs.push_back(std::make_unique<acked_publisher>(s.pool, i, o.target, s.flow, setup));
    s.pubs.back()->start();
  }
  progress_meter meter(
      "publish connecting", "failed", [&s] { return s.flow.failed.load(); }, "ready",
      [&s] { return s.flow.ready.load(); });
  wait_until(
      mono_ns() + seconds_ns(o.connect_timeout_s),
      [&s] { return s.flow.ready.load() + s.flow.failed.load() == s.pubs.size(); }, meter);
  return s.flow.ready.load() == s.pubs.size();
}

/// Publishes for --duration (or until --msgs each), then waits for the last acks.
bool measure(publish_session& s, const bench_options& o, uint64_t t0) {
  progress_meter meter(
      "publish", "sent", [&s] { return s.flow.sent.load(); }, "acked",
      [&s] { return s.flow.acked.load(); });
  for (auto& p : s.pubs) {
    p->begin();
  }
  const uint64_t cap = o.max_msgs * s.pubs.size();
  wait_until(
      t0 + seconds_ns(o.duration_s), [&s, cap] { return s.flow.sent.load() >= cap; }, meter);
  s.flow.stop = true;
  const auto settled = [&s] { return s.flow.settled.load(); };
  return wait_drained(
      o.drain_s, 60, [&s] { return s.flow.settled.load() >= s.flow.sent.load(); }, settled, meter);
}

nlohmann::ordered_json ack_report(const publish_session& s, const bench_options& o, uint64_t t0) {
  histogram latency;
  uint64_t violations = 0;
  uint64_t with_history = 0; // topics that held events before (a reused --data-dir)
  uint64_t last_ack = 0;
  for (const auto& p : s.pubs) {
    latency.merge(p->latency());
    violations += p->seq_violations();
    with_history += p->first_seq() > 1 ? 1 : 0;
    last_ack = std::max(last_ack, p->last_ack_ns());
  }
  const uint64_t acked = s.flow.acked.load();
  const double span_s = last_ack > t0 ? static_cast<double>(last_ack - t0) / 1e9 : 0;
  return {{"scenario", "publish"},
          {"pubs", o.pubs},
          {"size", o.size},
          {"inflight", o.inflight},
          {"idem", o.idem},
          {"threads", o.threads},
          {"duration_s", o.duration_s},
          {"published", s.flow.sent.load()},
          {"acked", acked},
          {"acked_per_s", per_second(acked, span_s)},
          {"unanswered", s.flow.sent.load() - s.flow.settled.load()},
          {"ack_latency_ms", latency_ms(latency)},
          {"seq_violations", violations},
          {"topics_with_history", with_history}};
}

} // namespace

int run_publish(const bench_options& o) {
  const long rss0 = process_rss_kib(o.server_pid);
  publish_session s(o.threads);
  if (!connect_publishers(s, o)) {
    print_report({{"scenario", "publish"},
                  {"error", "only " + std::to_string(s.flow.ready.load()) + "/" +
                                std::to_string(o.pubs) + " publishers ready"},
                  {"errors", error_count()}});
    return 1;
  }
  cpu_window cpu(o.server_pid);
  const uint64_t t0 = mono_ns();
  const bool drained = measure(s, o, t0);
  cpu.stop();
  const long rss1 = process_rss_kib(o.server_pid);
  s.pool.stop();
  nlohmann::ordered_json r = ack_report(s, o, t0);
  r["drained"] = drained;
  r["errors"] = error_count();
  r["errors_by_code"] = error_codes();
  r["pushes"] = push_counts();
  r["server_rss_kib_before"] = known(rss0);
  r["server_rss_kib_after"] = known(rss1);
  cpu.add_to(r, r["acked"].get<double>(), "acks_per_server_cpu_s");
  print_report(r);
  return 0;
}

} // namespace switchyard::bench
