#include "transport/metrics_text.hpp"

#include "actors/node_context.hpp"
#include "actors/shard_map.hpp"
#include "store/event_store.hpp"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <string_view>

namespace switchyard::transport {

namespace {

class exposition {
public:
  /// # HELP and # TYPE of a family; its samples follow.
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.17g\n", value);
    out_ += buf;
  }
  void sample(std::string_view name, std::string_view labels, uint64_t value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += std::to_string(value);
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, int64_t value) {
    sample(name, labels, static_cast<uint64_t>(value < 0 ? 0 : value));
  }
  void counter(std::string_view name, std::string_view help, uint64_t value) {
    family(name, "counter", help);
    sample(name, "", value);
  }
  void gauge(std::string_view name, std::string_view help, int64_t value) {
    family(name, "gauge", help);
    sample(name, "", value);
  }
  template <std::size_t N>
  void histogram(std::string_view name, std::string_view help,
                 const actors::fixed_histogram<N>& h) {
    family(name, "histogram", help);
    const std::string bucket = std::string(name) + "_bucket";
    uint64_t cumulative = 0;
    char le[48];
    for (std::size_t i = 0; i < N; ++i) {
      cumulative += h.count_in(i);
      std::snprintf(le, sizeof le, "le=\"%g\"", h.bounds()[i]);
      sample(bucket, le, cumulative);
    }
    cumulative += h.count_in(N);
    sample(bucket, "le=\"+Inf\"", cumulative);
    sample(std::string(name) + "_sum", "", h.sum());
    sample(std::string(name) + "_count", "", cumulative);
  }
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

/// A label value with \, " and newline escaped as the format requires.
std::string label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

/// Per-tenant rows: the first `labelled` tenants by name, the rest summed as "_other".
struct tenant_row {
  int64_t connections = 0;
  int64_t subscriptions = 0;
  uint64_t throttled = 0;
  uint64_t breaker_opened = 0;
  int64_t breaker_open = 0;
};

std::map<std::string, tenant_row> tenant_rows(const actors::node_context& ctx) {
  std::map<std::string, tenant_row> rows;
  std::size_t labelled = 0;
  for (const auto& t : ctx.tenant_reports.snapshot()) {
    const bool own = static_cast<int64_t>(labelled) < ctx.metrics_tenant_labels;
    labelled += own ? 1 : 0;
    auto& row = rows["tenant=\"" + (own ? label_value(t.tenant) : std::string("_other")) + "\""];
    row.connections += t.connections;
    row.subscriptions += t.subscriptions;
    row.throttled += t.throttled_total;
    row.breaker_opened += t.breaker_opened_total;
    row.breaker_open += t.breaker == "closed" ? 0 : 1;
  }
  return rows;
}

} // namespace

std::string metrics_text(const actors::node_context& ctx, bool draining) {
  const auto& m = ctx.metrics;
  const auto load = [](const std::atomic<uint64_t>& c) {
    return c.load(std::memory_order_relaxed);
  };
  exposition e;
  e.gauge("switchyard_up", "1 while the node serves, 0 while it drains", draining ? 0 : 1);
  e.gauge("switchyard_connections", "open connections (WebSocket sessions and HTTP API calls)",
          ctx.live_connections.load());
  e.gauge("switchyard_topics", "topic actors running", ctx.live_topics.load());
  e.gauge("switchyard_agent_sessions", "agent session actors running",
          ctx.live_agent_sessions.load());
  e.gauge("switchyard_agent_sessions_recovering",
          "agent sessions rebuilding from their inbox (at most agents.max_concurrent_recoveries)",
          ctx.recovering_agent_sessions.load());
  if (ctx.shards != nullptr) {
    uint64_t owned = 0;
    for (uint32_t shard = 0; shard < actors::shard_count; ++shard) {
      owned += ctx.shards->serves(shard) ? 1 : 0;
    }
    e.gauge("switchyard_cluster_shards_served",
            "shards this node owns and may serve now (0 while its lease is lost)",
            static_cast<int64_t>(owned));
    e.gauge("switchyard_cluster_replication_waiting_events",
            "events stored here that wait for cluster.replication - 1 followers to store them",
            m.replication_waiting_events.load());
  }
  e.gauge("switchyard_subscriptions", "fanout subscriptions held by running topics",
          m.subscriptions.load());
  e.counter("switchyard_publishes_total", "events stored by topics (duplicates left out)",
            load(m.events_stored_total));
  e.family("switchyard_deliveries_total", "counter",
           "events handed to subscribers: live fanout, and queue-group attempts");
  e.sample("switchyard_deliveries_total", "mode=\"fanout\"", load(m.fanout_deliveries_total));
  e.sample("switchyard_deliveries_total", "mode=\"queue\"", load(m.queue_deliveries_total));
  e.counter("switchyard_gaps_total", "gap pushes to fanout subscribers that fell behind",
            load(m.gaps_total));
  e.counter("switchyard_received_bytes_total", "WebSocket message bytes read from clients",
            load(m.bytes_in_total));
  e.counter("switchyard_sent_bytes_total", "WebSocket message bytes written to clients",
            load(m.bytes_out_total));
  e.counter("switchyard_redeliveries_total", "queue-group deliveries after the first attempt",
            load(m.redeliveries_total));
  e.counter("switchyard_dead_letters_total",
            "events moved to dead/<topic> (queue groups and agent sessions)",
            load(m.dead_letters_total));
  e.counter("switchyard_agent_divergences_total",
            "agent inbox events whose handler decided differently when replayed in a rebuild",
            load(m.agent_divergences_total));
  e.gauge("switchyard_queue_lag_events",
          "events running queue groups have yet to finish, summed over groups", m.queue_lag.load());
  e.histogram("switchyard_store_commit_seconds", "time of one store write transaction",
              m.store_commit_seconds);
  e.histogram("switchyard_store_commit_events", "events in one store write transaction",
              m.store_commit_events);
  e.counter("switchyard_store_commits_total", "store write transactions committed",
            load(ctx.store_commits));
  e.gauge("switchyard_store_map_bytes", "size of the store's memory map (its file's upper bound)",
          static_cast<int64_t>(ctx.store->stats().map_bytes.load()));
  e.gauge("switchyard_store_writable", "0 while the store cannot write (disk full, errors)",
          ctx.store_writable.load() ? 1 : 0);
  e.family("switchyard_restarts_total", "counter", "actors restarted by their supervisor");
  e.sample("switchyard_restarts_total", "supervisor=\"topics\"", load(m.topic_restarts_total));
  e.sample("switchyard_restarts_total", "supervisor=\"queue_groups\"",
           load(m.group_restarts_total));
  e.sample("switchyard_restarts_total", "supervisor=\"tenants\"", load(m.tenant_restarts_total));

  const auto rows = tenant_rows(ctx);
  const auto per_tenant = [&](std::string_view name, std::string_view type, std::string_view help,
                              auto field) {
    e.family(name, type, help);
    for (const auto& [labels, row] : rows) {
      e.sample(name, labels, field(row));
    }
  };
  per_tenant("switchyard_tenant_connections", "gauge", "connections a tenant holds",
             [](const tenant_row& r) { return r.connections; });
  per_tenant("switchyard_tenant_subscriptions", "gauge", "subscriptions a tenant holds",
             [](const tenant_row& r) { return r.subscriptions; });
  per_tenant("switchyard_tenant_throttled_total", "counter",
             "publish credit refused for a tenant's rate limits",
             [](const tenant_row& r) { return r.throttled; });
  per_tenant("switchyard_tenant_breaker_opened_total", "counter",
             "times a tenant's circuit breaker opened",
             [](const tenant_row& r) { return r.breaker_opened; });
  per_tenant("switchyard_tenant_breaker_open", "gauge",
             "tenants whose circuit breaker is open or half open",
             [](const tenant_row& r) { return r.breaker_open; });
  return e.take();
}

} // namespace switchyard::transport
