// presence: --conns steady members on --topic with presence, their join storm waited
// out, then --rate presence changes per second for --duration by short-lived churn
// connections (open loop, see churn_schedule). Measures the node's batching: the frames
// and presence pushes each member got per second (the node sends a member at most one
// per presence.batch_ms; bench/presence-churn.sh checks that budget), the changes they
// listed against those made, how late the sampled members saw them, and the node's
// CPU and memory.

#include "bench/loadgen/churn_driver.hpp"
#include "bench/loadgen/churn_schedule.hpp"
#include "bench/loadgen/clock.hpp"
#include "bench/loadgen/error_log.hpp"
#include "bench/loadgen/io_pool.hpp"
#include "bench/loadgen/presence_member_set.hpp"
#include "bench/loadgen/proc_stats.hpp"
#include "bench/loadgen/report.hpp"
#include "bench/loadgen/run_control.hpp"
#include "bench/loadgen/scenarios.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace switchyard::bench {

namespace {

/// This long without a presence push anywhere ends the join storm, and the churn's tail.
constexpr double quiet_s = 1;
/// The join storm ends within this, or the churn starts anyway (reported as not settled).
constexpr double max_settle_s = 60;
/// The churn's last pushes arrive within this.
constexpr double max_tail_s = 10;
/// Waiting for the driver's late ticks, and for the node's member count, at most.
constexpr double max_wait_s = 5;

std::size_t whole_seconds(double s) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(s)));
}

/// Everything living on the io threads. The destructor stops the threads before any
/// member goes; the schedule they read goes last.
struct presence_session {
  explicit presence_session(const bench_options& o)
      : schedule(o.rate, o.duration_s), pool(o.threads),
        members(pool, o.target, o.topic, o.conns, o.connect_parallel, schedule,
                whole_seconds(o.duration_s)),
        driver(pool, 0, o.target, o.topic, schedule) {}
  ~presence_session() { pool.stop(); }
  presence_session(const presence_session&) = delete;
  presence_session& operator=(const presence_session&) = delete;

  churn_schedule schedule;
  io_pool pool;
  presence_member_set members;
  churn_driver driver;
};

/// How the phases went, besides the members' and churners' own counters.
struct phase_times {
  double connect_s = 0;
  double settle_s = 0;
  bool settled = false;      ///< the join storm went quiet before max_settle_s
  uint64_t joins_before = 0; ///< churners joined before the churn (the pool's first)
  long anon_peak_kib = -1;   ///< the node's highest RssAnon while churning (with its pid)
  int64_t members_end = -1;  ///< the node's member count after the churn (-1: no answer)
};

/// Connects the members and the pool's first churners.
void connect_all(presence_session& s, const bench_options& o, phase_times& t) {
  progress_meter meter(
      "presence connecting", "failed", [&s] { return s.members.failed(); }, "ready",
      [&s] { return s.members.ready(); });
  const churn_flow& flow = s.driver.flow();
  const uint64_t t0 = mono_ns();
  s.members.start();
  s.driver.prefill();
  wait_until(
      t0 + seconds_ns(o.connect_timeout_s),
      [&] { return s.members.settled() && flow.joins + flow.failed >= s.schedule.pool(); }, meter);
  t.connect_s = static_cast<double>(mono_ns() - t0) / 1e9;
}

/// Waits until the join storm went quiet. The members count nothing but pushes until
/// the churn begins, so no counter needs resetting.
void settle(presence_session& s, phase_times& t) {
  progress_meter meter(
      "presence settling", "ready", [&s] { return s.members.ready(); }, "pushes",
      [&s] { return s.members.pushes(); });
  const uint64_t t0 = mono_ns();
  wait_drained(
      quiet_s, max_settle_s, [] { return false; }, [&s] { return s.members.pushes(); }, meter);
  t.settle_s = static_cast<double>(mono_ns() - t0) / 1e9;
  t.settled = t.settle_s < max_settle_s;
}

/// Churns for --duration, lets the last ticks run and their pushes arrive, then asks
/// the node how many members the topic has.
void churn(presence_session& s, const bench_options& o, phase_times& t) {
  const churn_flow& flow = s.driver.flow();
  t.joins_before = flow.joins;
  progress_meter meter(
      "presence churn", "changes", [&] { return flow.joins + flow.leaves - t.joins_before; },
      "frames", [&s] { return s.members.frames(); });
  const uint64_t t0 = mono_ns();
  s.schedule.begin(t0);
  s.driver.begin();
  anon_peak anon(o.server_pid);
  wait_until(
      t0 + seconds_ns(o.duration_s),
      [&anon] {
        anon.sample();
        return false;
      },
      meter);
  t.anon_peak_kib = anon.kib();
  wait_until(
      mono_ns() + seconds_ns(max_wait_s), [&s] { return s.driver.done(); }, meter);
  wait_drained(
      quiet_s, max_tail_s, [] { return false; }, [&s] { return s.members.pushes(); }, meter);
  s.members.query_members();
  wait_until(
      mono_ns() + seconds_ns(max_wait_s), [&s] { return s.members.members_counted() >= 0; }, meter);
  t.members_end = s.members.members_counted();
}

double mean(uint64_t sum, std::size_t n) {
  return n > 0 ? round3(static_cast<double>(sum) / static_cast<double>(n)) : 0;
}

