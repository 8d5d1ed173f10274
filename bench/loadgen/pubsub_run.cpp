#include "bench/loadgen/pubsub_run.hpp"

#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/io_pool.hpp"
#include "bench/loadgen/proc_stats.hpp"
#include "bench/loadgen/publisher.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/run_control.hpp"
#include "bench/loadgen/subscriber_set.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

namespace switchyard::bench {

namespace {

/// Everything living on the io threads. The destructor stops the threads before any
/// member goes, so no handler can run on a destroyed connection.
struct session {
  explicit session(std::size_t threads) : pool(threads) {}
  ~session() { pool.stop(); }
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  io_pool pool;
  double slow_ms = 0; ///< --slow-ms
  publish_flow flow;
  std::unique_ptr<subscriber_set> subs;
  std::vector<std::unique_ptr<publisher>> pubs;
};

/// What the measurement phase saw, besides the subscribers' own counters.
struct phase_times {
  uint64_t t0_ns = 0;      ///< publishing started
  int64_t t0_unix_ms = 0;  ///< the same moment on the wall clock (to compare with logs)
  uint64_t pub_end_ns = 0; ///< publishing stopped
  bool drained = false;    ///< every expected delivery arrived (or was reported as a gap)
  long anon_peak_kib = -1; ///< the node's highest RssAnon while publishing (with its pid)
};

int fail(const pubsub_plan& plan, const std::string& why) {
  nlohmann::ordered_json r = plan.describe;
  r["scenario"] = plan.scenario;
  r["error"] = why;
  r["errors"] = error_count();
  std::fprintf(stderr, "%s: %s\n", plan.scenario.c_str(), why.c_str());
  print_report(r);
  return 1;
}

bool connect_all(session& s, const bench_options& o, const pubsub_plan& plan) {
  s.subs = std::make_unique<subscriber_set>(s.pool, o.target, plan.subscribers, plan.publishers,
                                            plan.topics, o.connect_parallel);
  s.slow_ms = o.slow_ms;
  s.subs->count_slower_than(static_cast<uint64_t>(o.slow_ms * 1e6));
  // Gap-covered events will never arrive: they leave the closed-loop window too.
  const auto delivered = [subs = s.subs.get()] { return subs->delivered() + subs->gap_events(); };
  for (std::size_t p = 0; p < plan.publishers; ++p) {
    publisher_setup ps{static_cast<uint32_t>(p), plan.pub_topics, plan.members, o.size,
                       plan.rate_per_publisher,  plan.window,     o.batch,      o.max_msgs};
    s.pubs.push_back(std::make_unique<publisher>(s.pool, p, o.pub_target, s.flow, delivered, ps));
  }
  progress_meter meter(
      plan.scenario + " connecting", "failed", [&s] { return s.subs->failed(); }, "ready",
      [&s] { return s.subs->ready(); });
  s.subs->start();
  const uint64_t deadline = mono_ns() + seconds_ns(o.connect_timeout_s);
  wait_until(
      deadline, [&s] { return s.subs->ready() + s.subs->failed() == s.subs->size(); }, meter);
  for (auto& p : s.pubs) {
    p->start();
  }
  wait_until(
      deadline, [&s] { return s.flow.ready.load() + s.flow.failed.load() == s.pubs.size(); },
      meter);
  return s.subs->ready() == s.subs->size() && s.flow.ready.load() == s.pubs.size();
}

/// Publishes for --duration (or until every publisher hit --msgs), then drains.
phase_times measure(session& s, const bench_options& o, const pubsub_plan& plan) {
  phase_times t;
  progress_meter meter(
      plan.scenario, "sent", [&s] { return s.flow.sent.load(); }, "recv",
      [&s] { return s.subs->delivered(); });
  t.t0_ns = mono_ns();
  t.t0_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  for (auto& p : s.pubs) {
    p->begin(t.t0_ns);
  }
  anon_peak anon(o.server_pid);
  wait_until(
      t.t0_ns + seconds_ns(o.duration_s),
      [&] {
        anon.sample();
        return s.flow.done.load() == s.pubs.size();
      },
      meter);
  t.anon_peak_kib = anon.kib();
  s.flow.stop = true;
  // A publisher counts what it sent just after sending it: draining starts once each
  // one has seen the stop, or a send of its last moment would be missed (bounded: a
  // publisher whose connection closed never finishes).
  wait_until(
      mono_ns() + seconds_ns(5), [&s] { return s.flow.done.load() == s.pubs.size(); }, meter);
  t.pub_end_ns = mono_ns();
  // Gap-covered events will never come: count them as settled.
  const auto settled = [&s] { return s.subs->delivered() + s.subs->gap_events(); };
  t.drained = wait_drained(
      o.drain_s, 60, [&] { return settled() >= s.flow.expected.load(); }, settled, meter);
  return t;
}

nlohmann::ordered_json delivery_report(const session& s, const pubsub_plan& plan,
                                       const phase_times& t) {
  const auto totals = s.subs->collect(
      [&](std::size_t i, uint32_t p) { return s.pubs[p]->sent_to(plan.topic_of(i)); });
  const uint64_t sent = s.flow.sent.load();
  const double pub_s = static_cast<double>(t.pub_end_ns - t.t0_ns) / 1e9;
  const double recv_s =
      totals.last_recv_ns > t.t0_ns ? static_cast<double>(totals.last_recv_ns - t.t0_ns) / 1e9 : 0;
  nlohmann::ordered_json r;
  r["publish_s"] = round3(pub_s);
  r["msgs_published"] = sent;
  r["msgs_per_s"] = per_second(sent, pub_s);
  r["expected_deliveries"] = s.flow.expected.load();
  r["deliveries"] = totals.delivered;
  r["deliveries_per_s"] = per_second(totals.delivered, recv_s);
  r["latency_ms"] = latency_ms(totals.latency);
  r["lost"] = totals.lost;
  r["gap_pushes"] = totals.gap_pushes;
  r["gap_events"] = totals.gap_events;
  r["dups"] = totals.duplicates;
  r["out_of_order"] = totals.out_of_order;
  r["bad_payloads"] = totals.bad_payloads;
  r["disconnects"] = totals.disconnects;
  r["drained"] = t.drained;
  if (s.slow_ms > 0) {
    nlohmann::ordered_json line = nlohmann::ordered_json::array();
    for (const auto& [at, n] : totals.slow) {
      const double since =
          (static_cast<double>(at * slow_bucket_ns) - static_cast<double>(t.t0_ns)) / 1e9;
      line.push_back({round3(since), n});
    }
    r["slow_ms"] = s.slow_ms;
    r["slow_since_ms"] = t.t0_unix_ms;
    r["slow_timeline"] = line;
  }
  return r;
}

nlohmann::ordered_json header(const bench_options& o, const pubsub_plan& plan) {
  nlohmann::ordered_json r = plan.describe;
  r["scenario"] = plan.scenario;
  r["pubs"] = plan.publishers;
  r["size"] = o.size;
  r["mode"] = plan.rate_per_publisher > 0 ? "open" : "closed";
  r["rate_per_pub"] = plan.rate_per_publisher;
  r["inflight"] = plan.rate_per_publisher > 0 ? nlohmann::ordered_json(nullptr)
                                              : nlohmann::ordered_json(plan.window);
  r["threads"] = o.threads;
  r["duration_s"] = o.duration_s;
  return r;
}

} // namespace

int run_pubsub(const bench_options& o, const pubsub_plan& plan) {
  const long rss0 = process_rss_kib(o.server_pid);
  session s(o.threads);
  const uint64_t c0 = mono_ns();
  if (!connect_all(s, o, plan)) {
    return fail(plan, "only " + std::to_string(s.subs->ready()) + "/" +
                          std::to_string(s.subs->size()) + " subscribers and " +
                          std::to_string(s.flow.ready.load()) + "/" +
                          std::to_string(s.pubs.size()) + " publishers ready");
  }
  const double connect_s = static_cast<double>(mono_ns() - c0) / 1e9;
  cpu_window cpu(o.server_pid);
  phase_times t = measure(s, o, plan);
  cpu.stop();
  const long rss1 = process_rss_kib(o.server_pid);
  s.pool.stop();
  nlohmann::ordered_json r = header(o, plan);
  r.update(delivery_report(s, plan, t));
  r["errors"] = error_count();
  r["errors_by_code"] = error_codes();
  r["pushes"] = push_counts();
  r["connect_s"] = round3(connect_s);
  r["server_rss_kib_before"] = known(rss0);
  r["server_rss_kib_after"] = known(rss1);
  r["server_anon_kib_peak"] = known(t.anon_peak_kib);
  cpu.add_to(r, r["deliveries"].get<double>(), "deliveries_per_server_cpu_s");
  print_report(r);
  return 0;
}

} // namespace switchyard::bench
