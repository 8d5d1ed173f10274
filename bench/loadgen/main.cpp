// switchyard-bench: the load generator of Switchyard (what `nats bench` is to NATS).
// Drives a running node over protocol v1 JSON on loopback; every run stops by itself
// (bounded time and message count), prints progress on stderr once a second and one
// JSON object on stdout. Exit code: 0 done, 1 the run failed, 2 bad options.

#include "bench/loadgen/options.hpp"
#include "bench/loadgen/payload.hpp"
#include "bench/loadgen/proc_stats.hpp"
#include "bench/loadgen/scenarios.hpp"

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace {

using namespace switchyard::bench;

void add_common(CLI::App& app, bench_options& o) {
  app.add_option("--port", o.port, "Port of the node (ws://HOST:PORT/ws)")
      ->required()
      ->check(CLI::Range(1, 65535));
  app.add_option("--pub-port", o.pub_port,
                 "fanout/rooms: publishers connect to this port (another cluster node)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--host", o.host, "Node address: 127.0.0.1, localhost or ::1 only");
  app.add_option("--scenario", o.scenario,
                 "fanout | rooms | publish | idle | topics | nack | presence")
      ->check(CLI::IsMember({"fanout", "rooms", "publish", "idle", "topics", "nack", "presence"}));
  app.add_option("--duration", o.duration_s, "Seconds of publishing (presence: of churn; max 120)")
      ->check(CLI::Range(0.1, 120.0));
  app.add_option("--size", o.size, "Payload bytes (32..65536)")->check(CLI::Range(32, 65536));
  app.add_option("--threads", o.threads, "io threads")->check(CLI::Range(1, 64));
  app.add_option("--server-pid", o.server_pid, "Node pid: report its CPU and RSS")
      ->check(CLI::PositiveNumber);
  app.add_option("--drain", o.drain_s, "Stop draining after this many seconds without progress")
      ->check(CLI::Range(0.1, 30.0));
  app.add_option("--msgs", o.max_msgs, "Messages one publisher sends at most")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 39));
  app.add_option("--batch", o.batch, "Messages per frame a publisher sends at most (1..1000)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--connect-parallel", o.connect_parallel, "Handshakes in flight at most")
      ->check(CLI::Range(1, 4096));
  app.add_option("--connect-timeout", o.connect_timeout_s, "Seconds for all connections")
      ->check(CLI::Range(1.0, 120.0));
}

void add_scenario_options(CLI::App& app, bench_options& o) {
  app.add_option("--topic", o.topic, "fanout/presence: the topic");
  app.add_option("--subs", o.subs, "fanout: subscribers")->check(CLI::Range(1, 100000));
  app.add_option("--pubs", o.pubs, "Publishers (default: fanout 1, rooms 2, publish 8)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--conns", o.conns,
                 "rooms/idle/presence: connections (default: rooms 1000, idle and presence 10000)")
      ->check(CLI::Range(1, 200000));
  app.add_option("--rate", o.rate,
                 "Open loop msgs/s. fanout: per publisher (default 0 = closed loop); "
                 "rooms: in total (default 1000; 0 = closed loop); presence: joins + leaves "
                 "per second (default 100)")
      ->check(CLI::Range(0.0, 10'000'000.0));
  app.add_option("--inflight", o.inflight,
                 "Closed-loop window. fanout/rooms: deliveries (default 20000); "
                 "publish: unacked publishes per connection (default 256)")
      ->check(CLI::Range(1, 100'000'000));
  app.add_flag("--idem", o.idem, "publish: every publish carries a unique idem token");
  app.add_option("--slow-ms", o.slow_ms,
                 "fanout/rooms: a timeline of the events slower than this, by when they were "
                 "sent (100 ms steps, seconds from the start of publishing)")
      ->check(CLI::PositiveNumber);
  app.add_option("--token", o.token, "A JWT every connect carries (a node in auth.mode jwt)");
  app.add_flag("--tls", o.tls,
               "wss:// (a node with tls.cert_file); its certificate is not checked");
  app.add_option("--hold", o.hold_s, "idle/topics: seconds to hold before reading RSS")
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--topics", o.topics, "topics: distinct topics to publish to once each")
      ->check(CLI::Range(1, 10'000'000));
}

/// Fills the options whose default depends on the scenario.
void resolve_defaults(bench_options& o) {
  const bool publish = o.scenario == "publish" || o.scenario == "topics";
  if (o.pubs == 0) {
    o.pubs = o.scenario == "rooms" ? 2 : publish ? 8 : 1;
  }
  if (o.conns == 0) {
    o.conns = o.scenario == "idle" || o.scenario == "presence" ? 10000 : 1000;
  }
  if (o.rate < 0) {
    o.rate = o.scenario == "rooms" ? 1000 : o.scenario == "presence" ? 100 : 0;
  }
  if (o.inflight == 0) {
    o.inflight = publish ? 256 : 20000;
  }
}

bool valid_topic(const std::string& t) {
  if (t.empty() || t.size() > 200) {
    return false;
  }
  for (const char c : t) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

/// Loopback only: the generator must never load someone else's machine.
std::string resolve_target(bench_options& o) {
  const std::string port = std::to_string(o.port);
  if (o.host == "127.0.0.1" || o.host == "localhost") {
    o.target = {"127.0.0.1", o.port, o.host + ":" + port};
  } else if (o.host == "::1" || o.host == "[::1]") {
    o.target = {"::1", o.port, "[::1]:" + port};
  } else {
    return "refusing host '" + o.host + "': only 127.0.0.1, localhost or ::1";
  }
  o.target.tls = o.tls;
  if (!o.token.empty()) {
    o.target.connect_message = nlohmann::json{
        {"id", 1},
        {"op", "connect"},
        {"client", "switchyard-bench"},
        {"token", o.token}}.dump();
  }
  o.pub_target = o.target;
  if (o.pub_port != 0) {
    o.pub_target.port = o.pub_port;
    const auto colon = o.target.host_header.rfind(':');
    o.pub_target.host_header =
        o.target.host_header.substr(0, colon + 1) + std::to_string(o.pub_port);
  }
  return "";
}

std::string validate(bench_options& o) {
  if (!valid_topic(o.topic)) {
    return "--topic must be 1-200 bytes of [A-Za-z0-9_.:/-]";
  }
  if (o.pubs >= max_publishers) {
    return "--pubs is too large";
  }
  if (o.scenario == "presence" && o.rate * o.duration_s > max_presence_changes) {
    return "presence: --rate x --duration must be at most " +
           std::to_string(static_cast<uint64_t>(max_presence_changes)) + " changes";
  }
  return resolve_target(o);
}

int dispatch(const bench_options& o) {
  if (o.scenario == "rooms") {
    return run_rooms(o);
  }
  if (o.scenario == "publish") {
    return run_publish(o);
  }
  if (o.scenario == "nack") {
    return run_nack(o);
  }
  if (o.scenario == "topics") {
    return run_topics(o);
  }
  if (o.scenario == "idle") {
    return run_idle(o);
  }
  if (o.scenario == "presence") {
    return run_presence(o);
  }
  return run_fanout(o);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"switchyard-bench: load generator for a Switchyard node (loopback only)"};
  bench_options o;
  add_common(app, o);
  add_scenario_options(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2; // --help is a ParseError that exits 0
  }
  resolve_defaults(o);
  if (const auto err = validate(o); !err.empty()) {
    std::fprintf(stderr, "switchyard-bench: %s\n", err.c_str());
    return 2;
  }
  // Many connections need many descriptors; the soft limit is often 1024.
  raise_nofile_limit();
  return dispatch(o);
}