/// What the members saw: frames and pushes per member and second, changes per member.
nlohmann::ordered_json batching_report(const presence_totals& m) {
  const std::size_t cells = m.members * m.seconds;
  return {{"seconds_counted", m.seconds},
          {"presence_frames_per_member_s",
           {{"max", m.frames_max},
            {"p99", m.frames_p99},
            {"mean", mean(m.frames, cells)},
            {"busiest_member_mean", mean(m.member_frames_max, m.seconds)}}},
          {"presence_msgs_per_member_s", {{"max", m.pushes_max}, {"mean", mean(m.pushes, cells)}}},
          {"presence_frames_per_s_total", mean(m.frames, m.seconds)},
          {"changes_seen_per_member",
           {{"joins", mean(m.joins, m.members)},
            {"leaves", mean(m.leaves, m.members)},
            {"total", mean(m.joins + m.leaves, m.members)}}},
          {"join_delay_ms", latency_ms(m.join_delay)},
          {"leave_delay_ms", latency_ms(m.leave_delay)}};
}

/// The driver missed ticks, or ran one after the next was due.
bool driver_behind(const presence_session& s) {
  return !s.driver.done() || static_cast<double>(s.driver.max_lag_ns()) > s.schedule.tick_ns();
}

/// What the driver did; the pool's first joins came before the churn.
nlohmann::ordered_json churn_report(const presence_session& s, const phase_times& t) {
  const churn_flow& flow = s.driver.flow();
  const uint64_t joins = flow.joins - t.joins_before;
  const uint64_t leaves = flow.leaves;
  return {{"changes_made", {{"joins", joins}, {"leaves", leaves}, {"total", joins + leaves}}},
          {"churn",
           {{"pool", s.schedule.pool()},
            {"ticks", s.driver.ticks_done()},
            {"ticks_planned", s.schedule.ticks()},
            {"max_lag_ms", round3(static_cast<double>(s.driver.max_lag_ns()) / 1e6)},
            {"behind", driver_behind(s)},
            {"left_unready", flow.unready.load()},
            {"failed", flow.failed.load()},
            {"dropped", flow.dropped.load()}}}};
}

int fail(const bench_options& o, const presence_session& s) {
  const std::string why = "only " + std::to_string(s.members.ready()) + "/" +
                          std::to_string(s.members.size()) + " members ready";
  std::fprintf(stderr, "presence: %s\n", why.c_str());
  print_report({{"scenario", "presence"},
                {"conns", o.conns},
                {"connected", s.members.ready()},
                {"failed", s.members.failed()},
                {"error", why},
                {"errors", error_count()},
                {"errors_by_code", error_codes()}});
  return 1;
}

} // namespace

int run_presence(const bench_options& o) {
  const uint64_t nofile = raise_nofile_limit();
  const long rss0 = process_rss_kib(o.server_pid);
  presence_session s(o);
  if (nofile < o.conns + s.schedule.pool() + 64) {
    std::fprintf(stderr, "presence: RLIMIT_NOFILE %llu is too low for %zu connections\n",
                 static_cast<unsigned long long>(nofile), o.conns);
  }
  phase_times t;
  connect_all(s, o, t);
  if (s.members.ready() < s.members.size()) {
    return fail(o, s);
  }
  settle(s, t);
  if (!t.settled) {
    std::fprintf(stderr, "presence: the join storm still ran after %.0f s\n", max_settle_s);
  }
  cpu_window cpu(o.server_pid);
  churn(s, o, t);
  cpu.stop();
  const long rss1 = process_rss_kib(o.server_pid);
  s.pool.stop();
  if (driver_behind(s)) {
    std::fprintf(stderr, "presence: the churn driver fell behind (%llu/%llu ticks, %.1f ms late)\n",
                 static_cast<unsigned long long>(s.driver.ticks_done()),
                 static_cast<unsigned long long>(s.schedule.ticks()),
                 static_cast<double>(s.driver.max_lag_ns()) / 1e6);
  }
  const presence_totals m = s.members.collect();
  const churn_flow& flow = s.driver.flow();
  nlohmann::ordered_json r = {{"scenario", "presence"},
                              {"topic", o.topic},
                              {"conns", o.conns},
                              {"connected", s.members.ready()},
                              {"failed", s.members.failed()},
                              {"rate", o.rate},
                              {"duration_s", o.duration_s},
                              {"threads", o.threads},
                              {"connect_s", round3(t.connect_s)},
                              {"settle_s", round3(t.settle_s)},
                              {"settled", t.settled}};
  r.update(churn_report(s, t));
  r.update(batching_report(m));
  r["members_end"] = known(static_cast<long>(t.members_end));
  r["members_expected_end"] =
      s.members.ready() - m.disconnects + flow.joins - flow.leaves - flow.dropped;
  r["disconnects"] = m.disconnects;
  r["errors"] = error_count();
  r["errors_by_code"] = error_codes();
  r["pushes"] = push_counts();
  r["nofile_limit"] = nofile;
  r["server_rss_kib_before"] = known(rss0);
  r["server_rss_kib_after"] = known(rss1);
  r["server_anon_kib_peak"] = known(t.anon_peak_kib);
  cpu.add_to(r, r["changes_made"]["total"].get<double>(), "changes_per_server_cpu_s");
  print_report(r);
  return m.disconnects == 0 ? 0 : 1;
}

} // namespace switchyard::bench
