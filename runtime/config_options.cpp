#include "runtime/config_options.hpp"

#include "transport/etcd_client.hpp"

#include <cctype>
#include <charconv>

#include <arpa/inet.h>
#include <nlohmann/json.hpp>

namespace switchyard::runtime {

namespace {

template <class T> using accessor = T& (*)(node_config&);

std::string json_text(const std::string& s) {
  return nlohmann::json(s).dump();
}

std::string parse_int(const std::string& text, int64_t min, int64_t max, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return "'" + text + "' is not an integer";
  }
  if (out < min || out > max) {
    return std::to_string(out) + " is out of range [" + std::to_string(min) + ", " +
           std::to_string(max) + "]";
  }
  return "";
}

template <class T>
config_option int_option(std::string key, std::string help, accessor<T> field, int64_t min,
                         int64_t max) {
  auto set = [field, min, max](node_config& c, const std::string& text) -> std::string {
    int64_t v = 0;
    auto err = parse_int(text, min, max, v);
    if (err.empty()) {
      field(c) = static_cast<T>(v);
    }
    return err;
  };
  auto get = [field](const node_config& c) {
    return std::to_string(field(const_cast<node_config&>(c)));
  };
  return {std::move(key), std::move(help), set, get};
}

config_option string_option(std::string key, std::string help, accessor<std::string> field,
                            std::function<std::string(const std::string&)> check) {
  auto set = [field, check](node_config& c, const std::string& text) -> std::string {
    if (auto err = check(text); !err.empty()) {
      return err;
    }
    field(c) = text;
    return "";
  };
  auto get = [field](const node_config& c) {
    return json_text(field(const_cast<node_config&>(c)));
  };
  return {std::move(key), std::move(help), set, get};
}

std::string check_ip(const std::string& text) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    return "";
  }
  return "'" + text + "' is not an IP address";
}

std::string check_non_empty(const std::string& text) {
  return text.empty() ? "must not be empty" : "";
}

std::string check_one_of(const std::string& text, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const auto* a : allowed) {
    if (text == a) {
      return "";
    }
    list += list.empty() ? a : std::string{", "} + a;
  }
  return "'" + text + "' is not one of: " + list;
}

