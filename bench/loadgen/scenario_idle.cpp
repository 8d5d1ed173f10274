// idle: --conns connections, each connected and subscribed to its own idle/<i>, held
// for --hold seconds; the node's RSS growth per connection is its idle cost.

#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/io_pool.hpp"
#include "bench/loadgen/proc_stats.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/run_control.hpp"
#include "bench/loadgen/scenarios.hpp"
#include "bench/loadgen/subscriber_set.hpp"

#include <cstdio>
#include <memory>

namespace switchyard::bench {

namespace {

/// The io threads and the connections; stops the threads before the connections go.
struct idle_session {
  explicit idle_session(std::size_t threads) : pool(threads) {}
  ~idle_session() { pool.stop(); }
  idle_session(const idle_session&) = delete;
  idle_session& operator=(const idle_session&) = delete;

  io_pool pool;
  std::unique_ptr<subscriber_set> subs;
};

/// Connects everything (bounded handshakes in flight); returns the seconds it took.
double connect_idle(idle_session& s, const bench_options& o) {
  const auto topics = [](std::size_t i) {
    return std::vector<std::string>{"idle/" + std::to_string(i)};
  };
  s.subs =
      std::make_unique<subscriber_set>(s.pool, o.target, o.conns, 0, topics, o.connect_parallel);
  progress_meter meter(
      "idle connecting", "failed", [&s] { return s.subs->failed(); }, "ready",
      [&s] { return s.subs->ready(); });
  const uint64_t t0 = mono_ns();
  s.subs->start();
  wait_until(
      t0 + seconds_ns(o.connect_timeout_s),
      [&s] { return s.subs->ready() + s.subs->failed() == s.subs->size(); }, meter);
  return static_cast<double>(mono_ns() - t0) / 1e9;
}

/// The node's RSS before and after, and the growth per connected connection (null
/// without --server-pid).
void add_rss(nlohmann::ordered_json& r, long rss0, long rss1, std::size_t connected) {
  const bool known_rss = rss0 >= 0 && rss1 >= 0;
  r["server_rss_kib_before"] = known(rss0);
  r["server_rss_kib_after"] = known(rss1);
  r["server_rss_kib_per_conn"] =
      known_rss && connected > 0 ? nlohmann::ordered_json(round3(static_cast<double>(rss1 - rss0) /
                                                                 static_cast<double>(connected)))
                                 : nlohmann::ordered_json(nullptr);
}

} // namespace

int run_idle(const bench_options& o) {
  const uint64_t nofile = raise_nofile_limit();
  if (nofile < o.conns + 64) {
    std::fprintf(stderr, "idle: RLIMIT_NOFILE %llu is too low for %zu connections\n",
                 static_cast<unsigned long long>(nofile), o.conns);
  }
  const long rss0 = process_rss_kib(o.server_pid);
  idle_session s(o.threads);
  const double connect_s = connect_idle(s, o);
  progress_meter meter(
      "idle holding", "failed", [&s] { return s.subs->failed(); }, "ready",
      [&s] { return s.subs->ready(); });
  wait_until(
      mono_ns() + seconds_ns(o.hold_s), [] { return false; }, meter);
  const long rss1 = process_rss_kib(o.server_pid);
  s.pool.stop();
  const std::size_t ok = s.subs->ready();
  nlohmann::ordered_json r = {
      {"scenario", "idle"},
      {"conns", o.conns},
      {"connected", ok},
      {"failed", s.subs->failed()},
      {"dropped_while_holding",
       s.subs->collect([](std::size_t, uint32_t) { return 0; }).disconnects},
      {"connect_s", round3(connect_s)},
      {"hold_s", o.hold_s},
      {"nofile_limit", nofile},
      {"nofile_too_low", nofile < o.conns + 64},
      {"errors", error_count()},
      {"errors_by_code", error_codes()}};
  add_rss(r, rss0, rss1, ok);
  print_report(r);
  return ok == o.conns ? 0 : 1;
}

} // namespace switchyard::bench