std::vector<config_option> make_options() {
  constexpr int64_t big = int64_t{1} << 40;
  std::vector<config_option> opts;
  opts.push_back(string_option(
      "bind", "listen address (auth.mode none requires a loopback address)",
      [](node_config& c) -> std::string& { return c.server.bind; }, check_ip));
  opts.push_back(int_option<uint16_t>(
      "port", "listen port (0: any free port)",
      [](node_config& c) -> uint16_t& { return c.server.port; }, 0, 65535));
  opts.push_back(string_option(
      "data_dir", "directory of the event store (LMDB)",
      [](node_config& c) -> std::string& { return c.store.data_dir; }, check_non_empty));
  opts.push_back(string_option(
      "node_name", "this node's name, reported to clients",
      [](node_config& c) -> std::string& { return c.node_name; }, check_non_empty));
  opts.push_back(string_option(
      "log_level", "trace, debug, info, warn, error, critical or off",
      [](node_config& c) -> std::string& { return c.log_level; },
      [](const std::string& t) {
        return check_one_of(t, {"trace", "debug", "info", "warn", "error", "critical", "off"});
      }));
  opts.push_back(string_option(
      "auth.mode",
      "client authentication: none (every client is 'anonymous' in tenant 'default', loopback "
      "only) or jwt (connect.token: an HS256 JWT signed with auth.jwt_secret)",
      [](node_config& c) -> std::string& { return c.auth_mode; },
      [](const std::string& t) {
        return check_one_of(t, {"none", "jwt"});
      }));
  opts.push_back(config_option{
      "auth.jwt_secret",
      "HS256 key of connect tokens, at least 32 bytes (better from the environment: "
      "SWITCHYARD_AUTH_JWT_SECRET); never logged, masked by --dump-config",
      [](node_config& c, const std::string& t) -> std::string {
        c.auth.jwt_secret = t;
        return "";
      },
      [](const node_config& c) { return json_text(c.auth.jwt_secret.empty() ? "" : "<set>"); }});
  opts.push_back(string_option(
      "auth.jwt_secret_file", "a file holding the HS256 key (instead of auth.jwt_secret)",
      [](node_config& c) -> std::string& { return c.jwt_secret_file; },
      [](const std::string&) { return std::string{}; }));
  opts.push_back(int_option<int64_t>(
      "auth.leeway_ms", "clock skew allowed when checking a token's exp, nbf and iat, ms",
      [](node_config& c) -> int64_t& { return c.auth.leeway_ms; }, 0, 600000));
  opts.push_back(int_option<int64_t>(
      "resume.session_ttl_ms", "how long the session of a connect reply can be resumed, ms",
      [](node_config& c) -> int64_t& { return c.auth.session_ttl_ms; }, 1000,
      int64_t{365} * 24 * 3600 * 1000));
  opts.push_back(int_option<int64_t>(
      "presence.timeout_ms",
      "a presence member whose connection vanished stays this long (a resume takes it "
      "over); presence connections are pinged every quarter of it and cut when silent, ms",
      [](node_config& c) -> int64_t& { return c.presence.timeout_ms; }, 100, 3600000));
  opts.push_back(int_option<int64_t>(
      "presence.batch_ms", "presence changes are pushed to each member at most this often, ms",
      [](node_config& c) -> int64_t& { return c.presence.batch_ms; }, 1, 60000));
  opts.push_back(int_option<int64_t>(
      "presence.max_members_listed", "members in one presence reply (more follow with next)",
      [](node_config& c) -> int64_t& { return c.presence.max_members_listed; }, 1, 100000));
  opts.push_back(int_option<int64_t>(
      "metrics.max_tenant_labels",
      "tenants with their own label in /metrics; the others are summed under tenant=\"_other\"",
      [](node_config& c) -> int64_t& { return c.metrics_max_tenant_labels; }, 0, 100000));
  opts.push_back(string_option(
      "tls.cert_file",
      "PEM certificate chain: with tls.key_file the port serves only TLS 1.2+ (wss://, "
      "https://); SIGHUP reads both files again",
      [](node_config& c) -> std::string& { return c.server.tls_cert_file; },
      [](const std::string&) { return std::string{}; }));
  opts.push_back(string_option(
      "tls.key_file", "PEM private key of tls.cert_file",
      [](node_config& c) -> std::string& { return c.server.tls_key_file; },
      [](const std::string&) { return std::string{}; }));
  opts.push_back(int_option<int>(
      "io_threads", "threads running the sockets (0: one per core)",
      [](node_config& c) -> int& { return c.server.io_threads; }, 0, 64));
  opts.push_back(int_option<int64_t>(
      "workers", "actor scheduler threads (0: half the cores, at least 1)",
      [](node_config& c) -> int64_t& { return c.workers; }, 0, 64));
  opts.push_back(string_option(
      "scheduler", "actor scheduler policy: sharing (wakes idle workers at once) or stealing",
      [](node_config& c) -> std::string& { return c.scheduler; },
      [](const std::string& t) {
        return check_one_of(t, {"sharing", "stealing"});
      }));
  opts.push_back(int_option<int64_t>(
      "max_throughput", "messages an actor handles before yielding its thread",
      [](node_config& c) -> int64_t& { return c.max_throughput; }, 1, 1000000));
  opts.push_back(int_option<uint64_t>(
      "store.map_size_mb",
      "largest size the event store may grow to, MiB (the map starts small and doubles)",
      [](node_config& c) -> uint64_t& { return c.store.map_size_mb; }, 1, int64_t{1} << 24));
  opts.push_back(config_option{
      "store.sync",
      "full: each commit syncs data and meta pages; data: only data pages (a power loss may "
      "undo the last commit); async: synced every store.flush_ms (a power loss may lose that "
      "much); a process crash loses nothing in any mode",
      [](node_config& c, const std::string& t) -> std::string {
        using mode = store::store_config::sync_mode;
        if (auto err = check_one_of(t, {"full", "data", "async"}); !err.empty()) {
          return err;
        }
        c.store.sync = t == "full" ? mode::full : t == "data" ? mode::data : mode::async;
        return "";
      },
      [](const node_config& c) {
        using mode = store::store_config::sync_mode;
        return json_text(c.store.sync == mode::full   ? "full"
                         : c.store.sync == mode::data ? "data"
                                                      : "async");
      }});
  opts.push_back(int_option<uint64_t>(
      "store.flush_ms", "with store.sync async: longest time a commit stays unsynced, ms",
      [](node_config& c) -> uint64_t& { return c.store.flush_ms; }, 1, 60000));
  opts.push_back(int_option<uint64_t>(
      "store.commit_wait_us",
      "after a commit of 16 or more events, the next commit waits this long so it gathers "
      "more (fewer syncs under load), unless a client waits for its answer (a publish with "
      "an id), us; 0: never wait",
      [](node_config& c) -> uint64_t& { return c.store.commit_wait_us; }, 0, 1000000));
  opts.push_back(int_option<uint64_t>(
      "dedup.window_ms",
      "a publish whose idem the topic saw this recently makes no new event (dup: true), ms",
      [](node_config& c) -> uint64_t& { return c.store.dedup_window_ms; }, 1, uint64_t{1} << 40));
  opts.push_back(int_option<int64_t>(
      "groups.max_deliver", "attempts a queue group makes per event before it goes to dead/<topic>",
      [](node_config& c) -> int64_t& { return c.groups.max_deliver; }, 1, 1000));
  opts.push_back(int_option<int64_t>(
      "groups.inactive_ms", "a queue group without members this long is deleted, ms",
      [](node_config& c) -> int64_t& { return c.groups.inactive_ms; }, 1000, big));
  opts.push_back(int_option<int64_t>(
      "groups.lag_watermark",
      "events a queue group may be behind before its topic's publishers get slow_down "
      "(level 1 from 80 %, 2 at 100 %); 0: never",
      [](node_config& c) -> int64_t& { return c.groups.lag_watermark; }, 0, big));
  opts.push_back(int_option<int64_t>(
      "agents.max_live_sessions",
      "agent sessions running at once; past it the least recently woken idle ones "
      "passivate (they come back on their next event)",
      [](node_config& c) -> int64_t& { return c.agents.max_live_sessions; }, 1, big));
  opts.push_back(int_option<int64_t>(
      "agents.max_concurrent_recoveries",
      "agent sessions rebuilding from their inbox at once; the others wait their turn",
      [](node_config& c) -> int64_t& { return c.agents.max_concurrent_recoveries; }, 1, 100000));
  opts.push_back(int_option<int64_t>(
      "agents.max_crashes_per_event",
      "an agent inbox event whose handler threw this often is dead-lettered and the kind gets "
      "`poisoned` (a kind's kind_options may ask for fewer)",
      [](node_config& c) -> int64_t& { return c.agents.max_crashes_per_event; }, 1, 1000));
  opts.push_back(int_option<int64_t>(
      "agents.max_state_bytes",
      "an agent session whose state (with its tables) is bigger fails loudly when it is "
      "snapshotted (a kind may ask for less), bytes",
      [](node_config& c) -> int64_t& { return c.agents.max_state_bytes; }, 1024, int64_t{1} << 30));
  opts.push_back(int_option<int64_t>(
      "agents.max_hops_per_turn",
      "calls, sends and handoffs between agent sessions in one turn: past it a call fails "
      "(call_failed error) and a send or handoff is dropped (a kind may ask for fewer)",
      [](node_config& c) -> int64_t& { return c.agents.max_hops_per_turn; }, 1, 1000));
  opts.push_back(int_option<int64_t>(
      "agents.max_fan_out",
      "inputs of one fan_out: more is refused and the event dead-lettered (a kind may ask "
      "for fewer)",
      [](node_config& c) -> int64_t& { return c.agents.max_fan_out; }, 1, 10000));
  opts.push_back(config_option{
      "agents.on_divergence",
      "when a handler replayed in a rebuild decides differently than it did (logged and "
      "counted either way): continue (with the replayed state) or stop (the session stops; "
      "its events wait in the inbox)",
      [](node_config& c, const std::string& t) -> std::string {
        if (auto err = check_one_of(t, {"continue", "stop"}); !err.empty()) {
          return err;
        }
        c.agents.keep_going_on_divergence = t == "continue";
        return "";
      },
      [](const node_config& c) {
        return json_text(c.agents.keep_going_on_divergence ? "continue" : "stop");
      }});
  opts.push_back(config_option{
      "cluster.etcd",
      "etcd endpoints (comma-separated http://host:port URLs): this node joins the cluster "
      "they coordinate (empty: the node runs alone)",
      [](node_config& c, const std::string& t) -> std::string {
        std::vector<std::string> urls;
        for (std::size_t start = 0; start <= t.size() && !t.empty();) {
          auto comma = t.find(',', start);
          auto url =
              t.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (!url.empty()) {
            urls.push_back(url);
          }
          if (comma == std::string::npos) {
            break;
          }
          start = comma + 1;
        }
        if (!urls.empty()) {
          if (auto err = transport::etcd_client::check_endpoints(urls); !err.empty()) {
            return err;
          }
        }
        c.cluster.etcd = std::move(urls);
        return "";
      },
      [](const node_config& c) {
        std::string joined;
        for (const auto& url : c.cluster.etcd) {
          joined += (joined.empty() ? "" : ",") + url;
        }
        return json_text(joined);
      }});
  opts.push_back(string_option(
      "cluster.name", "the cluster's etcd key prefix: nodes with the same one form a cluster",
      [](node_config& c) -> std::string& { return c.cluster.name; }, check_non_empty));
  opts.push_back(int_option<int64_t>(
      "cluster.lease_ttl_ms",
      "the node's etcd lease: its shards move to the others this long after it stopped "
      "renewing it, and it stops serving them by then (whole seconds in etcd), ms",
      [](node_config& c) -> int64_t& { return c.cluster.lease_ttl_ms; }, 1000, 60000));
  opts.push_back(int_option<uint16_t>(
      "cluster.peer_port",
      "where the node listens for the other nodes of its cluster (CAF middleman; 0: any free "
      "port, told to the others through etcd)",
      [](node_config& c) -> uint16_t& { return c.cluster.peer_port; }, 0, 65535));
  opts.push_back(int_option<int64_t>(
      "cluster.replication",
      "copies of each shard's events, on as many nodes: a publish is "
      "acknowledged once the owner and replication - 1 followers stored it",
      [](node_config& c) -> int64_t& { return c.cluster.replication; }, 1, 3));
  opts.push_back(int_option<int64_t>(
      "retention.max_age_ms", "events older than this are deleted (0: no age limit), ms",
      [](node_config& c) -> int64_t& { return c.retention.max_age_ms; }, 0, big));
  opts.push_back(int_option<int64_t>(
      "retention.max_events",
      "per topic: the oldest events beyond this many are deleted (0: no cap)",
      [](node_config& c) -> int64_t& { return c.retention.max_events; }, 0, big));
  opts.push_back(int_option<int64_t>(
      "retention.max_bytes",
      "per topic: the oldest events beyond this much data are deleted (0: no cap), bytes",
      [](node_config& c) -> int64_t& { return c.retention.max_bytes; }, 0, big));
  opts.push_back(int_option<int64_t>(
      "retention.sweep_ms", "how often the retention sweeper looks for work, ms",
      [](node_config& c) -> int64_t& { return c.retention.sweep_ms; }, 10, big));
  opts.push_back(int_option<int64_t>(
      "limits.max_frame_bytes", "largest client frame, bytes (bigger: close 1009)",
      [](node_config& c) -> int64_t& { return c.limits.max_frame_bytes; }, 1024, 64 << 20));
  opts.push_back(int_option<int64_t>(
      "limits.bad_frames", "bad frames a minute before close 1008",
      [](node_config& c) -> int64_t& { return c.limits.bad_frames; }, 0, big));
  opts.push_back(int_option<int64_t>(
      "limits.max_subscriptions", "topics one connection may subscribe",
      [](node_config& c) -> int64_t& { return c.limits.max_subscriptions; }, 1, big));
  opts.push_back(int_option<int64_t>(
      "limits.outbound_queue", "pushes queued for one connection before it gets `gap`",
      [](node_config& c) -> int64_t& { return c.limits.outbound_queue; }, 16, 1 << 20));
  opts.push_back(int_option<int64_t>(
      "limits.inbound_queue",
      "frames read from a connection but not yet handled before its reading pauses",
      [](node_config& c) -> int64_t& { return c.limits.inbound_queue; }, 1, 1 << 20));
  opts.push_back(int_option<int64_t>(
      "limits.write_round_ms",
      "a socket that has just written lets events of big rooms wait up to this long, to "
      "write them together (0: never wait), ms",
      [](node_config& c) -> int64_t& { return c.limits.write_round_ms; }, 0, 1000));
  opts.push_back(int_option<int64_t>(
      "limits.write_round_room",
      "subscribers a topic needs for its events to wait for write rounds",
      [](node_config& c) -> int64_t& { return c.limits.write_round_room; }, 1, big));
  opts.push_back(int_option<int64_t>(
      "limits.write_timeout_ms",
      "a connection whose writes make no progress this long is closed (1008), ms",
      [](node_config& c) -> int64_t& { return c.limits.write_timeout_ms; }, 100, big));
  opts.push_back(int_option<int64_t>(
      "topics.idle_ms",
      "a topic without subscribers or pending publishes stops after this long, ms",
      [](node_config& c) -> int64_t& { return c.topics.idle_ms; }, 10, big));
  opts.push_back(int_option<int64_t>(
      "topics.max_pending", "publishes a topic holds while the store commits; past it: unavailable",
      [](node_config& c) -> int64_t& { return c.topics.max_pending; }, 1, big));
  opts.push_back(int_option<int64_t>(
      "topics.max_live", "running topics; past it the least recently used idle ones stop",
      [](node_config& c) -> int64_t& { return c.topics.max_live; }, 1, big));
  opts.push_back(int_option<int64_t>(
      "store.readers", "threads reading the event store for replay and history",
      [](node_config& c) -> int64_t& { return c.store_readers; }, 1, 64));
  opts.push_back(int_option<int64_t>(
      "limits.ping_ms", "keep-alive: a silent connection is pinged after this, cut after twice, ms",
      [](node_config& c) -> int64_t& { return c.limits.ping_ms; }, 1000, big));
  opts.push_back(int_option<int64_t>(
      "drain.spread_ms",
      "a drain gives each client a reconnect time within this (and closes it then), ms",
      [](node_config& c) -> int64_t& { return c.server.drain_spread_ms; }, 0, 600000));
  opts.push_back(int_option<int64_t>(
      "drain.timeout_ms", "a drain closes what is left after this, ms",
      [](node_config& c) -> int64_t& { return c.server.drain_timeout_ms; }, 0, 3600000));
  opts.push_back(int_option<int64_t>(
      "supervision.backoff_min_ms", "first topic restart delay, ms",
      [](node_config& c) -> int64_t& { return c.restarts.backoff_min_ms; }, 0, big));
  opts.push_back(int_option<int64_t>(
      "supervision.backoff_max_ms", "longest topic restart delay, ms",
      [](node_config& c) -> int64_t& { return c.restarts.backoff_max_ms; }, 0, big));
  opts.push_back(int_option<int64_t>(
      "supervision.max_restarts", "topic restarts allowed per window",
      [](node_config& c) -> int64_t& { return c.restarts.max_restarts; }, 0, big));
  opts.push_back(int_option<int64_t>(
      "supervision.window_ms",
      "restart window, ms; past max_restarts the topic is unavailable this long",
      [](node_config& c) -> int64_t& { return c.restarts.window_ms; }, 1, big));
  for (const auto& k : actors::tenant_limit_keys()) {
    auto field = k.field;
    opts.push_back(config_option{
        "tenants.defaults." + std::string(k.key),
        "per tenant, unless tenants.overrides.<tenant> says otherwise (config file only): " +
            std::string(tenant_limit_help(k.key)) + " (0: not limited)",
        [field](node_config& c, const std::string& text) -> std::string {
          int64_t v = 0;
          auto err = check_tenant_limit(text, v);
          if (err.empty()) {
            c.tenants.defaults.*field = v;
          }
          return err;
        },
        [field](const node_config& c) { return std::to_string(c.tenants.defaults.*field); }});
  }
  opts.push_back(int_option<int64_t>(
      "tenants.breaker.open_after_ms",
      "a tenant over its limits (or whose publishes fail for want of room) this long without "
      "a break is cut off (circuit_open), ms",
      [](node_config& c) -> int64_t& { return c.tenants.breaker.open_after_ms; }, 250, big));
  opts.push_back(int_option<int64_t>(
      "tenants.breaker.cooldown_ms", "how long a cut-off tenant stays cut off before a probe, ms",
      [](node_config& c) -> int64_t& { return c.tenants.breaker.cooldown_ms; }, 250, big));
  return opts;
}

} // namespace

std::string_view tenant_limit_help(std::string_view key) {
  if (key == "publish_per_s") {
    return "events published a second (a token bucket with a one-second burst)";
  }
  if (key == "publish_bytes_per_s") {
    return "bytes of `data` published a second";
  }
  if (key == "max_connections") {
    return "connections at once";
  }
  if (key == "max_subscriptions") {
    return "subscriptions (fanout and queue) over all its connections";
  }
  if (key == "max_topics") {
    return "topics running at once; one more is throttled while its idle ones stop";
  }
  if (key == "max_groups") {
    return "queue groups running at once; one more is throttled while its idle ones stop";
  }
  return "agent sessions running at once; one more waits while its idle ones passivate";
}

std::string check_tenant_limit(const std::string& text, int64_t& out) {
  constexpr int64_t big = int64_t{1} << 40;
  return parse_int(text, 0, big, out);
}

const std::vector<config_option>& config_options() {
  static const auto opts = make_options();
  return opts;
}

std::string cli_flag(const std::string& key) {
  std::string out = "--";
  for (char ch : key) {
    out.push_back(ch == '_' || ch == '.' ? '-' : ch);
  }
  return out;
}

std::string env_name(const std::string& key) {
  std::string out = "SWITCHYARD_";
  for (char ch : key) {
    out.push_back(ch == '.' ? '_'
                            : static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  }
  return out;
}

} // namespace switchyard::runtime
